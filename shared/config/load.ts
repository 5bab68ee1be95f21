import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { type FieldProblem, InputError } from '../engine/errors';
import { type Config, configSchema } from './schema';

/** Default location, relative to the working directory (Lambda: the package root, /var/task). */
export const DEFAULT_CONFIG_FILE = 'caretaker.config.yml';

/** Reads and validates a config file; throws {@link InputError} naming every bad field. */
export async function loadConfig(file = DEFAULT_CONFIG_FILE): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(`config ${file}`, [{ path: '', message: `cannot read the file (${(error as Error).message})` }]);
  }
  return parseConfigText(text, file);
}

export function parseConfigText(text: string, source = 'config'): Config {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new InputError(
      source,
      doc.errors.map((e) => ({ path: e.linePos ? `line ${e.linePos[0].line}` : '', message: e.message.split('\n')[0] ?? e.message })),
    );
  }
  return parseConfig(doc.toJS() ?? {}, source);
}

export function parseConfig(value: unknown, source = 'config'): Config {
  return parseInput(configSchema, value, source);
}

/** Validates any input (config, event) and throws an {@link InputError} naming every bad field. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, source: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InputError(source, zodProblems(parsed.error, schema, value));
  return parsed.data;
}

/** A missing field says `required`, whatever the field's own type message says about its format. */
function requiredOr(issue: z.core.$ZodIssue, input: unknown): string {
  if (issue.code !== 'invalid_type') return issue.message;
  let value = input;
  for (const part of issue.path) value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[part] : undefined;
  return value === undefined ? 'required' : issue.message;
}

/**
 * A schema that picks the schema to apply from the raw input (e.g. by its `source`), so a problem
 * names a field of the shape the input claims to be. A union would report the last option's
 * complaints instead: a Scheduled Event missing `time` came out as "detail-type: unknown key".
 */
export function pickSchema<T>(pick: (raw: unknown) => z.ZodType<T>): z.ZodType<T> {
  const schema = z.unknown().transform((raw, ctx): T => {
    const parsed = pick(raw).safeParse(raw);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, message: requiredOr(issue, raw) } as never);
    return z.NEVER;
  }) as unknown as z.ZodType<T>;
  pickers.set(schema, pick);
  return schema;
}

/** The picker of each {@link pickSchema}: key suggestions come from the schema it picked for the input. */
const pickers = new WeakMap<z.ZodType, (raw: unknown) => z.ZodType>();

/**
 * Turns zod issues into `path: message` lines; unknown keys get their own path and a suggestion
 * from the keys `schema` accepts there (the schema that was parsed: suggesting config keys for an
 * event once produced "region: unknown key (did you mean 'region'?)").
 */
export function zodProblems(error: z.ZodError, parsedWith: z.ZodType = configSchema, input?: unknown): FieldProblem[] {
  const schema = pickers.get(parsedWith)?.(input) ?? parsedWith;
  const problems: FieldProblem[] = [];
  for (const issue of error.issues) {
    const path = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const known = knownKeysAt(schema, issue.path);
        // A key the schema knows here is never "unknown", so only a different key is a suggestion.
        const hint = closest(key, known.filter((k) => k !== key));
        problems.push({
          path: path ? `${path}.${key}` : key,
          message: `unknown key${hint ? ` (did you mean '${hint}'?)` : ''}`,
        });
      }
    } else {
      problems.push({ path, message: input === undefined ? issue.message : requiredOr(issue, input) });
    }
  }
  return problems;
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** The keys the schema accepts at `path`, found by walking the schema (zod 4 definitions). */
function knownKeysAt(schema: z.ZodType, path: ReadonlyArray<PropertyKey>): string[] {
  let node: unknown = schema;
  const unwrap = (n: unknown): unknown => {
    for (;;) {
      const def = (n as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
      if (!def) return n;
      if (def.innerType) n = def.innerType;
      else if (def.type === 'pipe') n = def.in;
      else return n;
    }
  };
  for (const part of path) {
    const def = (unwrap(node) as { _zod: { def: Record<string, unknown> } })._zod.def;
    if (def.type === 'object') node = (def.shape as Record<string, unknown>)[String(part)];
    else if (def.type === 'array') node = def.element;
    else if (def.type === 'record') node = def.valueType;
    else return [];
    if (!node) return [];
  }
  const def = (unwrap(node) as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
  return def?.type === 'object' ? Object.keys(def.shape as object) : [];
}

/** The known key within edit distance 2 of a typo, if any. */
export function closest(typo: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(typo.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

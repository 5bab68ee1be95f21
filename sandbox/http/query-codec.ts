import { NormalizedSchema } from '@smithy/core/schema';
import { fromBase64 } from '@smithy/core/serde';

/**
 * Reads an `ec2Query` / `awsQuery` form body back into the input object the client serialised,
 * walking the operation's input schema with the key rules of the SDK's QueryShapeSerializer
 * (@aws-sdk/core protocols/query): EC2 uses `ec2QueryName`, else the capitalised `xmlName` or
 * member name, and always flattens lists (`Filter.1.Value.1`); awsQuery uses `xmlName` or the
 * member name and `member.N` lists unless flattened, `entry.N.key` maps, `Key=` for an empty list.
 */
export function decodeQuery(schema: NormalizedSchema, body: string, ec2: boolean): { action: string; version: string; input: Record<string, unknown> } {
  const params = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(body)) params.set(k, v);
  // Every prefix of every key, so "is anything under Filter.1?" is one lookup.
  const prefixes = new Set<string>();
  for (const key of params.keys()) {
    const parts = key.split('.');
    for (let i = 1; i <= parts.length; i++) prefixes.add(parts.slice(0, i).join('.'));
  }
  const reader = new QueryReader(params, prefixes, ec2);
  const input = (reader.read(schema, '') ?? {}) as Record<string, unknown>;
  return { action: params.get('Action') ?? '', version: params.get('Version') ?? '', input };
}

class QueryReader {
  constructor(
    private readonly params: Map<string, string>,
    private readonly prefixes: Set<string>,
    private readonly ec2: boolean,
  ) {}

  read(ns: NormalizedSchema, prefix: string): unknown {
    if (ns.isStructSchema()) {
      const out: Record<string, unknown> = {};
      for (const [name, member] of ns.structIterator()) {
        const key = join(prefix, this.key(name, member.getMergedTraits(), true));
        if (this.prefixes.has(key)) out[name] = this.read(member, key);
      }
      return out;
    }
    if (ns.isListSchema()) {
      const member = ns.getValueSchema();
      if (this.params.get(prefix) === '') return [];
      const flat = this.ec2 || !!ns.getMergedTraits().xmlFlattened;
      const base = flat ? prefix : join(prefix, this.key('member', member.getMergedTraits(), false));
      const out: unknown[] = [];
      for (let i = 1; this.prefixes.has(`${base}.${i}`); i++) out.push(this.read(member, `${base}.${i}`));
      return out;
    }
    if (ns.isMapSchema()) {
      const flat = !!ns.getMergedTraits().xmlFlattened;
      const keyName = this.key('key', ns.getKeySchema().getMergedTraits(), false);
      const valueName = this.key('value', ns.getValueSchema().getMergedTraits(), false);
      const out: Record<string, unknown> = {};
      for (let i = 1; ; i++) {
        const entry = flat ? `${prefix}.${i}` : `${prefix}.entry.${i}`;
        if (!this.prefixes.has(entry)) break;
        out[this.params.get(`${entry}.${keyName}`) ?? ''] = this.read(ns.getValueSchema(), `${entry}.${valueName}`);
      }
      return out;
    }
    return scalar(ns, this.params.get(prefix) ?? '');
  }

  private key(memberName: string, traits: Record<string, unknown>, struct: boolean): string {
    if (this.ec2 && typeof traits.ec2QueryName === 'string') return traits.ec2QueryName;
    const key = typeof traits.xmlName === 'string' ? traits.xmlName : memberName;
    return this.ec2 && struct ? key[0]!.toUpperCase() + key.slice(1) : key;
  }
}

/** A scalar from its text form (query values, XML text, REST labels and query strings). */
export function scalar(ns: NormalizedSchema, text: string): unknown {
  if (ns.isBooleanSchema()) return text === 'true';
  if (ns.isNumericSchema()) return Number(text);
  if (ns.isTimestampSchema()) return /^\d+(\.\d+)?$/.test(text) ? new Date(Number(text) * 1000) : new Date(text);
  if (ns.isBlobSchema()) return fromBase64(text);
  return text;
}

function join(prefix: string, key: string): string {
  return prefix ? `${prefix}.${key}` : key;
}

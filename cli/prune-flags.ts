import { volumeId } from '../shared/config/fields';
import { type FieldProblem, InputError } from '../shared/engine/errors';
import type { PruneOptions } from '../shared/prune/run-prune';

/**
 * `--volume vol-… [--volume vol-…] --older-than 7d`: the seed tool's `-v vol-… -o 7`, modernised.
 * Both or neither; the age is whole days (`7d`, `7`) or weeks (`2w`).
 */
export function pruneOptionsFromFlags(flags: Record<string, unknown>): PruneOptions {
  const volumes = (flags.volume as string[] | undefined) ?? [];
  const olderThan = flags['older-than'] as string | undefined;
  if (volumes.length === 0 && olderThan === undefined) return {};
  const problems: FieldProblem[] = [];
  if (volumes.length === 0) problems.push({ path: '--volume', message: 'required with --older-than (which volume?)' });
  volumes.forEach((v) => {
    if (!volumeId.safeParse(v).success) problems.push({ path: '--volume', message: `'${v}': expected a volume id like vol-0123456789abcdef0` });
  });
  const days = olderThan === undefined ? undefined : parseDays(olderThan);
  if (olderThan === undefined) problems.push({ path: '--older-than', message: 'required with --volume (e.g. 7d)' });
  else if (days === undefined) problems.push({ path: '--older-than', message: `'${olderThan}': expected a whole number of days or weeks ≥ 1, such as 7d, 7 or 2w` });
  if (problems.length > 0) throw new InputError('command line', problems);
  return { volumes: volumes.map((v) => ({ volumeId: v, olderThanDays: days!, minKeep: 1, timeZone: 'UTC' })) };
}

function parseDays(text: string): number | undefined {
  const m = /^(\d+)\s*(d|w)?$/.exec(text.trim());
  if (!m) return undefined;
  const days = Number(m[1]) * (m[2] === 'w' ? 7 : 1);
  return Number.isSafeInteger(days) && days >= 1 ? days : undefined;
}

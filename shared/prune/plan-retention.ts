import type { Decision } from '../engine/types';
import type { Retain } from './config';
import { bucketKey, bucketLabel, type Granularity, GRANULARITIES } from './time-buckets';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** What the planner needs of one snapshot; the describe step keeps only this, not the SDK object. */
export interface SnapshotRow {
  id: string;
  volumeId: string;
  startMs: number;
  /** `pending`, `completed`, `error`, ... only `completed` snapshots are ever deleted. */
  state: string;
  sizeGiB: number;
  /** Tagged `caretaker:keep` (any value). */
  keepTag: boolean;
  /** Not made by caretaker; a candidate only because `includeUnmanaged` selected it. */
  unmanaged: boolean;
}

/** Rules that keep a snapshot: safety rails first, then retention rules (the order reasons list them in). */
export type KeepRule =
  | 'not-completed'
  | 'keep-tag'
  | 'ami'
  | 'min-age'
  | 'min-keep'
  | 'keep-last'
  | Granularity
  | 'newer-than';

/** Rules that condemn one: the seed's age limit, or "no retention rule keeps it". */
export type CondemnRule = 'older-than' | 'outside-retention';

/** Payload of a prune decision: enough to apply it and to total the report. */
export interface PruneItem {
  volumeId: string;
  sizeGiB: number;
  startMs: number;
  unmanaged: boolean;
  /** Why it is deleted (one rule) or every rule that keeps it. */
  rules: Array<KeepRule | CondemnRule>;
}

export type PruneDecision = Decision<PruneItem>;

export const DELETE_ACTION = 'delete-snapshot';

/** Retention rules as the planner reads them (a policy's `retain` or a `prune.volumes[]` entry). */
export type RetentionRules = Retain;

export interface RetentionContext {
  now: Date;
  minAgeHours: number;
  /** Snapshots referenced by an AMI's block device mappings. */
  amiSnapshotIds: ReadonlySet<string>;
}

/**
 * Plans one source volume's snapshots under one retention: PURE (no clock, no AWS). A snapshot is
 * deleted only when no rule keeps it; each survivor names every rule that keeps it, each deletion
 * the rule that condemned it.
 *
 * @example
 * planRetention(rows, { keepLast: 3, daily: 7, minKeep: 1, timeZone: 'UTC' }, { now, minAgeHours: 24, amiSnapshotIds: new Set() })
 */
export function planRetention(rows: readonly SnapshotRow[], retain: RetentionRules, ctx: RetentionContext): PruneDecision[] {
  const now = ctx.now.getTime();
  // Newest first; the id breaks ties so the plan never depends on the order AWS listed them in.
  const sorted = [...rows].sort((a, b) => b.startMs - a.startMs || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const keeps = new Map<string, KeepRule[]>();
  const labels = new Map<string, string[]>();
  const keep = (row: SnapshotRow, rule: KeepRule, label: string) => {
    let r = keeps.get(row.id);
    if (!r) {
      keeps.set(row.id, (r = []));
      labels.set(row.id, []);
    }
    r.push(rule);
    labels.get(row.id)!.push(label);
  };

  // Count-based rules look at completed snapshots only: a pending one may still fail.
  const completed = sorted.filter((s) => s.state === 'completed');
  for (const row of sorted) {
    if (row.state !== 'completed') keep(row, 'not-completed', `state ${row.state}`);
    if (row.keepTag) keep(row, 'keep-tag', 'tagged caretaker:keep');
    if (ctx.amiSnapshotIds.has(row.id)) keep(row, 'ami', 'used by an AMI');
    if (now - row.startMs < ctx.minAgeHours * HOUR) keep(row, 'min-age', `younger than minAgeHours ${ctx.minAgeHours}`);
  }
  completed.slice(0, retain.minKeep).forEach((row) => keep(row, 'min-keep', `newest ${retain.minKeep} (minKeep)`));
  if (retain.keepLast !== undefined) completed.slice(0, retain.keepLast).forEach((row) => keep(row, 'keep-last', `keepLast ${retain.keepLast}`));
  for (const granularity of GRANULARITIES) {
    const count = retain[granularity];
    if (count === undefined) continue;
    const current = bucketKey(now, granularity, retain.timeZone);
    const claimed = new Set<number>();
    for (const row of completed) {
      const key = bucketKey(row.startMs, granularity, retain.timeZone);
      // Calendar buckets relative to now: (current − count, current]. Newest first, so the first
      // snapshot seen in a bucket is its newest.
      if (key <= current - count || key > current || claimed.has(key)) continue;
      claimed.add(key);
      keep(row, granularity, `${granularity} ${bucketLabel(key, granularity)}`);
    }
  }
  if (retain.olderThanDays !== undefined) {
    for (const row of completed) {
      if (now - row.startMs <= retain.olderThanDays * DAY) keep(row, 'newer-than', `not older than ${retain.olderThanDays} days`);
    }
  }

  const condemn = condemnation(retain);
  return sorted.map((row) => {
    const rules = keeps.get(row.id);
    const item = { volumeId: row.volumeId, sizeGiB: row.sizeGiB, startMs: row.startMs, unmanaged: row.unmanaged };
    const prefix = row.unmanaged ? 'unmanaged (selected by includeUnmanaged); ' : '';
    if (rules) {
      return { target: row.id, action: 'skip', reason: `${prefix}kept: ${labels.get(row.id)!.join(', ')}`, payload: { ...item, rules } };
    }
    return { target: row.id, action: DELETE_ACTION, reason: `${prefix}${condemn.reason}`, payload: { ...item, rules: [condemn.rule] } };
  });
}

/** The one rule a deletion is charged to, in the words of the config. */
function condemnation(retain: RetentionRules): { rule: CondemnRule; reason: string } {
  const others = (['keepLast', ...GRANULARITIES] as const)
    .filter((k) => retain[k] !== undefined)
    .map((k) => `${k} ${retain[k]}`);
  const also = others.length ? `, outside ${others.join(', ')}` : '';
  if (retain.olderThanDays !== undefined) {
    return { rule: 'older-than', reason: `older than ${retain.olderThanDays} days (olderThanDays)${also}` };
  }
  return { rule: 'outside-retention', reason: `kept by no rule (${others.join(', ')}; minKeep ${retain.minKeep})` };
}

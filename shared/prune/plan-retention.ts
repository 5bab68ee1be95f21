import type { Decision } from '../engine/types';
import type { Retain } from './config';
import { assessFreshness, type Freshness } from './freshness';
import { bucketKey, bucketLabel, type Granularity, GRANULARITIES } from './time-buckets';
import { ARCHIVE_ACTION, archiveMinimumLabel, archiveVerdict, inArchive, SHORTEST_PERIOD_DAYS, type TierInfo, withinArchiveMinimum } from './plan-archive';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** What the planner needs of one snapshot; the describe step keeps only this, not the SDK object. */
export interface SnapshotRow {
  id: string;
  volumeId: string;
  startMs: number;
  /** `pending`, `completed`, `error`, ... only `completed` snapshots are deleted by retention; `error` ones after an age. */
  state: string;
  sizeGiB: number;
  /** Tagged `caretaker:keep` (any value). */
  keepTag: boolean;
  /** Not made by caretaker; a candidate only because `includeUnmanaged` selected it. */
  unmanaged: boolean;
  /** DescribeSnapshots' `StorageTier`: `standard` (or absent), or `archive` (still counted by every rule). */
  storageTier?: string;
}

/** Rules that keep a snapshot: safety rails first, then retention rules (the order reasons list them in). */
export type KeepRule =
  | 'not-completed'
  | 'keep-tag'
  | 'ami'
  | 'min-age'
  | 'future'
  | 'stale-volume'
  | 'copy-pending'
  | 'min-keep'
  | 'keep-last'
  | Granularity
  | 'keep-within'
  | 'newer-than'
  | 'archive-minimum';

/** Rules that condemn one: the seed's age limit, "no retention rule keeps it", or a failed snapshot past its age. */
export type CondemnRule = 'older-than' | 'outside-retention' | 'error-snapshot';

/** Payload of a prune decision: enough to apply it and to total the report. */
export interface PruneItem {
  volumeId: string;
  sizeGiB: number;
  startMs: number;
  unmanaged: boolean;
  /** Why it is deleted (one rule) or every rule that keeps it. */
  rules: Array<KeepRule | CondemnRule>;
  /** In the archive tier, or on its way there. */
  archived?: true;
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
  /**
   * Freshness guard: a volume whose newest completed snapshot is older than this is stale, and
   * the seed's now-relative `olderThanDays` deletes nothing on it. Undefined: no guard.
   */
  staleAfterMs?: number;
  /** Snapshots in state `error` older than this are deleted (they hold no data); undefined: kept. */
  errorMaxAgeMs?: number;
  /** DescribeSnapshotTierStatus of the snapshots archived or being archived (absent: none is). */
  tiering?: ReadonlyMap<string, TierInfo>;
}

/**
 * Plans one source volume's snapshots under one retention: PURE (no clock, no AWS). A snapshot is
 * deleted only when no rule keeps it; each survivor names every rule that keeps it, each deletion
 * the rule that condemned it.
 *
 * Counting rules follow restic's `forget` (and sanoid): walking the volume's completed snapshots
 * newest first, `daily: 7` keeps the newest snapshot of each of the 7 most recent local days
 * *that have a snapshot*, however long ago those days were; `keepLast: N` keeps the newest N;
 * `keepWithinDays: N` keeps those taken within N days before the volume's newest completed
 * snapshot (restic `--keep-within`). None of them moves with `now`, so a schedule that stops never
 * erodes what they keep. Only the seed's `olderThanDays` counts from `now`, and it is suspended on
 * a stale volume (see {@link assessFreshness}).
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
  // The least number of days the rules that keep a snapshot go on keeping it (for archive moves).
  const stays = new Map<string, number>();
  const stay = (row: SnapshotRow, days: number) => stays.set(row.id, Math.max(stays.get(row.id) ?? 0, days));
  const keep = (row: SnapshotRow, rule: KeepRule, label: string) => {
    let r = keeps.get(row.id);
    if (!r) {
      keeps.set(row.id, (r = []));
      labels.set(row.id, []);
    }
    r.push(rule);
    labels.get(row.id)!.push(label);
  };
  const expiredErrors = new Set<string>();

  for (const row of sorted) {
    if (row.state === 'error' && ctx.errorMaxAgeMs !== undefined && now - row.startMs > ctx.errorMaxAgeMs) expiredErrors.add(row.id);
    else if (row.state !== 'completed') keep(row, 'not-completed', `state ${row.state}`);
    if (row.keepTag) {
      keep(row, 'keep-tag', 'tagged caretaker:keep');
      stay(row, Number.POSITIVE_INFINITY);
    }
    if (ctx.amiSnapshotIds.has(row.id)) keep(row, 'ami', 'used by an AMI');
    // A clock ahead of ours (or a bad StartTime) is kept and reported, never a reference point.
    if (row.startMs > now) keep(row, 'future', 'start time in the future');
    else if (now - row.startMs < ctx.minAgeHours * HOUR) keep(row, 'min-age', `younger than minAgeHours ${ctx.minAgeHours}`);
  }
  // Counting rules look at completed snapshots only (a pending one may still fail, an error one
  // holds nothing), and not at future-dated ones, so they cannot push real ones out.
  const completed = sorted.filter((s) => s.state === 'completed' && s.startMs <= now);
  const freshness = assessFreshness(sorted, ctx.staleAfterMs, now);
  completed.slice(0, retain.minKeep).forEach((row) => keep(row, 'min-keep', `newest ${retain.minKeep} (minKeep)`));
  if (retain.keepLast !== undefined) completed.slice(0, retain.keepLast).forEach((row) => keep(row, 'keep-last', `keepLast ${retain.keepLast}`));
  for (const granularity of GRANULARITIES) {
    const count = retain[granularity];
    if (count === undefined) continue;
    // restic: walk newest first; each snapshot in a period not seen yet is that period's newest.
    let last: number | undefined;
    let left = count;
    for (const row of completed) {
      if (left === 0) break;
      const key = bucketKey(row.startMs, granularity, retain.timeZone);
      if (key === last) continue;
      last = key;
      left--;
      keep(row, granularity, `${granularity} ${bucketLabel(key, granularity)}`);
      // It drops out only after `left` more periods with a snapshot have begun.
      stay(row, left * SHORTEST_PERIOD_DAYS[granularity]);
    }
  }
  const newest = completed[0];
  if (retain.keepWithinDays !== undefined && newest) {
    for (const row of completed) {
      if (newest.startMs - row.startMs > retain.keepWithinDays * DAY) break;
      keep(row, 'keep-within', `within ${retain.keepWithinDays} days of the newest (${newest.id})`);
    }
  }
  if (retain.olderThanDays !== undefined) {
    if (freshness.stale) {
      for (const row of completed) keep(row, 'stale-volume', staleLabel(freshness));
    } else {
      for (const row of completed) {
        if (now - row.startMs > retain.olderThanDays * DAY) continue;
        keep(row, 'newer-than', `not older than ${retain.olderThanDays} days`);
        stay(row, retain.olderThanDays - (now - row.startMs) / DAY);
      }
    }
  }

  // An archived snapshot the rules condemn within its 90-day minimum: deleting it now is billed
  // as if it stayed, so it stays (and is deleted by the first run after the minimum).
  for (const row of completed) {
    const tier = ctx.tiering?.get(row.id);
    if (!keeps.has(row.id) && withinArchiveMinimum(tier, now)) keep(row, 'archive-minimum', archiveMinimumLabel(tier));
  }

  const condemn = condemnation(retain);
  let archivedOfVolume = sorted.filter((row) => row.storageTier === 'archive' || inArchive(ctx.tiering?.get(row.id))).length;
  return sorted.map((row) => {
    const rules = keeps.get(row.id);
    const tier = ctx.tiering?.get(row.id);
    const archived = row.storageTier === 'archive' || inArchive(tier);
    const item = { volumeId: row.volumeId, sizeGiB: row.sizeGiB, startMs: row.startMs, unmanaged: row.unmanaged, ...(archived ? { archived: true as const } : {}) };
    const prefix = `${row.unmanaged ? 'unmanaged (selected by includeUnmanaged); ' : ''}${archived ? 'archive tier; ' : ''}`;
    if (rules) {
      const kept = `${prefix}kept: ${labels.get(row.id)!.join(', ')}`;
      const verdict = retain.archive
        ? archiveVerdict({ ...row, storageTier: row.storageTier ?? 'standard', rules, staysDays: stays.get(row.id) ?? 0, amiHeld: ctx.amiSnapshotIds.has(row.id), tier }, retain.archive, now, archivedOfVolume)
        : { archive: false as const };
      if (verdict.archive) {
        archivedOfVolume++;
        return { target: row.id, action: ARCHIVE_ACTION, reason: `${kept}; ${verdict.reason}`, payload: { ...item, rules } };
      }
      return { target: row.id, action: 'skip', reason: verdict.reason ? `${kept}; ${verdict.reason}` : kept, payload: { ...item, rules } };
    }
    if (expiredErrors.has(row.id)) {
      const days = Math.round(ctx.errorMaxAgeMs! / DAY);
      return { target: row.id, action: DELETE_ACTION, reason: `${prefix}snapshot in state error, older than ${days} day(s) (prune.deleteErrorSnapshotsAfterDays)`, payload: { ...item, rules: ['error-snapshot'] } };
    }
    return { target: row.id, action: DELETE_ACTION, reason: `${prefix}${condemn.reason}`, payload: { ...item, rules: [condemn.rule] } };
  });
}

function staleLabel(f: Freshness): string {
  const last = f.newestCompleted ? `newest completed ${new Date(f.newestCompleted.startMs).toISOString()}` : 'no completed snapshot';
  return `volume stale (${last}): olderThanDays suspended`;
}

/** The one rule a deletion is charged to, in the words of the config. */
function condemnation(retain: RetentionRules): { rule: CondemnRule; reason: string } {
  const others = (['keepLast', ...GRANULARITIES, 'keepWithinDays'] as const)
    .filter((k) => retain[k] !== undefined)
    .map((k) => `${k} ${retain[k]}`);
  const also = others.length ? `, outside ${others.join(', ')}` : '';
  if (retain.olderThanDays !== undefined) {
    return { rule: 'older-than', reason: `older than ${retain.olderThanDays} days (olderThanDays)${also}` };
  }
  return { rule: 'outside-retention', reason: `kept by no rule (${others.join(', ')}; minKeep ${retain.minKeep})` };
}

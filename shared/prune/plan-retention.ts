import type { Decision } from '../engine/types';
import type { Retain } from './config';
import { assessFreshness, type Freshness } from './freshness';
import { bucketKey, bucketLabel, type Granularity, GRANULARITIES } from './time-buckets';
import { ARCHIVE_ACTION, archiveMinimumLabel, type ArchiveVerdict, archiveVerdict, inArchive, SHORTEST_PERIOD_DAYS, type TierInfo, withinArchiveMinimum } from './plan-archive';

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
  rules: ReadonlyArray<KeepRule | CondemnRule>;
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
  const judged = judgeRetention(rows, retain, ctx);
  return judged.sorted.map((_, i) => judged.decision(i));
}

/**
 * The rules in the order a snapshot's reasons list them (safety rails first, then retention rules,
 * the order {@link judgeRetention} applies them in), one bit each: a snapshot's verdict is one
 * small integer, and its rule list and reason are built from it only when asked for.
 */
const RULE_ORDER = [
  'not-completed',
  'keep-tag',
  'ami',
  'future',
  'min-age',
  'min-keep',
  'keep-last',
  ...GRANULARITIES,
  'keep-within',
  'stale-volume',
  'newer-than',
  'archive-minimum',
] as const satisfies readonly KeepRule[];
const BIT = Object.fromEntries(RULE_ORDER.map((rule, i) => [rule, 1 << i])) as Record<KeepRule, number>;
const KEPT = (1 << RULE_ORDER.length) - 1;
/** Not a keep rule: a snapshot in state `error` past `errorMaxAgeMs` (deleted unless a rail keeps it). */
const EXPIRED_ERROR = 1 << RULE_ORDER.length;
/** Rule lists by mask, shared by every snapshot with the same verdict (read-only). */
const RULE_LISTS = new Map<number, ReadonlyArray<KeepRule | CondemnRule>>();
const CONDEMNED: Record<CondemnRule, ReadonlyArray<KeepRule | CondemnRule>> = {
  'older-than': Object.freeze(['older-than']),
  'outside-retention': Object.freeze(['outside-retention']),
  'error-snapshot': Object.freeze(['error-snapshot']),
};

/**
 * The verdicts of {@link planRetention} without a decision object per snapshot: `sorted` (newest
 * first) and, per index, whether it is deleted, archived or kept, by which rules, and (built on
 * demand) why. A run over 100,000 snapshots asks only the kept ones' rules (it counts them) and
 * the deleted and archived ones' reason.
 */
export interface RetentionJudgement {
  sorted: readonly SnapshotRow[];
  isDeletion(i: number): boolean;
  /** {@link DELETE_ACTION}, {@link ARCHIVE_ACTION} (kept, and moved to the archive tier) or `skip`. */
  action(i: number): string;
  /** In the archive tier, or on its way there. */
  archived(i: number): boolean;
  /** Every rule that keeps it, or the one that condemns it. Shared between snapshots: do not modify. */
  rules(i: number): ReadonlyArray<KeepRule | CondemnRule>;
  reason(i: number): string;
  decision(i: number): PruneDecision;
}

/** Judges one volume's snapshots (see {@link planRetention}, which is this with a decision per snapshot). PURE. */
export function judgeRetention(rows: readonly SnapshotRow[], retain: RetentionRules, ctx: RetentionContext): RetentionJudgement {
  const now = ctx.now.getTime();
  // Newest first; the id breaks ties so the plan never depends on the order AWS listed them in.
  const sorted = [...rows].sort((a, b) => b.startMs - a.startMs || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const masks: number[] = new Array<number>(sorted.length).fill(0);
  const at = new Map<SnapshotRow, number>(sorted.map((row, i) => [row, i]));
  const keep = (row: SnapshotRow, rule: KeepRule) => {
    const i = at.get(row)!;
    masks[i] = masks[i]! | BIT[rule];
  };
  // For archive moves only: the least number of days the rules that keep a snapshot go on keeping it.
  const stays = retain.archive ? new Float64Array(sorted.length) : undefined;
  const stay = (row: SnapshotRow, days: number) => {
    if (!stays) return;
    const i = at.get(row)!;
    stays[i] = Math.max(stays[i]!, days);
  };

  sorted.forEach((row, i) => {
    if (row.state === 'error' && ctx.errorMaxAgeMs !== undefined && now - row.startMs > ctx.errorMaxAgeMs) masks[i] = masks[i]! | EXPIRED_ERROR;
    else if (row.state !== 'completed') keep(row, 'not-completed');
    if (row.keepTag) {
      keep(row, 'keep-tag');
      stay(row, Number.POSITIVE_INFINITY);
    }
    if (ctx.amiSnapshotIds.has(row.id)) keep(row, 'ami');
    // A clock ahead of ours (or a bad StartTime) is kept and reported, never a reference point.
    if (row.startMs > now) keep(row, 'future');
    else if (now - row.startMs < ctx.minAgeHours * HOUR) keep(row, 'min-age');
  });
  // Counting rules look at completed snapshots only (a pending one may still fail, an error one
  // holds nothing), and not at future-dated ones, so they cannot push real ones out.
  const completed = sorted.filter((s) => s.state === 'completed' && s.startMs <= now);
  const freshness = assessFreshness(sorted, ctx.staleAfterMs, now);
  completed.slice(0, retain.minKeep).forEach((row) => keep(row, 'min-keep'));
  if (retain.keepLast !== undefined) completed.slice(0, retain.keepLast).forEach((row) => keep(row, 'keep-last'));
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
      keep(row, granularity);
      // It drops out only after `left` more periods with a snapshot have begun.
      stay(row, left * SHORTEST_PERIOD_DAYS[granularity]);
    }
  }
  const newest = completed[0];
  if (retain.keepWithinDays !== undefined && newest) {
    for (const row of completed) {
      if (newest.startMs - row.startMs > retain.keepWithinDays * DAY) break;
      keep(row, 'keep-within');
    }
  }
  if (retain.olderThanDays !== undefined) {
    if (freshness.stale) {
      for (const row of completed) keep(row, 'stale-volume');
    } else {
      for (const row of completed) {
        if (now - row.startMs > retain.olderThanDays * DAY) continue;
        keep(row, 'newer-than');
        stay(row, retain.olderThanDays - (now - row.startMs) / DAY);
      }
    }
  }
  // An archived snapshot the rules condemn within its 90-day minimum: deleting it now is billed
  // as if it stayed, so it stays (and is deleted by the first run after the minimum).
  if (ctx.tiering) {
    for (const row of completed) {
      if ((masks[at.get(row)!]! & KEPT) === 0 && withinArchiveMinimum(ctx.tiering.get(row.id), now)) keep(row, 'archive-minimum');
    }
  }
  const archived = (i: number): boolean => {
    const row = sorted[i]!;
    return row.storageTier === 'archive' || inArchive(ctx.tiering?.get(row.id));
  };
  // Archive verdicts, newest first (each move counts towards the volume's archived quota), only
  // under an archive rule and held only where there is a move or something worth reporting.
  const verdicts = new Map<number, ArchiveVerdict>();
  if (retain.archive) {
    let archivedOfVolume = 0;
    for (let i = 0; i < sorted.length; i++) if (archived(i)) archivedOfVolume++;
    sorted.forEach((row, i) => {
      const mask = masks[i]!;
      if ((mask & KEPT) === 0) return;
      const candidate = {
        ...row,
        storageTier: row.storageTier ?? 'standard',
        rules: ruleList(mask & KEPT),
        staysDays: stays![i]!,
        amiHeld: ctx.amiSnapshotIds.has(row.id),
        tier: ctx.tiering?.get(row.id),
      };
      const verdict = archiveVerdict(candidate, retain.archive!, now, archivedOfVolume);
      if (verdict.archive) archivedOfVolume++;
      if (verdict.archive || verdict.reason) verdicts.set(i, verdict);
    });
  }

  let condemned: { rule: CondemnRule; reason: string } | undefined;
  const condemn = () => (condemned ??= condemnation(retain));
  const label = (rule: KeepRule, row: SnapshotRow): string => {
    switch (rule) {
      case 'not-completed':
        return `state ${row.state}`;
      case 'keep-tag':
        return 'tagged caretaker:keep';
      case 'ami':
        return 'used by an AMI';
      case 'future':
        return 'start time in the future';
      case 'min-age':
        return `younger than minAgeHours ${ctx.minAgeHours}`;
      case 'min-keep':
        return `newest ${retain.minKeep} (minKeep)`;
      case 'keep-last':
        return `keepLast ${retain.keepLast}`;
      case 'keep-within':
        return `within ${retain.keepWithinDays} days of the newest (${newest!.id})`;
      case 'stale-volume':
        return staleLabel(freshness);
      case 'newer-than':
        return `not older than ${retain.olderThanDays} days`;
      case 'archive-minimum':
        return archiveMinimumLabel(ctx.tiering!.get(row.id)!);
      case 'copy-pending':
        return 'its copy in another Region is still pending';
      default:
        return `${rule} ${bucketLabel(bucketKey(row.startMs, rule, retain.timeZone), rule)}`;
    }
  };
  const judged: RetentionJudgement = {
    sorted,
    isDeletion: (i) => (masks[i]! & KEPT) === 0,
    action: (i) => (judged.isDeletion(i) ? DELETE_ACTION : verdicts.get(i)?.archive ? ARCHIVE_ACTION : 'skip'),
    archived,
    rules: (i) => {
      const mask = masks[i]!;
      if (mask & KEPT) return ruleList(mask & KEPT);
      return CONDEMNED[mask & EXPIRED_ERROR ? 'error-snapshot' : condemn().rule];
    },
    reason: (i) => {
      const row = sorted[i]!;
      const mask = masks[i]!;
      const prefix = `${row.unmanaged ? 'unmanaged (selected by includeUnmanaged); ' : ''}${archived(i) ? 'archive tier; ' : ''}`;
      if (mask & KEPT) {
        const kept = `${prefix}kept: ${ruleList(mask & KEPT).map((rule) => label(rule as KeepRule, row)).join(', ')}`;
        const verdict = verdicts.get(i);
        return verdict?.reason ? `${kept}; ${verdict.reason}` : kept;
      }
      if (mask & EXPIRED_ERROR) {
        return `${prefix}snapshot in state error, older than ${Math.round(ctx.errorMaxAgeMs! / DAY)} day(s) (prune.deleteErrorSnapshotsAfterDays)`;
      }
      return `${prefix}${condemn().reason}`;
    },
    decision: (i) => {
      const row = sorted[i]!;
      const payload: PruneItem = {
        volumeId: row.volumeId,
        sizeGiB: row.sizeGiB,
        startMs: row.startMs,
        unmanaged: row.unmanaged,
        ...(archived(i) ? { archived: true as const } : {}),
        rules: [...judged.rules(i)],
      };
      return { target: row.id, action: judged.action(i), reason: judged.reason(i), payload };
    },
  };
  return judged;
}

function ruleList(mask: number): ReadonlyArray<KeepRule | CondemnRule> {
  let list = RULE_LISTS.get(mask);
  if (!list) RULE_LISTS.set(mask, (list = Object.freeze(RULE_ORDER.filter((rule) => mask & BIT[rule]))));
  return list;
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

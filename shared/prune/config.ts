import { z } from 'zod';
import { nonNegativeInt, positiveInt, scheduleExpression, tagMatch, timeZone, volumeId } from '../config/fields';
import { regionList } from '../config/regions';
import { refineScheduler, schedulerFields } from '../config/scheduler';
import { parseDuration } from './freshness';

/** `90m`, `36h`, `2d`: how long a volume may go without a new completed snapshot. */
const staleAfter = z.string().refine((s) => parseDuration(s) !== undefined, { error: 'expected a duration such as 36h, 2d or 90m' });

/** The retention fields, shared by `snapshot.policies[].retain` and `prune.volumes[]`. */
const retainFields = {
  /**
   * The seed tool's rule: delete what is older than N days, counted from now (unless another rule
   * keeps it). Suspended on a stale volume, so a stopped schedule does not erode history.
   */
  olderThanDays: positiveInt.optional(),
  /** Keep every snapshot taken within N days before the volume's newest completed one (restic --keep-within). */
  keepWithinDays: positiveInt.optional(),
  /** Keep the newest N. */
  keepLast: positiveInt.optional(),
  /**
   * Grandfather-father-son, restic-style: the newest snapshot of each of the N most recent
   * hours/days/ISO weeks/months/years *that have a snapshot*.
   */
  hourly: positiveInt.optional(),
  daily: positiveInt.optional(),
  weekly: positiveInt.optional(),
  monthly: positiveInt.optional(),
  yearly: positiveInt.optional(),
  /** Never go below this many snapshots per volume: the newest `minKeep` always survive. */
  minKeep: positiveInt.default(1),
  /** Time zone that decides where an hour, day, ISO week, month and year start. */
  timeZone: timeZone.default('UTC'),
  /**
   * The freshness guard: a volume with no completed snapshot for this long is stale (ACTION
   * NEEDED, olderThanDays suspended). Default for a policy: its schedule interval × 1.5.
   */
  staleAfter: staleAfter.optional(),
  /**
   * Move the snapshots these bucket rules keep to the EBS archive tier once they are `afterDays`
   * old (ModifySnapshotTier). An archived snapshot still counts for retention; restoring it takes
   * hours; deleting it within 90 days of archiving is charged as 90 days, so each listed rule must
   * keep snapshots at least `afterDays` + 90 days (https://docs.aws.amazon.com/ebs/latest/userguide/snapshot-archive.html).
   */
  archive: z
    .strictObject({
      afterDays: positiveInt,
      rules: z.array(z.enum(['weekly', 'monthly', 'yearly'], { error: 'expected weekly, monthly or yearly' })).min(1, { error: 'name the bucket rules whose snapshots are archived, e.g. [monthly, yearly]' }),
    })
    .optional(),
};

export const RULE_KEYS = ['olderThanDays', 'keepWithinDays', 'keepLast', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;

/**
 * A retention with no rule would keep only `minKeep` snapshots of every volume: almost certainly
 * a mistake (e.g. `keepLast: 0` meant "keep nothing extra"), so it is refused, not guessed.
 */
function requireARule(r: Partial<Record<(typeof RULE_KEYS)[number], number | undefined>>, ctx: z.RefinementCtx): void {
  if (RULE_KEYS.some((k) => r[k] !== undefined)) return;
  ctx.addIssue({
    code: 'custom',
    message: `set at least one of ${RULE_KEYS.join(', ')}`,
  });
}

/** The archive minimum: a snapshot deleted (or restored for good) sooner is charged as if archived 90 days. */
export const ARCHIVE_MINIMUM_DAYS = 90;

/** The fewest days a bucket rule keeps a snapshot: N periods with a snapshot span at least N − 1 whole periods. */
const SHORTEST_PERIOD_DAYS = { weekly: 7, monthly: 28, yearly: 365 } as const;

/**
 * An archive rule must leave each archived snapshot in the archive at least 90 days: a rule the
 * archive names must be set, and keep snapshots `afterDays` + 90 days or more.
 */
function checkArchive(r: z.infer<z.ZodObject<typeof retainFields>>, ctx: z.RefinementCtx): void {
  if (!r.archive) return;
  const { afterDays, rules } = r.archive;
  rules.forEach((rule, i) => {
    const count = r[rule];
    if (count === undefined) {
      ctx.addIssue({ code: 'custom', path: ['archive', 'rules', i], message: `${rule} is not set in this retain block, so it keeps nothing to archive` });
      return;
    }
    const keptDays = (count - 1) * SHORTEST_PERIOD_DAYS[rule];
    if (keptDays - afterDays < ARCHIVE_MINIMUM_DAYS) {
      ctx.addIssue({
        code: 'custom',
        path: ['archive', 'afterDays'],
        message: `${rule}: ${count} keeps a snapshot as little as ${keptDays} days; archived after ${afterDays} days it could be deleted within the archive's ${ARCHIVE_MINIMUM_DAYS}-day minimum (charged as kept): archive earlier or keep more ${rule} snapshots`,
      });
    }
  });
}

function refineRetain(r: z.infer<z.ZodObject<typeof retainFields>>, ctx: z.RefinementCtx): void {
  requireARule(r, ctx);
  checkArchive(r, ctx);
}

/**
 * Retention of one snapshot policy, evaluated per source volume. A snapshot survives if any rule
 * keeps it; the newest `minKeep` snapshots of a volume always survive.
 */
export const retainSchema = z.strictObject(retainFields).superRefine(refineRetain);

export type Retain = z.infer<typeof retainSchema>;

/** The seed tool's `-v vol-… -o 7`: retention for every caretaker snapshot of one volume. */
export const volumeRuleSchema = z.strictObject({ volumeId, ...retainFields }).superRefine(refineRetain);

export type VolumeRule = z.infer<typeof volumeRuleSchema>;

export const pruneSchema = z
  .strictObject({
    /** Narrows the top-level `regions` the prune job covers (default: all of them). */
    regions: regionList.optional(),
    /** When the prune function runs. */
    schedule: scheduleExpression.default('rate(1 day)'),
    ...schedulerFields,
    /** Blast-radius cap: a plan with more deletions than this is an alert, not an action. */
    maxDeletesPerRun: positiveInt.default(1000),
    /** Never delete a snapshot younger than this, whatever the rules say. */
    minAgeHours: nonNegativeInt.default(24),
    /**
     * A run that ends with deletions left schedules its own continuation a minute later (a
     * one-time EventBridge Scheduler schedule), at most this many runs in a chain; 0 turns it off.
     */
    maxContinuationRuns: nonNegativeInt.default(24),
    /**
     * Archive moves (`retain.archive`) started at once in a Region: EBS's quota "In-progress
     * snapshot archives per account" (default 25, adjustable; archiving takes hours). A run starts
     * only the moves the quota has room for, oldest first; the rest wait for later runs.
     * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-resource-quotas.html
     */
    maxArchivesInProgress: positiveInt.default(25),
    /** Snapshots that ended in state `error` (no data) are deleted once this old; they stay that long for the record. */
    deleteErrorSnapshotsAfterDays: positiveInt.default(14),
    /** Volumes pruned by their own rule, whichever policy (if any) made their snapshots. */
    volumes: z.array(volumeRuleSchema).default([]),
    /**
     * Snapshots caretaker did not make are left alone (and reported) unless selected here: by
     * snapshot tag, or every snapshot of a listed volume. Only volumes in `volumes` have a rule
     * that can apply to them.
     */
    includeUnmanaged: z
      .strictObject({
        tags: tagMatch.default({}),
        volumeIds: z.array(volumeId).default([]),
      })
      .refine((s) => Object.keys(s.tags).length > 0 || s.volumeIds.length > 0, {
        error: 'includeUnmanaged needs tags or volumeIds; leave it out to prune caretaker snapshots only',
      })
      .optional(),
  })
  .superRefine((prune, ctx) => {
    refineScheduler(prune, ctx);
    const seen = new Map<string, number>();
    prune.volumes.forEach((v, i) => {
      const first = seen.get(v.volumeId);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['volumes', i, 'volumeId'], message: `duplicate volume ${v.volumeId} (also at prune.volumes[${first}])` });
      }
      seen.set(v.volumeId, i);
    });
    prune.includeUnmanaged?.volumeIds.forEach((id, i) => {
      if (seen.has(id)) return;
      ctx.addIssue({
        code: 'custom',
        path: ['includeUnmanaged', 'volumeIds', i],
        message: `${id} has no rule in prune.volumes, so its unmanaged snapshots would have no retention; add it there`,
      });
    });
  });

export type PruneConfig = z.infer<typeof pruneSchema>;

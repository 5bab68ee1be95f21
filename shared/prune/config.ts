import { z } from 'zod';
import { nonNegativeInt, positiveInt, timeZone } from '../config/fields';

/**
 * Retention of one snapshot policy, evaluated per source volume. A snapshot survives if any rule
 * keeps it; `minKeep` newest snapshots of a volume always survive.
 */
export const retainSchema = z
  .strictObject({
    /** The seed tool's rule: delete what is older than N days (unless another rule keeps it). */
    olderThanDays: positiveInt.optional(),
    /** Keep the newest N. */
    keepLast: positiveInt.optional(),
    /** Grandfather-father-son: the newest snapshot in each of the last N hours/days/ISO weeks/months/years. */
    hourly: positiveInt.optional(),
    daily: positiveInt.optional(),
    weekly: positiveInt.optional(),
    monthly: positiveInt.optional(),
    yearly: positiveInt.optional(),
    /** Never go below this many snapshots per volume. */
    minKeep: positiveInt.default(1),
    /** Time zone that decides where a day, week, month starts. */
    timeZone: timeZone.default('UTC'),
  })
  .refine(
    (r) =>
      [r.olderThanDays, r.keepLast, r.hourly, r.daily, r.weekly, r.monthly, r.yearly].some((v) => v !== undefined),
    { error: 'set at least one of olderThanDays, keepLast, hourly, daily, weekly, monthly, yearly' },
  );

export type Retain = z.infer<typeof retainSchema>;

export const pruneSchema = z.strictObject({
  /** When the prune function runs. */
  schedule: z.string().default('rate(1 day)'),
  /** Blast-radius cap: a plan with more deletions than this is an alert, not an action. */
  maxDeletesPerRun: positiveInt.default(1000),
  /** Never delete a snapshot younger than this, whatever the rules say. */
  minAgeHours: nonNegativeInt.default(24),
});

export type PruneConfig = z.infer<typeof pruneSchema>;

import { z } from 'zod';
import { instanceId, positiveInt, scheduleExpression, tagMatch, tagSet } from '../config/fields';
import { type Retain, retainSchema } from '../prune/config';
import { refineScheduler, schedulerFields } from '../config/scheduler';
import { formatDuration, parseDuration } from '../prune/freshness';
import { scheduleIntervalMs } from './schedule-interval';

export const snapshotPolicySchema = z
  .strictObject({
  /** Names the policy in tags (`caretaker:policy`), schedules and events. */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, {
    error: 'expected lowercase letters, digits and dashes (at most 40), starting with a letter or digit',
  }),
  schedule: scheduleExpression,
  ...schedulerFields,
  /** Which instances: any tag match OR any listed id. */
  selector: z
    .strictObject({
      tags: tagMatch.default({}),
      instanceIds: z.array(instanceId).default([]),
    })
    .refine((s) => Object.keys(s.tags).length > 0 || s.instanceIds.length > 0, {
      error: 'a selector needs tags or instanceIds, or it would match nothing',
    }),
  excludeBootVolume: z.boolean().default(false),
  /** Volumes carrying any of these tags are left out. */
  excludeVolumeTags: tagMatch.default({}),
  /** Written on every snapshot of the policy. */
  extraTags: tagSet.default({}),
  consistency: z.enum(['crash', 'application']).default('crash'),
  /** For `application` consistency: the SSM command document run before (`action=pre`) and after (`action=post`). */
  application: z
    .strictObject({
      /** e.g. the shipped `caretaker-fsfreeze` or `caretaker-mysql-lock` (see ssm/). */
      document: z.string().min(3).max(128),
      /** Extra document parameters; `action` is set by the job. */
      parameters: z.record(z.string(), z.array(z.string())).default({}),
      /** How long to wait for each script before giving up on it. */
      timeoutSeconds: positiveInt.max(600).default(60),
    })
    .optional(),
  /** Blast-radius cap on instances snapshotted per run. */
  maxInstancesPerRun: positiveInt.default(500),
  /** How the prune job treats this policy's snapshots; without it, they are never pruned. */
  retain: retainSchema.optional(),
  })
  .refine((p) => p.consistency !== 'application' || p.application !== undefined, {
    error: 'consistency: application needs an application: { document } block naming the SSM document',
    path: ['application'],
  })
  .superRefine((p, ctx) => {
    refineScheduler(p, ctx);
    if (p.retain) checkRetainAgainstSchedule(p.retain, p.schedule, ctx);
  });

/**
 * A retention that cannot work with its schedule is refused, naming the field: a `staleAfter`
 * shorter than the schedule interval (every volume would be stale between two runs), a cron the
 * interval cannot be derived from without a `staleAfter`, and age windows shorter than the
 * interval as the only rules (they would keep nothing beyond minKeep).
 */
function checkRetainAgainstSchedule(retain: Retain, schedule: string, ctx: z.RefinementCtx): void {
  const interval = scheduleIntervalMs(schedule);
  if (interval === undefined) {
    if (retain.staleAfter === undefined) {
      ctx.addIssue({ code: 'custom', path: ['retain', 'staleAfter'], message: `set staleAfter: the interval of ${schedule} (L, W or #) cannot be derived for the freshness guard` });
    }
    return;
  }
  const stale = retain.staleAfter !== undefined ? parseDuration(retain.staleAfter) : undefined;
  if (stale !== undefined && stale < interval) {
    ctx.addIssue({
      code: 'custom',
      path: ['retain', 'staleAfter'],
      message: `${retain.staleAfter} is shorter than the schedule interval (${formatDuration(interval)} for ${schedule}): every volume would be stale between two runs`,
    });
  }
  const counting = retain.keepLast !== undefined || ['hourly', 'daily', 'weekly', 'monthly', 'yearly'].some((k) => retain[k as keyof Retain] !== undefined);
  if (counting) return;
  for (const key of ['olderThanDays', 'keepWithinDays'] as const) {
    const days = retain[key];
    if (days !== undefined && days * 86_400_000 < interval) {
      ctx.addIssue({
        code: 'custom',
        path: ['retain', key],
        message: `${key} ${days} is shorter than the schedule interval (${formatDuration(interval)}): it would keep nothing beyond minKeep; lengthen it or add keepLast`,
      });
    }
  }
}

export type SnapshotPolicy = z.infer<typeof snapshotPolicySchema>;

export const snapshotSchema = z.strictObject({
  policies: z.array(snapshotPolicySchema).default([]),
});

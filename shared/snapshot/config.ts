import { z } from 'zod';
import { instanceId, nonNegativeInt, positiveInt, scheduleExpression, tagMatch, tagSet } from '../config/fields';
import { type Retain, retainSchema } from '../prune/config';
import { regionList, regionName } from '../config/regions';
import { refineScheduler, schedulerFields } from '../config/scheduler';
import { formatDuration, parseDuration } from '../prune/freshness';
import { scheduleIntervalMs } from './schedule-interval';

/**
 * A KMS key for the copies: key id, key ARN, alias name or alias ARN, as CopySnapshot takes it
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CopySnapshot.html). An ARN names its
 * Region, which must be the copy's: KMS keys are Regional.
 */
const kmsKeyRef = z.string().regex(/^(arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:(key\/[\w-]+|alias\/[\w/+=,.@-]+)|alias\/[\w/+=,.@-]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/, {
  error: 'expected a KMS key id, key ARN, alias/name or alias ARN',
});

/** One destination of a policy's cross-Region copies. */
export const copyTargetSchema = z
  .strictObject({
    region: regionName,
    /** The copies' own retention, applied by the prune job in the copy's Region. */
    retain: retainSchema,
    /** Encrypt the copies with this key of the destination Region (default: the account's EBS default key there). */
    kmsKeyId: kmsKeyRef.optional(),
    /** Copy the source snapshot's tags onto the copy (the managed-by and copy-of tags are always set). */
    copyTags: z.boolean().default(true),
    /** Blast-radius cap: a run that would start more copies to this Region alerts instead. */
    maxCopiesPerRun: positiveInt.default(200),
  })
  .superRefine((t, ctx) => {
    const arnRegion = /^arn:aws[\w-]*:kms:([a-z0-9-]+):/.exec(t.kmsKeyId ?? '')?.[1];
    if (arnRegion && arnRegion !== t.region) {
      ctx.addIssue({ code: 'custom', path: ['kmsKeyId'], message: `the key is in ${arnRegion}; a copy in ${t.region} needs a key of ${t.region} (KMS keys are Regional)` });
    }
  });

export type CopyTarget = z.infer<typeof copyTargetSchema>;

export const snapshotPolicySchema = z
  .strictObject({
  /** Names the policy in tags (`caretaker:policy`), schedules and events. */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, {
    error: 'expected lowercase letters, digits and dashes (at most 40), starting with a letter or digit',
  }),
  schedule: scheduleExpression,
  ...schedulerFields,
  /** Narrows the top-level `regions`: the policy selects instances in these Regions only (default: all of them). */
  regions: regionList.optional(),
  /**
   * Copy each completed snapshot of the policy to these Regions (never to a Region the policy
   * itself snapshots in: a copy there is no protection against losing that Region).
   */
  copyTo: z
    .array(copyTargetSchema)
    .default([])
    .superRefine((targets, ctx) => {
      targets.forEach((t, i) => {
        if (targets.findIndex((o) => o.region === t.region) !== i) ctx.addIssue({ code: 'custom', path: [i, 'region'], message: `duplicate copy Region ${t.region}` });
      });
    }),
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
      ctx.addIssue({ code: 'custom', path: ['retain', 'staleAfter'], message: `set staleAfter: the interval of ${schedule} cannot be derived for the freshness guard (it fires fewer than twice)` });
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
  /**
   * Copies left waiting for the destination's 20 copies in flight are swept again every 5 minutes
   * (shared/copy/continuation.ts), at most this many runs after the last trigger (0: off; the next
   * trigger copies them).
   */
  maxCopyContinuationRuns: nonNegativeInt.default(96),
});

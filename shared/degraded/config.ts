import { z } from 'zod';
import { instanceId, positiveInt, scheduleExpression, tagMatch } from '../config/fields';
import { regionList } from '../config/regions';
import { refineScheduler, schedulerFields } from '../config/scheduler';

/** What to do with an instance on a degraded host; the tag `caretaker:on-degraded` overrides per instance. */
export const degradedActions = ['notify', 'stop-start', 'relaunch'] as const;
export type DegradedAction = (typeof degradedActions)[number];

const seconds = (error: string) => z.number({ error }).positive({ error });

/**
 * A DNS record that follows an instance: after a stop-start (new public IP) or a relaunch (new
 * instance) it is UPSERTed with the instance's current address.
 */
export const dnsRecordSchema = z
  .strictObject({
    /** Which instance: by id, or by tags (a relaunched instance keeps its tags, so tags keep matching). */
    instanceId: instanceId.optional(),
    tags: tagMatch.optional(),
    hostedZoneId: z.string().regex(/^(\/hostedzone\/)?Z[A-Z0-9]{1,32}$/, { error: 'expected a hosted zone id such as Z0123456789ABCDEFGHIJ' }),
    name: z.string().min(1).max(255),
    type: z.literal('A', { error: "only 'A' records are moved" }).default('A'),
    ttl: z.number().int().min(0).max(2_147_483_647).default(60),
    /** Which address the record holds. */
    address: z.enum(['public', 'private'], { error: "expected 'public' or 'private'" }).default('public'),
  })
  .refine((r) => (r.instanceId === undefined) !== (r.tags === undefined || Object.keys(r.tags).length === 0), {
    error: 'a record needs exactly one of instanceId or tags',
  });

export type DnsRecordConfig = z.infer<typeof dnsRecordSchema>;

/** Waiter limits, in seconds; production defaults match the SDK's (15 s first poll) and EC2's real timings. */
export const waiterSchema = z.strictObject({
  minDelaySeconds: seconds('expected seconds > 0').default(15),
  // Polls at most every 15 s: a relaunch waits on five things in a row, and a longer backoff adds its overshoot to the downtime.
  maxDelaySeconds: seconds('expected seconds > 0').default(15),
  stoppedSeconds: seconds('expected seconds > 0').default(600),
  runningSeconds: seconds('expected seconds > 0').default(600),
  statusOkSeconds: seconds('expected seconds > 0').default(900),
  imageSeconds: seconds('expected seconds > 0').default(1800),
  /** An instance still `stopping` after this long is stopped with Force (its OS never shut down). */
  forceStopAfterSeconds: seconds('expected seconds > 0').default(300),
  /** Volume and network-interface attach/detach. */
  attachSeconds: seconds('expected seconds > 0').default(300),
  /** A replacement must be healthy in every target group / classic load balancer of the old one within this. */
  healthySeconds: seconds('expected seconds > 0').default(600),
  /**
   * How long a run waits after claiming an instance before it reads the other runs' claims
   * (shared/degraded/claim.ts): longer than a tag write takes to become visible to DescribeInstances.
   * Spent before the instance is stopped, so it adds nothing to the downtime.
   */
  claimSettleSeconds: seconds('expected seconds > 0').default(30),
});

export type WaiterLimits = z.infer<typeof waiterSchema>;

/** `auto` picks per instance what AWS recommends for it (shared/degraded/choose-action.ts). */
export const defaultActions = ['auto', ...degradedActions] as const;

export const degradedSchema = z.strictObject({
  /** Narrows the top-level `regions` for the scan and for Health notices (default: all of them). */
  regions: regionList.optional(),
  defaultAction: z.enum(defaultActions, { error: `expected one of ${defaultActions.join(', ')}` }).default('auto'),
  /** Blast-radius cap: stop-starts plus relaunches in one run. */
  maxReplacementsPerRun: positiveInt.default(5),
  /** What happens to the old instance once its replacement holds its identity. */
  afterRelaunch: z.enum(['stop', 'terminate'], { error: "expected 'stop' or 'terminate'" }).default('stop'),
  /**
   * Images (and their snapshots) a relaunch made of a stopped root are deregistered this many days
   * after they were made; 0 keeps them. The replacement's root volume does not need them.
   */
  imageRetentionDays: z.number().int().min(0).default(7),
  /** A relaunch starts only with this much of the invocation left (it takes ~5-8 minutes). */
  relaunchBudgetSeconds: positiveInt.default(600),
  /**
   * Customer managed KMS keys of the fleet's EBS volumes: the role may use them (grants) to start
   * and launch instances with those volumes. Empty: EBS may use any key through EC2 only (kms:ViaService).
   */
  kmsKeyArns: z.array(z.string().regex(/^arn:aws[\w-]*:kms:[\w-]+:\d{12}:key\/[\w-]+$/, { error: 'expected a KMS key ARN' })).default([]),
  /** How often the DescribeInstanceStatus scan runs. */
  schedule: scheduleExpression.default('rate(15 minutes)'),
  ...schedulerFields,
  records: z.array(dnsRecordSchema).default([]),
  /**
   * IAM roles (names) of the instance profiles replacements may be launched with: the function may
   * pass exactly these to EC2. A relaunch of an instance whose profile uses another role fails at
   * RunInstances (UnauthorizedOperation) and leaves the old instance untouched.
   */
  instanceRoles: z.array(z.string().regex(/^([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/, { error: 'expected an IAM role name, with its path if it has one (service-role/app)' })).default([]),
  waiters: waiterSchema.prefault({}),
  /**
   * How long a remediation counts as "in progress" after its last step; past that, a run was cut
   * off and the next trigger resumes it. Longer than the function's timeout (15 min at most).
   */
  leaseMinutes: positiveInt.default(20),
  /** A handled instance is left alone this long, so late duplicates of its event do nothing. */
  cooldownHours: positiveInt.default(24),
  // Instances handled at once. RunInstances is paced to its bucket whatever this is; most of a
  // relaunch is waiting (image, boot, status checks), so more lanes mostly shorten the run.
  concurrency: positiveInt.max(50).default(5),
}).superRefine((d, ctx) => refineScheduler(d, ctx));

export type DegradedConfig = z.infer<typeof degradedSchema>;

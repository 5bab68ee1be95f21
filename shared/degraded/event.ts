import { z } from 'zod';
import { zodProblems } from '../config/load';
import { instanceId } from '../config/fields';
import { InputError } from '../engine/errors';
import { type CodeFamily, codeInfo, HEALTH_EVENT_CODES } from './event-codes';

/** One instance that an event (or the scan) says is on a degraded host. */
export interface DegradedNotice {
  instanceId: string;
  /** Health `eventTypeCode`, scheduled-event code, or `system-status-impaired`. */
  code: string;
  family: CodeFamily;
  /** When AWS will act (event start / NotBefore), if known. */
  deadline?: Date;
  /** The event's identity (Health eventArn, scheduled InstanceEventId): part of the ClientToken. */
  eventKey: string;
  source: 'health' | 'scan';
  /** The Region the instance is in (acted on with that Region's clients). */
  region?: string;
}

/** Something an event named that the job will not touch, and why. */
export interface SkippedEntity {
  target: string;
  reason: string;
}

/** Where the job runs: entities of other accounts, or of Regions it does not cover, are never acted on. */
export interface Home {
  /** The deployment's Region. */
  region: string;
  accountId?: string;
  /** Every Region the job covers (`degraded.regions` / `regions`); default: the deployment's only. */
  regions?: readonly string[];
}

// Health events arrive in several real variants: numbers and booleans as strings, times in
// RFC 1123 ("Sat, 05 Jun 2021 12:00:00 GMT") or ISO 8601, `resources` missing.
const awsTime = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), { error: 'expected a date (RFC 1123 or ISO 8601)' })
  .transform((s) => new Date(Date.parse(s)));
const intLike = z.union([z.number().int(), z.string().regex(/^\d+$/, { error: 'expected a whole number' }).transform(Number)]);
const boolLike = z.union([z.boolean(), z.enum(['true', 'false']).transform((s) => s === 'true')]);

const entitySchema = z.looseObject({
  entityValue: z.string({ error: 'expected the affected resource (instance id or ARN)' }),
  entityArn: z.string().optional(),
  status: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
});

export const healthEventSchema = z.looseObject({
  version: z.string().optional(),
  id: z.string({ error: 'expected the EventBridge event id' }),
  'detail-type': z.literal('AWS Health Event', { error: "expected 'AWS Health Event'" }),
  source: z.literal('aws.health', { error: "expected 'aws.health'" }),
  account: z.string().regex(/^\d{12}$/, { error: 'expected a 12-digit account id' }),
  time: z.string().optional(),
  region: z.string({ error: 'expected a Region' }),
  resources: z.array(z.string()).optional(),
  detail: z.looseObject({
    eventArn: z.string({ error: 'expected the Health event ARN' }).min(1),
    service: z.string({ error: 'expected the service (EC2)' }),
    eventTypeCode: z.string({ error: 'expected the event type code' }),
    eventTypeCategory: z.string().optional(),
    eventScopeCode: z.string().optional(),
    startTime: awsTime.optional(),
    endTime: awsTime.optional(),
    lastUpdatedTime: awsTime.optional(),
    statusCode: z.string().optional(),
    eventRegion: z.string().optional(),
    affectedAccount: z.string().optional(),
    affectedEntities: z.array(entitySchema).optional(),
    page: intLike.optional(),
    totalPages: intLike.optional(),
    backupEvent: boolLike.optional(),
  }),
});

export type HealthEvent = z.infer<typeof healthEventSchema>;

/** The EventBridge schedule's event (the scan). */
export const scheduledEventSchema = z.looseObject({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
  time: z.string().optional(),
});

/** A hand-made invocation (CLI, console test): a scan, optionally of some instances, optionally dry. */
export const manualEventSchema = z.strictObject({
  action: z.literal('scan', { error: "expected action 'scan'" }),
  instanceIds: z.array(instanceId).optional(),
  dryRun: z.boolean().optional(),
});

export type DegradedTrigger =
  | { kind: 'health'; events: HealthEvent[] }
  | { kind: 'scan'; instanceIds?: string[]; dryRun?: boolean };

const sourceOf = (raw: unknown) => (raw && typeof raw === 'object' ? (raw as { source?: unknown }).source : undefined);

/** The schema an event claims by its `source`: what it is validated against and its keys suggested from. */
function schemaFor(raw: unknown): z.ZodType {
  const source = sourceOf(raw);
  return source === 'aws.health' ? healthEventSchema : source === 'aws.events' ? scheduledEventSchema : manualEventSchema;
}

/**
 * The function's event: a Health event, the schedule's event or a manual scan, told apart by
 * `source`, each validated by its own schema so a problem names the field it is about.
 */
export const degradedEventSchema = z.unknown().transform((raw, ctx): DegradedTrigger => {
  const source = sourceOf(raw);
  const parsed = schemaFor(raw).safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue } as never);
    return z.NEVER;
  }
  if (source === 'aws.health') return { kind: 'health', events: [parsed.data as HealthEvent] };
  if (source === 'aws.events') return { kind: 'scan' };
  const manual = parsed.data as z.infer<typeof manualEventSchema>;
  return { kind: 'scan', instanceIds: manual.instanceIds, dryRun: manual.dryRun };
});

/** Validates a function event; anything malformed is an {@link InputError} naming the field, before any AWS call. */
export function parseDegradedTrigger(raw: unknown): DegradedTrigger {
  const parsed = degradedEventSchema.safeParse(raw);
  // Suggestions from the schema the event claims, not the config's keys (once "region: did you mean 'region'?").
  if (!parsed.success) throw new InputError('replace-degraded event', zodProblems(parsed.error, schemaFor(raw), raw));
  return parsed.data;
}

const ARN = /^arn:aws[a-z-]*:ec2:([a-z0-9-]*):(\d{12}|):instance\/(i-[0-9a-f]{8,17})$/;
const BARE = /^i-[0-9a-f]{8,17}$/;

/**
 * Health events → one notice per (event, instance). Duplicates (EventBridge's at-least-once
 * delivery, backup-Region copies, re-sent pages) collapse on eventArn + instance. Other services,
 * unknown codes, closed events, non-instance entities, other accounts and Regions the job does not
 * cover are skipped with a reason. Each notice names its instance's Region.
 */
export function noticesFromHealthEvents(events: HealthEvent[], home: Home): { notices: DegradedNotice[]; skipped: SkippedEntity[] } {
  const notices = new Map<string, DegradedNotice>();
  const skipped: SkippedEntity[] = [];
  for (const event of events) {
    const { detail } = event;
    const label = `${detail.eventTypeCode} ${detail.eventArn}`;
    if (detail.service !== 'EC2') {
      skipped.push({ target: label, reason: `service ${detail.service} is not EC2` });
      continue;
    }
    const info = codeInfo(detail.eventTypeCode);
    if (!info || !(detail.eventTypeCode in HEALTH_EVENT_CODES)) {
      skipped.push({ target: label, reason: `event code ${detail.eventTypeCode} is not a degraded-host code` });
      continue;
    }
    if (detail.statusCode === 'closed') {
      skipped.push({ target: label, reason: 'the event is closed' });
      continue;
    }
    const entities = detail.affectedEntities?.length ? detail.affectedEntities.map((e) => e.entityValue) : (event.resources ?? []);
    if (entities.length === 0) skipped.push({ target: label, reason: 'the event names no affected entity' });
    const eventRegion = detail.eventRegion ?? event.region;
    const eventAccount = detail.affectedAccount ?? event.account;
    for (const entity of entities) {
      const arn = ARN.exec(entity);
      const id = arn ? arn[3]! : BARE.test(entity) ? entity : undefined;
      if (!id) {
        skipped.push({ target: entity, reason: `${detail.eventTypeCode}: not an EC2 instance` });
        continue;
      }
      const region = arn?.[1] || eventRegion;
      const account = arn?.[2] || eventAccount;
      const covered = home.regions ?? [home.region];
      if (!covered.includes(region)) {
        skipped.push({ target: id, reason: `in Region ${region}, this job covers ${covered.join(', ')}` });
        continue;
      }
      if (home.accountId && account !== home.accountId) {
        skipped.push({ target: id, reason: `in account ${account}, this job runs in ${home.accountId}` });
        continue;
      }
      const key = `${detail.eventArn}|${id}`;
      if (notices.has(key)) continue;
      notices.set(key, {
        instanceId: id,
        code: detail.eventTypeCode,
        family: info.family,
        deadline: detail.startTime,
        eventKey: detail.eventArn,
        source: 'health',
        region,
      });
    }
  }
  return { notices: [...notices.values()], skipped };
}

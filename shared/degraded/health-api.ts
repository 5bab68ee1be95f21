import { type Event, type HealthClient, paginateDescribeAffectedEntities, paginateDescribeEvents } from '@aws-sdk/client-health';
import { errorCode, errorMessage } from '../aws/errors';
import type { HealthEvent } from './event';
import { HEALTH_EVENT_CODES } from './event-codes';

/** EventFilter `regions` and DescribeAffectedEntities `eventArns`: at most 10 each (AWS Health API Reference). */
const FILTER_MAX = 10;
/** `maxResults` of both calls: 10 to 100. */
const PAGE_SIZE = 100;

export type HealthApiResult =
  | { ok: true; events: HealthEvent[] }
  | { ok: false; code: string; note: string };

/**
 * The AWS Health API's open and upcoming EC2 events in `regions`, as the EventBridge events the job
 * already reads (one per Health event, its affected entities filled in), so they go through the same
 * parser and planner. For Regions other than the deployment's: EventBridge delivers a Health event
 * only in its own Region, and the scan cannot see `AWS_EC2_INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED`.
 * The API needs a Business, Enterprise On-Ramp or Enterprise Support plan; without one every call is
 * `SubscriptionRequiredException` (https://docs.aws.amazon.com/health/latest/APIReference/Welcome.html),
 * and the caller falls back to the scan and says so. Any other failure is reported the same way:
 * the scan goes on regardless.
 * https://docs.aws.amazon.com/health/latest/APIReference/API_DescribeEvents.html
 * https://docs.aws.amazon.com/health/latest/APIReference/API_DescribeAffectedEntities.html
 */
export async function healthApiEvents(health: HealthClient, regions: string[], accountId: string | undefined): Promise<HealthApiResult> {
  try {
    const found: Event[] = [];
    for (let i = 0; i < regions.length; i += FILTER_MAX) {
      const filter = { services: ['EC2'], regions: regions.slice(i, i + FILTER_MAX), eventStatusCodes: ['open' as const, 'upcoming' as const] };
      for await (const page of paginateDescribeEvents({ client: health, pageSize: PAGE_SIZE }, { filter, maxResults: PAGE_SIZE })) {
        // Only the degraded-host codes: the account's other EC2 events (API changes, ...) are not ours.
        found.push(...(page.events ?? []).filter((e) => e.arn && e.eventTypeCode && e.eventTypeCode in HEALTH_EVENT_CODES));
      }
    }
    const entities = new Map<string, string[]>();
    for (let i = 0; i < found.length; i += FILTER_MAX) {
      const filter = { eventArns: found.slice(i, i + FILTER_MAX).map((e) => e.arn!) };
      for await (const page of paginateDescribeAffectedEntities({ client: health, pageSize: PAGE_SIZE }, { filter, maxResults: PAGE_SIZE })) {
        for (const entity of page.entities ?? []) {
          if (entity.eventArn && entity.entityValue) entities.set(entity.eventArn, [...(entities.get(entity.eventArn) ?? []), entity.entityValue]);
        }
      }
    }
    return { ok: true, events: found.map((e) => asEventBridgeEvent(e, entities.get(e.arn!) ?? [], accountId)) };
  } catch (error) {
    const code = errorCode(error);
    const why = code === 'SubscriptionRequiredException' ? 'the account has no Business, Enterprise On-Ramp or Enterprise Support plan' : errorMessage(error);
    return { ok: false, code, note: `AWS Health API not used (${code}: ${why}): in ${regions.join(', ')} the scan alone finds notices (AWS_EC2_INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED is not seen there).` };
  }
}

/** One API event in the shape EventBridge delivers it (the parser's input). */
function asEventBridgeEvent(e: Event, entities: string[], accountId: string | undefined): HealthEvent {
  const region = e.region ?? 'us-east-1';
  return {
    id: `health-api-${e.arn}`,
    'detail-type': 'AWS Health Event',
    source: 'aws.health',
    // Account-specific events of this account (DescribeEvents lists only the caller's).
    account: accountId ?? '000000000000',
    region,
    resources: [],
    detail: {
      eventArn: e.arn!,
      service: e.service ?? 'EC2',
      eventTypeCode: e.eventTypeCode!,
      eventTypeCategory: e.eventTypeCategory,
      startTime: e.startTime,
      endTime: e.endTime,
      statusCode: e.statusCode,
      eventRegion: region,
      ...(accountId ? { affectedAccount: accountId } : {}),
      affectedEntities: entities.map((entityValue) => ({ entityValue })),
    },
  } as HealthEvent;
}

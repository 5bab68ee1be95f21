import type { AffectedEntity, DescribeAffectedEntitiesRequest, DescribeEventsRequest, Event } from '@aws-sdk/client-health';
import { awsError } from './errors';

/** An account-specific Health event and the instance ids it affects. */
export interface SandboxHealthEvent {
  event: Event;
  entities: string[];
}

const FILTER_MAX = 10;
const PAGE = { min: 10, max: 100 };

/**
 * The AWS Health API of one account, global (one endpoint, us-east-1). **Without a support plan (the
 * default) every call is refused** with `SubscriptionRequiredException`, as for an account on Basic or
 * Developer support (https://docs.aws.amazon.com/health/latest/APIReference/Welcome.html); set
 * `subscribed` for Business, Enterprise On-Ramp or Enterprise. DescribeEvents filters on services,
 * regions and eventStatusCodes (list filters of 1 to 10 items: more is a ValidationException),
 * pages with `maxResults` 10-100 and `nextToken` (a token it did not issue: InvalidPaginationToken);
 * DescribeAffectedEntities needs 1 to 10 `eventArns`.
 * https://docs.aws.amazon.com/health/latest/APIReference/API_DescribeEvents.html
 * https://docs.aws.amazon.com/health/latest/APIReference/API_EventFilter.html
 */
export class HealthModel {
  subscribed = false;
  readonly events: SandboxHealthEvent[] = [];

  readonly operations = {
    DescribeEvents: (i: DescribeEventsRequest) => this.describeEvents(i),
    DescribeAffectedEntities: (i: DescribeAffectedEntitiesRequest) => this.describeAffectedEntities(i),
  };

  private checkPlan(): void {
    if (!this.subscribed) throw awsError('health', 'SubscriptionRequiredException', 'The AWS Support plan on this account does not allow access to the AWS Health API.');
  }

  private describeEvents(input: DescribeEventsRequest) {
    this.checkPlan();
    const f = input.filter ?? {};
    for (const [name, list] of Object.entries({ services: f.services, regions: f.regions, eventStatusCodes: f.eventStatusCodes, eventTypeCodes: f.eventTypeCodes, eventArns: f.eventArns })) {
      if (list !== undefined && (list.length < 1 || list.length > FILTER_MAX)) throw validation(`filter.${name}`, `Member must have length between 1 and ${FILTER_MAX}`);
    }
    const matches = this.events
      .map((e) => e.event)
      .filter((e) => (!f.services || f.services.includes(e.service!)) && (!f.regions || f.regions.includes(e.region!)))
      .filter((e) => (!f.eventStatusCodes || f.eventStatusCodes.includes(e.statusCode!)) && (!f.eventTypeCodes || f.eventTypeCodes.includes(e.eventTypeCode!)))
      .filter((e) => !f.eventArns || f.eventArns.includes(e.arn!))
      // "Results are sorted by lastModifiedTime, starting with the most recent event."
      .sort((a, b) => (b.lastUpdatedTime?.getTime() ?? 0) - (a.lastUpdatedTime?.getTime() ?? 0));
    const { items, nextToken } = page(matches, input.maxResults, input.nextToken);
    return { events: items, nextToken };
  }

  private describeAffectedEntities(input: DescribeAffectedEntitiesRequest) {
    this.checkPlan();
    const arns = input.filter?.eventArns;
    if (!arns || arns.length < 1 || arns.length > FILTER_MAX) throw validation('filter.eventArns', `Member must have length between 1 and ${FILTER_MAX}`);
    const entities: AffectedEntity[] = this.events
      .filter((e) => arns.includes(e.event.arn!))
      .flatMap((e) => e.entities.map((id) => ({ eventArn: e.event.arn, entityValue: id, awsAccountId: undefined, statusCode: 'IMPAIRED' as const })));
    const { items, nextToken } = page(entities, input.maxResults, input.nextToken);
    return { entities: items, nextToken };
  }
}

function validation(member: string, constraint: string): Error {
  return awsError('health', 'ValidationException', `1 validation error detected: Value at '${member}' failed to satisfy constraint: ${constraint}`);
}

function page<T>(all: T[], maxResults: number | undefined, token: string | undefined): { items: T[]; nextToken?: string } {
  if (maxResults !== undefined && (maxResults < PAGE.min || maxResults > PAGE.max)) throw validation('maxResults', `Member must have value between ${PAGE.min} and ${PAGE.max}`);
  let start = 0;
  if (token !== undefined) {
    const m = /^sandbox-health-(\d+)$/.exec(token);
    if (!m) throw awsError('health', 'InvalidPaginationToken', 'The specified pagination token (nextToken) is not valid.');
    start = Number(m[1]);
  }
  const size = maxResults ?? PAGE.max;
  const items = all.slice(start, start + size);
  return { items, nextToken: start + size < all.length ? `sandbox-health-${start + size}` : undefined };
}

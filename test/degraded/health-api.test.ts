import { DescribeAffectedEntitiesCommand, DescribeEventsCommand } from '@aws-sdk/client-health';
import { describe, expect, it } from 'vitest';
import { SandboxAccount } from '../../sandbox/account';
import { FleetBuilder } from '../../sandbox/fleet';
import { configSchema } from '../../shared/config/schema';
import { healthApiEvents } from '../../shared/degraded/health-api';
import { parseDegradedTrigger } from '../../shared/degraded/event';
import { runDegraded } from '../../shared/degraded/run-degraded';
import { contextFor, FAST_WAITERS, healthEvent, START } from './helpers';

const EU = 'eu-west-1';
const DRIVE = 'AWS_EC2_INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED';
const RETIREMENT = 'AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED';
const twoRegions = (degraded: Record<string, unknown> = {}) => configSchema.parse({ regions: ['us-east-1', EU], degraded });

const apiEvent = (code: string, region: string, n: number, status: 'open' | 'upcoming' | 'closed' = 'upcoming') => ({
  arn: `arn:aws:health:${region}::event/EC2/${code}/${code}_API${n}`,
  service: 'EC2',
  eventTypeCode: code,
  eventTypeCategory: 'scheduledChange' as const,
  region,
  startTime: new Date('2026-01-24T00:00:00Z'),
  lastUpdatedTime: new Date(START.getTime() + n),
  statusCode: status,
});

/** Two Regions; in eu-west-1 an instance whose instance-store drive is degraded (a Health-only notice: no scheduled event). */
function world(subscribed: boolean) {
  const sandbox = new SandboxAccount({ start: START, timeScale: 1000, regions: ['us-east-1', EU] });
  sandbox.health.subscribed = subscribed;
  const drive = new FleetBuilder(sandbox, EU).instance({ name: 'cache-eu', tags: { 'caretaker:on-degraded': 'stop-start' } }).InstanceId!;
  sandbox.health.events.push({ event: apiEvent(DRIVE, EU, 1), entities: [drive] });
  return { sandbox, drive };
}

describe('other Regions\' Health events from the AWS Health API (issue 15)', () => {
  it('with a support plan that allows it, the scan acts on a Health-only notice of another Region, in that Region', async () => {
    const { sandbox, drive } = world(true);
    const report = await runDegraded(contextFor(sandbox, { runId: 'scan-1' }), twoRegions(), { trigger: { kind: 'scan' }, waiters: FAST_WAITERS });
    expect(report.results).toEqual([expect.objectContaining({ id: drive, action: 'stop-start', outcome: 'done', region: EU, reason: expect.stringContaining(DRIVE) })]);
    expect(sandbox.callsOf('DescribeEvents')).toEqual([expect.objectContaining({ region: 'us-east-1', input: expect.objectContaining({ filter: { services: ['EC2'], regions: [EU], eventStatusCodes: ['open', 'upcoming'] } }) })]);
    expect(report.notes.join('\n')).not.toMatch(/Health API not used/);
    // The EventBridge copy of the same event arriving later (a forwarding rule, say) is a no-op.
    const event = healthEvent(DRIVE, [drive], { eventArn: apiEvent(DRIVE, EU, 1).arn });
    const later = await runDegraded(contextFor(sandbox, { runId: 'event-1' }), twoRegions(), { trigger: parseDegradedTrigger({ ...event, region: EU, detail: { ...event.detail, eventRegion: EU } }), waiters: FAST_WAITERS });
    expect(later.results).toEqual([expect.objectContaining({ id: drive, outcome: 'skipped', reason: expect.stringContaining('already handled') })]);
    expect(sandbox.callsOf('StopInstances')).toHaveLength(1);
  });

  it('without one (SubscriptionRequiredException), falls back to the scan and says so once in the summary', async () => {
    const { sandbox, drive } = world(false);
    const retiring = new FleetBuilder(sandbox, EU).instance({ name: 'web-eu', tags: { 'caretaker:on-degraded': 'stop-start' } }).InstanceId!;
    sandbox.inRegion(EU).ec2.healthOf(retiring).events = [{ InstanceEventId: 'instance-event-0eu0000000000001', Code: 'instance-retirement', NotBefore: new Date('2026-01-24T00:00:00Z') }];
    const report = await runDegraded(contextFor(sandbox), twoRegions(), { trigger: { kind: 'scan' }, waiters: FAST_WAITERS });
    expect(sandbox.callsOf('DescribeEvents')).toEqual([expect.objectContaining({ error: 'SubscriptionRequiredException' })]);
    expect(report.notes.filter((n) => n.includes('Health API not used'))).toEqual([expect.stringMatching(/SubscriptionRequiredException.*Business, Enterprise On-Ramp or Enterprise Support.*eu-west-1.*INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED is not seen/)]);
    // The scan still does its part: the scheduled retirement is handled, the drive notice is not seen.
    expect(report.results).toEqual([expect.objectContaining({ id: retiring, outcome: 'done', region: EU })]);
    expect(report.results.map((r) => r.id)).not.toContain(drive);
  });

  it('covering only the deployment\'s Region (EventBridge delivers its events), never calls the Health API', async () => {
    const { sandbox } = world(true);
    await runDegraded(contextFor(sandbox), configSchema.parse({}), { trigger: { kind: 'scan' }, waiters: FAST_WAITERS });
    expect(sandbox.calls.filter((c) => c.service === 'health')).toEqual([]);
  });

  it('pages through every event and asks for affected entities at most 10 events at a time; other EC2 codes and closed events are left out', async () => {
    const sandbox = new SandboxAccount({ start: START, timeScale: 0 });
    sandbox.health.subscribed = true;
    for (let n = 0; n < 130; n++) sandbox.health.events.push({ event: apiEvent(RETIREMENT, EU, n), entities: [`i-0${n.toString(16).padStart(16, '0')}`] });
    sandbox.health.events.push({ event: apiEvent('AWS_EC2_OPERATIONAL_ISSUE', EU, 500), entities: [] });
    sandbox.health.events.push({ event: apiEvent(RETIREMENT, EU, 501, 'closed'), entities: ['i-0ffffffffffffffff'] });
    const regions = Array.from({ length: 12 }, (_, i) => (i === 0 ? EU : `xx-test-${i}`));
    const result = await healthApiEvents(sandbox.clients().health, regions, '123456789012');
    expect(result.ok).toBe(true);
    const events = result.ok ? result.events : [];
    expect(events).toHaveLength(130);
    expect(events.every((e) => e.detail.affectedEntities?.length === 1 && e.region === EU && e.detail.eventTypeCode === RETIREMENT)).toBe(true);
    // Regions in filters of at most 10: two passes; 130 events by 100: two pages in the first pass.
    expect(sandbox.callsOf('DescribeEvents').map((c) => (c.input.filter as { regions: string[] }).regions.length)).toEqual([10, 10, 2]);
    expect(sandbox.callsOf('DescribeAffectedEntities')).toHaveLength(13);
  });
});

describe('sandbox AWS Health API: as strict as AWS', () => {
  const subscribed = () => {
    const sandbox = new SandboxAccount({ start: START, timeScale: 0 });
    sandbox.health.subscribed = true;
    return { sandbox, health: sandbox.clients().health };
  };

  it('refuses every call on an account without a Business, Enterprise On-Ramp or Enterprise Support plan (the default)', async () => {
    const health = new SandboxAccount({ start: START, timeScale: 0 }).clients().health;
    await expect(health.send(new DescribeEventsCommand({}))).rejects.toMatchObject({ name: 'SubscriptionRequiredException' });
    await expect(health.send(new DescribeAffectedEntitiesCommand({ filter: { eventArns: ['arn:aws:health:us-east-1::event/EC2/X/Y'] } }))).rejects.toMatchObject({ name: 'SubscriptionRequiredException' });
  });

  it('refuses filters of more than 10 items, maxResults outside 10-100, a token it did not issue, and DescribeAffectedEntities without 1-10 eventArns', async () => {
    const { health } = subscribed();
    const eleven = Array.from({ length: 11 }, (_, i) => `r-${i}`);
    await expect(health.send(new DescribeEventsCommand({ filter: { regions: eleven } }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(health.send(new DescribeEventsCommand({ maxResults: 5 }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(health.send(new DescribeEventsCommand({ maxResults: 101 }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(health.send(new DescribeEventsCommand({ nextToken: 'forged' }))).rejects.toMatchObject({ name: 'InvalidPaginationToken' });
    await expect(health.send(new DescribeAffectedEntitiesCommand({ filter: { eventArns: [] } }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(health.send(new DescribeAffectedEntitiesCommand({ filter: { eventArns: eleven } }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('answers on the global endpoint whatever Region the client names, newest event first', async () => {
    const { sandbox, health } = subscribed();
    sandbox.health.events.push({ event: apiEvent(RETIREMENT, EU, 1), entities: [] }, { event: apiEvent(RETIREMENT, EU, 2), entities: [] });
    const out = await health.send(new DescribeEventsCommand({ filter: { services: ['EC2'] } }));
    expect(out.events?.map((e) => e.arn)).toEqual([apiEvent(RETIREMENT, EU, 2).arn, apiEvent(RETIREMENT, EU, 1).arn]);
    expect(sandbox.callsOf('DescribeEvents')[0]!.region).toBe('us-east-1');
  });
});

import { describe, expect, it } from 'vitest';
import { SandboxAccount } from '../../sandbox/account';
import { awsError } from '../../sandbox/errors';
import { FleetBuilder } from '../../sandbox/fleet';
import { configSchema } from '../../shared/config/schema';
import { parseDegradedTrigger } from '../../shared/degraded/event';
import { runDegraded } from '../../shared/degraded/run-degraded';
import { runFailed } from '../../shared/engine/run';
import { tagRecord } from '../../shared/aws/filters';
import { contextFor, FAST_WAITERS, healthEvent, START } from './helpers';

const RETIREMENT = 'AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED';
const EU = 'eu-west-1';

/** Two Regions; one web server on a retiring host in the second (its owner asked for stop-start). */
function world(options: { disabledRegions?: string[] } = {}) {
  const sandbox = new SandboxAccount({ start: START, timeScale: 1000, regions: ['us-east-1', EU], ...options });
  const web = new FleetBuilder(sandbox, EU).instance({ name: 'web-eu', tags: { 'caretaker:on-degraded': 'stop-start' } });
  const id = web.InstanceId!;
  sandbox.inRegion(EU).ec2.healthOf(id).events = [
    { InstanceEventId: 'instance-event-0eu0000000000001', Code: 'instance-retirement', Description: 'The instance is running on degraded hardware', NotBefore: new Date('2026-01-24T00:00:00Z') },
  ];
  return { sandbox, id };
}

/** The Health event EventBridge delivers in eu-west-1 for that instance (id differs per delivery, the eventArn does not). */
function euHealthEvent(id: string, delivery = 'a') {
  const event = healthEvent(RETIREMENT, [id], { eventArn: `arn:aws:health:${EU}::event/EC2/${RETIREMENT}/${RETIREMENT}_EU1` });
  return { ...event, id: `evt-${delivery}`, region: EU, detail: { ...event.detail, eventRegion: EU } };
}

const twoRegions = (degraded: Record<string, unknown> = {}) => configSchema.parse({ regions: ['us-east-1', EU], degraded });
const mutating = (sandbox: SandboxAccount, region: string) => sandbox.mutatingCalls().filter((c) => c.region === region && c.service === 'ec2').map((c) => c.operation);

describe('degraded notices from every configured Region (issue 15)', () => {
  it('acts on a Health event for the second Region with that Region\'s clients, then the scan and a duplicate event do nothing', async () => {
    const { sandbox, id } = world();
    const ctx = () => contextFor(sandbox, { now: sandbox.clock.now() });

    const first = await runDegraded(ctx(), twoRegions(), { trigger: parseDegradedTrigger(euHealthEvent(id)), waiters: FAST_WAITERS });
    expect(runFailed(first)).toBe(false);
    expect(first.results).toEqual([expect.objectContaining({ id, action: 'stop-start', outcome: 'done', region: EU })]);
    expect(mutating(sandbox, EU).filter((op) => op !== 'CreateTags')).toEqual(['StopInstances', 'StartInstances']);
    expect(mutating(sandbox, 'us-east-1')).toEqual([]);

    const scan = await runDegraded(ctx(), twoRegions(), { trigger: { kind: 'scan' }, waiters: FAST_WAITERS });
    const duplicate = await runDegraded(ctx(), twoRegions(), { trigger: parseDegradedTrigger(euHealthEvent(id, 'b')), waiters: FAST_WAITERS });
    for (const later of [scan, duplicate]) {
      expect(later.results.filter((r) => r.outcome !== 'skipped')).toEqual([]);
    }
    expect(duplicate.results).toEqual([expect.objectContaining({ id, outcome: 'skipped', reason: expect.stringContaining('already handled (stop-start)') })]);
    // Handled once: one stop and one start in all, whichever path came later.
    expect(sandbox.callsOf('StopInstances').map((c) => c.region)).toEqual([EU]);
    expect(sandbox.callsOf('StartInstances').map((c) => c.region)).toEqual([EU]);
  });

  it('finds the notice by the scan of the second Region first; the Health event arriving later is a no-op', async () => {
    const { sandbox, id } = world();
    const ctx = () => contextFor(sandbox, { now: sandbox.clock.now() });

    const scan = await runDegraded(ctx(), twoRegions(), { trigger: { kind: 'scan' }, waiters: FAST_WAITERS });
    expect(scan.results).toEqual([expect.objectContaining({ id, action: 'stop-start', outcome: 'done' })]);
    // Both Regions were scanned, each with its own clients.
    expect(new Set(sandbox.callsOf('DescribeInstanceStatus').map((c) => c.region))).toEqual(new Set(['us-east-1', EU]));

    const event = await runDegraded(ctx(), twoRegions(), { trigger: parseDegradedTrigger(euHealthEvent(id)), waiters: FAST_WAITERS });
    expect(event.results).toEqual([expect.objectContaining({ id, outcome: 'skipped', reason: expect.stringContaining('already handled') })]);
    expect(sandbox.callsOf('StopInstances')).toHaveLength(1);
    expect(tagRecord(sandbox.inRegion(EU).ec2.requireInstance(id).Tags)['caretaker:remediation']).toBe('stop-start:done');
  });

  it('skips a Health event for a Region the job does not cover (default: the deployment Region only) and calls nothing there', async () => {
    const { sandbox, id } = world();
    const report = await runDegraded(contextFor(sandbox), configSchema.parse({}), { trigger: parseDegradedTrigger(euHealthEvent(id)), waiters: FAST_WAITERS });
    expect(report.results).toEqual([expect.objectContaining({ id, outcome: 'skipped', reason: 'in Region eu-west-1, this job covers us-east-1' })]);
    expect(sandbox.calls.filter((c) => c.region === EU)).toEqual([]);
    // degraded.regions narrows the top-level list the same way.
    const narrowed = await runDegraded(contextFor(sandbox), twoRegions({ regions: ['us-east-1'] }), { trigger: { kind: 'scan' }, waiters: FAST_WAITERS });
    expect(narrowed.results).toEqual([]);
    expect(sandbox.calls.filter((c) => c.region === EU)).toEqual([]);
  });

  it('with regions: all, scans every Region DescribeRegions lists as enabled', async () => {
    const { sandbox, id } = world();
    const report = await runDegraded(contextFor(sandbox), configSchema.parse({ regions: 'all' }), { trigger: { kind: 'scan' }, waiters: FAST_WAITERS });
    expect(sandbox.callsOf('DescribeRegions')).toHaveLength(1);
    expect(report.results).toEqual([expect.objectContaining({ id, outcome: 'done' })]);
    expect(report.regions?.map((r) => r.region)).toEqual(['us-east-1', EU]);
  });

  it('refuses a configured Region the account has not enabled before acting anywhere (bad input, as every job)', async () => {
    const { sandbox } = world({ disabledRegions: ['ap-southeast-2'] });
    const config = configSchema.parse({ regions: ['us-east-1', EU, 'ap-southeast-2'] });
    await expect(runDegraded(contextFor(sandbox), config, { trigger: { kind: 'scan' }, waiters: FAST_WAITERS })).rejects.toThrow(/ap-southeast-2 is not enabled/);
    expect(sandbox.mutatingCalls()).toEqual([]);
  });

  it('reports a Region whose scan fails as a failed item of that Region and still acts in the others', async () => {
    const { sandbox, id } = world();
    // An SCP that denies the home Region, say: its scan is refused, the other Region's is not.
    sandbox.inRegion('us-east-1').services.ec2!.DescribeInstanceStatus = () => {
      throw awsError('ec2', 'UnauthorizedOperation', 'You are not authorized to perform this operation.', 403);
    };
    const report = await runDegraded(contextFor(sandbox), twoRegions(), { trigger: { kind: 'scan' }, waiters: FAST_WAITERS });
    expect(report.results).toEqual(expect.arrayContaining([expect.objectContaining({ id, outcome: 'done', region: EU })]));
    expect(report.regions?.find((r) => r.region === 'us-east-1')?.error).toBeDefined();
  });

  it('counts maxReplacementsPerRun over all Regions: one notice in each Region with a cap of 1 acts nowhere', async () => {
    const { sandbox, id } = world();
    const home = new FleetBuilder(sandbox).instance({ name: 'web-us', tags: { 'caretaker:on-degraded': 'stop-start' } });
    sandbox.ec2.healthOf(home.InstanceId!).events = [{ InstanceEventId: 'instance-event-0us0000000000001', Code: 'instance-retirement', NotBefore: new Date('2026-01-24T00:00:00Z') }];
    const report = await runDegraded(contextFor(sandbox), twoRegions({ maxReplacementsPerRun: 1 }), { trigger: { kind: 'scan' }, waiters: FAST_WAITERS });
    expect(report.error?.code).toBe('BlastRadiusError');
    expect(sandbox.callsOf('StopInstances')).toEqual([]);
    // With a cap of 2 the same run acts in both Regions: the refusal was the total's.
    const fits = await runDegraded(contextFor(sandbox), twoRegions({ maxReplacementsPerRun: 2 }), { trigger: { kind: 'scan' }, waiters: FAST_WAITERS });
    expect(fits.results.filter((r) => r.outcome === 'done').map((r) => r.id).sort()).toEqual([home.InstanceId, id].sort());
  });
});

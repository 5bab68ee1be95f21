import { describe, expect, it } from 'vitest';
import { formatReport, reportSubject } from '../../shared/alerts/format';
import { InputError } from '../../shared/engine/errors';
import { runFailed } from '../../shared/engine/run';
import { summarizeRun } from '../../shared/lambda/summary';
import { runMetrics } from '../../shared/metrics/run-metrics';
import { runPrune } from '../../shared/prune/run-prune';
import { runSnapshot } from '../../shared/snapshot/run-snapshot';
import { FleetBuilder } from '../../sandbox/fleet';
import { sandboxJobContext } from '../../sandbox/job-context';
import { config, sandboxWithFleet } from '../helpers';

const DAY = 86_400_000;
const REGIONS = ['us-east-1', 'eu-west-1'];

/** Two Regions, each with tagged instances and old managed snapshots of policy `daily`. */
function twoRegionAccount(options: { instances?: number; oldSnapshots?: number; throttling?: boolean; disabledRegions?: string[] } = {}) {
  const { sandbox } = sandboxWithFleet({ regions: ['us-east-1', 'eu-west-1', 'ap-southeast-3'], disabledRegions: options.disabledRegions ?? ['af-south-1'], throttling: options.throttling });
  const seeded: Record<string, { instances: string[]; old: string[] }> = {};
  for (const region of [...REGIONS, 'ap-southeast-3']) {
    const fleet = new FleetBuilder(sandbox, region);
    const instances = Array.from({ length: options.instances ?? 2 }, (_, i) => fleet.instance({ name: `${region}-${i}`, tags: { 'caretaker:snapshot': 'daily' } }).InstanceId!);
    const volume = fleet.volume({ sizeGiB: 8 });
    fleet.snapshot(volume, 2 * 3_600_000, { 'caretaker:managed': 'true', 'caretaker:policy': 'daily' });
    const old = Array.from({ length: options.oldSnapshots ?? 3 }, (_, i) => fleet.snapshot(volume, (20 + i) * DAY, { 'caretaker:managed': 'true', 'caretaker:policy': 'daily' }).SnapshotId!);
    seeded[region] = { instances, old };
  }
  return { sandbox, seeded };
}

const cfg = (top: unknown, policy: Record<string, unknown> = {}, prune: Record<string, unknown> = {}) =>
  config({
    ...(top === undefined ? {} : { regions: top }),
    snapshot: { policies: [{ name: 'daily', schedule: 'cron(0 3 * * ? *)', selector: { tags: { 'caretaker:snapshot': ['daily'] } }, retain: { olderThanDays: 7 }, ...policy }] },
    prune: { minAgeHours: 1, ...prune },
  });

const mutating = (calls: ReadonlyArray<{ operation: string }>) => calls.filter((c) => !/^(Describe|Get|List)/.test(c.operation));

describe('one run covers every configured Region', () => {
  it('snapshots and prunes two Regions in one run each, every call in its own Region', async () => {
    const { sandbox, seeded } = twoRegionAccount();
    const ctx = () => sandboxJobContext(sandbox, { runId: 'two-regions' });
    const snapshot = await runSnapshot(ctx(), cfg(REGIONS), { policy: 'daily' });
    expect(runFailed(snapshot)).toBe(false);
    for (const region of REGIONS) {
      const creates = sandbox.calls.filter((c) => c.operation === 'CreateSnapshots' && c.region === region);
      expect(creates.map((c) => (c.input as { InstanceSpecification: { InstanceId: string } }).InstanceSpecification.InstanceId).sort()).toEqual([...seeded[region]!.instances].sort());
      expect(snapshot.results.filter((r) => r.action === 'snapshot' && r.outcome === 'done' && r.region === region).map((r) => r.id).sort()).toEqual([...seeded[region]!.instances].sort());
    }
    // ap-southeast-3 is enabled but not configured: never touched.
    expect(sandbox.calls.filter((c) => c.region === 'ap-southeast-3')).toEqual([]);

    const prune = await runPrune(ctx(), cfg(REGIONS));
    for (const region of REGIONS) {
      const deletes = sandbox.calls.filter((c) => c.operation === 'DeleteSnapshot' && c.region === region).map((c) => c.input.SnapshotId);
      expect(deletes.sort()).toEqual([...seeded[region]!.old].sort());
      for (const id of seeded[region]!.old) expect(sandbox.inRegion(region).ec2.snapshots.has(id)).toBe(false);
    }
    expect(prune.regions?.map((r) => r.region)).toEqual(REGIONS);
    expect(prune.resultCounts?.every((c) => REGIONS.includes(c.region!))).toBe(true);
  });

  it('narrows a policy and prune to their own Regions', async () => {
    const { sandbox, seeded } = twoRegionAccount();
    const config = cfg(REGIONS, { regions: ['eu-west-1'] });
    await runSnapshot(sandboxJobContext(sandbox), config, { policy: 'daily' });
    expect(new Set(sandbox.callsOf('CreateSnapshots').map((c) => c.region))).toEqual(new Set(['eu-west-1']));
    // The policy snapshots in eu-west-1 only: its snapshots are pruned there, not in us-east-1.
    await runPrune(sandboxJobContext(sandbox), config);
    expect(sandbox.callsOf('DeleteSnapshot').map((c) => c.input.SnapshotId).sort()).toEqual([...seeded['eu-west-1']!.old].sort());
    sandbox.calls.length = 0;
    await runPrune(sandboxJobContext(sandbox), cfg(REGIONS, {}, { regions: ['us-east-1'] }));
    expect(new Set(sandbox.calls.map((c) => c.region))).toEqual(new Set(['us-east-1']));
  });

  it('paces each Region against its own token buckets: a backlog in two Regions takes the time of one', async () => {
    const { sandbox, seeded } = twoRegionAccount({ instances: 0, oldSnapshots: 150, throttling: true });
    const start = sandbox.clock.nowMs();
    const both = await runPrune(sandboxJobContext(sandbox), cfg(REGIONS, {}, { maxDeletesPerRun: 1000 }));
    const elapsed = sandbox.clock.nowMs() - start;
    expect(both.results.filter((r) => r.outcome === 'done')).toHaveLength(300);
    expect(sandbox.calls.filter((c) => c.error === 'RequestLimitExceeded')).toEqual([]);
    // One shared 5/s bucket would need (300 - 95) / 5 = 41 s; each Region's own: (150 - 95) / 5 = 11 s.
    expect(elapsed).toBeLessThan(20_000);
    expect(elapsed).toBeGreaterThanOrEqual(10_000);
    // Only each Region's recent snapshot is left.
    for (const region of REGIONS) for (const id of seeded[region]!.old) expect(sandbox.inRegion(region).ec2.snapshots.has(id)).toBe(false);
  });

  it('`all` re-reads the enabled Regions on every run', async () => {
    const { sandbox } = twoRegionAccount();
    await runSnapshot(sandboxJobContext(sandbox), cfg('all'), { policy: 'daily' });
    expect(sandbox.callsOf('DescribeRegions')).toHaveLength(1);
    expect(new Set(sandbox.callsOf('CreateSnapshots').map((c) => c.region))).toEqual(new Set(['us-east-1', 'eu-west-1', 'ap-southeast-3']));
    await runPrune(sandboxJobContext(sandbox), cfg('all'));
    expect(sandbox.callsOf('DescribeRegions')).toHaveLength(2);
    expect(new Set(sandbox.callsOf('DeleteSnapshot').map((c) => c.region))).toEqual(new Set(['us-east-1', 'eu-west-1', 'ap-southeast-3']));
  });

  it('refuses a configured Region that is not enabled: InputError naming the field, no mutating call anywhere', async () => {
    const { sandbox } = twoRegionAccount({ disabledRegions: ['af-south-1'] });
    const config = cfg(['us-east-1', 'af-south-1']);
    await expect(runSnapshot(sandboxJobContext(sandbox), config, { policy: 'daily' })).rejects.toThrow(/regions\[1\]: af-south-1 is not enabled for this account/);
    await expect(runPrune(sandboxJobContext(sandbox), config)).rejects.toBeInstanceOf(InputError);
    expect(mutating(sandbox.calls)).toEqual([]);
  });

  it('completes the other Regions when one fails to describe, and says which one', async () => {
    const { sandbox, seeded } = twoRegionAccount();
    // eu-west-1's EC2 refuses the credentials (a role not allowed there, say).
    const eu = sandbox.inRegion('eu-west-1');
    eu.services.ec2 = { ...eu.services.ec2, DescribeSnapshots: () => Promise.reject(Object.assign(new Error('You are not authorized to perform this operation.'), { name: 'UnauthorizedOperation', $fault: 'client', $metadata: {} })) };
    const report = await runPrune(sandboxJobContext(sandbox), cfg(REGIONS));
    expect(sandbox.callsOf('DeleteSnapshot').map((c) => c.input.SnapshotId).sort()).toEqual([...seeded['us-east-1']!.old].sort());
    expect(report.error).toBeUndefined();
    expect(report.results.filter((r) => r.outcome === 'failed')).toEqual([expect.objectContaining({ id: 'eu-west-1', region: 'eu-west-1', errorCode: expect.any(String) })]);
    expect(report.actionNeeded).toEqual([expect.objectContaining({ kind: 'region-failed', subject: 'eu-west-1' })]);
    expect(runFailed(report)).toBe(true);
    expect(reportSubject(report)).toContain('ACTION NEEDED (1)');
  });

  it('sends one summary grouped by Region: counts per Region, items and ACTION NEEDED with their Region', async () => {
    const { sandbox } = twoRegionAccount();
    const report = await runPrune(sandboxJobContext(sandbox), cfg(REGIONS));
    const body = formatReport(report, { region: 'us-east-1' });
    expect(body).toContain('in 2 Regions (us-east-1, eu-west-1)');
    const us = body.indexOf('Counts in us-east-1');
    const eu = body.indexOf('Counts in eu-west-1');
    expect(us).toBeGreaterThan(0);
    expect(eu).toBeGreaterThan(us);
    expect(body.slice(us, eu)).toContain('daily / delete-snapshot: done 3');
    expect(body.slice(eu)).toMatch(/daily \/ delete-snapshot: done 3/);
    expect(body).toMatch(/\[eu-west-1\] delete-snapshot snap-/);
    expect(body.split('\n').filter((l) => /^ {2}\[(us-east-1|eu-west-1)\] /.test(l)).length).toBeLessThanOrEqual(50);

    const summary = summarizeRun(report);
    expect(summary.regions?.map((r) => [r.region, r.counts.done])).toEqual([
      ['us-east-1', 3],
      ['eu-west-1', 3],
    ]);
    const metrics = runMetrics(report, 'us-east-1');
    const deleted = metrics.filter((m) => m.values.SnapshotsDeleted !== undefined).map((m) => [m.dimensions.Region, m.values.SnapshotsDeleted]);
    expect(deleted).toEqual([
      ['us-east-1', 3],
      ['eu-west-1', 3],
    ]);
  });

  it('keeps the blast-radius cap a promise about the whole run', async () => {
    const { sandbox } = twoRegionAccount();
    // 3 deletions per Region fit a cap of 5 in each, not in the run.
    const report = await runPrune(sandboxJobContext(sandbox), cfg(REGIONS, {}, { maxDeletesPerRun: 5 }));
    expect(report.error).toMatchObject({ code: 'BlastRadiusError' });
    expect(report.error!.message).toContain('maxDeletesPerRun=5 exceeded: the plan has 6 actions');
    expect(sandbox.callsOf('DeleteSnapshot')).toEqual([]);
  });
});

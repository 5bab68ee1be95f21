import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../shared/engine/types';
import { runSnapshot } from '../../shared/snapshot/run-snapshot';
import type { FaultRule } from '../../sandbox/faults';
import { config, sandboxContext, sandboxWithFleet, expectFailuresReported } from '../helpers';

/**
 * The snapshot job under AWS failure modes. Each scenario checks the invariants, not just "no
 * crash": every instance is reported (done, skipped or failed with a code), no volume gets two
 * snapshots for one slot, and a second run finishes whatever the first could not.
 */
const cfg = config({
  snapshot: { policies: [{ name: 'daily', schedule: 'rate(1 day)', selector: { tags: { 'caretaker:snapshot': ['daily'] } } }] },
});
const EVENT = { policy: 'daily', time: '2026-03-05T03:00:00Z' };

function fleet(n: number, options: { seed?: number } = {}) {
  const { sandbox, fleet } = sandboxWithFleet({ seed: options.seed ?? 5, timings: { perVolumeSnapshotGapMs: 15_000 } });
  const instances = Array.from({ length: n }, (_, i) => fleet.instance({ name: `app-${i}`, tags: { 'caretaker:snapshot': 'daily' }, volumes: [{}, {}] }));
  return { sandbox, instances };
}

function assertInvariants(sandbox: ReturnType<typeof fleet>['sandbox'], ids: string[], reports: RunReport[]) {
  const perVolume = new Map<string, number>();
  for (const { data } of sandbox.ec2.snapshots.values()) perVolume.set(data.VolumeId!, (perVolume.get(data.VolumeId!) ?? 0) + 1);
  expect([...perVolume.values()].every((n) => n === 1), 'at most one snapshot per volume per slot').toBe(true);
  for (const report of reports) {
    const reported = new Set(report.results.map((r) => r.id));
    const remaining = report.remaining;
    expect(reported.size + remaining).toBe(ids.length);
    expectFailuresReported(report);
  }
}

async function runUntilDone(sandbox: ReturnType<typeof fleet>['sandbox'], ids: string[], runs = 4): Promise<RunReport[]> {
  const reports: RunReport[] = [];
  for (let i = 0; i < runs; i++) {
    reports.push(await runSnapshot(sandboxContext(sandbox, { now: sandbox.clock.now() }), cfg, EVENT));
    if (sandbox.ec2.snapshots.size === ids.length * 2) break;
    sandbox.clock.advance(20_000);
  }
  return reports;
}

const storms: Array<[string, FaultRule]> = [
  ['30% RequestLimitExceeded', { operation: 'CreateSnapshots', code: 'RequestLimitExceeded', probability: 0.3 }],
  ['80% RequestLimitExceeded', { operation: 'CreateSnapshots', code: 'RequestLimitExceeded', probability: 0.8 }],
  ['30% InternalError (500)', { operation: 'CreateSnapshots', code: 'InternalError', probability: 0.3 }],
  ['30% Unavailable (503)', { operation: 'CreateSnapshots', code: 'Unavailable', probability: 0.3 }],
  ['30% network timeouts', { operation: 'CreateSnapshots', code: 'TimeoutError', probability: 0.3 }],
  ['50% throttling on Describe*', { operation: /^Describe/, code: 'RequestLimitExceeded', probability: 0.5 }],
];

describe('snapshot job fault matrix', () => {
  it.each(storms)('%s: every instance reported, no duplicates, the next run finishes', async (_name, rule) => {
    const { sandbox, instances } = fleet(12);
    sandbox.injectFault(rule);
    const ids = instances.map((i) => i.InstanceId!);
    const reports = await runUntilDone(sandbox, ids);
    assertInvariants(sandbox, ids, reports);
    expect(sandbox.ec2.snapshots.size).toBe(ids.length * 2);
  });

  it('per-volume rate exceeded on every first try: waits 15 s, retries once, no duplicates', async () => {
    const { sandbox, instances } = fleet(5);
    sandbox.injectFault({ operation: 'CreateSnapshots', code: 'SnapshotCreationPerVolumeRateExceeded', times: 5 });
    const ids = instances.map((i) => i.InstanceId!);
    const reports = await runUntilDone(sandbox, ids, 1);
    assertInvariants(sandbox, ids, reports);
    expect(reports[0]!.results.every((r) => r.outcome === 'done')).toBe(true);
  });

  it('the same event delivered 3 times at once: one snapshot set', async () => {
    const { sandbox, instances } = fleet(6);
    const reports = await Promise.all([0, 1, 2].map(() => runSnapshot(sandboxContext(sandbox), cfg, EVENT)));
    assertInvariants(sandbox, instances.map((i) => i.InstanceId!), reports);
    expect(sandbox.ec2.snapshots.size).toBe(12);
  });

  it('a time budget that runs out mid-run: the rest is reported as remaining and the next run finishes it', async () => {
    const { sandbox, instances } = fleet(140);
    const ids = instances.map((i) => i.InstanceId!);
    const start = sandbox.clock.nowMs();
    // 100 calls fit the burst, then 5/s: with 14 s of budget and a 10 s margin the run stops early.
    const first = await runSnapshot(sandboxContext(sandbox, { deadline: { remainingMs: () => 14_000 - (sandbox.clock.nowMs() - start) } }), cfg, EVENT);
    expect(first.remaining).toBeGreaterThan(0);
    expect(first.results.filter((r) => r.outcome === 'done').length + first.remaining).toBe(140);
    const second = await runSnapshot(sandboxContext(sandbox), cfg, EVENT);
    expect(second.results.filter((r) => r.outcome === 'done')).toHaveLength(first.remaining);
    assertInvariants(sandbox, ids, [first, second]);
    expect(sandbox.ec2.snapshots.size).toBe(280);
  });
});

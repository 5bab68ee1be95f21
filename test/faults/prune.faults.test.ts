import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/load';
import type { RunReport } from '../../shared/engine/types';
import { DELETE_ACTION } from '../../shared/prune/plan-retention';
import { runPrune } from '../../shared/prune/run-prune';
import type { FaultRule } from '../../sandbox/faults';
import { sandboxJobContext } from '../../sandbox/job-context';
import { sandboxWithFleet, expectFailuresReported } from '../helpers';

/**
 * The prune job under AWS failure modes. Invariants, whatever the fault: nothing a rule keeps is
 * deleted (the dry-run plan of a clean account is the oracle), every failure is in the report with
 * its code, and runs repeated after the storm finish the work.
 */
const DAY = 86_400_000;
const config = parseConfig({
  snapshot: { policies: [{ name: 'daily', schedule: 'rate(1 day)', selector: { tags: { backup: ['daily'] } }, retain: { daily: 7, weekly: 4 } }] },
  prune: { minAgeHours: 24, maxDeletesPerRun: 10_000 },
});

function account(seed = 9) {
  const { sandbox, fleet } = sandboxWithFleet({ seed });
  const held: string[] = [];
  for (let v = 0; v < 8; v++) {
    const volume = fleet.volume({ sizeGiB: 10 });
    for (let d = 0; d < 60; d += 2) {
      const s = fleet.snapshot(volume, d * DAY + v * 60_000, { 'caretaker:managed': 'true', 'caretaker:policy': 'daily' });
      if (v === 0 && d === 40) held.push(s.SnapshotId!);
    }
  }
  fleet.image(held);
  return { sandbox, held };
}

/** What a clean run would delete: the oracle for "nothing kept is deleted". */
async function condemned(): Promise<Set<string>> {
  const { sandbox } = account();
  const report = await runPrune(sandboxJobContext(sandbox, { dryRun: true }), config);
  const ids = new Set(report.plan.filter((p) => p.action === DELETE_ACTION).map((p) => p.target));
  expect(ids.size).toBeGreaterThan(100);
  return ids;
}

function check(reports: RunReport[], deleted: Set<string>, allowed: Set<string>, held: string[]) {
  for (const id of deleted) expect(allowed.has(id), `${id} was kept by a rule but deleted`).toBe(true);
  for (const id of held) expect(deleted.has(id), `AMI-held ${id} deleted`).toBe(false);
  for (const r of reports) {
    expectFailuresReported(r);
  }
}

const storms: Array<[string, FaultRule]> = [
  ['30% RequestLimitExceeded', { operation: 'DeleteSnapshot', code: 'RequestLimitExceeded', probability: 0.3 }],
  ['80% RequestLimitExceeded', { operation: 'DeleteSnapshot', code: 'RequestLimitExceeded', probability: 0.8 }],
  ['30% InternalError (500)', { operation: 'DeleteSnapshot', code: 'InternalError', probability: 0.3 }],
  ['30% Unavailable (503)', { operation: 'DeleteSnapshot', code: 'Unavailable', probability: 0.3 }],
  ['30% network timeouts', { operation: 'DeleteSnapshot', code: 'TimeoutError', probability: 0.3 }],
  ['50% throttling on DescribeSnapshots pages', { operation: 'DescribeSnapshots', code: 'RequestLimitExceeded', probability: 0.5 }],
  ['20% InvalidSnapshot.NotFound (deleted by someone else)', { operation: 'DeleteSnapshot', code: 'InvalidSnapshot.NotFound', probability: 0.2 }],
];

describe('prune job fault matrix', () => {
  it.each(storms)('%s: deletes only what no rule keeps, reports every failure, the next runs finish', async (_name, rule) => {
    const allowed = await condemned();
    const { sandbox, held } = account();
    const before = new Set(sandbox.ec2.snapshots.keys());
    sandbox.injectFault(rule);
    const reports = [await runPrune(sandboxJobContext(sandbox), config)];
    sandbox.faults.clear();
    reports.push(await runPrune(sandboxJobContext(sandbox), config));
    const deleted = new Set([...before].filter((id) => !sandbox.ec2.snapshots.has(id)));
    check(reports, deleted, allowed, held);
    // Injected NotFound leaves the snapshot in place (the fault stands in for a real race): not counted.
    if (rule.code !== 'InvalidSnapshot.NotFound') expect(deleted).toEqual(allowed);
  });

  it('the same scheduled event delivered 3 times at once deletes each snapshot once and nothing kept', async () => {
    const allowed = await condemned();
    const { sandbox, held } = account();
    const before = new Set(sandbox.ec2.snapshots.keys());
    const reports = await Promise.all([0, 1, 2].map(() => runPrune(sandboxJobContext(sandbox), config)));
    const deleted = new Set([...before].filter((id) => !sandbox.ec2.snapshots.has(id)));
    check(reports, deleted, allowed, held);
    expect(deleted).toEqual(allowed);
    const successfulDeletes = sandbox.callsOf('DeleteSnapshot').filter((c) => !c.error).length;
    expect(successfulDeletes).toBe(allowed.size);
  });

  it('a time budget that runs out mid-run: the backlog is reported and the next run finishes it', async () => {
    const allowed = await condemned();
    const { sandbox, held } = account();
    const before = new Set(sandbox.ec2.snapshots.keys());
    const start = sandbox.clock.nowMs();
    // 95 deletions fit the pacing burst, then 5/s: 40 s of budget with a 30 s margin stops early.
    const first = await runPrune(sandboxJobContext(sandbox, { deadline: { remainingMs: () => 40_000 - (sandbox.clock.nowMs() - start) } }), config);
    expect(first.remaining).toBeGreaterThan(0);
    const second = await runPrune(sandboxJobContext(sandbox), config);
    expect(second.remaining).toBe(0);
    const deleted = new Set([...before].filter((id) => !sandbox.ec2.snapshots.has(id)));
    check([first, second], deleted, allowed, held);
    expect(deleted).toEqual(allowed);
  });
});

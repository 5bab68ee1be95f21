import { expectFailuresReported } from '../helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { runFailover } from '../../shared/failover/run-failover';
import { failoverScene, type FailoverScene, LB2_IP } from '../../sandbox/failover-scene';
import type { FaultRule } from '../../sandbox/faults';

/**
 * The failover job under Route 53 and network failure modes, with real local LBs. Invariants:
 * never an UPSERT to an unhealthy member, the record ends on the healthy one (within the run or
 * the next), and every failure is reported with its code.
 */
let scene: FailoverScene;
afterEach(() => scene?.close());

const serviceValue = (input: Record<string, unknown>) =>
  (input as { ChangeBatch: { Changes: Array<{ ResourceRecordSet: { Name: string; ResourceRecords: Array<{ Value: string }> } }> } }).ChangeBatch.Changes.find(
    (c) => c.ResourceRecordSet.Name.replace(/\.$/, '') === 'lb.example.com',
  )?.ResourceRecordSet.ResourceRecords[0]?.Value;

async function killLb1AndWatch(rule: FaultRule) {
  scene = await failoverScene({ sandbox: { seed: 21 } });
  scene.sandbox.injectFault(rule);
  const reports = [];
  for (let run = 0; run < 4 && scene.active() !== LB2_IP; run++) {
    reports.push(
      await runFailover(scene.context(60_000), scene.config, {
        onPass: async (e) => {
          if (run === 0 && e.pass === 2) await scene.lb1.kill();
        },
      }),
    );
  }
  const changes = scene.sandbox.callsOf('ChangeResourceRecordSets').filter((c) => !c.error && serviceValue(c.input) !== undefined);
  return { reports, changes };
}

const storms: Array<[string, FaultRule]> = [
  ['30% Route 53 Throttling', { service: 'route53', code: 'Throttling', probability: 0.3 }],
  ['80% Route 53 Throttling', { service: 'route53', code: 'Throttling', probability: 0.8 }],
  ['50% PriorRequestNotComplete on changes', { operation: 'ChangeResourceRecordSets', code: 'PriorRequestNotComplete', probability: 0.5 }],
  ['30% InternalError (500) on record reads', { operation: 'ListResourceRecordSets', code: 'InternalError', probability: 0.3 }],
  ['30% ServiceUnavailable (503) on changes', { operation: 'ChangeResourceRecordSets', code: 'ServiceUnavailable', probability: 0.3 }],
  ['30% network timeouts on Route 53', { service: 'route53', code: 'TimeoutError', probability: 0.3 }],
];

describe('failover job fault matrix', () => {
  it.each(storms)('%s: no UPSERT to the dead LB, the record ends on LB2, failures reported', async (_name, rule) => {
    const { reports, changes } = await killLb1AndWatch(rule);
    expect(changes.length).toBeGreaterThan(0);
    for (const c of changes) expect(serviceValue(c.input)).toBe(LB2_IP);
    expect(scene.active()).toBe(LB2_IP);
    for (const r of reports) {
      expectFailuresReported(r);
    }
  });

  it('two watchers at once (a duplicate invocation) make one effective move, both to LB2', async () => {
    scene = await failoverScene({ sandbox: { seed: 22 } });
    await scene.lb1.kill();
    await Promise.all([runFailover(scene.context(30_000), scene.config), runFailover(scene.context(30_000), scene.config)]);
    const changes = scene.sandbox.callsOf('ChangeResourceRecordSets').filter((c) => !c.error && serviceValue(c.input) !== undefined);
    for (const c of changes) expect(serviceValue(c.input)).toBe(LB2_IP);
    expect(scene.active()).toBe(LB2_IP);
  });
});

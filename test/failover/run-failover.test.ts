import { afterEach, describe, expect, it } from 'vitest';
import { formatReport, reportSubject } from '../../shared/alerts/format';
import { runFailed } from '../../shared/engine/run';
import { failoverSchema } from '../../shared/failover/config';
import { type HealthMemory, type PassEvent, runFailover } from '../../shared/failover/run-failover';
import { failoverScene, type FailoverScene, LB1_IP, LB2_IP } from '../../sandbox/failover-scene';

let scene: FailoverScene;
afterEach(() => scene?.close());

/** Runs the job for `budgetMs` of sandbox time (5 s passes), calling `script` after every pass. */
async function watch(budgetMs: number, script: (e: PassEvent) => void | Promise<void> = () => {}, extra: Parameters<typeof runFailover>[2] = {}) {
  const passes: PassEvent[] = [];
  const ctx = scene.context(budgetMs);
  const report = await runFailover(ctx, scene.config, {
    ...extra,
    onPass: async (e) => {
      passes.push(e);
      await script(e);
    },
  });
  const upserts = scene.sandbox.callsOf('ChangeResourceRecordSets').filter((c) => !c.error);
  const serviceChanges = upserts.filter((c) => JSON.stringify(c.input).includes('"lb.example.com"'));
  return { report, passes, ctx, serviceChanges };
}

const valueOf = (call: { input: Record<string, unknown> }) =>
  (call.input as { ChangeBatch: { Changes: Array<{ ResourceRecordSet: { ResourceRecords: Array<{ Value: string }> } }> } }).ChangeBatch.Changes[0]!.ResourceRecordSet.ResourceRecords[0]!.Value;

describe('runFailover', () => {
  it('moves the record to LB2 three passes after LB1 dies, with one UPSERT at the configured TTL, and waits for INSYNC', async () => {
    scene = await failoverScene();
    const { report, passes, serviceChanges } = await watch(60_000, async (e) => {
      if (e.pass === 3) await scene.lb1.kill();
    });
    expect(scene.active()).toBe(LB2_IP);
    expect(serviceChanges).toHaveLength(1);
    expect(serviceChanges[0]!.input).toMatchObject({
      // The SDK strips the /hostedzone/ prefix before sending.
      HostedZoneId: scene.zoneId.replace('/hostedzone/', ''),
      ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'lb.example.com', Type: 'A', TTL: 60, ResourceRecords: [{ Value: LB2_IP }] } }] },
    });
    expect(passes.find((p) => p.decision.action === 'upsert')!.pass).toBe(6);
    const moved = report.results.find((r) => r.action === 'upsert')!;
    expect(moved).toMatchObject({ outcome: 'done', details: { from: 'lb1', to: 'lb2', status: 'INSYNC' } });
    expect(moved.reason).toBe('lb1 is down after 3 failed probes (ECONNREFUSED); lb2 is healthy');
    // 60 s budget, stopping 5 s before the deadline with one probe timeout kept free: passes every
    // 5 s, and 2 s apart while LB1's failure is being confirmed (15, 17, 19 s).
    expect(passes).toHaveLength(13);
    expect(runFailed(report)).toBe(false);
  });

  it('confirms a failing member at the recheck spacing when recheckIntervalSeconds is set', async () => {
    scene = await failoverScene({ group: { recheckIntervalSeconds: 1 } });
    let killedAt = 0;
    const { passes } = await watch(60_000, async (e) => {
      if (e.pass === 3) {
        await scene.lb1.kill();
        killedAt = e.atMs;
      }
    });
    const moved = passes.find((p) => p.decision.action === 'upsert')!;
    // First failed probe 5 s after the kill, then two rechecks 1 s apart.
    expect(moved.atMs - killedAt).toBe(7_000);
    expect(scene.active()).toBe(LB2_IP);
  });

  it('does not fail over for a flapping LB1 that never fails three probes in a row', async () => {
    scene = await failoverScene();
    // Two failures, then an answer, over and over: the MMM false-failover pattern.
    scene.lb1.script = (n) => (n % 3 === 0 ? 'up' : 'reset');
    const { report, passes } = await watch(120_000);
    expect(scene.sandbox.mutatingCalls().filter((c) => c.operation === 'ChangeResourceRecordSets')).toHaveLength(0);
    expect(passes.every((p) => p.decision.action === 'none')).toBe(true);
    expect(report.results).toEqual([expect.objectContaining({ id: 'lb.example.com', outcome: 'skipped' })]);
  });

  it('changes nothing and fails loudly when every member is down', async () => {
    scene = await failoverScene();
    await Promise.all([scene.lb1.kill(), scene.lb2.kill()]);
    const { report } = await watch(30_000);
    expect(scene.sandbox.mutatingCalls()).toEqual([]);
    expect(scene.active()).toBe(LB1_IP);
    expect(report.results).toEqual([expect.objectContaining({ action: 'all-down', outcome: 'failed', errorCode: 'AllMembersDown' })]);
    expect(runFailed(report)).toBe(true);
    expect(reportSubject(report)).toBe('[caretaker] DNS failover FAILED 1, done 0');
    expect(formatReport(report)).toContain('ALL MEMBERS DOWN, nothing changed: every member is down (lb1: ECONNREFUSED; lb2: ECONNREFUSED)');
  });

  it('never points at LB2 while LB2 is not confirmed healthy', async () => {
    scene = await failoverScene();
    scene.lb2.behaviour = 'wrong-body';
    const { passes } = await watch(60_000, async (e) => {
      if (e.pass === 2) await scene.lb1.kill();
      if (e.pass === 7) scene.lb2.behaviour = 'up';
    });
    expect(scene.active()).toBe(LB2_IP);
    // LB2 answers from pass 8 on; two good probes make it up at pass 9.
    expect(passes.find((p) => p.decision.action === 'upsert')!.pass).toBe(9);
  });

  it('fails back to LB1 with auto once it has answered successThreshold probes', async () => {
    scene = await failoverScene();
    const { serviceChanges } = await watch(60_000, async (e) => {
      if (e.pass === 1) await scene.lb1.kill();
      if (e.pass === 6) await scene.lb1.revive();
    });
    expect(serviceChanges.map(valueOf)).toEqual([LB2_IP, LB1_IP]);
    expect(scene.active()).toBe(LB1_IP);
  });

  it('stays on LB2 with sticky failback after LB1 recovers', async () => {
    scene = await failoverScene({ group: { failback: 'sticky' } });
    const { serviceChanges, report } = await watch(60_000, async (e) => {
      if (e.pass === 1) await scene.lb1.kill();
      if (e.pass === 6) await scene.lb1.revive();
    });
    expect(serviceChanges.map(valueOf)).toEqual([LB2_IP]);
    expect(report.notes.join('\n')).toMatch(/lb1 up/);
  });

  it('creates a missing record pointing at the best healthy member', async () => {
    scene = await failoverScene({ record: false });
    const { report } = await watch(20_000);
    expect(scene.active()).toBe(LB1_IP);
    expect(scene.sandbox.callsOf('ChangeResourceRecordSets').find((c) => JSON.stringify(c.input).includes('"lb.example.com"'))!.input).toMatchObject({
      ChangeBatch: { Changes: [{ Action: 'CREATE' }] },
    });
    expect(report.results.find((r) => r.action === 'create')).toMatchObject({ outcome: 'done', details: { to: 'lb1' } });
  });

  it('keeps self-names pointing at each member', async () => {
    scene = await failoverScene({ record: false });
    await watch(20_000);
    expect(scene.sandbox.route53.record(scene.zoneId, 'lb1.example.com', 'A')?.ResourceRecords).toEqual([{ Value: LB1_IP }]);
    expect(scene.sandbox.route53.record(scene.zoneId, 'lb2.example.com', 'A')?.ResourceRecords).toEqual([{ Value: LB2_IP }]);
    await watch(20_000);
    // Already current: the second run writes nothing more (2 self-names + the CREATE of the record).
    expect(scene.sandbox.callsOf('ChangeResourceRecordSets')).toHaveLength(3);
  });

  it('in a dry run reports the planned move and changes nothing', async () => {
    scene = await failoverScene();
    await scene.lb1.kill();
    const ctx = scene.context(60_000, { dryRun: true });
    const report = await runFailover(ctx, scene.config);
    expect(scene.sandbox.mutatingCalls()).toEqual([]);
    expect(report.plan).toEqual(expect.arrayContaining([expect.objectContaining({ target: 'lb.example.com', action: 'upsert' })]));
    expect(report.results).toEqual([]);
    expect(reportSubject(report)).toMatch(/dry run: 1 planned/);
  });

  it('with once decides as soon as every member has a verdict, then stops', async () => {
    scene = await failoverScene();
    const { passes } = await watch(60_000, () => {}, { once: true });
    expect(passes).toHaveLength(2);
  });

  it('refuses to move more than maxChangesPerRun times (flapping) and reports it', async () => {
    scene = await failoverScene({ group: { maxChangesPerRun: 1, failureThreshold: 1, successThreshold: 1 } });
    const { report, serviceChanges } = await watch(60_000, async (e) => {
      if (e.pass === 1) await scene.lb1.kill();
      if (e.pass === 3) await scene.lb1.revive();
    });
    expect(serviceChanges).toHaveLength(1);
    expect(report.error).toMatchObject({ code: 'BlastRadiusError' });
    expect(report.error!.message).toMatch(/maxChangesPerRun=1/);
  });

  it('reports a zone that does not exist and a record outside the zone, with no change', async () => {
    scene = await failoverScene();
    const missing = failoverSchema.parse({ groups: [{ ...scene.config.groups[0], hostedZoneId: 'Z999999999999NOPE' }] });
    const outside = failoverSchema.parse({ groups: [{ ...scene.config.groups[0], recordName: 'lb.example.org' }] });
    const r1 = await runFailover(scene.context(30_000), missing);
    const r2 = await runFailover(scene.context(30_000), outside);
    expect(r1.error).toMatchObject({ code: 'NoSuchHostedZone', message: expect.stringMatching(/^web.hostedZoneId Z999999999999NOPE: No hosted zone found/) });
    expect(r2.error).toEqual({ code: 'InputError', message: 'web.recordName: lb.example.org is outside the hosted zone example.com (' + scene.zoneId + ')' });
    expect(scene.sandbox.mutatingCalls()).toEqual([]);
  });

  it('carries member health across warm invocations through the memory', async () => {
    scene = await failoverScene();
    const memory: HealthMemory = new Map();
    await scene.lb1.kill();
    // First invocation ends after two failed probes of LB1 (10 s budget: passes at 0 and 5 s minus margins).
    const first = await runFailover(scene.context(12_000), scene.config, { memory, maxPasses: 2 });
    expect(first.results.some((r) => r.action === 'upsert')).toBe(false);
    const second = await runFailover(scene.context(30_000), scene.config, { memory, maxPasses: 1 });
    expect(second.results.find((r) => r.action === 'upsert')).toMatchObject({ outcome: 'done', details: { to: 'lb2' } });
  });
});

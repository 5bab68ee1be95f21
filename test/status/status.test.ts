import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { makeHandler as degradedHandler } from '../../functions/replace-degraded';
import { parseConfig } from '../../shared/config/load';
import type { Config } from '../../shared/config/schema';
import { runPrune } from '../../shared/prune/run-prune';
import { runSnapshot } from '../../shared/snapshot/run-snapshot';
import { describeStatus } from '../../shared/status/describe-status';
import { formatStatus } from '../../shared/status/format-status';
import { planStatus } from '../../shared/status/plan-status';
import { buildDemoAccount } from '../../sandbox/demo-account';
import { demoHealthEvent } from '../../sandbox/demo-degraded';
import { failoverScene, type FailoverScene, LB1_IP } from '../../sandbox/failover-scene';
import { lambdaContext, sandboxDeps } from '../../sandbox/handler-deps';
import { sandboxJobContext } from '../../sandbox/job-context';
import type { SandboxAccount } from '../../sandbox/account';
import { captureConsole } from '../helpers';
import { DEFAULT_TAG_LAG_MS } from '../../sandbox/ec2-tag-visibility';

const status = async (sandbox: SandboxAccount, config: Config) => {
  const ctx = sandboxJobContext(sandbox, { now: sandbox.clock.now() });
  return planStatus(await describeStatus(ctx, config), config, ctx.now);
};

describe('caretaker status on the sandbox fleet', () => {
  it('shows each selected volume with its policy, newest completed snapshot, retention counts from the planner and stale flag', async () => {
    const { sandbox, config } = buildDemoAccount();
    const s = await status(sandbox, config);
    expect(s.region).toBe('us-east-1');
    // web-2's scratch volume is opted out by tag: the snapshot planner leaves it out, so does status.
    expect(s.volumes.map((v) => `${v.policy} ${v.instanceName}`)).toEqual([
      'daily web-1', 'daily web-1', 'daily web-2', 'daily web-2', 'daily db-1', 'daily db-1', 'daily batch-1', 'db-consistent db-1', 'db-consistent db-1',
    ]);
    const [a, b] = s.volumes;
    // Whole hours, rounded down: the demo's newest snapshot started 5 s after yesterday's 03:00 slot.
    expect(a).toMatchObject({ stale: false, pending: 0, expiring: 48, newestCompleted: { ageHours: 23 }, kept: { 'min-keep': 1, daily: 7, weekly: 4, monthly: 3, ami: 1 } });
    expect(b!.kept).toMatchObject({ 'keep-tag': 1 });
    // The counts are the prune planner's: a dry run deletes exactly what status calls expiring.
    const dry = await runPrune(sandboxJobContext(sandbox, { dryRun: true, now: sandbox.clock.now() }), config);
    expect(dry.plan.filter((p) => p.action === 'delete-snapshot')).toHaveLength(a!.expiring + b!.expiring);
    // The freshness guard of the e-mails and the stale-volumes alarm: volumes with no snapshot yet are new, not stale.
    expect(s.volumes.filter((v) => v.stale)).toEqual([]);
    sandbox.clock.advance(2 * 86_400_000);
    const later = await status(sandbox, config);
    // web-1's newest snapshots are now 71 whole hours old (71 h 59 min 55 s), over the daily policy's 36 h.
    expect(later.volumes.filter((v) => v.stale).map((v) => `${v.instanceName} ${v.newestCompleted!.ageHours}`)).toEqual(['web-1 71', 'web-1 71']);
    const prune = await runPrune(sandboxJobContext(sandbox, { dryRun: true, now: sandbox.clock.now() }), config);
    expect(prune.actionNeeded!.filter((a) => a.kind === 'stale-volume').map((a) => a.subject.split(' / ')[1])).toEqual(later.volumes.filter((v) => v.stale).map((v) => v.volumeId));
  });

  it('a snapshot run makes volumes pending, then fresh once the snapshots complete', async () => {
    const { sandbox, config } = buildDemoAccount();
    await runSnapshot(sandboxJobContext(sandbox, { now: sandbox.clock.now() }), config, { policy: 'daily', time: '2026-11-22T03:00:00Z' });
    const during = await status(sandbox, config);
    const web2 = during.volumes.filter((v) => v.instanceName === 'web-2');
    expect(web2.map((v) => [v.pending, v.stale])).toEqual([[1, false], [1, false]]);
    sandbox.clock.advance(3_600_000);
    const after = await status(sandbox, config);
    expect(after.volumes.filter((v) => v.policy === 'daily').every((v) => !v.stale && v.pending === 0)).toBe(true);
    expect(after.volumes.find((v) => v.instanceName === 'web-2')!.newestCompleted!.ageHours).toBe(1);
  });

  it('lists degraded instances with their remediation state from the caretaker:remediation tags', async () => {
    const { sandbox, config, topicArn } = buildDemoAccount();
    const before = await status(sandbox, config);
    const app = [...sandbox.ec2.instances.values()].find((i) => i.data.Tags?.some((t) => t.Key === 'Name' && t.Value === 'app-1'))!.data;
    // The demo schedules app-1's retirement: the scan sees it, nothing has acted on it yet.
    const untouched = before.degraded.find((d) => d.instanceId === app.InstanceId)!;
    expect(untouched.remediation).toBeUndefined();
    expect(untouched.notice).toMatch(/^instance-retirement by /);
    await degradedHandler(sandboxDeps(sandbox, config, topicArn))(demoHealthEvent(sandbox, app.InstanceId!), lambdaContext('degraded'));
    // EC2 shows a tag write in DescribeInstances only after a while (sandbox/ec2-tag-visibility.ts).
    sandbox.clock.advance(DEFAULT_TAG_LAG_MS);
    const after = await status(sandbox, config);
    expect(after.degraded.find((d) => d.instanceId === app.InstanceId)).toMatchObject({ name: 'app-1', state: expect.stringMatching(/^stopp/), remediation: 'relaunch:done' });
    expect(formatStatus(after).join('\n')).toContain('relaunch:done');
  });
});

describe('caretaker status: failover groups', () => {
  let scene: FailoverScene;
  afterEach(() => scene?.close());

  it('shows the active member from the record and a probe of each member', async () => {
    scene = await failoverScene();
    const config = { ...parseConfig({}), failover: scene.config };
    const s = await status(scene.sandbox, config);
    expect(s.groups).toHaveLength(1);
    expect(s.groups[0]!.active).toBe(`lb1 (${LB1_IP})`);
    expect(s.groups[0]!.members.map((m) => m.probe.slice(0, 3))).toEqual(['ok:', 'ok:']);
    await scene.lb1.kill();
    const down = await status(scene.sandbox, config);
    expect(down.groups[0]!.members[0]!.probe).toMatch(/^FAIL: /);
    expect(down.groups[0]!.active).toBe(`lb1 (${LB1_IP})`);
  });
});

describe('caretaker status command', () => {
  const { out } = captureConsole();

  it('prints one table per Region, or JSON for scripts', async () => {
    expect(await main(['status', '--sandbox'])).toBe(0);
    const text = out.join('\n');
    expect(text).toContain('Region us-east-1');
    expect(text).toContain('Snapshots (9 volume(s), 0 stale):');
    expect(text).toMatch(/daily +i-\w+ web-2 +vol-\w+ +none +- +- +0 +0 +new/);
    out.length = 0;
    expect(await main(['status', '--sandbox', '--json'])).toBe(0);
    const json = JSON.parse(out.join('\n'));
    expect(json.regions.map((r: { region: string }) => r.region)).toEqual(['us-east-1', 'eu-west-1']);
    expect(json.regions[0].volumes).toHaveLength(9);
  });
});

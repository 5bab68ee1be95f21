import { beforeAll, describe, expect, it } from 'vitest';
import { buildDemoAccount } from '../../sandbox/demo-account';
import { demoHealthEvent } from '../../sandbox/demo-degraded';
import { lifecycleOf } from '../../sandbox/ec2-lifecycle';
import { FleetBuilder } from '../../sandbox/fleet';
import { SandboxAccount } from '../../sandbox/account';
import { logEvents } from '../../sandbox/lambda-runtime/invoke';
import { ensurePackaged, FUNCTIONS, unpack } from './build';
import { bundleWorld } from './harness';

/**
 * The bundle contract: the zips `osls package` builds, each handler run in a fresh Node process
 * the way the Lambda runtime runs it, against the sandbox served over real HTTP. The SDK's
 * serializers, retries and deserializers and the bundler are all in the path.
 */
beforeAll(() => ensurePackaged(), 600_000);

const TIMEOUT = 120_000;

describe('bundled handlers: bad input', () => {
  const BAD: Record<(typeof FUNCTIONS)[number], { event: unknown; field: string }> = {
    'snapshot-volumes': { event: { policy: 'daily', time: 'yesterday' }, field: 'time' },
    'prune-snapshots': { event: { dryrun: true }, field: 'dryrun: unknown key' },
    'replace-degraded': { event: { action: 'scan', instanceIds: ['web-1'] }, field: 'instanceIds' },
    'dns-failover': { event: { once: 'yes' }, field: 'once' },
  };

  it.each(FUNCTIONS)('%s: fails as InputError (its real class name, in Lambda\'s errorType and the alert), names the field, changes nothing', async (fn) => {
    // Prepare
    const demo = buildDemoAccount();
    const world = await bundleWorld(demo.sandbox, demo.config, demo.topicArn);
    try {
      // Act
      const result = await world.invoke(fn, BAD[fn].event);
      // Assess
      expect(result.status, result.stderr).toBe('error');
      expect(result.errorType).toBe('InputError');
      expect(result.errorMessage).toContain(BAD[fn].field);
      expect(demo.sandbox.mutatingCalls()).toEqual([]);
      expect(demo.sandbox.sns.messages).toHaveLength(1);
      expect(demo.sandbox.sns.messages[0]!.subject).toBe(`[caretaker] ec2-caretaker-test-${fn}: bad input InputError`);
      expect(demo.sandbox.sns.messages[0]!.message).toContain(BAD[fn].field);
    } finally {
      await world.close();
    }
  }, TIMEOUT);
});

describe('bundled handlers: names', () => {
  it('are built with esbuild keepNames: classes keep their names in the minified code', () => {
    for (const fn of FUNCTIONS) {
      const { code } = unpack(fn);
      // keepNames wraps each class in esbuild's name helper: `<helper>(<minified>,"InputError")`.
      expect(code, fn).toMatch(/[\w$]+\([\w$]+,"InputError"\)/);
      expect(code, fn).toMatch(/[\w$]+\([\w$]+,"JobFailedError"\)/);
    }
  });
});

describe('bundled handlers: scheduled runs over HTTP', () => {
  it('snapshot-volumes snapshots the daily policy and returns a compact summary', async () => {
    const demo = buildDemoAccount();
    const world = await bundleWorld(demo.sandbox, demo.config, demo.topicArn);
    try {
      const result = await world.invoke('snapshot-volumes', { policy: 'daily', time: '2026-11-22T03:00:00Z' });
      expect(result.status, `${result.errorType}: ${result.errorMessage}`).toBe('ok');
      expect(result.response).toMatchObject({ job: 'snapshot', counts: { done: 5, failed: 0 } });
      expect(result.response).not.toHaveProperty('results');
      // The demo account spans two Regions: 4 instances in us-east-1, web-eu-1 in eu-west-1 (routed by the SigV4 Region).
      expect(demo.sandbox.callsOf('CreateSnapshots').filter((c) => !c.error)).toHaveLength(5);
      expect(demo.sandbox.sns.messages.map((m) => m.subject)).toEqual(['[caretaker-demo] Snapshot ok: 5 done, 0 skipped']);
      // Every item is in the log, in 'run detail' chunks with the run id of the summary.
      const detail = logEvents(result, 'run detail');
      expect(detail.flatMap((d) => d.items as unknown[])).toHaveLength((result.response!.itemsTotal as number));
      expect(detail.every((d) => d.runId === result.response!.runId)).toBe(true);
    } finally {
      await world.close();
    }
  }, TIMEOUT);

  it('snapshot-volumes logs its EMF lines on stdout: the next slot counts the completions since the previous one, and the worst backup age', async () => {
    const demo = buildDemoAccount();
    const world = await bundleWorld(demo.sandbox, demo.config, demo.topicArn);
    const policyLine = (logs: string[]) =>
      logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((d) => d._aws !== undefined && d.Policy === 'daily' && d.Job === 'snapshot');
    try {
      const first = await world.invoke('snapshot-volumes', { policy: 'daily', time: '2026-11-22T03:00:00Z' });
      expect(policyLine(first.logs)).toMatchObject({ SnapshotsStarted: 7, SnapshotsCompleted: 2, StaleAfterHours: 36 });
      demo.sandbox.clock.advance(86_400_000);
      const next = await world.invoke('snapshot-volumes', { policy: 'daily', time: '2026-11-23T03:00:00Z' });
      expect(next.status, `${next.errorType}: ${next.errorMessage}`).toBe('ok');
      // completionTime crossed the wire (query protocol) and placed yesterday's 7 in this slot's window.
      const line = policyLine(next.logs)!;
      expect(line).toMatchObject({ SnapshotsStarted: 7, SnapshotsCompleted: 7 });
      expect(line.WorstBackupAgeHours as number).toBeCloseTo(24, 0);
    } finally {
      await world.close();
    }
  }, TIMEOUT);

  it('prune-snapshots prunes by retention (dry run first, then for real)', async () => {
    const demo = buildDemoAccount();
    const world = await bundleWorld(demo.sandbox, demo.config, demo.topicArn);
    try {
      const dry = await world.invoke('prune-snapshots', { dryRun: true });
      expect(dry.response).toMatchObject({ dryRun: true, counts: { actions: 98 } });
      expect(demo.sandbox.mutatingCalls()).toEqual([]);
      const real = await world.invoke('prune-snapshots', { time: '2026-11-22T04:00:00Z' });
      expect(real.status, `${real.errorType}: ${real.errorMessage}`).toBe('ok');
      expect(real.response).toMatchObject({ counts: { done: 98, skipped: 22, failed: 0 }, remaining: 0 });
      expect(demo.sandbox.callsOf('DeleteSnapshot').filter((c) => !c.error)).toHaveLength(96);
    } finally {
      await world.close();
    }
  }, TIMEOUT);

  it('replace-degraded relaunches on a Health event and moves the Elastic IP and the record', async () => {
    const demo = buildDemoAccount();
    const world = await bundleWorld(demo.sandbox, demo.config, demo.topicArn);
    const app = [...demo.sandbox.ec2.instances.values()].find((i) => i.data.Tags?.some((t) => t.Key === 'Name' && t.Value === 'app-1'))!.data;
    try {
      const result = await world.invoke('replace-degraded', demoHealthEvent(demo.sandbox, app.InstanceId!));
      expect(result.status, `${result.errorType}: ${result.errorMessage}`).toBe('ok');
      expect(result.response).toMatchObject({ counts: { done: 1, failed: 0 } });
      const replacement = (result.response!.items as Array<{ details: { replacement: string } }>)[0]!.details.replacement;
      expect([...demo.sandbox.ec2.addresses.values()].find((a) => a.data.PublicIp === '52.20.0.10')!.data.InstanceId).toBe(replacement);
      expect(demo.sandbox.callsOf('RunInstances').filter((c) => !c.error)).toHaveLength(1);
    } finally {
      await world.close();
    }
  }, TIMEOUT);
});

describe('bundled replace-degraded: a stop-start cut off by the time budget', () => {
  it('stays in progress with the instance untouched by a failure mark, and the next scan finishes it', async () => {
    // Prepare: EC2-like timings (a 2-minute stop, 30 s boot, 2 minutes to status ok), played 20×
    // faster in both the sandbox and the handler process, so the SDK waiters' 15 s polls really happen.
    const scale = 20;
    const sandbox = new SandboxAccount({ start: new Date('2026-01-10T00:00:00Z'), timeScale: scale });
    const fleet = new FleetBuilder(sandbox);
    const topicArn = sandbox.sns.addTopic('alerts');
    const app = fleet.instance({ name: 'app-1', tags: { 'caretaker:on-degraded': 'stop-start' }, publicIp: '54.0.0.1' });
    const id = app.InstanceId!;
    sandbox.ec2.healthOf(id).events = [{ InstanceEventId: 'instance-event-1', Code: 'instance-stop', Description: 'degraded host', NotBefore: new Date('2026-01-20T00:00:00Z') }];
    lifecycleOf(sandbox).timings.stopMs = 120_000;
    const world = await bundleWorld(sandbox, { degraded: {} }, topicArn);
    const remediation = () => sandbox.ec2.requireInstance(id).Tags?.find((t) => t.Key === 'caretaker:remediation')?.Value;
    try {
      // Act 1: a 75 s invocation: the job starts the stop-start (it needs 60 s left to start one),
      // but the stop takes 2 minutes and less than 45 s are left to wait for it.
      const cut = await world.invoke('replace-degraded', { action: 'scan' }, { timeoutMs: 75_000 });

      // Assess 1: a cut-off, not a failure: in progress, the next scan's to finish.
      expect(cut.status, `${cut.errorType}: ${cut.errorMessage}`).toBe('ok');
      expect(cut.response).toMatchObject({ counts: { failed: 0, skipped: 1 } });
      expect(JSON.stringify(cut.response)).toContain('time budget ran out');
      expect(remediation()).toMatch(/^stop-start:in-progress/);
      expect(sandbox.callsOf('StopInstances').filter((c) => !c.error)).toHaveLength(1);

      // Act 2: a scan after the in-progress lease (20 minutes), a whole 15-minute invocation.
      sandbox.clock.advance(21 * 60_000);
      const next = await world.invoke('replace-degraded', { action: 'scan' });

      // Assess 2: started once, running, done; never stopped twice.
      expect(next.status, `${next.errorType}: ${next.errorMessage}`).toBe('ok');
      expect(next.response).toMatchObject({ counts: { done: 1, failed: 0 } });
      expect(sandbox.ec2.requireInstance(id).State?.Name).toBe('running');
      expect(remediation()).toMatch(/^stop-start:done/);
      expect(sandbox.callsOf('StopInstances').filter((c) => !c.error)).toHaveLength(1);
      expect(sandbox.callsOf('StartInstances').filter((c) => !c.error)).toHaveLength(1);
    } finally {
      await world.close();
    }
  }, TIMEOUT);
});

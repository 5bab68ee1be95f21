import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeHandler as failoverHandler } from '../../functions/dns-failover';
import { makeHandler as pruneHandler } from '../../functions/prune-snapshots';
import { makeHandler as degradedHandler } from '../../functions/replace-degraded';
import { makeHandler as snapshotHandler } from '../../functions/snapshot-volumes';
import { parseConfig } from '../../shared/config/load';
import { buildDemoAccount } from '../../sandbox/demo-account';
import { demoHealthEvent } from '../../sandbox/demo-degraded';
import { failoverScene, type FailoverScene } from '../../sandbox/failover-scene';
import { lambdaContext, sandboxDeps } from '../../sandbox/handler-deps';
import { parseEmf } from './emf';

const service = 'ec2-caretaker-sandbox';

function demo() {
  const d = buildDemoAccount();
  const lines: string[] = [];
  const deps = sandboxDeps(d.sandbox, d.config, d.topicArn, undefined, (l) => lines.push(l));
  const context = (fn: string) => lambdaContext(fn, 900_000, () => d.sandbox.clock.nowMs());
  return { ...d, lines, deps, context };
}

describe('EMF lines each handler logs', () => {
  it('snapshot-volumes: one run line and one line for its policy (web-1\'s snapshots of the previous slot count as completed since then)', async () => {
    const { deps, lines, context } = demo();
    await snapshotHandler(deps)({ policy: 'daily', time: '2026-11-22T03:00:00Z' }, context('snapshot'));
    // One run line and one policy line per Region (the demo spans us-east-1 and eu-west-1).
    expect(parseEmf(lines)).toEqual([
      {
        dimensions: { service, Job: 'snapshot', Region: 'us-east-1' },
        values: expect.objectContaining({ ItemsDone: 4, ItemsSkipped: 0, ItemsFailed: 0, RunRefused: 0, StaleVolumes: 0, Remaining: 0 }),
      },
      {
        dimensions: { service, Job: 'snapshot', Region: 'us-east-1', Policy: 'daily' },
        // The demo seeds web-1's two volumes with a snapshot of every past day, the newest 24 h old;
        // the other instances have none (new volumes are not stale, and have no age yet).
        values: { SnapshotsStarted: 7, SnapshotsCompleted: 2, SnapshotsFailed: 0, SnapshotCopies: 0, WorstBackupAgeHours: 24, StaleAfterHours: 36 },
      },
      {
        dimensions: { service, Job: 'snapshot', Region: 'eu-west-1' },
        values: expect.objectContaining({ ItemsDone: 1, ItemsSkipped: 0, ItemsFailed: 0, RunRefused: 0, StaleVolumes: 0, Remaining: 0 }),
      },
      {
        dimensions: { service, Job: 'snapshot', Region: 'eu-west-1', Policy: 'daily' },
        // web-eu-1 has no snapshot yet: nothing completed, no age.
        values: { SnapshotsStarted: 2, SnapshotsCompleted: 0, SnapshotsFailed: 0, SnapshotCopies: 0 },
      },
    ]);
  });

  it('snapshot-volumes: a failed run still logs its metrics, failures counted', async () => {
    const { deps, lines, context, sandbox } = demo();
    sandbox.injectFault({ operation: 'CreateSnapshots', code: 'UnauthorizedOperation', httpStatusCode: 403 });
    await expect(snapshotHandler(deps)({ policy: 'daily' }, context('snapshot'))).rejects.toThrow();
    const [run, policy] = parseEmf(lines);
    expect(run!.values).toMatchObject({ ItemsFailed: 4, ItemsDone: 0 });
    expect(policy!.values).toMatchObject({ SnapshotsStarted: 0, SnapshotsFailed: 4 });
    // It made no snapshot, so Lambda's retry finds the slot empty and counts the completions: this run does not.
    expect(policy!.values).not.toHaveProperty('SnapshotsCompleted');
  });

  it('prune-snapshots: deleted and kept per policy, the demo volume rule under prune.volumes', async () => {
    const { deps, lines, context } = demo();
    await pruneHandler(deps)({ time: '2026-11-22T04:00:00Z' }, context('prune'));
    const report = deps.lastReport();
    const parsed = parseEmf(lines);
    expect(parsed[0]).toEqual({
      dimensions: { service, Job: 'prune', Region: 'us-east-1' },
      values: expect.objectContaining({ ItemsDone: 98, ItemsSkipped: 22, ItemsFailed: 0 }),
    });
    const perPolicy = parsed.filter((p) => p.dimensions.Policy);
    expect(perPolicy.every((p) => p.dimensions.Job === 'prune')).toBe(true);
    const sum = (name: string) => perPolicy.reduce((n, p) => n + (p.values[name] as number), 0);
    expect(sum('SnapshotsDeleted')).toBe(96);
    // A run counts what it keeps instead of listing it (report.planCounts): the metric is that count.
    expect(sum('SnapshotsKept')).toBe(24);
    expect(report.plan).toEqual([]);
    expect(report.planCounts!.filter((c) => c.action !== 'delete-snapshot').reduce((n, c) => n + c.count, 0)).toBe(24);
    expect(sum('DeletionsRemaining')).toBe(0);
    // Freshness from what prune read anyway: web-1's newest snapshots are a day old.
    const daily = perPolicy.find((p) => p.dimensions.Policy === 'daily')!;
    expect(daily.values).toMatchObject({ WorstBackupAgeHours: 24, StaleAfterHours: 36 });
    expect(daily.values).not.toHaveProperty('SnapshotsCompleted');
    expect(report.notes).toContain('us-east-1: Backup age of policy daily: worst volume 24.0 hours since its newest completed snapshot, over 2 volume(s); stale after 36h.');
  });

  it('prune-snapshots: a dry run logs no metrics', async () => {
    const { deps, lines, context } = demo();
    await pruneHandler(deps)({ dryRun: true }, context('prune'));
    expect(lines).toEqual([]);
  });

  it('replace-degraded: one line per action and outcome', async () => {
    const { deps, lines, context, sandbox } = demo();
    const app = [...sandbox.ec2.instances.values()].find((i) => i.data.Tags?.some((t) => t.Key === 'Name' && t.Value === 'app-1'))!.data;
    await degradedHandler(deps)(demoHealthEvent(sandbox, app.InstanceId!), context('degraded'));
    expect(parseEmf(lines).slice(1)).toEqual([
      { dimensions: { service, Job: 'degraded', Region: 'us-east-1', Action: 'relaunch', Outcome: 'done' }, values: { Replacements: 1 } },
    ]);
  });
});

describe('EMF lines of dns-failover', () => {
  let scene: FailoverScene;
  afterEach(() => scene?.close());

  it('moves, probe latencies and failures per group', async () => {
    scene = await failoverScene();
    const topicArn = scene.sandbox.sns.addTopic('alerts');
    const lines: string[] = [];
    const handler = failoverHandler(sandboxDeps(scene.sandbox, { ...parseConfig({}), failover: scene.config }, topicArn, undefined, (l) => lines.push(l)));
    await scene.lb1.kill();
    const event = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'events', 'dns-failover', 'scheduled.json'), 'utf8'));
    await handler(event, lambdaContext('failover', 60_000, () => scene.sandbox.clock.nowMs()));
    const groups = parseEmf(lines).filter((l) => l.dimensions.Group);
    expect(groups.map((g) => g.dimensions)).toEqual([{ service, Job: 'failover', Region: 'us-east-1', Group: scene.config.groups[0]!.name }]);
    const { values } = groups[0]!;
    expect(values).toMatchObject({ FailoverMoves: 1, HealthyMembers: 1, NoHealthyMember: 0 });
    // lb1 refuses connections from the first pass on: each pass records one failed probe of it.
    expect(values.ProbeFailures).toBeGreaterThanOrEqual(3);
    const latencies = ([] as number[]).concat(values.ProbeLatency as number | number[]);
    expect(latencies.length).toBeGreaterThan(10);
    expect(latencies.every((ms) => ms >= 0 && ms < 2000)).toBe(true);
  });
});

describe('deployed functions', () => {
  it('write their EMF lines to stdout under the stage\'s service name, and link the stage\'s dashboard', async () => {
    const { lambdaDeps } = await import('../../shared/lambda/handler');
    const { stdoutWriter } = await import('../../shared/metrics/emit-metrics');
    const deps = lambdaDeps('prune-snapshots', {});
    process.env.POWERTOOLS_SERVICE_NAME = 'ec2-caretaker-prod';
    process.env.CARETAKER_DASHBOARD = 'ec2-caretaker-prod';
    try {
      expect(deps.emf).toBe(stdoutWriter);
      expect(deps.metricsService?.()).toBe('ec2-caretaker-prod');
      expect(deps.dashboardName?.()).toBe('ec2-caretaker-prod');
    } finally {
      delete process.env.POWERTOOLS_SERVICE_NAME;
      delete process.env.CARETAKER_DASHBOARD;
    }
  });
});

import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import { parseConfig } from '../shared/config/load';
import { parseDegradedTrigger } from '../shared/degraded/event';
import { runDegraded } from '../shared/degraded/run-degraded';
import { SandboxAccount } from '../sandbox/account';
import { BASE_IMAGE_ID } from '../sandbox/ec2-lifecycle';
import { FleetBuilder } from '../sandbox/fleet';
import { richWorld } from '../sandbox/rich-instance';
import { benchContext, table, writeResult } from './lib';

const INSTANCES = 50;
/** One lane per instance: the waits overlap, RunInstances is still paced to its 5/2 bucket. */
const CONCURRENCY = 50;
/** 1 real ms = 100 sandbox ms: a relaunch (image ~90 s, boot 30 s, status checks 120 s) plays in ~2.5 real s. */
const TIME_SCALE = 100;
const RUN_INSTANCES_BUCKET = { capacity: 5, refillPerSecond: 2 };
const CODE = 'AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED';

/** Production waiter cadence (15 s polls) expressed in real seconds at this scale. */
const WAITERS = {
  minDelaySeconds: 15 / TIME_SCALE,
  maxDelaySeconds: 15 / TIME_SCALE,
  stoppedSeconds: 6,
  runningSeconds: 6,
  statusOkSeconds: 9,
  imageSeconds: 18,
  attachSeconds: 3,
  forceStopAfterSeconds: 3,
  healthySeconds: 6,
};

/**
 * Downtime runs: fewer servers at a slower clock, so that the CPU the polling costs (every real ms
 * is TIME_SCALE sandbox ms) does not stretch the measured AWS time.
 */
const DOWNTIME = { instances: 12, timeScale: 20 };

/** Web servers in one target group, each with a data volume and an Elastic IP; `action` is their tag. */
function account(action: 'relaunch' | 'stop-start' = 'relaunch', n = INSTANCES, timeScale = TIME_SCALE) {
  const sandbox = new SandboxAccount({ throttling: true, timeScale, seed: 5, latencyMs: 80 });
  const fleet = new FleetBuilder(sandbox);
  const zone = sandbox.route53.addZone('example.com');
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const inst = fleet.instance({ name: `web-${i}`, instanceType: 'm5.large', tags: { 'caretaker:on-degraded': action }, volumes: [{ sizeGiB: 8 }, { sizeGiB: 50 }] });
    fleet.elasticIp(`52.10.${Math.floor(i / 200)}.${i % 200}`, inst.InstanceId);
    ids.push(inst.InstanceId!);
  }
  sandbox.elb.addTargetGroup('web', 80, ids);
  return { sandbox, ids, zoneId: zone.Id! };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : 0;
}

const p50 = (values: number[]) => percentile(values, 50);

/** Sandbox seconds from each instance's StopInstances to the call that marks `marker` on it. */
function downtimes(sandbox: SandboxAccount, marker: (tags: Array<{ Key?: string; Value?: string }>) => boolean): number[] {
  const stopAt = new Map<string, number>();
  for (const c of sandbox.callsOf('StopInstances')) for (const id of c.input.InstanceIds as string[]) if (!stopAt.has(id)) stopAt.set(id, c.atMs);
  const out: number[] = [];
  for (const c of sandbox.callsOf('CreateTags')) {
    const id = (c.input.Resources as string[])[0]!;
    if (!c.error && marker((c.input.Tags ?? []) as Array<{ Key?: string; Value?: string }>) && stopAt.has(id)) out.push((c.atMs - stopAt.get(id)!) / 1000);
  }
  return out;
}

function healthEventFor(sandbox: SandboxAccount, ids: string[], id: string) {
  return {
    version: '0',
    id,
    'detail-type': 'AWS Health Event',
    source: 'aws.health',
    account: sandbox.accountId,
    region: sandbox.region,
    resources: ids,
    detail: {
      eventArn: `arn:aws:health:${sandbox.region}::event/EC2/${CODE}/${CODE}_${id}`,
      service: 'EC2',
      eventTypeCode: CODE,
      eventTypeCategory: 'scheduledChange',
      startTime: 'Sat, 24 Jan 2026 00:00:00 GMT',
      page: '1',
      totalPages: '1',
      affectedEntities: ids.map((entityValue) => ({ entityValue })),
    },
  };
}

/** Waiter limits in real seconds at a given clock scale (production cadence: 15 s polls). */
function waitersAt(scale: number) {
  const s = (x: number) => x / scale;
  return { minDelaySeconds: s(15), maxDelaySeconds: s(15), stoppedSeconds: s(600), runningSeconds: s(600), statusOkSeconds: s(900), imageSeconds: s(1800), attachSeconds: s(300), forceStopAfterSeconds: s(300), healthySeconds: s(600) };
}

/**
 * Downtime of each action: from the old instance's StopInstances to relaunch's "identity moved"
 * (every Elastic IP, volume and interface on the replacement, healthy in its target group) or to
 * stop-start's `stop-start:done` (the same instance running, status checks ok).
 */
async function downtimeRun(action: 'relaunch' | 'stop-start'): Promise<number[]> {
  const { sandbox, ids } = account(action, DOWNTIME.instances, DOWNTIME.timeScale);
  const config = parseConfig({ degraded: { maxReplacementsPerRun: DOWNTIME.instances, concurrency: DOWNTIME.instances } });
  await runDegraded(benchContext(sandbox), config, { trigger: parseDegradedTrigger(healthEventFor(sandbox, ids, `bench-${action}`)), waiters: waitersAt(DOWNTIME.timeScale) });
  return action === 'relaunch'
    ? downtimes(sandbox, (tags) => tags.some((t) => t.Key === 'caretaker:replaced-by'))
    : downtimes(sandbox, (tags) => tags.some((t) => t.Key === 'caretaker:remediation' && t.Value === 'stop-start:done'));
}

/** The rich instance of issue 13, relaunched once: how many of its identity items the replacement keeps. */
async function richIdentity(): Promise<{ carried: number; total: number }> {
  const sandbox = new SandboxAccount({ timeScale: TIME_SCALE, seed: 7 });
  richWorld(sandbox, 'image');
  const report = await runDegraded(benchContext(sandbox), parseConfig({}), { trigger: { kind: 'scan' }, waiters: WAITERS });
  const d = report.results[0]?.details ?? {};
  return { carried: Number(d.identityItemsCarried ?? 0), total: Number(d.identityItemsTotal ?? 0) };
}

/** Largest number of RunInstances that got through in any 1-second window after the burst (sandbox time). */
function peakRunInstancesPerSecond(sandbox: SandboxAccount): number {
  const ok = sandbox.callsOf('RunInstances').filter((c) => !c.error).map((c) => c.atMs);
  let peak = 0;
  for (let i = 0; i < ok.length; i++) peak = Math.max(peak, ok.filter((t) => t >= ok[i]! && t < ok[i]! + 1000).length);
  return peak;
}

/** The unpaced way: every replacement's RunInstances at once, left to the SDK's retries. */
async function naiveRunInstancesThrottled(): Promise<number> {
  const { sandbox } = account();
  const { ec2 } = sandbox.clients({ maxAttempts: 8 });
  await Promise.all(
    Array.from({ length: INSTANCES }, (_, i) =>
      ec2.send(new RunInstancesCommand({ ImageId: BASE_IMAGE_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, ClientToken: `naive-${i}` })).catch(() => undefined),
    ),
  );
  return sandbox.callsOf('RunInstances').filter((c) => c.error).length;
}

export async function benchDegraded() {
  const { sandbox, ids, zoneId } = account();
  const config = parseConfig({
    degraded: {
      maxReplacementsPerRun: INSTANCES,
      concurrency: CONCURRENCY,
      records: ids.map((id, i) => ({ instanceId: id, hostedZoneId: zoneId, name: `web-${i}.example.com` })),
    },
  });
  const event = healthEventFor(sandbox, ids, 'bench-1');
  const ctx = benchContext(sandbox);
  const startMs = sandbox.clock.nowMs();
  const report = await runDegraded(ctx, config, { trigger: parseDegradedTrigger(event), waiters: WAITERS });
  const firstRunCalls = sandbox.calls.length;
  const throttledCalls = sandbox.calls.filter((c) => c.error === 'RequestLimitExceeded' || c.error === 'Throttling').length;
  const runInstancesThrottled = sandbox.callsOf('RunInstances').filter((c) => c.error).length;

  // The same event again, twice at once (EventBridge is at least once): must not add an instance.
  await Promise.all([0, 1].map((n) => runDegraded(benchContext(sandbox), config, { trigger: parseDegradedTrigger({ ...event, id: `bench-dup-${n}` }), waiters: WAITERS })));

  // Identity moved = the old instance is tagged replaced-by, right after its EIP and record moved.
  const movedAt = new Map<string, number>();
  for (const c of sandbox.callsOf('CreateTags')) {
    const tags = (c.input.Tags ?? []) as Array<{ Key?: string }>;
    if (!c.error && tags.some((t) => t.Key === 'caretaker:replaced-by')) movedAt.set((c.input.Resources as string[])[0]!, c.atMs);
  }
  const seconds = [...movedAt.values()].map((at) => (at - startMs) / 1000);
  const replacements = new Map<string, number>();
  for (const { data } of sandbox.ec2.instances.values()) {
    const old = data.Tags?.find((t) => t.Key === 'caretaker:replaces')?.Value;
    if (old) replacements.set(old, (replacements.get(old) ?? 0) + 1);
  }
  const duplicateInstances = [...replacements.values()].reduce((sum, n) => sum + (n - 1), 0);
  const done = report.results.filter((r) => r.outcome === 'done').length;

  const naiveThrottled = await naiveRunInstancesThrottled();
  const relaunchDown = await downtimeRun('relaunch');
  const stopStartDown = await downtimeRun('stop-start');
  const identity = await richIdentity();
  const result = {
    job: 'degraded',
    instances: INSTANCES,
    replaced: done,
    failed: report.results.filter((r) => r.outcome === 'failed').length,
    timeScale: TIME_SCALE,
    concurrency: CONCURRENCY,
    simulatedSecondsToReplaceP50: Math.round(p50(seconds)),
    simulatedSecondsToReplaceMax: Math.round(Math.max(0, ...seconds)),
    apiCallsPerReplacement: Math.round((firstRunCalls / Math.max(1, done)) * 10) / 10,
    // Downtime (12 servers at once, clock ×20): the old instance stops serving (StopInstances) → the replacement holds every identity item and is healthy in its target group.
    downtimeInstances: DOWNTIME.instances,
    relaunchDowntimeP50Seconds: Math.round(p50(relaunchDown)),
    relaunchDowntimeP95Seconds: Math.round(percentile(relaunchDown, 95)),
    // Stop-start: StopInstances → the same instance running with status checks ok.
    stopStartDowntimeP50Seconds: Math.round(p50(stopStartDown)),
    stopStartDowntimeP95Seconds: Math.round(percentile(stopStartDown, 95)),
    identityItemsCarried: identity.carried,
    identityItemsTotal: identity.total,
    duplicateInstances,
    throttledCalls,
    runInstancesThrottled,
    runInstancesPeakPerSecond: peakRunInstancesPerSecond(sandbox),
    naiveRunInstancesThrottled: naiveThrottled,
    runInstancesBucket: RUN_INSTANCES_BUCKET,
  };
  console.log(
    table([
      {
        instances: INSTANCES,
        replaced: done,
        p50s: result.simulatedSecondsToReplaceP50,
        maxS: result.simulatedSecondsToReplaceMax,
        callsPerReplacement: result.apiCallsPerReplacement,
        relaunchDownP50: result.relaunchDowntimeP50Seconds,
        relaunchDownP95: result.relaunchDowntimeP95Seconds,
        stopStartDownP50: result.stopStartDowntimeP50Seconds,
        identity: `${identity.carried}/${identity.total}`,
        duplicates: duplicateInstances,
        throttled: throttledCalls,
        runInstancesThrottled,
        naiveRunInstancesThrottled: naiveThrottled,
      },
    ]),
  );
  await writeResult('degraded', result);
  return result;
}

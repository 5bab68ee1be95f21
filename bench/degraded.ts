import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import { parseConfig } from '../shared/config/load';
import { parseDegradedTrigger } from '../shared/degraded/event';
import { runDegraded } from '../shared/degraded/run-degraded';
import { SandboxAccount } from '../sandbox/account';
import { BASE_IMAGE_ID } from '../sandbox/ec2-lifecycle';
import { FleetBuilder } from '../sandbox/fleet';
import { benchContext, table, writeResult } from './lib';

const INSTANCES = 50;
/** One lane per instance: the waits overlap, RunInstances is still paced to its 5/2 bucket. */
const CONCURRENCY = 50;
/** 1 real ms = 100 sandbox ms: a relaunch (image ~90 s, boot 30 s, status checks 120 s) plays in ~2.5 real s. */
const TIME_SCALE = 100;
const RUN_INSTANCES_BUCKET = { capacity: 5, refillPerSecond: 2 };
const CODE = 'AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED';

/** Production waiter cadence (15 s first poll, 60 s cap) expressed in real seconds at this scale. */
const WAITERS = { minDelaySeconds: 15 / TIME_SCALE, maxDelaySeconds: 60 / TIME_SCALE, stoppedSeconds: 6, runningSeconds: 6, statusOkSeconds: 9, imageSeconds: 18 };

function account() {
  const sandbox = new SandboxAccount({ throttling: true, timeScale: TIME_SCALE, seed: 5, latencyMs: 80 });
  const fleet = new FleetBuilder(sandbox);
  const zone = sandbox.route53.addZone('example.com');
  const ids: string[] = [];
  for (let i = 0; i < INSTANCES; i++) {
    const inst = fleet.instance({ name: `web-${i}`, tags: { 'caretaker:on-degraded': 'relaunch' }, volumes: [{ sizeGiB: 8 }, { sizeGiB: 50 }] });
    fleet.elasticIp(`52.10.${Math.floor(i / 200)}.${i % 200}`, inst.InstanceId);
    ids.push(inst.InstanceId!);
  }
  return { sandbox, ids, zoneId: zone.Id! };
}

function p50(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)]! : 0;
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
  const event = {
    version: '0',
    id: 'bench-1',
    'detail-type': 'AWS Health Event',
    source: 'aws.health',
    account: sandbox.accountId,
    region: sandbox.region,
    resources: ids,
    detail: {
      eventArn: `arn:aws:health:${sandbox.region}::event/EC2/${CODE}/${CODE}_BENCH`,
      service: 'EC2',
      eventTypeCode: CODE,
      eventTypeCategory: 'scheduledChange',
      startTime: 'Sat, 24 Jan 2026 00:00:00 GMT',
      page: '1',
      totalPages: '1',
      affectedEntities: ids.map((entityValue) => ({ entityValue })),
    },
  };
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

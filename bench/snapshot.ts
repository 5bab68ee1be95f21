import { CreateSnapshotCommand, CreateSnapshotsCommand } from '@aws-sdk/client-ec2';
import { parseConfig } from '../shared/config/load';
import { CREATE_SNAPSHOTS_BUCKET, runSnapshot } from '../shared/snapshot/run-snapshot';
import { SandboxAccount } from '../sandbox/account';
import { FleetBuilder } from '../sandbox/fleet';
import { benchContext, ratioToLimit, table, withPeakRss, writeResult } from './lib';
import { measureSnapshotRegions } from './regions';
import { measureCopies } from './copy';

const INSTANCES = 1_000;
const VOLUMES = 3;
/** 1 real ms = 40 sandbox ms: AWS's 5/s CreateSnapshots refill plays at 200 calls per real second. */
const TIME_SCALE = 40;

function account() {
  const sandbox = new SandboxAccount({ throttling: true, timeScale: TIME_SCALE, seed: 3 });
  const fleet = new FleetBuilder(sandbox);
  for (let i = 0; i < INSTANCES; i++) {
    fleet.instance({ name: `app-${i}`, tags: { 'caretaker:snapshot': 'daily' }, volumes: Array.from({ length: VOLUMES }, () => ({})) });
  }
  return sandbox;
}

const config = parseConfig({
  snapshot: { policies: [{ name: 'daily', schedule: 'rate(1 day)', selector: { tags: { 'caretaker:snapshot': ['daily'] } }, maxInstancesPerRun: INSTANCES }] },
});

/** Window of the create calls that succeeded, in sandbox ms. */
function createWindow(sandbox: SandboxAccount, operation: string) {
  const calls = sandbox.callsOf(operation);
  const ok = calls.filter((c) => !c.error);
  const first = calls[0]?.atMs ?? 0;
  const last = ok[ok.length - 1]?.atMs ?? first;
  return { ok: ok.length, throttled: calls.filter((c) => c.error === 'RequestLimitExceeded').length, windowMs: last - first, all: calls.length };
}

/** The seed script's way: every volume of every instance, one CreateSnapshot at a time. */
async function naive(sandbox: SandboxAccount): Promise<number> {
  const { ec2 } = sandbox.clients({ maxAttempts: 8 });
  let failed = 0;
  for (const { data: instance } of sandbox.ec2.instances.values()) {
    for (const m of instance.BlockDeviceMappings ?? []) {
      await ec2.send(new CreateSnapshotCommand({ VolumeId: m.Ebs!.VolumeId })).catch(() => failed++);
    }
  }
  return failed;
}

/** Cloud Custodian's way: a fixed pool of 2 workers, one CreateSnapshots per instance, no pacing. */
async function twoWorkers(sandbox: SandboxAccount): Promise<number> {
  const { ec2 } = sandbox.clients({ maxAttempts: 8 });
  const queue = [...sandbox.ec2.instances.values()].map((s) => s.data.InstanceId!);
  let failed = 0;
  const worker = async () => {
    for (let id = queue.shift(); id; id = queue.shift()) {
      await ec2.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: id }, CopyTagsFromSource: 'volume' })).catch(() => failed++);
    }
  };
  await Promise.all([worker(), worker()]);
  return failed;
}

export async function benchSnapshot() {
  const ours = account();
  const { result: report, peakRssMb } = await withPeakRss(() => runSnapshot(benchContext(ours), config, { policy: 'daily' }));
  const o = createWindow(ours, 'CreateSnapshots');
  const failedItems = report.results.filter((r) => r.outcome === 'failed').length;
  const describeCalls = ours.calls.filter((c) => c.operation.startsWith('Describe')).length;

  const base = account();
  const naiveFailed = await naive(base);
  const n = createWindow(base, 'CreateSnapshot');

  const pool = account();
  const poolFailed = await twoWorkers(pool);
  const w = createWindow(pool, 'CreateSnapshots');

  const result = {
    job: 'snapshot',
    instances: INSTANCES,
    volumesPerInstance: VOLUMES,
    timeScale: TIME_SCALE,
    ratioToLimit: ratioToLimit(o.ok, o.windowMs, CREATE_SNAPSHOTS_BUCKET),
    naiveRatioToLimit: ratioToLimit(n.ok, n.windowMs, CREATE_SNAPSHOTS_BUCKET),
    twoWorkerRatioToLimit: ratioToLimit(w.ok, w.windowMs, CREATE_SNAPSHOTS_BUCKET),
    apiCallsPerInstance: Math.round((o.all / INSTANCES) * 100) / 100,
    naiveApiCallsPerInstance: Math.round((n.all / INSTANCES) * 100) / 100,
    describeCalls,
    throttledCalls: o.throttled,
    naiveThrottledCalls: n.throttled,
    twoWorkerThrottledCalls: w.throttled,
    twoWorkerAwsSeconds: Math.round(w.windowMs / 1000),
    failedItems,
    naiveFailedItems: naiveFailed,
    twoWorkerFailedItems: poolFailed,
    awsSeconds: Math.round(o.windowMs / 1000),
    naiveAwsSeconds: Math.round(n.windowMs / 1000),
    peakRssMb,
    ...(await measureSnapshotRegions()),
    ...(await measureCopies()),
  };
  console.log(
    `${result.regions} Regions × 250 instances in one run: ${result.regionsAwsSeconds} AWS-s vs ${result.oneRegionAwsSeconds} for one Region's 250 ` +
      `(ratio ${result.regionsWallRatio}); worst Region's CreateSnapshots bucket use ${result.minRegionRatioToLimit}`,
  );
  console.log(
    table([
      { approach: 'caretaker (CreateSnapshots, paced)', ratioToLimit: result.ratioToLimit, callsPerInstance: result.apiCallsPerInstance, throttled: o.throttled, failed: failedItems, awsSeconds: result.awsSeconds },
      { approach: 'fixed 2 workers, unpaced', ratioToLimit: result.twoWorkerRatioToLimit, callsPerInstance: Math.round((w.all / INSTANCES) * 100) / 100, throttled: w.throttled, failed: poolFailed, awsSeconds: result.twoWorkerAwsSeconds },
      { approach: 'naive per-volume serial loop', ratioToLimit: result.naiveRatioToLimit, callsPerInstance: result.naiveApiCallsPerInstance, throttled: n.throttled, failed: naiveFailed, awsSeconds: result.naiveAwsSeconds },
    ]),
  );
  await writeResult('snapshot', result);
  return result;
}

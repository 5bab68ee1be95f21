import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeleteSnapshotCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { formatReport, reportSubject } from '../shared/alerts/format';
import { parseConfig } from '../shared/config/load';
import { DELETE_SNAPSHOT_BUCKET, runPrune } from '../shared/prune/run-prune';
import { SandboxAccount } from '../sandbox/account';
import { PRUNE_FLEET_CONFIG, seedPruneFleet } from '../sandbox/prune-fleet';
import { benchContext, ratioToLimit, RESULTS_DIR, table, withPeakRss, writeResult } from './lib';
import { measurePruneRegions } from './regions';
import { sandboxJobContext } from '../sandbox/job-context';
import type { ContinuationChain } from '../shared/prune/continuation';

const VOLUMES = 10_000;
const PER_VOLUME = 10;
/**
 * 1 real ms = 150 sandbox ms: DeleteSnapshot's 5/s refill plays at 750 calls per real second,
 * so the ~10,000 AWS-seconds that 50,000 deletions need take ~67 real seconds. Faster scales
 * measure the machine: at 250 a 2-core box falls behind and GC pauses are magnified into
 * seconds of AWS time between a call leaving and arriving.
 */
const TIME_SCALE = 150;
/** The baselines run for this much AWS time each (they would need hours for the whole backlog). */
const BASELINE_WINDOW_MS = 1_000_000;

interface Seeded {
  sandbox: SandboxAccount;
  /** Snapshots the policy condemns: older than 5 days, not AMI-held, not tagged caretaker:keep. */
  expired: Set<string>;
  total: number;
}

/** 100,000 caretaker snapshots over 10,000 volumes, one a day for 10 days each: half expired. */
function account(timeScale = TIME_SCALE, describeLatency = false): Seeded {
  const sandbox = new SandboxAccount({ throttling: true, describeLatency, timeScale, seed: 4, start: new Date('2026-11-22T12:00:00Z') });
  return { sandbox, ...seedPruneFleet(sandbox, VOLUMES, PER_VOLUME) };
}

const config = PRUNE_FLEET_CONFIG;

/**
 * The backlog runs re-read all 100,000 snapshots each. A page costs its modelled EC2 time (1.2 s
 * for 1,000 snapshots, `describeLatency`), not the sandbox's CPU, but our own work on each page
 * (rows, planning) is real CPU on a busy 2-core box, magnified by the scale: at 150× a few ms of
 * it would be seconds of AWS time. At 50× it stays close to what a Lambda function spends.
 */
const BACKLOG_TIME_SCALE = 50;
/** Lambda's time budget of the prune function (serverless.yml `timeout: 900`). */
const LAMBDA_TIMEOUT_MS = 900_000;
const backlogConfig = parseConfig({
  snapshot: config.snapshot,
  prune: { maxDeletesPerRun: 100_000, minAgeHours: 24, maxContinuationRuns: 24 },
});

/**
 * The whole backlog as it would clear in AWS: 15-minute runs, each re-reading the account,
 * deleting until 30 s before its timeout and scheduling its continuation, which fires when
 * EventBridge Scheduler would (anywhere in the minute it is set for, seeded). The window runs from the first run's start to the end of the run
 * that empties the backlog: describes and the gaps between runs count against us.
 */
export async function measureBacklog() {
  const seeded = account(BACKLOG_TIME_SCALE, true);
  const { sandbox } = seeded;
  const fn = 'ec2-caretaker-bench-prune-snapshots';
  const start = sandbox.clock.nowMs();
  let chain: ContinuationChain = { origin: new Date(start).toISOString(), run: 1 };
  const describeMs: number[] = [];
  const gapsMs: number[] = [];
  const loads: number[] = [];
  let end = start;
  for (;;) {
    loads.push(loadavg()[0]!);
    if (chain.run > 1) gapsMs.push(sandbox.clock.nowMs() - end);
    const ctx = { ...sandboxJobContext(sandbox, { runId: `bench-backlog-${chain.run}` }, { realTime: true, maxAttempts: 8, budgetMs: LAMBDA_TIMEOUT_MS }), now: sandbox.clock.now() };
    const runStart = sandbox.clock.nowMs();
    const calls = sandbox.calls.length;
    const report = await runPrune(ctx, backlogConfig, {
      continuation: { functionArn: `arn:aws:lambda:us-east-1:123456789012:function:${fn}`, roleArn: `arn:aws:iam::123456789012:role/${fn}-continue`, namePrefix: fn, chain },
    });
    end = sandbox.clock.nowMs();
    const firstDelete = sandbox.calls.slice(calls).find((c) => c.operation === 'DeleteSnapshot');
    describeMs.push((firstDelete?.atMs ?? end) - runStart);
    if (report.remaining === 0 || report.error) break;
    const next = sandbox.scheduler.next();
    if (!next) throw new Error(`run ${chain.run} left ${report.remaining} deletions and no continuation: ${report.notes.join(' | ')}`);
    let due: (typeof next)[] = [];
    // A timer may fire a hair early: wait until Scheduler would really have fired it (anywhere
    // in the minute it was set for, sandbox/scheduler.ts).
    while (due.length === 0) {
      await sandbox.clock.scaledSleep(Math.max(100, next.fireAtMs - sandbox.clock.nowMs()));
      due = sandbox.scheduler.fireDue();
    }
    chain = (JSON.parse(due[0]!.input) as { continuation: ContinuationChain }).continuation;
  }
  const remainingIds = new Set(sandbox.ec2.snapshots.keys());
  const deleted = sandbox.callsOf('DeleteSnapshot').filter((c) => !c.error).length;
  const mean = (xs: number[]) => (xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length / 1000) * 10) / 10 : 0);
  return {
    backlogRatioToLimit: Math.round((deleted / ((DELETE_SNAPSHOT_BUCKET.refillPerSecond * (end - start)) / 1000)) * 1000) / 1000,
    backlogRuns: chain.run,
    backlogAwsSeconds: Math.round((end - start) / 1000),
    backlogDescribeAwsSecondsPerRun: Math.round(describeMs.reduce((a, b) => a + b, 0) / describeMs.length / 1000),
    // Where the window goes besides deleting: the first run reads everything before its first
    // delete, a continuation only its first volume group; between runs the bucket idles.
    backlogFirstRunFirstDeleteAwsSeconds: mean(describeMs.slice(0, 1)),
    backlogContinuationFirstDeleteAwsSeconds: mean(describeMs.slice(1)),
    backlogGapAwsSecondsPerRun: mean(gapsMs),
    backlogMachineLoad: Math.round(Math.max(...loads) * 10) / 10,
    backlogExpiredLeft: [...seeded.expired].filter((id) => remainingIds.has(id)).length,
    backlogWronglyDeleted: seeded.total - remainingIds.size - [...seeded.expired].filter((id) => !remainingIds.has(id)).length,
  };
}

/**
 * `npm run bench -- prune-backlog`: {@link measureBacklog} alone, its figures written over the
 * backlog* fields of bench/results/prune.json (the other fields stay those of the last full run),
 * with the machine's load average while it ran (the run is real time at 50×: a busy box costs AWS-seconds).
 */
export async function benchBacklog() {
  const backlog = await measureBacklog();
  console.log(JSON.stringify(backlog));
  const file = join(RESULTS_DIR, 'prune.json');
  const previous = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  const result = { ...previous, ...backlog };
  await writeResult('prune', result);
  return result;
}

/** Successful DeleteSnapshot calls, throttled ones, and the window from first call to last success. */
function deleteWindow(sandbox: SandboxAccount) {
  const calls = sandbox.callsOf('DeleteSnapshot');
  const ok = calls.filter((c) => !c.error);
  const first = calls[0]?.atMs ?? 0;
  const last = ok[ok.length - 1]?.atMs ?? first;
  return { ok: ok.length, throttled: calls.filter((c) => c.error === 'RequestLimitExceeded').length, windowMs: last - first };
}

/** Deletes the expired snapshots with `workers` loops and the SDK's retries only, for a window of AWS time. */
async function baseline(seeded: Seeded, workers: number): Promise<{ failed: number }> {
  const { ec2 } = seeded.sandbox.clients({ maxAttempts: 8 });
  const queue = [...seeded.expired];
  const end = seeded.sandbox.clock.nowMs() + BASELINE_WINDOW_MS;
  let failed = 0;
  const worker = async (client: EC2Client) => {
    for (let id = queue.shift(); id && seeded.sandbox.clock.nowMs() < end; id = queue.shift()) {
      await client.send(new DeleteSnapshotCommand({ SnapshotId: id })).catch(() => failed++);
    }
  };
  await Promise.all(Array.from({ length: workers }, () => worker(ec2)));
  return { failed };
}

/** Heap cap of the measured run: what a 256 MB Lambda function could give it at most. */
const HEAP_CAP_MB = 256;
const CHILD_FLAG = '--prune-bench-child';

/** Our run, measured: wrongly deleted snapshots, throttling, and memory under a Lambda-sized heap cap. */
async function measureOurs() {
  const ours = account();
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const baselineRss = process.memoryUsage().rss;
  const ctx = { ...benchContext(ours.sandbox), now: ours.sandbox.clock.now() };
  const { result: report, peakRssMb } = await withPeakRss(() => runPrune(ctx, config));
  const o = deleteWindow(ours.sandbox);
  const remainingIds = new Set(ours.sandbox.ec2.snapshots.keys());
  const expiredDeleted = [...ours.expired].filter((id) => !remainingIds.has(id)).length;
  return {
    ...o,
    expired: ours.expired.size,
    wronglyDeleted: ours.total - remainingIds.size - expiredDeleted,
    expiredLeft: ours.expired.size - expiredDeleted,
    failedItems: report.results.filter((r) => r.outcome === 'failed').length,
    remaining: report.remaining,
    peakRssMb,
    baselineRssMb: Math.round((baselineRss / 1024 / 1024) * 10) / 10,
    // The e-mail as the deployed function would send it (subject + body, UTF-8 bytes).
    summaryBytes: Buffer.byteLength(
      `${reportSubject(report)}\n${formatReport(report, { region: 'us-east-1', logGroup: '/aws/lambda/ec2-caretaker-prod-prune-snapshots', dashboardUrl: 'https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/ec2-caretaker-prod' })}`,
    ),
  };
}

/**
 * Runs {@link measureOurs} in a child process with a 256 MB heap cap, so peak RSS is what the job
 * needs rather than what V8's lazy collection lets a big machine's heap grow to. The child's RSS
 * includes the sandbox (which holds all 100,000 snapshots, as AWS would) and tsx: `baselineRssMb`
 * is the child before the run starts, `jobRssMb` what the run added on top.
 */
async function measureOursInChild(): Promise<Awaited<ReturnType<typeof measureOurs>>> {
  const { spawn } = await import('node:child_process');
  const file = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_CAP_MB}`, '--expose-gc', '--import', 'tsx', file, CHILD_FLAG], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const last = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !last.startsWith('{')) throw new Error(`prune bench child failed (exit ${code}): ${out.slice(-2000)}`);
  return JSON.parse(last);
}

export async function benchPrune() {
  const o = await measureOursInChild();
  const backlog = await measureBacklog();
  console.log(
    `backlog across continuation runs: ${backlog.backlogRuns} run(s), ${backlog.backlogAwsSeconds} AWS-s from first start to empty, ` +
      `${Math.round(backlog.backlogRatioToLimit * 1000) / 10} % of the DeleteSnapshot bucket (describe ≈ ${backlog.backlogDescribeAwsSecondsPerRun} s per run), ` +
      `${backlog.backlogExpiredLeft} expired left, ${backlog.backlogWronglyDeleted} wrongly deleted`,
  );

  const serial = account();
  const naive = await baseline(serial, 1);
  const n = deleteWindow(serial.sandbox);
  serial.sandbox.calls.length = 0;

  const pair = account();
  const two = await baseline(pair, 2);
  const t = deleteWindow(pair.sandbox);

  const regions = await measurePruneRegions();
  console.log(
    `${regions.regions} Regions × 25,000 snapshots in one run: ${regions.regionsAwsSeconds} AWS-s vs ${regions.oneRegionAwsSeconds} for one Region's 25,000 ` +
      `(ratio ${regions.regionsWallRatio}); worst Region's DeleteSnapshot bucket use ${regions.minRegionRatioToLimit}`,
  );
  const result = {
    job: 'prune',
    snapshots: VOLUMES * PER_VOLUME,
    volumes: VOLUMES,
    expired: o.expired,
    timeScale: TIME_SCALE,
    ratioToLimit: ratioToLimit(o.ok, o.windowMs, DELETE_SNAPSHOT_BUCKET),
    naiveRatioToLimit: ratioToLimit(n.ok, n.windowMs, DELETE_SNAPSHOT_BUCKET),
    twoWorkerRatioToLimit: ratioToLimit(t.ok, t.windowMs, DELETE_SNAPSHOT_BUCKET),
    deletionsPerSecond: rate(o.ok, o.windowMs),
    naiveDeletionsPerSecond: rate(n.ok, n.windowMs),
    twoWorkerDeletionsPerSecond: rate(t.ok, t.windowMs),
    throttledCalls: o.throttled,
    naiveThrottledCalls: n.throttled,
    twoWorkerThrottledCalls: t.throttled,
    failedItems: o.failedItems,
    naiveFailedItems: naive.failed,
    twoWorkerFailedItems: two.failed,
    wronglyDeleted: o.wronglyDeleted,
    expiredLeft: o.expiredLeft,
    remaining: o.remaining,
    awsSeconds: Math.round(o.windowMs / 1000),
    baselineWindowAwsSeconds: BASELINE_WINDOW_MS / 1000,
    peakRssMb: o.peakRssMb,
    baselineRssMb: o.baselineRssMb,
    jobRssMb: Math.round((o.peakRssMb - o.baselineRssMb) * 10) / 10,
    heapCapMb: HEAP_CAP_MB,
    summaryBytes: o.summaryBytes,
    ...backlog,
    ...regions,
  };
  console.log(
    table([
      { approach: 'caretaker (paced, 8 in flight)', ratioToLimit: result.ratioToLimit, 'deletes/s': result.deletionsPerSecond, throttled: o.throttled, failed: o.failedItems, awsSeconds: result.awsSeconds },
      { approach: 'naive serial loop', ratioToLimit: result.naiveRatioToLimit, 'deletes/s': result.naiveDeletionsPerSecond, throttled: n.throttled, failed: naive.failed, awsSeconds: Math.round(n.windowMs / 1000) },
      { approach: 'fixed 2 workers (SDK retries)', ratioToLimit: result.twoWorkerRatioToLimit, 'deletes/s': result.twoWorkerDeletionsPerSecond, throttled: t.throttled, failed: two.failed, awsSeconds: Math.round(t.windowMs / 1000) },
    ]),
  );
  console.log(
    `wrongly deleted: ${result.wronglyDeleted}, expired left: ${result.expiredLeft}; peak RSS ${result.peakRssMb} MB under a ${HEAP_CAP_MB} MB heap cap ` +
      `(${result.baselineRssMb} MB before the run: node, tsx, SDK and the sandbox's 100,000 snapshots; the run added ${result.jobRssMb} MB)`,
  );
  await writeResult('prune', result);
  return result;
}

function rate(calls: number, windowMs: number): number {
  return windowMs > 0 ? Math.round((calls / (windowMs / 1000)) * 100) / 100 : 0;
}

if (process.argv.includes(CHILD_FLAG)) {
  measureOurs().then(
    (r) => console.log(JSON.stringify(r)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

import { failoverScene, type FailoverScene, LB1_IP } from '../sandbox/failover-scene';
import { type HealthMemory, runFailover } from '../shared/failover/run-failover';
import { seededRandom } from '../sandbox/faults';
import { table, writeResult } from './lib';

/**
 * Time compression: 1 real ms = 4 sandbox ms. Every wait of the watch loop (5 s between passes,
 * the gap between two scheduled invocations) really passes, divided by 4; probes are real
 * sockets whose few ms are counted ×4 in sandbox time (they make detection look slower, not
 * faster). All figures below are sandbox seconds, i.e. already scaled back to real-world time.
 */
const TIME_SCALE = 4;
/** Per detector setting; the kill moments are the same for both settings. */
const TRIALS = 24;
const CONTROL_TRIALS = 6;
const ALL_DOWN_TRIALS = 4;
/** One scheduled invocation a minute, 60 s timeout, loop stops 5 s before the deadline (defaults). */
const INVOCATION_MS = 60_000;
const LAMBDA_MB = 128;
/** us-east-1 list prices (x86): Lambda GB-second and request; Route 53 health check per month. */
const LAMBDA_GB_SECOND_USD = 0.0000166667;
const LAMBDA_REQUEST_USD = 0.2 / 1e6;
const R53_FAST_HEALTH_CHECK_MONTH_USD = 0.5 + 1.0;

interface TrialOutcome {
  detectionS?: number;
  falseUpserts: number;
  toUnhealthy: number;
  probes: number;
}

/**
 * One trial: the job runs as Lambda would (back-to-back one-minute invocations sharing the warm
 * container's health memory); `kill` fires at a random sandbox moment within the minute cycle.
 */
async function trial(
  seed: number,
  plan: { killAtMs?: number; prepare?(scene: FailoverScene): void; killBoth?: boolean; invocations: number; group?: Record<string, unknown> },
): Promise<TrialOutcome> {
  const scene = await failoverScene({
    sandbox: { timeScale: TIME_SCALE, throttling: true, seed, timings: { route53SyncMs: 60_000 } },
    // INSYNC is not what is measured here; the waiter runs on real time, so keep it short.
    group: { insync: { maxWaitSeconds: 1, minDelaySeconds: 0.05, maxDelaySeconds: 0.2 }, ...plan.group },
  });
  plan.prepare?.(scene);
  const { clock } = scene.sandbox;
  const clients = scene.sandbox.clients({ maxAttempts: 8 });
  const memory: HealthMemory = new Map();
  const abort = new AbortController();
  const t0 = clock.nowMs();
  let killedAtMs: number | undefined;
  let probes = 0;
  const killTimer =
    plan.killAtMs === undefined
      ? undefined
      : setTimeout(() => {
          killedAtMs = clock.nowMs();
          void scene.lb1.kill();
          if (plan.killBoth) void scene.lb2.kill();
        }, plan.killAtMs / TIME_SCALE);
  try {
    for (let k = 0; k < plan.invocations && !abort.signal.aborted; k++) {
      const start = t0 + k * INVOCATION_MS;
      if (start > clock.nowMs()) await clock.scaledSleep(start - clock.nowMs());
      const end = start + INVOCATION_MS;
      const ctx = scene.context(0, { clients, sleep: clock.scaledSleep, deadline: { remainingMs: () => end - clock.nowMs() } });
      await runFailover(ctx, scene.config, {
        memory,
        signal: abort.signal,
        onPass: (e) => {
          probes += e.members.length;
          if (e.decision.action === 'upsert' && killedAtMs !== undefined) abort.abort();
          if (e.decision.action === 'all-down' && plan.killBoth && clock.nowMs() - (killedAtMs ?? clock.nowMs()) > 30_000) abort.abort();
        },
      });
    }
  } finally {
    clearTimeout(killTimer);
    await scene.close();
  }
  const moves = scene.sandbox
    .callsOf('ChangeResourceRecordSets')
    .filter((c) => !c.error && JSON.stringify(c.input).includes('"lb.example.com"'))
    .map((c) => ({ atMs: c.atMs, value: JSON.stringify(c.input).match(/"Value":"([^"]+)"/)![1] }));
  const before = moves.filter((m) => killedAtMs === undefined || m.atMs < killedAtMs);
  const after = moves.filter((m) => killedAtMs !== undefined && m.atMs >= killedAtMs);
  const toUnhealthy = after.filter((m) => m.value === LB1_IP || plan.killBoth).length;
  const detection = plan.killBoth ? undefined : after[0];
  return {
    detectionS: detection && killedAtMs !== undefined ? (detection.atMs - killedAtMs) / 1000 : undefined,
    falseUpserts: before.length,
    toUnhealthy,
    probes,
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

export async function benchFailover() {
  const random = seededRandom(6);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  // Kill moments spread over a whole minute cycle after warm-up (10-70 s), gap between invocations included.
  const killMoments = Array.from({ length: TRIALS }, () => 10_000 + random() * 60_000);
  const runs = await Promise.all([
    ...killMoments.map((killAtMs, i) => trial(100 + i, { killAtMs, invocations: 3 })),
    // Same kill moments with confirming probes as far apart as normal ones (recheckIntervalSeconds: 5).
    ...killMoments.map((killAtMs, i) => trial(400 + i, { killAtMs, invocations: 3, group: { recheckIntervalSeconds: 5 } })),
    // Control: LB1 loses two probes in a row, then answers, over and over (the MMM pattern); nobody dies.
    ...Array.from({ length: CONTROL_TRIALS }, (_, i) =>
      trial(200 + i, {
        invocations: 2,
        prepare: (s) => void (s.lb1.script = (n) => (n % 3 === 0 ? 'up' : 'reset')),
        // Half of them with slow rechecks; the default 2 s rechecks must not turn blips into a failover either.
        group: i % 2 ? { recheckIntervalSeconds: 5 } : {},
      }),
    ),
    // Both LBs die: the record must stay where it is.
    ...Array.from({ length: ALL_DOWN_TRIALS }, (_, i) =>
      trial(300 + i, { killAtMs: 10_000 + random() * 20_000, killBoth: true, invocations: 2, group: i % 2 ? { recheckIntervalSeconds: 5 } : {} }),
    ),
  ]);
  const cpu = process.cpuUsage(cpuBefore);
  const sortedDetections = (trials: TrialOutcome[]) => trials.map((r) => r.detectionS).filter((d): d is number => d !== undefined).sort((a, b) => a - b);
  const detections = sortedDetections(runs.slice(0, TRIALS));
  const slowRecheck = sortedDetections(runs.slice(TRIALS, 2 * TRIALS));
  const probes = runs.reduce((n, r) => n + r.probes, 0);

  // Route 53 native: 3 consecutive failures of checks every 10 s, i.e. 20-30 s after the kill
  // (uniform phase), before its own aggregation, INSYNC and TTL.
  const nativeSamples = killMoments.map((_, i) => 20 + ((i + 0.5) / TRIALS) * 10).sort((a, b) => a - b);
  const activeSecondsPerMinute = (INVOCATION_MS - 5_000) / 1000;
  const probesPerMemberPerMinute = activeSecondsPerMinute / 5;
  const lambdaUsdPerMinute = (LAMBDA_MB / 1024) * (INVOCATION_MS / 1000) * LAMBDA_GB_SECOND_USD + LAMBDA_REQUEST_USD;
  const result = {
    job: 'failover',
    trials: TRIALS,
    p50Seconds: round(percentile(detections, 50)),
    p95Seconds: round(percentile(detections, 95)),
    falseFailovers: runs.reduce((n, r) => n + r.falseUpserts, 0),
    upsertsToUnhealthy: runs.reduce((n, r) => n + r.toUnhealthy, 0),
    detected: detections.length,
    minSeconds: round(detections[0] ?? Number.NaN),
    maxSeconds: round(detections[detections.length - 1] ?? Number.NaN),
    settings: { failureThreshold: 3, probeIntervalSeconds: 5, recheckIntervalSeconds: 2, successThreshold: 2, invocation: 'rate(1 minute), 60 s timeout, stop 5 s before deadline' },
    timeScale: TIME_SCALE,
    timeNote: 'sandbox seconds: waits ran 4x faster in real time; figures are scaled back to real-world seconds',
    slowRecheck: { p50Seconds: round(percentile(slowRecheck, 50)), p95Seconds: round(percentile(slowRecheck, 95)), detected: slowRecheck.length, settings: 'same, with recheckIntervalSeconds: 5 (all probes 5 s apart)' },
    controlTrials: CONTROL_TRIALS,
    allDownTrials: ALL_DOWN_TRIALS,
    route53Native: { p50Seconds: round(percentile(nativeSamples, 50)), p95Seconds: round(percentile(nativeSamples, 95)), model: '10 s interval x 3 failures, before INSYNC and TTL' },
    probeCost: {
      probesPerMemberPerMinute: round(probesPerMemberPerMinute, 1),
      cpuMsPerProbe: round((cpu.user + cpu.system) / 1000 / Math.max(probes, 1), 2),
      lambdaUsdPerMonth: round(lambdaUsdPerMinute * 60 * 24 * 30, 2),
      lambdaUsdPerMemberPerMinuteTwoMembers: Number((lambdaUsdPerMinute / 2).toPrecision(3)),
      route53FastHealthCheckUsdPerMemberPerMonth: R53_FAST_HEALTH_CHECK_MONTH_USD,
      note: `${LAMBDA_MB} MB Lambda busy ${INVOCATION_MS / 1000} s of every minute; cost is per function, shared by every member it probes`,
    },
    realSeconds: round((performance.now() - started) / 1000),
  };
  console.log(
    table([
      { detector: 'caretaker defaults (5 s probes, 3 failures, rechecks 2 s apart)', p50: result.p50Seconds, p95: result.p95Seconds, falseFailovers: result.falseFailovers, toUnhealthy: result.upsertsToUnhealthy },
      { detector: 'caretaker, all probes 5 s apart', p50: result.slowRecheck.p50Seconds, p95: result.slowRecheck.p95Seconds, falseFailovers: '(in total)', toUnhealthy: '(in total)' },
      { detector: 'Route 53 health check (3 x 10 s)', p50: result.route53Native.p50Seconds, p95: result.route53Native.p95Seconds, falseFailovers: '-', toUnhealthy: '-' },
    ]),
  );
  console.log(`probes per member per minute: ${result.probeCost.probesPerMemberPerMinute}; CPU per probe: ${result.probeCost.cpuMsPerProbe} ms; Lambda ≈ $${result.probeCost.lambdaUsdPerMonth}/month`);
  await writeResult('failover', result);
  return result;
}

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeHandler } from '../functions/snapshot-volumes';
import { parseConfig } from '../shared/config/load';
import { COPY_LIMIT_PER_DESTINATION } from '../shared/copy/plan-copies';
import { TAG } from '../shared/tags';
import { SandboxAccount } from '../sandbox/account';
import { FleetBuilder } from '../sandbox/fleet';
import { lambdaContext, sandboxDeps } from '../sandbox/handler-deps';
import { RESULTS_DIR, writeResult } from './lib';

/** A burst of this many snapshots completes at once, all copied to one destination Region. */
const BURST = 200;
/** How long the sandbox's snapshots take: sources in the home Region, copies in the destination. */
const SOURCE_MS = 10 * 60_000;
/**
 * How long one copy takes. EBS copies "on a best-effort basis" (API_CopySnapshot): minutes for an
 * incremental copy of a small volume, hours for a first full copy of a large one. 17 minutes, not
 * a multiple of the 5-minute sweep, so a freed slot waits for the next sweep as it would on AWS.
 */
const COPY_MS = 17 * 60_000;
const FUNCTION = 'ec2-caretaker-bench-snapshot-volumes';
const ROLE = 'arn:aws:iam::123456789012:role/ec2-caretaker-bench-us-east-1-snapshot-volumes-continue';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

/**
 * One policy snapshots BURST instances (one volume each) and copies them to eu-west-1 (a Region the
 * config does not otherwise cover). Everything goes through the real snapshot handler on sandbox
 * time: the scheduled run, then EBS's completion event of each instance's snapshot as it completes
 * (EventBridge delivers them one invocation each), then every copy sweep the runs schedule, in
 * time order, until no schedule is left. Measured: each copy's start after its source completed,
 * and the copies in flight in the destination after every invocation (they only grow during one).
 */
async function burst(maxCopyContinuationRuns: number, horizonMs: number) {
  const sandbox = new SandboxAccount({ start: new Date('2026-11-22T03:00:00Z'), timeScale: 0, seed: 13, regions: ['us-east-1', 'eu-west-1'], timings: { snapshotCompleteMs: SOURCE_MS } });
  sandbox.inRegion('eu-west-1').ec2.timings.snapshotCompleteMs = COPY_MS;
  const fleet = new FleetBuilder(sandbox);
  for (let i = 0; i < BURST; i++) fleet.instance({ name: `app-${i}`, tags: { 'caretaker:snapshot': 'nightly' }, volumes: [{}] });
  const config = parseConfig({
    regions: ['us-east-1'],
    snapshot: {
      maxCopyContinuationRuns,
      policies: [{ name: 'nightly', schedule: 'cron(0 3 * * ? *)', selector: { tags: { 'caretaker:snapshot': ['nightly'] } }, maxInstancesPerRun: BURST, copyTo: [{ region: 'eu-west-1', retain: { daily: 7 }, maxCopiesPerRun: BURST }] }],
    },
  });
  process.env.COPY_CONTINUATION_ROLE_ARN = ROLE;
  const handler = makeHandler(sandboxDeps(sandbox, config, sandbox.sns.addTopic('alerts')));
  const invoke = (event: unknown) => handler(event, lambdaContext(FUNCTION, 900_000, () => sandbox.clock.nowMs()));
  const eu = sandbox.inRegion('eu-west-1').ec2;
  const inFlight = () => [...eu.snapshots.values()].filter(({ data }) => eu.refreshSnapshot(data).State === 'pending').length;
  let maxInFlight = 0;
  let invocations = 0;
  const after = async (event: unknown) => {
    await invoke(event);
    invocations++;
    maxInFlight = Math.max(maxInFlight, inFlight());
  };

  const start = sandbox.clock.nowMs();
  await after({ policy: 'nightly', time: '2026-11-22T03:00:00Z' });
  let seenEvents = 0;
  for (;;) {
    // EBS's completion events so far, each its own invocation (the rule forwards succeeded ones with copyTo).
    const events = sandbox.ec2.settleSnapshots();
    while (seenEvents < events.length) {
      const e = events[seenEvents++]!;
      if (e['detail-type'] === 'EBS Multi-Volume Snapshots Completion Status') await after(e);
    }
    for (const due of sandbox.scheduler.fireDue()) await after(JSON.parse(due.input));
    const pendingSources = [...sandbox.ec2.snapshots.values()].filter(({ data }) => sandbox.ec2.refreshSnapshot(data).State === 'pending');
    const next = Math.min(
      ...pendingSources.map(({ data }) => data.StartTime!.getTime() + SOURCE_MS),
      ...[...sandbox.scheduler.schedules.values()].map((s) => s.fireAtMs),
    );
    if (!Number.isFinite(next) || next - start > horizonMs) break;
    sandbox.clock.advance(Math.max(0, next - sandbox.clock.nowMs()));
  }

  const completedAt = new Map<string, number>();
  for (const { data } of sandbox.ec2.snapshots.values()) completedAt.set(data.SnapshotId!, data.StartTime!.getTime() + SOURCE_MS);
  const delays: number[] = [];
  for (const { data } of eu.snapshots.values()) {
    const source = data.Tags?.find((t) => t.Key === TAG.copyOf)?.Value?.split(':')[1];
    if (source && completedAt.has(source)) delays.push((data.StartTime!.getTime() - completedAt.get(source)!) / 1000);
  }
  delays.sort((a, b) => a - b);
  const firstCompleted = Math.min(...completedAt.values());
  const lastStart = Math.max(...[...eu.snapshots.values()].map(({ data }) => data.StartTime!.getTime()));
  const refused = sandbox.callsOf('CopySnapshot').filter((c) => c.error === 'ResourceLimitExceeded').length;
  return { copied: delays.length, delays, drainSeconds: (lastStart - firstCompleted) / 1000, maxInFlight, invocations, refused, sweeps: sandbox.callsOf('CreateSchedule').filter((c) => !c.error).length };
}

/** The copy figures of the snapshot benchmark (bench/results/snapshot.json `copy*`). */
export async function measureCopies() {
  const drained = await burst(96, 24 * 3_600_000);
  const without = await burst(0, 24 * 3_600_000);
  // The best any trigger could do with 20 in flight: a round of 20 copies every COPY_MS.
  const lowerBoundLastStart = (Math.ceil(BURST / COPY_LIMIT_PER_DESTINATION) - 1) * (COPY_MS / 1000);
  const d = drained.delays;
  return {
    copyBurst: BURST,
    copyLimit: COPY_LIMIT_PER_DESTINATION,
    copyMinutes: COPY_MS / 60_000,
    copiesStarted: drained.copied,
    copyStartDelaySeconds: { p50: Math.round(percentile(d, 50)), p95: Math.round(percentile(d, 95)), max: Math.round(d.at(-1) ?? 0) },
    // From the first source completed to the last copy started, against the 20-at-a-time lower
    // bound (1.0: no slot ever idle; each round loses up to one 5-minute sweep interval).
    copyDrainSeconds: Math.round(drained.drainSeconds),
    copyDrainRatio: Math.round((lowerBoundLastStart / Math.max(1, drained.drainSeconds)) * 1000) / 1000,
    copyMaxInFlight: drained.maxInFlight,
    copyRefusedForLimit: drained.refused,
    copySweepsScheduled: drained.sweeps,
    copyInvocations: drained.invocations,
    copiesStartedInADayWithoutDrain: without.copied,
  };
}

/** `npm run bench -- copy`: the copy figures alone, merged into bench/results/snapshot.json. */
export async function benchCopy() {
  const copy = await measureCopies();
  const file = join(RESULTS_DIR, 'snapshot.json');
  const current = JSON.parse(await readFile(file, 'utf8').catch(() => '{"job":"snapshot"}')) as object;
  const result = { ...current, ...copy };
  const s = copy.copyStartDelaySeconds;
  console.log(
    `${copy.copyBurst} completed snapshots → one destination (${copy.copyLimit} in flight, ${copy.copyMinutes}-min copies): all ${copy.copiesStarted} started; ` +
      `start after source completed p50 ${s.p50} s, p95 ${s.p95} s, max ${s.max} s (drain ratio ${copy.copyDrainRatio}); max in flight ${copy.copyMaxInFlight}, ` +
      `${copy.copyRefusedForLimit} refused for the limit, ${copy.copySweepsScheduled} sweeps; without the drain ${copy.copiesStartedInADayWithoutDrain} start in a day`,
  );
  await writeResult('snapshot', result);
  return result;
}

import { clientRegion } from '../aws/clients';
import { errorCode, errorMessage } from '../aws/errors';
import { type ApplyOptions, applyDecisions } from '../engine/apply';
import { BlastRadiusError } from '../engine/errors';
import { emptyReport, enforceCap, finishReport, isActionable, skipResult } from '../engine/run';
import type { JobContext, RunReport } from '../engine/types';
import type { SnapshotPolicy } from '../snapshot/config';
import { scheduleIntervalMs } from '../snapshot/schedule-interval';
import { applyCopy } from './apply-copy';
import { describeDestination, describeSources } from './describe-copies';
import { COPY_ACTION, COPY_LIMIT_PER_DESTINATION, planCopies } from './plan-copies';

export interface CopyOptions {
  /** Only these source snapshots (a completion event's); default: every completed one in the window. */
  snapshotIds?: readonly string[];
}

const DAY = 86_400_000;

/** How far back a sweep looks for uncopied sources: three schedule intervals, at least a day. */
export function copyWindowMs(policy: Pick<SnapshotPolicy, 'schedule'>): number {
  return Math.max(DAY, 3 * (scheduleIntervalMs(policy.schedule) ?? DAY));
}

/**
 * Copies a policy's completed snapshots of the Region `ctx` acts in to each of its `copyTo`
 * Regions: describe (the sources here, the copies and copies in flight there), plan (pure), cap
 * (`copyTo[].maxCopiesPerRun`), apply in the destination Region. Called by every snapshot run of
 * the policy (the sweep) and by EBS's completion events, with the same plan: duplicate triggers
 * find the copy by its `caretaker:copy-of` tag and make nothing. A destination that cannot be
 * described or reached is reported and the other destinations go on.
 *
 * @example
 * const report = await runCopies(ctx, policy);                       // sweep after a snapshot run
 * const fromEvent = await runCopies(ctx, policy, { snapshotIds });   // an EBS completion event
 */
export async function runCopies(ctx: JobContext, policy: SnapshotPolicy, options: CopyOptions = {}): Promise<RunReport> {
  const report = emptyReport('snapshot', ctx);
  if (policy.copyTo.length === 0) return report;
  const sourceRegion = await clientRegion(ctx.clients.ec2);
  if (sourceRegion === undefined) {
    report.error = { code: 'NoRegion', message: 'copies: the run\'s EC2 client names no Region, so the copies\' source Region is unknown' };
    return finishReport(report, ctx);
  }
  let sources;
  try {
    sources = await describeSources(ctx.clients.ec2, policy.name, options.snapshotIds);
  } catch (error) {
    report.error = { code: errorCode(error), message: `describe of ${policy.name}'s snapshots to copy failed: ${errorMessage(error)}` };
    return finishReport(report, ctx);
  }
  for (const target of policy.copyTo) {
    const dest = ctx.clientsIn?.(target.region);
    if (!dest) {
      report.error ??= { code: 'NoClients', message: `copies to ${target.region}: this run has no clients for that Region` };
      continue;
    }
    let state;
    try {
      state = { sourceRegion, sources, ...(await describeDestination(dest.ec2, policy.name, sourceRegion)) };
    } catch (error) {
      report.error ??= { code: errorCode(error), message: `describe of the copies in ${target.region} failed: ${errorMessage(error)}` };
      continue;
    }
    const { decisions, actionNeeded, alreadyCopied, deferred } = planCopies({ policy: policy.name, target, state, now: ctx.now.getTime(), windowMs: copyWindowMs(policy) });
    if (actionNeeded.length) report.actionNeeded = [...(report.actionNeeded ?? []), ...actionNeeded];
    report.plan.push(...decisions.map(({ target: t, action, reason, group }) => ({ target: t, action, reason, group })));
    report.results.push(...decisions.filter((d) => !isActionable(d)).map(skipResult));
    const actionable = decisions.filter(isActionable);
    const copies = actionable.filter((d) => d.action === COPY_ACTION).length;
    try {
      enforceCap(copies, { name: `snapshot.policies[${policy.name}].copyTo[${target.region}].maxCopiesPerRun`, limit: target.maxCopiesPerRun });
    } catch (error) {
      if (!(error instanceof BlastRadiusError)) throw error;
      report.error ??= { code: error.name, message: error.message };
      continue;
    }
    const waiting = decisions.length - actionable.length;
    report.notes.push(
      `Copies of ${policy.name} to ${target.region}: ${copies} to start, ${alreadyCopied} source(s) already copied, ${waiting} waiting or passed over, ${state.inFlight} in flight there before this run.`,
    );
    // Copies waiting for a free slot are the sweep's backlog: its continuation (continuation.ts) comes back for them.
    report.remaining += deferred;
    if (ctx.dryRun || actionable.length === 0) continue;
    const { results, notStarted } = await applyDecisions(actionable, (d) => applyCopy(d, dest.ec2), {
      concurrency: 4,
      deadline: ctx.deadline,
      safetyMarginMs: 10_000,
      onResult: copyProgress(ctx, target.region, actionable.length, state.inFlight, deferred),
    });
    report.results.push(...results);
    // A copy refused for the limit (copies of others took the slots) waits like a deferred one.
    report.remaining += notStarted.length + results.filter((r) => r.errorCode === 'ResourceLimitExceeded').length;
  }
  return finishReport(report, ctx);
}

/**
 * Progress of one destination's copies (the CLI's line): started of planned, and the copies in
 * flight there against the destination's limit, which bounds copies where a call rate bounds
 * deletions; `waiting` copies wait for a slot to free up.
 */
function copyProgress(ctx: JobContext, region: string, planned: number, inFlightBefore: number, waiting: number): ApplyOptions['onResult'] {
  if (!ctx.progress) return undefined;
  let started = 0;
  let failed = 0;
  return (r, done) => {
    if (r.action === COPY_ACTION && r.outcome === 'done') started++;
    if (r.outcome === 'failed') failed++;
    ctx.progress?.({
      job: 'snapshot',
      action: `${COPY_ACTION} to ${region}`,
      done,
      planned,
      failed,
      inFlight: { now: inFlightBefore + started, limit: COPY_LIMIT_PER_DESTINATION, waiting },
    });
  };
}

import type { Config } from '../config/schema';
import { RateLimiter } from '../engine/rate-limit';
import { InputError } from '../engine/errors';
import { runOverRegions } from '../engine/regions';
import { appendReport, finishReport, runJob } from '../engine/run';
import type { CopyContinuationTarget } from '../copy/continuation';
import { sweepCopies } from '../copy/sweep-copies';
import type { JobContext, RunReport } from '../engine/types';
import { applySnapshot } from './apply-snapshot';
import type { SnapshotPolicy } from './config';
import { describeFleet, type FleetState } from './describe-fleet';
import { planSnapshots, type SnapshotPayload } from './plan-snapshots';
import { scheduleSlot } from './slot';
import { completionsLine, countsCompletions, outcomeActions, policyMeasures, slotLine } from './verify-outcomes';
import { backupAgeLine } from '../prune/freshness';

export interface SnapshotOptions {
  policy: string;
  /** The scheduled event's time; without it the slot is the schedule's last firing before `now`. */
  time?: string;
  /** Instances snapshotted at once (CreateSnapshots is paced by its own token bucket anyway). */
  concurrency?: number;
  /** Lets the copy sweep schedule its next run while copies wait for a slot (the Lambda handler sets it). */
  copyContinuation?: CopyContinuationTarget;
}

/** AWS's CreateSnapshots bucket: 100 burst, 5 per second. */
export const CREATE_SNAPSHOTS_BUCKET = { capacity: 100, refillPerSecond: 5 };

/**
 * Our pacing: the bucket less 5 tokens of headroom, as prune's DELETE_PACING and for its reason:
 * the limiter counts a token when a call leaves, AWS when it arrives, and the first call of a run
 * arrives late (a new connection), so without headroom the limiter runs that far ahead of AWS's
 * bucket for the whole run (measured in bench/regions.ts: 1-4 RequestLimitExceeded in 3 runs of 4
 * without it, none with it).
 */
export const CREATE_SNAPSHOTS_PACING = { capacity: CREATE_SNAPSHOTS_BUCKET.capacity - 5, refillPerSecond: CREATE_SNAPSHOTS_BUCKET.refillPerSecond };

export function findPolicy(config: Config, name: string, source = 'event'): SnapshotPolicy {
  const policy = config.snapshot.policies.find((p) => p.name === name);
  if (!policy) {
    const known = config.snapshot.policies.map((p) => p.name);
    throw new InputError(source, [
      { path: 'policy', message: `unknown snapshot policy '${name}'${known.length ? ` (known: ${known.join(', ')})` : ' (the config has none)'}` },
    ]);
  }
  return policy;
}

/**
 * Snapshots the EBS volumes of the instances a policy selects: one `CreateSnapshots` per
 * instance, tagged at creation, idempotent per schedule slot; in every Region the policy covers,
 * in parallel (shared/engine/regions.ts), with `maxInstancesPerRun` over all of them.
 *
 * @example
 * const report = await runSnapshot(ctx, config, { policy: 'daily', time: event.time });
 */
export async function runSnapshot(ctx: JobContext, config: Config, options: SnapshotOptions): Promise<RunReport> {
  const policy = findPolicy(config, options.policy);
  const slot = scheduleSlot(policy.schedule, ctx.now, options.time ? new Date(options.time) : undefined, policy.timeZone);
  const report = await runOverRegions('snapshot', ctx, config, policy.regions, (regionCtx) => snapshotRegion(regionCtx, policy, slot, options));
  // The copy sweep (to the policy's copyTo, from every Region it snapshots in): snapshots completed
  // since the last trigger whose copy is missing (an EBS event lost, a copy that waited for a slot).
  if (policy.copyTo.length === 0) return report;
  return finishReport(appendReport(report, await sweepCopies(ctx, config, policy.name, options.copyContinuation)), ctx);
}

/** Snapshots the policy's instances in one Region, paced by that Region's CreateSnapshots bucket. */
async function snapshotRegion(ctx: JobContext, policy: SnapshotPolicy, slot: string, options: SnapshotOptions): Promise<RunReport> {
  const limiter = new RateLimiter(CREATE_SNAPSHOTS_PACING, ctx);
  const report = await runJob<FleetState, SnapshotPayload | undefined>(
    {
      job: 'snapshot',
      describe: (c) => describeFleet(c, policy, slot),
      plan: (state) => planSnapshots(state).map((d) => ({ ...d, group: policy.name })),
      apply: (decision, c) => applySnapshot(decision, c, policy, limiter),
      cap: { name: `snapshot.policies[${policy.name}].maxInstancesPerRun`, limit: policy.maxInstancesPerRun },
      concurrency: options.concurrency ?? 8,
      limitPerSecond: CREATE_SNAPSHOTS_BUCKET.refillPerSecond,
      summarize: (report, state) => {
        const created = report.results.reduce((n, r) => n + (typeof r.details?.snapshots === 'string' ? r.details.snapshots.split(', ').length : 0), 0);
        const fallbacks = report.results.filter((r) => r.reason.includes('fell back to crash-consistent')).length;
        const actions = outcomeActions(state, ctx.now.getTime());
        if (actions.length) report.actionNeeded = [...(report.actionNeeded ?? []), ...actions];
        const started = report.results.filter((r) => r.action === 'snapshot' && r.outcome === 'done').length;
        const measures = policyMeasures(state, ctx.now.getTime(), countsCompletions(state, created));
        report.measures = [measures];
        const age = backupAgeLine(`policy ${policy.name}`, measures);
        const completed = completionsLine(state, measures);
        return [
          `Policy ${policy.name}, slot ${slot}: ${state.instances.length} instance(s) matched, ${created} snapshot(s) created.`,
          slotLine(state, started),
          ...(completed ? [completed] : []),
          ...(age ? [age] : []),
          ...(fallbacks ? [`${fallbacks} instance(s) fell back to crash-consistent snapshots: their pre script failed.`] : []),
          ...(state.instances.length === 0 && state.missingIds.length === 0 ? ['The selector matched no instance: check the policy selector and instance tags.'] : []),
        ];
      },
    },
    ctx,
  );
  return report;
}

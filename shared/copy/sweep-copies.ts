import type { Config } from '../config/schema';
import { runOverRegions } from '../engine/regions';
import { emptyReport, finishReport } from '../engine/run';
import type { JobContext, RunReport } from '../engine/types';
import { type CopyContinuationTarget, scheduleCopyContinuation } from './continuation';
import { runCopies } from './run-copies';

/**
 * The copy sweep of one policy: its copies from every Region it snapshots in (in parallel, as
 * the snapshot run covers them), then, if copies were left waiting for a destination's limit,
 * the next sweep 5 minutes on (`continuation`, shared/copy/continuation.ts), so a backlog over the
 * 20 copies in flight drains without waiting for the policy's next slot. Run after every
 * snapshot run of the policy and by the continuation itself.
 *
 * @example
 * const report = await sweepCopies(ctx, config, 'nightly', copyContinuationTarget(lambda, roleArn, event.copies));
 */
export async function sweepCopies(ctx: JobContext, config: Config, policyName: string, continuation?: CopyContinuationTarget): Promise<RunReport> {
  const policy = config.snapshot.policies.find((p) => p.name === policyName);
  if (!policy || policy.copyTo.length === 0) {
    // A continuation scheduled before the config changed: nothing is left to copy for it.
    const report = emptyReport('snapshot', ctx);
    report.notes.push(`Copy sweep: policy ${policyName} ${policy ? 'no longer copies (copyTo is empty)' : 'is no longer in the config'}; nothing to copy.`);
    return finishReport(report, ctx);
  }
  const report = await runOverRegions('snapshot', ctx, config, policy.regions, (regionCtx) => runCopies(regionCtx, policy));
  await scheduleCopyContinuation(ctx, report, report, policy.name, continuation, config.snapshot.maxCopyContinuationRuns);
  return finishReport(report, ctx);
}

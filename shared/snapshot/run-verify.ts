import { paginateDescribeSnapshots } from '@aws-sdk/client-ec2';
import { errorCode, errorMessage } from '../aws/errors';
import { filterChunks } from '../aws/filters';
import type { Config } from '../config/schema';
import { appendReport, emptyReport, finishReport } from '../engine/run';
import type { JobContext, RunReport } from '../engine/types';
import { TAG } from '../tags';
import type { CompletionEvent } from './completion-event';
import { runSnapshot } from './run-snapshot';
import { runCopies } from '../copy/run-copies';
import { type CopyContinuationTarget, scheduleCopyContinuation } from '../copy/continuation';

/**
 * Reacts to EBS's completion event for snapshots caretaker started: reads them (a `snapshot-id`
 * filter, which answers for those that still exist instead of failing on one deleted since), and
 * for every policy and slot with a snapshot in `error` runs that slot again: the planner sees the
 * error and retries the instance once (attempt 2), and the summary lists the `snapshot-error`.
 * Snapshots caretaker did not make, and completed ones, need nothing.
 *
 * @example
 * const report = await runVerifySnapshots(ctx, config, parseInput(completionEventSchema, event, 'event'));
 */
export async function runVerifySnapshots(ctx: JobContext, config: Config, event: CompletionEvent, copyContinuation?: CopyContinuationTarget): Promise<RunReport> {
  const report = emptyReport('snapshot', ctx);
  const slots = new Map<string, { policy: string; slot: string }>();
  let seen = 0;
  let failed = 0;
  /** Policies with `copyTo` that have a snapshot completed in this event: their copies start now. */
  const toCopy = new Set<string>();
  try {
    for (const ids of filterChunks(event.snapshotIds)) {
      for await (const page of paginateDescribeSnapshots({ client: ctx.clients.ec2, pageSize: 1000 }, { OwnerIds: ['self'], Filters: [{ Name: 'snapshot-id', Values: ids }], MaxResults: 1000 })) {
        for (const s of page.Snapshots ?? []) {
          seen++;
          const tag = (key: string) => s.Tags?.find((t) => t.Key === key)?.Value;
          if (s.State === 'completed' && tag(TAG.managed) === 'true') toCopy.add(tag(TAG.policy) ?? '');
          if (s.State !== 'error' || tag(TAG.managed) !== 'true') continue;
          failed++;
          const policy = tag(TAG.policy) ?? '';
          const slot = tag(TAG.slot) ?? '';
          if (config.snapshot.policies.some((p) => p.name === policy) && slot) slots.set(`${policy}|${slot}`, { policy, slot });
        }
      }
    }
  } catch (error) {
    report.error = { code: errorCode(error), message: `describe failed: ${errorMessage(error)}` };
    return finishReport(report, ctx);
  }
  report.notes.push(
    `EBS reported ${event.snapshotIds.length} snapshot(s) ${event.result}${event.cause ? ` (${event.cause})` : ''}; ${seen} still exist, ${failed} of caretaker's are in state error.`,
  );
  for (const { policy, slot } of slots.values()) {
    appendReport(report, await runSnapshot(ctx, config, { policy, time: slot }));
  }
  // The policy's whole sweep of this Region, not just this event's snapshots: oldest first, so
  // copies move forward in order; copies left waiting for a slot get the policy's next sweep.
  for (const policy of config.snapshot.policies) {
    if (!toCopy.has(policy.name) || policy.copyTo.length === 0) continue;
    const copies = await runCopies(ctx, policy);
    appendReport(report, copies);
    await scheduleCopyContinuation(ctx, report, copies, policy.name, copyContinuation, config.snapshot.maxCopyContinuationRuns);
  }
  return finishReport(report, ctx);
}

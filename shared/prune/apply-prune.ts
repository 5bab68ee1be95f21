import { applyDecisions, type WorkerResult } from '../engine/apply';
import { RateLimiter } from '../engine/rate-limit';
import type { JobContext, RunReport } from '../engine/types';
import { ARCHIVE_PACING, MODIFY_SNAPSHOT_TIER_BUCKET, snapshotArchiver } from './apply-archives';
import { ARCHIVE_ACTION } from './plan-archive';
import type { PruneDecision } from './plan-retention';
import { archiveSlots } from './summarize-archive';
import type { PruneTally } from './summarize-prune';

/**
 * Starts the archive moves the Region's in-progress quota has room for, oldest first, paced to
 * ModifySnapshotTier's bucket; the others wait for a later run (counted, not listed: on the first
 * run after `retain.archive` is set they may be many). No continuation is scheduled for them:
 * archives take hours, so the quota frees up on the regular schedule's time scale.
 */
export async function applyArchives(ctx: JobContext, archives: PruneDecision[], report: RunReport, tally: PruneTally['archive'], safetyMarginMs?: number): Promise<void> {
  archives.sort((a, b) => a.payload.startMs - b.payload.startMs);
  const start = archives.slice(0, archiveSlots(tally));
  ctx.progress?.(`prune: moving ${start.length} snapshot(s) to the archive tier`);
  const { results, notStarted } = await applyPaced(ctx, start, snapshotArchiver, {
    action: ARCHIVE_ACTION,
    pacing: ARCHIVE_PACING,
    limitPerSecond: MODIFY_SNAPSHOT_TIER_BUCKET.refillPerSecond,
    concurrency: 4,
    safetyMarginMs,
  });
  report.results.push(...results);
  const waiting = [...archives.slice(start.length), ...notStarted];
  tally.deferred = waiting.length;
  const perGroup = new Map<string, number>();
  for (const d of waiting) perGroup.set(d.group ?? '', (perGroup.get(d.group ?? '') ?? 0) + 1);
  for (const [group, count] of perGroup) (report.resultCounts ??= []).push({ ...(group ? { group } : {}), action: ARCHIVE_ACTION, outcome: 'skipped', count });
}

/**
 * Carries out decisions with one AWS call each, paced to that call's bucket, until done or the
 * time budget runs low. `decisions` may still be growing (a queue the describe step fills):
 * `planned()` says how many there are so far, for the progress line.
 */
export function applyPaced(
  ctx: JobContext,
  decisions: PruneDecision[] | AsyncIterable<PruneDecision>,
  worker: (ec2: JobContext['clients']['ec2'], limiter: RateLimiter, sleep: JobContext['sleep']) => (d: PruneDecision) => Promise<WorkerResult>,
  o: { action: string; pacing: { capacity: number; refillPerSecond: number }; limitPerSecond: number; concurrency: number; safetyMarginMs?: number; planned?: () => number },
) {
  const limiter = new RateLimiter(o.pacing, { nowMs: ctx.nowMs, sleep: ctx.sleep });
  const planned = o.planned ?? (() => (decisions as PruneDecision[]).length);
  let failed = 0;
  return applyDecisions(decisions, worker(ctx.clients.ec2, limiter, ctx.sleep), {
    concurrency: o.concurrency,
    deadline: ctx.deadline,
    safetyMarginMs: o.safetyMarginMs ?? 30_000,
    onResult: (r, done) => {
      if (r.outcome === 'failed') failed++;
      ctx.progress?.({ job: 'prune', action: o.action, done, planned: planned(), failed, limitPerSecond: o.limitPerSecond });
    },
  });
}

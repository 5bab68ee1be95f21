import type { Config } from '../config/schema';
import { errorCode, errorMessage } from '../aws/errors';
import { BlastRadiusError, InputError } from '../engine/errors';
import { checkRunCap, emptyReport, finishReport } from '../engine/run';
import { copyOnlyRegions, homeRegion, runOverRegions } from '../engine/regions';
import { locateListedVolumes } from './locate-volumes';
import type { JobContext, RunReport } from '../engine/types';
import { snapshotDeleter } from './apply-deletions';
import type { VolumeRule } from './config';
import { describeAmiSnapshotIds } from './describe-ami-snapshots';
import { checkListedVolumes } from './describe-listed-volumes';
import { collectSnapshotGroups, describeSnapshotPages, type PruneScope, type PruneState } from './describe-snapshots';
import { DELETE_ACTION, type PruneDecision } from './plan-retention';
import { summarizePrune } from './summarize-prune';
import { type Approval, type ContinuationTarget, scheduleContinuation } from './continuation';
import { policyStaleAfterMs } from './freshness';
import { copyRulesIn, describePendingCopies } from './copies';
import { describeArchiveTiers } from './describe-tiers';
import { applyArchives, applyPaced } from './apply-prune';
import { type PlanInputs, RegionPlanner } from './plan-region';
import { DeletionQueue, earlyDeletionAllowance, rulesFingerprint, VOLUME_ID_PARTITIONS } from './early-start';

export { UNMANAGED_GROUP, VOLUME_RULES_GROUP } from './plan-region';

/** DeleteSnapshot's AWS token bucket (GUIDE §3). */
export const DELETE_SNAPSHOT_BUCKET = { capacity: 100, refillPerSecond: 5 } as const;

/**
 * Our pacing: AWS's bucket less a few tokens of headroom. The limiter counts a token when a call
 * leaves, AWS when it arrives; without headroom the limiter runs ahead by (latency × rate) tokens
 * and each burst ends in a handful of RequestLimitExceeded (measured in bench/prune.ts).
 */
export const DELETE_PACING = { capacity: DELETE_SNAPSHOT_BUCKET.capacity - 5, refillPerSecond: DELETE_SNAPSHOT_BUCKET.refillPerSecond } as const;

export interface PruneOptions {
  /**
   * Prune only these volumes with these rules, ignoring policies and `prune.volumes` (the CLI's
   * `--volume vol-… --older-than 7d`, the seed tool's behaviour).
   */
  volumes?: VolumeRule[];
  /** Deletions in flight at once (default 8: enough to keep 5/s busy at AWS's latency). */
  concurrency?: number;
  /** Stop starting deletions when less than this is left of the time budget (default 30 s). */
  safetyMarginMs?: number;
  /** Client-side pacing (default {@link DELETE_PACING}: 95 burst, 5/s). */
  rate?: { capacity: number; refillPerSecond: number };
  /** Lets a run that leaves a backlog schedule the next one (the Lambda handler sets it). */
  continuation?: ContinuationTarget;
}

/**
 * Prunes snapshots: stream DescribeSnapshots pages into per-volume groups, read the AMIs' snapshots
 * once, plan each volume purely (which rule condemns each deletion, which keeps each survivor),
 * refuse an over-large plan, then delete oldest first at the bucket's rate until done or the
 * time budget runs low. What is left is reported and the next run picks it up: it re-reads the
 * account, so nothing is deleted twice and nothing is lost. A continuation run of a backlog starts
 * deleting while it still reads, up to what its predecessor approved (early-start.ts).
 *
 * @example
 * const report = await runPrune(ctx, config);                   // scheduled run
 * const one = await runPrune({ ...ctx, dryRun: true }, config, {
 *   volumes: [{ volumeId: 'vol-0123456789abcdef0', olderThanDays: 7, minKeep: 1, timeZone: 'UTC' }],
 * });                                                            // caretaker prune --volume … --older-than 7d --dry-run
 */
export async function runPrune(ctx: JobContext, config: PruneRunConfig, options: PruneOptions = {}): Promise<RunReport> {
  const scope = pruneScope(config, options);
  const listed = scope.volumes.map((v, i) => ({ volumeId: v.volumeId, path: options.volumes ? '--volume' : `prune.volumes[${i}].volumeId` }));
  const copies = !options.volumes && config.snapshot.policies.some((p) => p.copyTo.length > 0);
  if (scope.policies.length === 0 && scope.volumes.length === 0 && !copies) {
    const report = emptyReport('prune', ctx);
    report.notes.push('Nothing to prune: no snapshot policy has a retain section and prune.volumes is empty.');
    return finishReport(report, ctx);
  }
  let located: Promise<Map<string, Set<string>>> | undefined;
  const rules = rulesFingerprint(config, options.volumes);
  let copyOnly: readonly string[] = [];
  const report = await runOverRegions('prune', ctx, config, config.prune.regions, async (regionCtx, region, all) => {
    // Copies are pruned in the Region they landed in, by their policy's copyTo retain.
    const copiesHere = options.volumes ? [] : copyRulesIn(config, region);
    if (copyOnly.includes(region)) return pruneRegion(regionCtx, region, config, { policies: [], volumes: [], copies: copiesHere }, options, rules);
    const regions = all.filter((r) => !copyOnly.includes(r));
    if (all.length === 1) return pruneRegion(regionCtx, region, config, { ...scope, copies: copiesHere }, options, rules, listed);
    // Several Regions: a policy is pruned where it snapshots, a listed volume where it is (located
    // once for the run; a typo refuses every Region before any deletes).
    located ??= locateListedVolumes((r) => (ctx.clientsIn?.(r) ?? ctx.clients).ec2, regions, listed);
    const here = (await located).get(region)!;
    const regional: PruneScope = {
      ...scope,
      policies: scope.policies.filter((p) => covers(config, p.name, region)),
      volumes: scope.volumes.filter((v) => here.has(v.volumeId)),
      copies: copiesHere,
    };
    return pruneRegion(regionCtx, region, config, regional, options, rules);
  }, (home) => (copyOnly = options.volumes ? [] : copyOnlyRegions(config, home, config.prune.regions)));
  // One continuation for the whole run: the next run re-reads every Region and continues each,
  // starting early on what each Region has left of the plan this run approved.
  const approval = report.remaining > 0 && options.continuation ? await approvalOf(ctx, report, rules) : undefined;
  await scheduleContinuation(ctx, report, options.continuation, config.prune.maxContinuationRuns, approval);
  return finishReport(report, ctx);
}

/** The deletions a run leaves per Region (those its plan passed the cap with), under its rules. */
async function approvalOf(ctx: JobContext, report: RunReport, rules: string): Promise<Approval> {
  const left = report.regions ? report.regions.map((r) => [r.region, r.remaining] as const) : [[await homeRegion(ctx), report.remaining] as const];
  return { rules, approved: Object.fromEntries(left.filter(([, n]) => n > 0)) };
}

/** What a prune run reads of the config (tests and benches pass a parsed config; Regions default to the home one). */
export type PruneRunConfig = Pick<Config, 'snapshot' | 'prune'> & Partial<Pick<Config, 'regions' | 'degraded' | 'failover'>>;

/** Prunes one Region: describe its snapshots, plan each volume, cap the whole run, delete at its buckets' rate. */
async function pruneRegion(
  ctx: JobContext,
  region: string,
  config: PruneRunConfig,
  scope: PruneScope,
  options: PruneOptions,
  rules: string,
  listed?: ReadonlyArray<{ volumeId: string; path: string }>,
): Promise<RunReport> {
  const report = emptyReport('prune', ctx);
  if (scope.policies.length === 0 && scope.volumes.length === 0 && !scope.copies?.length) {
    report.notes.push('Nothing to prune here: no policy with a retain section snapshots in this Region and no listed volume is here.');
    return finishReport(report, ctx);
  }
  // A continuation run may start deleting while it still reads (early-start.ts); any other run
  // reads everything, plans, passes the cap, then deletes. Either way deletions go through one
  // queue, oldest first among those known: a run cut short by its time budget has removed the
  // most expired snapshots.
  const early = earlyDeletionAllowance(options.continuation?.chain, { rules, region, listedVolumes: scope.volumes.length, dryRun: ctx.dryRun, cap: config.prune.maxDeletesPerRun });
  const queue = new DeletionQueue<PruneDecision>(early);
  const applying = ctx.dryRun
    ? undefined
    : applyPaced(ctx, queue, snapshotDeleter, {
        action: DELETE_ACTION,
        pacing: options.rate ?? DELETE_PACING,
        limitPerSecond: DELETE_SNAPSHOT_BUCKET.refillPerSecond,
        concurrency: options.concurrency ?? 8,
        safetyMarginMs: options.safetyMarginMs,
        planned: () => queue.planned,
      });
  /** Ends a run whose plan is refused or incomplete: what was started early finishes and is reported. */
  const stopDeletions = async () => {
    const refused = queue.refuse();
    const started = (await applying)?.results ?? [];
    if (started.length > 0) report.notes.push(`${started.length} deletion(s) of the plan the previous run approved were carried out before this run's plan was complete.`);
    report.results.push(...started);
    return refused;
  };

  let state: PruneState | undefined;
  let planner: RegionPlanner;
  let inputs: PlanInputs;
  try {
    const pendingCopies = () => (region === undefined ? Promise.resolve(new Map<string, string>()) : describePendingCopies(ctx, config, scope.policies.map((p) => p.name), region));
    if (early > 0) {
      // What the planner needs besides the snapshots comes first; the archive's times always
      // (one filtered query), since which volumes have archived snapshots is not known yet.
      inputs = { amiSnapshotIds: await describeAmiSnapshotIds(ctx.clients.ec2), pendingCopies: await pendingCopies(), tiering: await describeArchiveTiers(ctx.clients.ec2) };
      planner = new RegionPlanner(ctx, config.prune, inputs, report);
      for (const endings of VOLUME_ID_PARTITIONS) {
        state = await collectSnapshotGroups(describeSnapshotPages(ctx.clients.ec2, scope, 1000, endings), scope, state);
        // A copy's group (its source volume) may span queries: planned once all are read.
        queue.add(await planner.planGroups(state, (g) => !g.scope.startsWith('copy '), 100));
      }
    } else {
      state = await collectSnapshotGroups(describeSnapshotPages(ctx.clients.ec2, scope), scope);
      if (listed) await checkListedVolumes(ctx.clients.ec2, listed, state.seenPerVolume);
      const amiSnapshotIds = await describeAmiSnapshotIds(ctx.clients.ec2);
      inputs = { amiSnapshotIds, pendingCopies: await pendingCopies() };
      // The archive's times (the 90-day minimum, archives in progress) only when something is archived or may be.
      const { table } = state;
      if (wantsArchive(scope) || [...state.groups.values()].some((g) => g.members.some((i) => table.inArchiveTier(i)))) {
        inputs.tiering = await describeArchiveTiers(ctx.clients.ec2);
      }
      planner = new RegionPlanner(ctx, config.prune, inputs, report);
    }
  } catch (error) {
    await stopDeletions();
    if (error instanceof InputError) throw error;
    report.error = { code: errorCode(error), message: `describe failed: ${errorMessage(error)}` };
    return finishReport(report, ctx);
  }

  queue.add(await planner.planGroups(state!));
  if (planner.future > 0) report.notes.push(`${planner.future} snapshot(s) have a start time in the future (a clock ahead of ours): kept, and not counted by any rule.`);
  planner.planForeign(state!);
  const { tally } = planner;
  const facts = { pages: state!.pages, volumes: planner.volumes.size, amiSnapshots: inputs.amiSnapshotIds.size, foreign: planner.foreign };
  state!.groups.clear();
  state!.table.clear();

  const { measures, lines: ageLines } = planner.measures();
  report.measures = measures;
  report.plan = planner.plan;
  if (!ctx.dryRun) report.planCounts = [...tally.perGroup];
  try {
    await checkRunCap(ctx, queue.planned, { name: 'maxDeletesPerRun', limit: config.prune.maxDeletesPerRun });
  } catch (error) {
    const refused = await stopDeletions();
    if (!(error instanceof BlastRadiusError)) throw error;
    report.error = { code: error.name, message: error.message };
    // What the cap refused is listed (and logged), what would have been kept is counted.
    if (!ctx.dryRun) {
      report.plan = refused.map(({ target, action, reason, group }) => ({ target, action, reason, group }));
      report.planCounts = report.planCounts!.filter((c) => c.action !== DELETE_ACTION);
    }
    report.notes.push(...summarizePrune(report, tally, facts), ...ageLines);
    return finishReport(report, ctx);
  }
  // A dry run lists what it keeps; a run counts it (every kept snapshot is in the tally, per group).
  report.results = planner.skips;
  if (!ctx.dryRun) report.resultCounts = [...tally.perGroup].filter((c) => c.action === 'skip').map((c) => ({ ...c, outcome: 'skipped' as const }));

  if (!ctx.dryRun && planner.archives.length > 0) await applyArchives(ctx, planner.archives, report, tally.archive, options.safetyMarginMs);

  if (applying) {
    const startedEarly = queue.handedOut;
    if (queue.planned > startedEarly) ctx.progress?.(`prune: deleting ${queue.planned - startedEarly} snapshot(s)`);
    queue.release();
    const { results, notStarted } = await applying;
    report.results.push(...results);
    report.remaining = notStarted.length;
    if (startedEarly > 0) report.notes.push(`${startedEarly} deletion(s) started before this run's plan was complete (the previous run approved them; the whole plan then passed maxDeletesPerRun).`);
  }
  report.notes.push(...summarizePrune(report, tally, facts), ...ageLines);
  return finishReport(report, ctx);
}

function wantsArchive(scope: PruneScope): boolean {
  return scope.policies.some((p) => p.retain.archive) || scope.volumes.some((v) => v.archive);
}

/** Whether a policy snapshots in a Region (its `regions` narrowing; without one, every Region of the run). */
function covers(config: PruneRunConfig, policy: string, region: string): boolean {
  const regions = config.snapshot.policies.find((p) => p.name === policy)?.regions;
  return regions === undefined || regions.includes(region);
}

/** Which policies and volumes this run prunes. */
export function pruneScope(config: Pick<Config, 'snapshot' | 'prune'>, options: PruneOptions): PruneScope {
  if (options.volumes) return { policies: [], volumes: options.volumes, includeUnmanaged: config.prune.includeUnmanaged };
  return {
    policies: config.snapshot.policies.flatMap((p) => (p.retain ? [{ name: p.name, retain: p.retain, staleAfterMs: policyStaleAfterMs(p) }] : [])),
    volumes: config.prune.volumes,
    includeUnmanaged: config.prune.includeUnmanaged,
  };
}


import type { Config } from '../config/schema';
import { errorCode, errorMessage } from '../aws/errors';
import { applyDecisions } from '../engine/apply';
import { BlastRadiusError, InputError } from '../engine/errors';
import { RateLimiter } from '../engine/rate-limit';
import { checkRunCap, emptyReport, finishReport, skipResult } from '../engine/run';
import { runOverRegions } from '../engine/regions';
import { locateListedVolumes } from './locate-volumes';
import type { ItemResult, JobContext, RunReport } from '../engine/types';
import { snapshotDeleter } from './apply-deletions';
import type { VolumeRule } from './config';
import { describeAmiSnapshotIds } from './describe-ami-snapshots';
import { checkListedVolumes } from './describe-listed-volumes';
import { collectSnapshotGroups, describeSnapshotPages, interner, type PruneScope, type PruneState } from './describe-snapshots';
import { DELETE_ACTION, planRetention, type PruneDecision, type PruneItem } from './plan-retention';
import { countPlanEntry, emptyTally, FOREIGN_REASON, type PruneTally, summarizePrune, tallyDecision } from './summarize-prune';
import { type ContinuationTarget, scheduleContinuation } from './continuation';
import { assessFreshness, policyStaleAfterMs, staleVolumeItem } from './freshness';
import { copyRulesIn, describePendingCopies, holdForPendingCopy } from './copies';
import { ARCHIVE_PACING, MODIFY_SNAPSHOT_TIER_BUCKET, snapshotArchiver } from './apply-archives';
import { describeArchiveTiers } from './describe-tiers';
import { ARCHIVE_ACTION, type TierInfo } from './plan-archive';
import { archiveSlots } from './summarize-archive';

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
 * account, so nothing is deleted twice and nothing is lost.
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
  const report = await runOverRegions('prune', ctx, config, config.prune.regions, async (regionCtx, region, regions) => {
    // Copies are pruned in the Region they landed in, by their policy's copyTo retain.
    const copiesHere = options.volumes ? [] : copyRulesIn(config, region);
    if (regions.length === 1) return pruneRegion(regionCtx, region, config, { ...scope, copies: copiesHere }, options, listed);
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
    return pruneRegion(regionCtx, region, config, regional, options);
  });
  // One continuation for the whole run: the next run re-reads every Region and continues each.
  await scheduleContinuation(ctx, report, options.continuation, config.prune.maxContinuationRuns);
  return finishReport(report, ctx);
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
  listed?: ReadonlyArray<{ volumeId: string; path: string }>,
): Promise<RunReport> {
  const report = emptyReport('prune', ctx);
  if (scope.policies.length === 0 && scope.volumes.length === 0 && !scope.copies?.length) {
    report.notes.push('Nothing to prune here: no policy with a retain section snapshots in this Region and no listed volume is here.');
    return finishReport(report, ctx);
  }
  let state: PruneState;
  let amiSnapshotIds: Set<string>;
  let pendingCopies: Map<string, string>;
  let tiering: Map<string, TierInfo> | undefined;
  try {
    state = await collectSnapshotGroups(describeSnapshotPages(ctx.clients.ec2, scope), scope);
    if (listed) await checkListedVolumes(ctx.clients.ec2, listed, state.seenPerVolume);
    amiSnapshotIds = await describeAmiSnapshotIds(ctx.clients.ec2);
    pendingCopies = await describePendingCopies(ctx, config, scope.policies.map((p) => p.name), region);
    // The archive's times (the 90-day minimum, archives in progress) only when something is archived or may be.
    if (wantsArchive(scope) || [...state.groups.values()].some((g) => g.rows.some((r) => r.storageTier === 'archive'))) {
      tiering = await describeArchiveTiers(ctx.clients.ec2);
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    report.error = { code: errorCode(error), message: `describe failed: ${errorMessage(error)}` };
    return finishReport(report, ctx);
  }

  // What a run holds per snapshot is what a 256 MB function can prune. Reasons and rule lists
  // repeat ("kept: …" by the same rules), so each is held once; a volume's rows are let go as soon
  // as it is planned; a kept snapshot leaves only its skip result and a count (the summary's and
  // metrics' figures come from the tally), and the plan is listed entry by entry only in a dry
  // run, where it is what the run reports (measured: bench/bundles.ts, prune100k).
  const deletions: PruneDecision[] = [];
  const archives: PruneDecision[] = [];
  const skips: ItemResult[] = [];
  const plan: RunReport['plan'] = [];
  const tally = emptyTally();
  tally.archive.maxInProgress = config.prune.maxArchivesInProgress;
  for (const t of tiering?.values() ?? []) if (t.op === 'archival-in-progress') tally.archive.inProgress++;
  const volumes = new Set<string>();
  const intern = interner();
  const ruleLists = new Map<string, PruneDecision['payload']['rules']>();
  const now = ctx.now.getTime();
  const errorMaxAgeMs = config.prune.deleteErrorSnapshotsAfterDays * 86_400_000;
  let future = 0;
  for (const [key, group] of state.groups) {
    volumes.add(group.volumeId);
    const scopeGroup = reportGroup(group.scope);
    const planned = planRetention(group.rows, group.retain, { now: ctx.now, minAgeHours: config.prune.minAgeHours, amiSnapshotIds, staleAfterMs: group.staleAfterMs, errorMaxAgeMs, tiering });
    for (const d of planned) {
      holdForPendingCopy(d, pendingCopies);
      d.reason = intern(d.reason);
      d.group = scopeGroup;
      const rules = d.payload.rules.join(',');
      if (!ruleLists.has(rules)) ruleLists.set(rules, d.payload.rules.slice());
      d.payload.rules = ruleLists.get(rules)!;
      tallyDecision(tally, d);
      if (ctx.dryRun) plan.push({ target: d.target, action: d.action, reason: d.reason, group: d.group });
      if (d.action === DELETE_ACTION) deletions.push(new PlannedDeletion(d));
      else if (d.action === ARCHIVE_ACTION) archives.push(d);
      else if (ctx.dryRun) skips.push(skipResult(d));
    }
    const freshness = assessFreshness(group.rows, group.staleAfterMs, now);
    if (freshness.stale) (report.actionNeeded ??= []).push(staleVolumeItem({ ...group, freshness }, now));
    for (const row of group.rows) if (row.startMs > now) future++;
    state.groups.delete(key);
  }
  if (future > 0) report.notes.push(`${future} snapshot(s) have a start time in the future (a clock ahead of ours): kept, and not counted by any rule.`);
  for (const row of state.foreign) {
    volumes.add(row.volumeId);
    const entry = { target: row.id, action: 'skip', reason: FOREIGN_REASON, group: UNMANAGED_GROUP };
    countPlanEntry(tally, entry.group, entry.action);
    if (ctx.dryRun) {
      plan.push(entry);
      skips.push(skipResult(entry));
    }
  }
  const facts = { pages: state.pages, volumes: volumes.size, amiSnapshots: amiSnapshotIds.size, foreign: state.foreign.length };
  state.groups.clear();
  state.foreign = [];

  report.plan = plan;
  if (!ctx.dryRun) report.planCounts = [...tally.perGroup.values()];
  // Oldest first: a run cut short by its time budget has removed the most expired snapshots.
  deletions.sort((a, b) => a.payload.startMs - b.payload.startMs);
  try {
    await checkRunCap(ctx, deletions.length, { name: 'maxDeletesPerRun', limit: config.prune.maxDeletesPerRun });
  } catch (error) {
    if (!(error instanceof BlastRadiusError)) throw error;
    report.error = { code: error.name, message: error.message };
    // What the cap refused is listed (and logged), what would have been kept is counted.
    if (!ctx.dryRun) {
      report.plan = deletions.map(({ target, action, reason, group }) => ({ target, action, reason, group }));
      report.planCounts = report.planCounts!.filter((c) => c.action !== DELETE_ACTION);
    }
    report.notes.push(...summarizePrune(report, tally, facts));
    return finishReport(report, ctx);
  }
  // A dry run lists what it keeps; a run counts it (every kept snapshot is in the tally, per group).
  report.results = skips;
  if (!ctx.dryRun) report.resultCounts = [...tally.perGroup.values()].filter((c) => c.action === 'skip').map((c) => ({ ...c, outcome: 'skipped' as const }));

  if (!ctx.dryRun && archives.length > 0) await applyArchives(ctx, archives, report, tally.archive, options);

  if (!ctx.dryRun && deletions.length > 0) {
    ctx.progress?.(`prune: deleting ${deletions.length} snapshot(s)`);
    const limiter = new RateLimiter(options.rate ?? DELETE_PACING, { nowMs: ctx.nowMs, sleep: ctx.sleep });
    let failed = 0;
    const { results, notStarted } = await applyDecisions(deletions, snapshotDeleter(ctx.clients.ec2, limiter, ctx.sleep), {
      concurrency: options.concurrency ?? 8,
      deadline: ctx.deadline,
      safetyMarginMs: options.safetyMarginMs ?? 30_000,
      onResult: (r, done) => {
        if (r.outcome === 'failed') failed++;
        ctx.progress?.({ job: 'prune', action: DELETE_ACTION, done, planned: deletions.length, failed, limitPerSecond: DELETE_SNAPSHOT_BUCKET.refillPerSecond });
      },
    });
    report.results.push(...results);
    report.remaining = notStarted.length;
  }
  report.notes.push(...summarizePrune(report, tally, facts));
  return finishReport(report, ctx);
}

/**
 * A planned deletion held until it is carried out: the decision and its payload in one object
 * (a run may hold 50,000 of them for its whole 15 minutes), serialised as the decision it is.
 */
class PlannedDeletion implements PruneDecision, PruneItem {
  readonly target: string;
  readonly reason: string;
  readonly group?: string;
  readonly volumeId: string;
  readonly sizeGiB: number;
  readonly startMs: number;
  readonly unmanaged: boolean;
  readonly rules: PruneItem['rules'];
  constructor(d: PruneDecision) {
    this.target = d.target;
    this.reason = d.reason;
    this.group = d.group;
    ({ volumeId: this.volumeId, sizeGiB: this.sizeGiB, startMs: this.startMs, unmanaged: this.unmanaged, rules: this.rules } = d.payload);
  }
  get action(): string {
    return DELETE_ACTION;
  }
  get payload(): PruneItem {
    return this;
  }
}

/**
 * Starts the archive moves the Region's in-progress quota has room for, oldest first, paced to
 * ModifySnapshotTier's bucket; the others wait for a later run (counted, not listed: on the first
 * run after `retain.archive` is set they may be many). No continuation is scheduled for them:
 * archives take hours, so the quota frees up on the regular schedule's time scale.
 */
async function applyArchives(ctx: JobContext, archives: PruneDecision[], report: RunReport, tally: PruneTally['archive'], options: PruneOptions): Promise<void> {
  archives.sort((a, b) => a.payload.startMs - b.payload.startMs);
  const start = archives.slice(0, archiveSlots(tally));
  const limiter = new RateLimiter(ARCHIVE_PACING, { nowMs: ctx.nowMs, sleep: ctx.sleep });
  let failed = 0;
  ctx.progress?.(`prune: moving ${start.length} snapshot(s) to the archive tier`);
  const { results, notStarted } = await applyDecisions(start, snapshotArchiver(ctx.clients.ec2, limiter, ctx.sleep), {
    concurrency: 4,
    deadline: ctx.deadline,
    safetyMarginMs: options.safetyMarginMs ?? 30_000,
    onResult: (r, done) => {
      if (r.outcome === 'failed') failed++;
      ctx.progress?.({ job: 'prune', action: ARCHIVE_ACTION, done, planned: start.length, failed, limitPerSecond: MODIFY_SNAPSHOT_TIER_BUCKET.refillPerSecond });
    },
  });
  report.results.push(...results);
  const waiting = [...archives.slice(start.length), ...notStarted];
  tally.deferred = waiting.length;
  const perGroup = new Map<string, number>();
  for (const d of waiting) perGroup.set(d.group ?? '', (perGroup.get(d.group ?? '') ?? 0) + 1);
  for (const [group, count] of perGroup) (report.resultCounts ??= []).push({ ...(group ? { group } : {}), action: ARCHIVE_ACTION, outcome: 'skipped', count });
}

function wantsArchive(scope: PruneScope): boolean {
  return scope.policies.some((p) => p.retain.archive) || scope.volumes.some((v) => v.archive);
}

/** Reports and metrics count per policy; every `prune.volumes` rule counts as one group (not one per volume). */
export const VOLUME_RULES_GROUP = 'prune.volumes';
export const UNMANAGED_GROUP = 'unmanaged';

function reportGroup(scope: string): string {
  if (scope.startsWith('copy ')) return `${scope.slice('copy '.length)} copies`;
  return scope.startsWith('policy ') ? scope.slice('policy '.length) : VOLUME_RULES_GROUP;
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


import type { Config } from '../config/schema';
import { errorCode, errorMessage } from '../aws/errors';
import { applyDecisions, type WorkerResult } from '../engine/apply';
import { BlastRadiusError, InputError } from '../engine/errors';
import { RateLimiter } from '../engine/rate-limit';
import { checkRunCap, emptyReport, finishReport, skipResult } from '../engine/run';
import { copyOnlyRegions, runOverRegions } from '../engine/regions';
import { locateListedVolumes } from './locate-volumes';
import type { ItemResult, JobContext, RunReport } from '../engine/types';
import { snapshotDeleter } from './apply-deletions';
import type { VolumeRule } from './config';
import { describeAmiSnapshotIds } from './describe-ami-snapshots';
import { checkListedVolumes } from './describe-listed-volumes';
import { collectSnapshotGroups, describeSnapshotPages, interner, type PruneScope, type PruneState } from './describe-snapshots';
import { DELETE_ACTION, judgeRetention, type PruneDecision, type PruneItem, type SnapshotRow } from './plan-retention';
import { countPlanEntry, emptyTally, FOREIGN_REASON, type PruneTally, summarizePrune, tallyVerdict } from './summarize-prune';
import { type ContinuationTarget, scheduleContinuation } from './continuation';
import { assessFreshness, backupAgeLine, policyStaleAfterMs, staleVolumeItem, WorstBackupAge } from './freshness';
import { copyRulesIn, describePendingCopies, pendingCopyHold } from './copies';
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
  let copyOnly: readonly string[] = [];
  const report = await runOverRegions('prune', ctx, config, config.prune.regions, async (regionCtx, region, all) => {
    // Copies are pruned in the Region they landed in, by their policy's copyTo retain.
    const copiesHere = options.volumes ? [] : copyRulesIn(config, region);
    if (copyOnly.includes(region)) return pruneRegion(regionCtx, region, config, { policies: [], volumes: [], copies: copiesHere }, options);
    const regions = all.filter((r) => !copyOnly.includes(r));
    if (all.length === 1) return pruneRegion(regionCtx, region, config, { ...scope, copies: copiesHere }, options, listed);
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
  }, (home) => (copyOnly = options.volumes ? [] : copyOnlyRegions(config, home, config.prune.regions)));
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
    pendingCopies = region === undefined ? new Map() : await describePendingCopies(ctx, config, scope.policies.map((p) => p.name), region);
    // The archive's times (the 90-day minimum, archives in progress) only when something is archived or may be.
    const { table } = state;
    if (wantsArchive(scope) || [...state.groups.values()].some((g) => g.members.some((i) => table.inArchiveTier(i)))) {
      tiering = await describeArchiveTiers(ctx.clients.ec2);
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    report.error = { code: errorCode(error), message: `describe failed: ${errorMessage(error)}` };
    return finishReport(report, ctx);
  }

  // What a run holds per snapshot is what a 256 MB function can prune. The describe step keeps a
  // compact table; a volume's rows exist only while it is planned; the planner's verdict on a
  // snapshot is a rule mask, so a kept snapshot leaves only counts (the summary's and metrics'
  // figures come from the tally) and builds no reason, and a deletion is one object whose reason
  // is shared by its group. The plan is listed entry by entry only in a dry run, where it is what
  // the run reports (measured: bench/bundles.ts, prune100k).
  const deletions: PruneDecision[] = [];
  const archives: PruneDecision[] = [];
  const skips: ItemResult[] = [];
  const plan: RunReport['plan'] = [];
  const tally = emptyTally();
  tally.archive.maxInProgress = config.prune.maxArchivesInProgress;
  for (const t of tiering?.values() ?? []) if (t.op === 'archival-in-progress') tally.archive.inProgress++;
  const volumes = new Set<string>();
  const intern = interner();
  const now = ctx.now.getTime();
  const errorMaxAgeMs = config.prune.deleteErrorSnapshotsAfterDays * 86_400_000;
  const { table } = state;
  let future = 0;
  const ages = new Map<string, { worst: WorstBackupAge; staleAfterMs?: number }>();
  for (const [key, group] of state.groups) {
    volumes.add(group.volumeId);
    const scopeGroup = reportGroup(group.scope);
    const rows = group.members.map((i) => table.row(i));
    const judged = judgeRetention(rows, group.retain, { now: ctx.now, minAgeHours: config.prune.minAgeHours, amiSnapshotIds, staleAfterMs: group.staleAfterMs, errorMaxAgeMs, tiering });
    judged.sorted.forEach((row, i) => {
      // A source whose copy is still pending stays until the copy completes.
      const held = judged.isDeletion(i) ? pendingCopyHold(row.id, pendingCopies) : undefined;
      const action = held ? 'skip' : judged.action(i);
      const rules = held?.rules ?? judged.rules(i);
      const archived = judged.archived(i);
      tallyVerdict(tally, scopeGroup, action, rules, row, archived);
      if (ctx.dryRun) {
        // Listed in full, but with the reasons and rule lists that repeat held once.
        const d = { ...judged.decision(i), action, reason: intern(held?.reason ?? judged.reason(i)), group: scopeGroup };
        d.payload.rules = rules;
        plan.push({ target: d.target, action: d.action, reason: d.reason, group: d.group });
        if (action === DELETE_ACTION) deletions.push(d);
        else if (action === ARCHIVE_ACTION) archives.push(d);
        else skips.push(skipResult(d));
      } else if (action === DELETE_ACTION) {
        deletions.push(new PlannedDeletion(row, intern(judged.reason(i)), scopeGroup, judged.rules(i), archived));
      } else if (action === ARCHIVE_ACTION) {
        // Moves are few (the archive's rules and the in-progress quota bound them): one decision each.
        archives.push({ ...judged.decision(i), reason: intern(judged.reason(i)), group: scopeGroup });
      }
    });
    const freshness = assessFreshness(rows, group.staleAfterMs, now);
    if (freshness.stale) (report.actionNeeded ??= []).push(staleVolumeItem({ ...group, freshness }, now));
    let age = ages.get(scopeGroup);
    if (!age) ages.set(scopeGroup, (age = { worst: new WorstBackupAge(), staleAfterMs: group.staleAfterMs }));
    age.worst.add(freshness, now);
    for (const row of rows) if (row.startMs > now) future++;
    state.groups.delete(key);
  }
  if (future > 0) report.notes.push(`${future} snapshot(s) have a start time in the future (a clock ahead of ours): kept, and not counted by any rule.`);
  for (const index of state.foreign) {
    const row = table.row(index);
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
  table.clear();

  // Volume rules each have their own guard: their group's age has no one threshold.
  report.measures = [...ages].flatMap(([group, { worst, staleAfterMs }]) =>
    worst.ageMs === undefined
      ? []
      : [{ group, worstBackupAgeMs: worst.ageMs, volumes: worst.volumes, worstCompleted: worst.completed, ...(group !== VOLUME_RULES_GROUP && staleAfterMs !== undefined ? { staleAfterMs } : {}) }],
  );
  const ageLines = report.measures.flatMap((m) => backupAgeLine(m.group === VOLUME_RULES_GROUP ? 'the prune.volumes rules' : `policy ${m.group}`, m) ?? []);
  report.plan = plan;
  if (!ctx.dryRun) report.planCounts = [...tally.perGroup];
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
    report.notes.push(...summarizePrune(report, tally, facts), ...ageLines);
    return finishReport(report, ctx);
  }
  // A dry run lists what it keeps; a run counts it (every kept snapshot is in the tally, per group).
  report.results = skips;
  if (!ctx.dryRun) report.resultCounts = [...tally.perGroup].filter((c) => c.action === 'skip').map((c) => ({ ...c, outcome: 'skipped' as const }));

  if (!ctx.dryRun && archives.length > 0) await applyArchives(ctx, archives, report, tally.archive, options);

  if (!ctx.dryRun && deletions.length > 0) {
    ctx.progress?.(`prune: deleting ${deletions.length} snapshot(s)`);
    const { results, notStarted } = await applyPaced(ctx, deletions, snapshotDeleter, {
      action: DELETE_ACTION,
      pacing: options.rate ?? DELETE_PACING,
      limitPerSecond: DELETE_SNAPSHOT_BUCKET.refillPerSecond,
      concurrency: options.concurrency ?? 8,
      safetyMarginMs: options.safetyMarginMs,
    });
    report.results.push(...results);
    report.remaining = notStarted.length;
  }
  report.notes.push(...summarizePrune(report, tally, facts), ...ageLines);
  return finishReport(report, ctx);
}

/**
 * A planned deletion held until it is carried out: the decision and its payload in one object
 * (a run may hold 50,000 of them for its whole 15 minutes), serialised as the decision it is.
 */
class PlannedDeletion implements PruneDecision, PruneItem {
  readonly target: string;
  readonly volumeId: string;
  readonly sizeGiB: number;
  readonly startMs: number;
  readonly unmanaged: boolean;
  readonly archived?: true;
  constructor(
    row: SnapshotRow,
    readonly reason: string,
    readonly group: string,
    /** Shared with every deletion of the same verdict: read-only. */
    readonly rules: PruneItem['rules'],
    archived: boolean,
  ) {
    ({ id: this.target, volumeId: this.volumeId, sizeGiB: this.sizeGiB, startMs: this.startMs, unmanaged: this.unmanaged } = row);
    if (archived) this.archived = true;
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
  ctx.progress?.(`prune: moving ${start.length} snapshot(s) to the archive tier`);
  const { results, notStarted } = await applyPaced(ctx, start, snapshotArchiver, {
    action: ARCHIVE_ACTION,
    pacing: ARCHIVE_PACING,
    limitPerSecond: MODIFY_SNAPSHOT_TIER_BUCKET.refillPerSecond,
    concurrency: 4,
    safetyMarginMs: options.safetyMarginMs,
  });
  report.results.push(...results);
  const waiting = [...archives.slice(start.length), ...notStarted];
  tally.deferred = waiting.length;
  const perGroup = new Map<string, number>();
  for (const d of waiting) perGroup.set(d.group ?? '', (perGroup.get(d.group ?? '') ?? 0) + 1);
  for (const [group, count] of perGroup) (report.resultCounts ??= []).push({ ...(group ? { group } : {}), action: ARCHIVE_ACTION, outcome: 'skipped', count });
}

/** Carries out decisions with one AWS call each, paced to that call's bucket, until done or the time budget runs low. */
function applyPaced(
  ctx: JobContext,
  decisions: PruneDecision[],
  worker: (ec2: JobContext['clients']['ec2'], limiter: RateLimiter, sleep: JobContext['sleep']) => (d: PruneDecision) => Promise<WorkerResult>,
  o: { action: string; pacing: { capacity: number; refillPerSecond: number }; limitPerSecond: number; concurrency: number; safetyMarginMs?: number },
) {
  const limiter = new RateLimiter(o.pacing, { nowMs: ctx.nowMs, sleep: ctx.sleep });
  let failed = 0;
  return applyDecisions(decisions, worker(ctx.clients.ec2, limiter, ctx.sleep), {
    concurrency: o.concurrency,
    deadline: ctx.deadline,
    safetyMarginMs: o.safetyMarginMs ?? 30_000,
    onResult: (r, done) => {
      if (r.outcome === 'failed') failed++;
      ctx.progress?.({ job: 'prune', action: o.action, done, planned: decisions.length, failed, limitPerSecond: o.limitPerSecond });
    },
  });
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


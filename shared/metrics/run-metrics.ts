import { planTotals } from '../engine/run';
import type { ItemResult, RunReport } from '../engine/types';
import { LEVEL_DIMENSIONS, type MetricLevel, type MetricName } from './catalog';
import type { FailoverObservations } from './failover-observer';
import { COPY_ACTION, DEDUPE_ACTION } from '../copy/plan-copies';

/** One EMF line's worth: a dimension set (besides `service`) and the metrics measured under it. */
export interface MetricSet {
  level: MetricLevel;
  dimensions: Record<string, string>;
  values: Partial<Record<MetricName, number | number[]>>;
}

const DELETE = 'delete-snapshot';
/** Prune's move of a kept snapshot to the archive tier (shared/prune/plan-archive.ts). */
const ARCHIVE = 'archive-snapshot';
const MOVES = new Set(['upsert', 'create', 'associate-address']);
const REPLACEMENT_ACTIONS = new Set(['notify', 'stop-start', 'relaunch']);

/**
 * The metrics of one run, computed from its report alone (plus, for failover, what the watch loop
 * observed), so emitting them costs no API call. Pure: the same report gives the same sets.
 * A dry run changes nothing, so it measures nothing: it returns no set.
 *
 * @example
 * emitMetrics(runMetrics(report, 'eu-west-1'), { service, write });
 */
export function runMetrics(report: RunReport, region: string, failover?: FailoverObservations): MetricSet[] {
  if (report.dryRun) return [];
  const base = { Job: report.job, Region: region };
  const counts = { done: 0, skipped: 0, failed: 0 };
  for (const r of report.results) counts[r.outcome]++;
  for (const c of report.resultCounts ?? []) counts[c.outcome] += c.count;
  const actions = report.actionNeeded ?? [];
  const sets: MetricSet[] = [
    set('run', base, {
      ItemsDone: counts.done,
      ItemsSkipped: counts.skipped,
      ItemsFailed: counts.failed,
      RunRefused: report.error ? 1 : 0,
      RunDuration: Math.max(0, (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000),
      ActionNeeded: actions.length,
      StaleVolumes: actions.filter((a) => a.kind === 'stale-volume').length,
      Remaining: report.remaining,
    }),
  ];
  if (report.job === 'snapshot') sets.push(...snapshotSets(report, base));
  if (report.job === 'prune') sets.push(...pruneSets(report, base));
  if (report.job === 'degraded') sets.push(...replacementSets(report, base));
  if (report.job === 'failover') sets.push(...failoverSets(report, base, failover ?? new Map()));
  return sets;
}

function set(level: MetricLevel, dimensions: Record<string, string>, values: MetricSet['values']): MetricSet {
  const keys = LEVEL_DIMENSIONS[level];
  return { level, dimensions: Object.fromEntries(keys.map((k) => [k, dimensions[k] ?? 'none'])), values };
}

function byGroup<T extends { group?: string }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = item.group ?? 'none';
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(item);
  }
  return groups;
}

function snapshotIds(r: ItemResult): number {
  return typeof r.details?.snapshots === 'string' && r.details.snapshots ? r.details.snapshots.split(', ').length : 0;
}

function snapshotSets(report: RunReport, base: Record<string, string>): MetricSet[] {
  return [...byGroup(report.results)].map(([policy, results]) =>
    set('policy', { ...base, Policy: policy }, {
      SnapshotsStarted: results.reduce((n, r) => n + snapshotIds(r), 0),
      // The run does not wait for completion; a result that saw its snapshots completed says so.
      SnapshotsCompleted: results.reduce((n, r) => n + (typeof r.details?.completed === 'number' ? r.details.completed : 0), 0),
      SnapshotsFailed: results.filter((r) => r.outcome === 'failed' && r.action !== COPY_ACTION && r.action !== DEDUPE_ACTION).length,
      SnapshotCopies: results.filter((r) => r.action === COPY_ACTION && r.outcome === 'done').length,
    }),
  );
}

function pruneSets(report: RunReport, base: Record<string, string>): MetricSet[] {
  // Prune counts its plan rather than listing it outside dry runs: totals cover both.
  const plan = new Map<string, { planned: number; kept: number; archives: number }>();
  for (const { group, action, count } of planTotals(report)) {
    const policy = group ?? 'none';
    let entry = plan.get(policy);
    if (!entry) plan.set(policy, (entry = { planned: 0, kept: 0, archives: 0 }));
    if (action === DELETE) entry.planned += count;
    else entry.kept += count;
    if (action === ARCHIVE) entry.archives += count;
  }
  const results = byGroup(report.results.filter((r) => r.action === DELETE));
  const archived = byGroup(report.results.filter((r) => r.action === ARCHIVE && r.outcome === 'done'));
  return [...plan].map(([policy, { planned, kept, archives }]) => {
    const deletes = results.get(policy) ?? [];
    return set('policy', { ...base, Policy: policy }, {
      SnapshotsDeleted: deletes.filter((r) => r.outcome === 'done').length,
      SnapshotsKept: kept,
      DeletionsFailed: deletes.filter((r) => r.outcome === 'failed').length,
      // Planned but never attempted: the time budget ran out, or the cap refused the whole plan.
      DeletionsRemaining: planned - deletes.length,
      // Only for policies with archive moves planned (an archive rule), so other policies' series stay as they were.
      ...(archives > 0 ? { SnapshotsArchived: (archived.get(policy) ?? []).length } : {}),
    });
  });
}

function replacementSets(report: RunReport, base: Record<string, string>): MetricSet[] {
  const tally = new Map<string, number>();
  for (const r of report.results) {
    if (!REPLACEMENT_ACTIONS.has(r.action)) continue;
    const key = `${r.action}|${r.outcome}`;
    tally.set(key, (tally.get(key) ?? 0) + 1);
  }
  return [...tally].map(([key, n]) => {
    const [action, outcome] = key.split('|') as [string, string];
    return set('replacement', { ...base, Action: action, Outcome: outcome }, { Replacements: n });
  });
}

function failoverSets(report: RunReport, base: Record<string, string>, observed: FailoverObservations): MetricSet[] {
  const results = byGroup(report.results);
  const groups = new Set([...observed.keys(), ...[...results.keys()].filter((g) => g !== 'none')]);
  return [...groups].map((group) => {
    const rs = results.get(group) ?? [];
    const o = observed.get(group);
    const allDown = rs.some((r) => r.errorCode === 'AllMembersDown');
    return set('group', { ...base, Group: group }, {
      FailoverMoves: rs.filter((r) => MOVES.has(r.action) && r.outcome === 'done').length,
      ...(o && o.latenciesMs.length ? { ProbeLatency: o.latenciesMs } : {}),
      ProbeFailures: o?.probeFailures ?? 0,
      ...(o ? { HealthyMembers: o.healthy } : {}),
      NoHealthyMember: allDown || (o !== undefined && o.healthy === 0 && o.members > 0) ? 1 : 0,
    });
  });
}

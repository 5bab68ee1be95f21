import { splitByRegion } from '../engine/merge-regions';
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
  if (report.regions) {
    // A run over several Regions measures each Region under its own Region dimension, from its
    // items' Regions (never the home client's); a failover group's pass observations go to the
    // Region its results are in.
    // (a group without results there is counted in the home Region).
    const sets: MetricSet[] = [];
    const parts = splitByRegion(report, region);
    const groupRegion = new Map(report.results.map((r) => [r.group, r.region ?? region]));
    for (const [name, part] of parts) {
      const observed = failover && new Map([...failover].filter(([g]) => (groupRegion.get(g) ?? region) === name));
      sets.push(...regionMetrics(part, name, observed));
    }
    return sets;
  }
  // A report that knows its Region wins over the caller's (the home client's).
  return regionMetrics(report, report.region ?? region, failover);
}

function regionMetrics(report: RunReport, region: string, failover?: FailoverObservations): MetricSet[] {
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
      // Only runs that planned copies measure them, so deployments without copyTo keep their series as they were.
      ...(report.plan.some(isCopyWork) || actions.some((a) => a.kind === 'copy-error') ? { CopyErrors: actions.filter((a) => a.kind === 'copy-error').length } : {}),
    }),
  ];
  if (report.job === 'snapshot') sets.push(...snapshotSets(report, base));
  if (report.job === 'prune') sets.push(...pruneSets(report, base));
  if (report.job === 'degraded') sets.push(...replacementSets(report, base));
  if (report.job === 'failover') sets.push(...failoverSets(report, base, failover ?? new Map()));
  return sets;
}

const isCopyWork = (d: { action: string }) => d.action === COPY_ACTION || d.action === DEDUPE_ACTION;

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

const hours = (ms: number) => Math.round(ms / 36_000) / 100;

/** The run's measures by group: hours of backup age, completions (absent when not measured). */
function measured(report: RunReport): Map<string, MetricSet['values']> {
  const out = new Map<string, MetricSet['values']>();
  for (const m of report.measures ?? []) {
    out.set(m.group, {
      ...(report.job === 'snapshot' && m.snapshotsCompleted !== undefined ? { SnapshotsCompleted: m.snapshotsCompleted } : {}),
      ...(m.worstBackupAgeMs !== undefined ? { WorstBackupAgeHours: hours(m.worstBackupAgeMs) } : {}),
      ...(m.worstBackupAgeMs !== undefined && m.staleAfterMs !== undefined ? { StaleAfterHours: hours(m.staleAfterMs) } : {}),
    });
  }
  return out;
}

function snapshotSets(report: RunReport, base: Record<string, string>): MetricSet[] {
  const results = byGroup(report.results);
  const measures = measured(report);
  const policies = new Set([...results.keys(), ...measures.keys()]);
  return [...policies].map((policy) => {
    const rs = results.get(policy) ?? [];
    return set('policy', { ...base, Policy: policy }, {
      SnapshotsStarted: rs.reduce((n, r) => n + snapshotIds(r), 0),
      SnapshotsFailed: rs.filter((r) => r.outcome === 'failed' && r.action !== COPY_ACTION && r.action !== DEDUPE_ACTION).length,
      SnapshotCopies: rs.filter((r) => r.action === COPY_ACTION && r.outcome === 'done').length,
      ...(rs.some(isCopyWork) ? { SnapshotCopiesFailed: rs.filter((r) => isCopyWork(r) && r.outcome === 'failed').length } : {}),
      // Completions since the schedule's previous firing and the worst backup age (run-snapshot).
      ...measures.get(policy),
    });
  });
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
  const measures = measured(report);
  for (const policy of measures.keys()) if (!plan.has(policy)) plan.set(policy, { planned: 0, kept: 0, archives: 0 });
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
      ...measures.get(policy),
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

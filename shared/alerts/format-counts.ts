import { splitByRegion } from '../engine/merge-regions';
import { planTotals } from '../engine/run';
import type { RunReport } from '../engine/types';

/**
 * Counts per group (policy or failover group) and action, one line each: what a run did at a
 * glance, whatever its size. A dry run counts its plan; a run counts its results by outcome.
 *
 * @example
 * countTable(report, 'eu-west-1');
 * // Counts in eu-west-1 (policy / action: outcomes):
 * //   daily / delete-snapshot: done 48, failed 1
 */
export function countTable(report: RunReport, region?: string): string[] {
  const rows = new Map<string, Map<string, number>>();
  const add = (group: string | undefined, action: string, outcome: string, n = 1) => {
    const key = group ? `${group} / ${action}` : action;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = new Map()));
    row.set(outcome, (row.get(outcome) ?? 0) + n);
  };
  if (report.dryRun || (report.error && report.results.length === 0)) {
    for (const p of planTotals(report)) add(p.group, p.action, p.action === 'skip' ? 'kept/skipped' : 'planned', p.count);
  } else {
    for (const r of report.results) add(r.group, r.action, r.outcome);
    for (const c of report.resultCounts ?? []) add(c.group, c.action, c.outcome, c.count);
  }
  const title = `Counts${region ? ` in ${region}` : ''} (${report.job === 'failover' ? 'group' : 'policy'} / action: outcomes):`;
  if (rows.size === 0) return [title, '  nothing'];
  return [title, ...[...rows].map(([key, row]) => `  ${key}: ${[...row].map(([o, n]) => `${o} ${n.toLocaleString('en-US')}`).join(', ')}`)];
}

/**
 * The count table of a run, one per Region in a run over several Regions (each with its backlog,
 * and why it did nothing if it failed), else the one table of the run's Region.
 *
 * @example
 * regionCountTables(report, 'us-east-1');
 * // Counts in us-east-1 (policy / action: outcomes): ...
 * //
 * // Counts in eu-west-1 (policy / action: outcomes): ...
 * //   eu-west-1 did nothing (AuthFailure): ...
 */
export function regionCountTables(report: RunReport, home?: string): string[] {
  if (!report.regions) return countTable(report, home);
  const out: string[] = [];
  for (const [region, part] of splitByRegion(report, home ?? report.regions[0]!.region)) {
    if (out.length > 0) out.push('');
    out.push(...countTable(part, region));
    const own = report.regions.find((r) => r.region === region);
    if (own?.error && !report.error) out.push(`  ${region} did nothing (${own.error.code}): ${own.error.message}`);
    if (part.remaining > 0) out.push(`  not started in ${region} (time budget): ${part.remaining}`);
  }
  return out;
}

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

import { describe, expect, it } from 'vitest';
import { compactEmf, renderDashboard } from '../../cli/dashboard-text';
import type { RunReport } from '../../shared/engine/types';
import { emitMetrics } from '../../shared/metrics/emit-metrics';
import { runMetrics } from '../../shared/metrics/run-metrics';

const HOUR = 3_600_000;
const report = (over: Partial<RunReport>): RunReport => ({
  job: 'snapshot',
  runId: 'r',
  dryRun: false,
  startedAt: '2026-11-22T03:00:00.000Z',
  finishedAt: '2026-11-22T03:00:10.000Z',
  plan: [],
  results: [],
  remaining: 0,
  notes: [],
  ...over,
});
const emf = (reports: RunReport[]) => {
  const lines: string[] = [];
  for (const r of reports) emitMetrics(runMetrics(r, 'eu-west-1'), { service: 's', timestamp: new Date(r.finishedAt), write: (l) => lines.push(l) });
  return lines;
};
const config = { snapshot: { policies: [{ name: 'daily', retain: { daily: 7 } }, { name: 'hourly' }] } };

describe('the dashboard drawn as text (the demo\'s)', () => {
  it('draws the backup-age panel: the worst age per policy from each job beside its stale-after line, the largest of several runs', () => {
    const lines = emf([
      report({ measures: [{ group: 'daily', snapshotsCompleted: 3, worstBackupAgeMs: 20 * HOUR, volumes: 3, staleAfterMs: 36 * HOUR }] }),
      report({ measures: [{ group: 'daily', worstBackupAgeMs: 40.5 * HOUR, volumes: 3, staleAfterMs: 36 * HOUR }] }),
      report({ job: 'prune', measures: [{ group: 'daily', worstBackupAgeMs: 50 * HOUR, volumes: 4, staleAfterMs: 36 * HOUR }] }),
    ]);
    const text = renderDashboard(config, lines, 'eu-west-1', 10);
    const panel = text.slice(text.indexOf('┌ Backup age: worst volume per policy (hours) and its stale-after line'));
    expect(panel.slice(0, panel.indexOf('└') + 1)).toEqual([
      '┌ Backup age: worst volume per policy (hours) and its stale-after line',
      '│ age daily (Maximum)             40.5 ████████',
      '│ stale after daily (Maximum)       36 ███████',
      '│ age hourly (Maximum)         no data ',
      '│ stale after hourly (Maximum) no data ',
      '│ age daily (prune) (Maximum)       50 ██████████',
      '└',
    ]);
    // Completions are summed over runs; a run that did not count them adds nothing.
    expect(text.find((l) => l.startsWith('│ completed daily (Sum)'))).toMatch(/ 3 /);
    expect(compactEmf(lines[1]!)).toBe('{Job=snapshot, Region=eu-west-1, Policy=daily} SnapshotsStarted=0 SnapshotsFailed=0 SnapshotCopies=0 SnapshotsCompleted=3 WorstBackupAgeHours=20 StaleAfterHours=36');
  });
});

import type { ItemResult, RunReport } from '../engine/types';

const TITLES: Record<RunReport['job'], string> = {
  snapshot: 'Snapshot',
  prune: 'Prune',
  degraded: 'Degraded hosts',
  failover: 'DNS failover',
};

/** The one-line verdict used as the e-mail subject. */
export function reportSubject(report: RunReport, prefix = '[caretaker]'): string {
  const counts = countOutcomes(report.results);
  const title = TITLES[report.job];
  let verdict: string;
  if (report.error) verdict = `REFUSED (${report.error.code})`;
  else if (report.dryRun) verdict = `dry run: ${report.plan.filter((p) => p.action !== 'skip').length} planned`;
  else if (counts.failed > 0) verdict = `FAILED ${counts.failed}, done ${counts.done}`;
  else verdict = `ok: ${counts.done} done, ${counts.skipped} skipped`;
  const actions = report.actionNeeded?.length ?? 0;
  return `${prefix} ${title} ${actions > 0 ? `ACTION NEEDED (${actions}), ` : ''}${verdict}`;
}

export function countOutcomes(results: ItemResult[]): Record<ItemResult['outcome'], number> {
  const counts = { done: 0, skipped: 0, failed: 0 };
  for (const r of results) counts[r.outcome]++;
  return counts;
}

/**
 * A human-readable summary: the verdict, failures first (so a cut never hides them), then what
 * was done and skipped and why; in a dry run, the plan.
 */
export function formatReport(report: RunReport, maxPerList = Number.POSITIVE_INFINITY): string {
  const out: string[] = [];
  const counts = countOutcomes(report.results);
  out.push(`EC2 Caretaker: ${TITLES[report.job]} run ${report.runId}${report.dryRun ? ' (DRY RUN: nothing was changed)' : ''}`);
  out.push(`Started ${report.startedAt}, finished ${report.finishedAt}.`);
  if (report.error) out.push('', `NOTHING WAS DONE: ${report.error.message}`);
  const actions = report.actionNeeded ?? [];
  if (actions.length > 0) {
    out.push('', `ACTION NEEDED (${actions.length}):`);
    for (const a of actions) out.push(`  ${a.subject}: ${a.problem}`, `    -> ${a.todo}`);
  }
  // Notes (totals) go before the per-item lists: a run with thousands of items is cut to SNS's
  // 256 KiB at the end, and the cut must never take the totals with it.
  const notes = report.notes.length > 0 ? ['', 'Notes:', ...report.notes.map((n) => `  ${n}`)] : [];
  if (report.dryRun) {
    const actions = report.plan.filter((p) => p.action !== 'skip');
    out.push('', `Plan: ${actions.length} action(s), ${report.plan.length - actions.length} skip(s).`, ...notes, '');
    for (const p of report.plan.slice(0, maxPerList)) out.push(`  ${p.action.padEnd(16)} ${p.target}: ${p.reason}`);
    more(out, report.plan.length - maxPerList);
  } else {
    out.push('', `Done ${counts.done}, skipped ${counts.skipped}, failed ${counts.failed}.`);
    if (report.remaining > 0) out.push(`Not started (time budget): ${report.remaining}; the next run continues.`);
    out.push(...notes);
    section(out, 'Failed', report.results.filter((r) => r.outcome === 'failed'), maxPerList);
    section(out, 'Done', report.results.filter((r) => r.outcome === 'done'), maxPerList);
    section(out, 'Skipped', report.results.filter((r) => r.outcome === 'skipped'), maxPerList);
  }
  return out.join('\n');
}

function section(out: string[], title: string, results: ItemResult[], maxPerList: number): void {
  if (results.length === 0) return;
  out.push('', `${title} (${results.length}):`);
  for (const r of results.slice(0, maxPerList)) {
    const code = r.errorCode ? ` [${r.errorCode}]` : '';
    const details = r.details
      ? ` (${Object.entries(r.details)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')})`
      : '';
    out.push(`  ${r.action} ${r.id}${code}: ${r.reason}${details}`);
  }
  more(out, results.length - maxPerList);
}

function more(out: string[], count: number): void {
  if (count > 0) out.push(`  ... ${count} more: every item is in the function's log ('run detail' events).`);
}

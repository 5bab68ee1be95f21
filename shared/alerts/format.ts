import type { ActionNeeded, ItemResult, RunReport } from '../engine/types';
import { regionCountTables } from './format-counts';

const TITLES: Record<RunReport['job'], string> = {
  snapshot: 'Snapshot',
  prune: 'Prune',
  degraded: 'Degraded hosts',
  failover: 'DNS failover',
};

/** Item lines an e-mail lists (failures beyond them are still named, see {@link failureLines}). */
export const ITEM_LINES_MAX = 50;

/** Failures listed one per line; past this they are named compactly, grouped by error code. */
const FAILURE_LINES_MAX = 50;

/** Where the full detail of a run is, for the e-mail's last lines. */
export interface ReportWhere {
  region?: string;
  /** CloudWatch Logs group of the function; its `run detail` events carry every item with the run id. */
  logGroup?: string;
  /** Console link of the stack's dashboard. */
  dashboardUrl?: string;
}

/** The one-line verdict used as the e-mail subject. */
export function reportSubject(report: RunReport, prefix = '[caretaker]'): string {
  const actions = report.actionNeeded?.length ?? 0;
  return `${prefix} ${TITLES[report.job]} ${actions > 0 ? `ACTION NEEDED (${actions}), ` : ''}${verdict(report)}`;
}

function verdict(report: RunReport): string {
  const counts = reportOutcomes(report);
  if (report.error) return `REFUSED (${report.error.code})`;
  if (report.dryRun) return `dry run: ${report.plan.filter((p) => p.action !== 'skip').length} planned`;
  if (counts.failed > 0) return `FAILED ${counts.failed}, done ${counts.done}`;
  return `ok: ${counts.done} done, ${counts.skipped} skipped`;
}

/** Outcomes of every result of a run: those it lists and those it only counts. */
export function reportOutcomes(report: Pick<RunReport, 'results' | 'resultCounts'>): Record<ItemResult['outcome'], number> {
  const counts = countOutcomes(report.results);
  for (const c of report.resultCounts ?? []) counts[c.outcome] += c.count;
  return counts;
}

export function countOutcomes(results: readonly ItemResult[]): Record<ItemResult['outcome'], number> {
  const counts = { done: 0, skipped: 0, failed: 0 };
  for (const r of results) counts[r.outcome]++;
  return counts;
}

/**
 * A summary a person reads in a minute, whatever the fleet size: the verdict, ACTION NEEDED items
 * (each with what to do, never cut), counts per Region / policy / action, the run's notes, then at
 * most {@link ITEM_LINES_MAX} item lines with "and N more", and where the full detail is.
 * Failures come first and are never the ones cut: past 50 lines they are still named, by code.
 *
 * @example
 * await sink.publish({ subject: reportSubject(report), body: formatReport(report, { region, logGroup }) });
 */
export function formatReport(report: RunReport, where: ReportWhere = {}): string {
  const out: string[] = [];
  const counts = reportOutcomes(report);
  out.push(`${verdictLine(report, counts)}`);
  out.push(`EC2 Caretaker: ${TITLES[report.job]} run ${report.runId}${report.dryRun ? ' (DRY RUN: nothing was changed)' : ''}${regionsText(report, where)}`);
  out.push(`Started ${report.startedAt}, finished ${report.finishedAt}.`);
  if (report.error) out.push('', `NOTHING WAS DONE: ${report.error.message}`);
  const actions = report.actionNeeded ?? [];
  if (actions.length > 0) {
    out.push('', `ACTION NEEDED (${actions.length}):`);
    for (const a of actions) out.push(`  ${inRegion(a)}${a.subject}: ${a.problem}`, `    -> ${a.todo}`);
  }
  out.push('', ...regionCountTables(report, where.region));
  // A snapshot run's backlog is also its copies waiting for the destination's 20 in flight (shared/copy/continuation.ts).
  if (report.remaining > 0) out.push(`Not started (${report.job === 'snapshot' ? 'time budget, or copies waiting for a slot' : 'time budget'}): ${report.remaining}; the next run continues.`);
  if (report.notes.length > 0) out.push('', 'Notes:', ...report.notes.map((n) => `  ${n}`));
  out.push(...(report.dryRun ? planLines(report) : itemLines(report)));
  out.push(...whereLines(report, where));
  return out.join('\n');
}

function verdictLine(report: RunReport, counts: Record<ItemResult['outcome'], number>): string {
  if (report.error) return `VERDICT: REFUSED (${report.error.code}): nothing was changed.`;
  if (report.dryRun) return `VERDICT: DRY RUN: ${report.plan.filter((p) => p.action !== 'skip').length} action(s) planned, nothing was changed.`;
  const needed = actionKinds(report.actionNeeded ?? []);
  if (counts.failed > 0) return `VERDICT: FAILED: ${counts.failed} item(s) failed, ${counts.done} done${needed ? `; ACTION NEEDED: ${needed}` : ''}.`;
  const run = `${counts.done} done, ${counts.skipped} skipped${report.remaining ? `, ${report.remaining} left for the next run` : ''}`;
  // A run can go well and still find what a person must fix (a stale volume): "OK" would read as all clear.
  if (needed) return `VERDICT: ACTION NEEDED: ${needed}; the run itself went fine: ${run}.`;
  return `VERDICT: OK: ${run}.`;
}

/** `7 stale-volume, 1 snapshot-error`: the ACTION NEEDED items by kind, for the verdict line. */
function actionKinds(actions: readonly ActionNeeded[]): string {
  const kinds = new Map<string, number>();
  for (const a of actions) kinds.set(a.kind, (kinds.get(a.kind) ?? 0) + 1);
  return [...kinds].map(([kind, n]) => `${n} ${kind}`).join(', ');
}

function itemLines(report: RunReport): string[] {
  const failed = report.results.filter((r) => r.outcome === 'failed');
  const out = failureLines(failed);
  let budget = Math.max(0, ITEM_LINES_MAX - Math.min(failed.length, FAILURE_LINES_MAX));
  for (const outcome of ['done', 'skipped'] as const) {
    const title = outcome === 'done' ? 'Done' : 'Skipped';
    const items = report.results.filter((r) => r.outcome === outcome);
    // Counted results (prune's kept snapshots) are in the totals and the count table, never listed.
    const total = items.length + (report.resultCounts ?? []).reduce((n, c) => n + (c.outcome === outcome ? c.count : 0), 0);
    if (total === 0) continue;
    if (items.length === 0) {
      out.push('', `${title} (${total}): counted per policy above, not listed.`);
      continue;
    }
    const shown = items.slice(0, budget);
    budget -= shown.length;
    out.push('', `${title} (${total}${shown.length < total ? `, first ${shown.length}` : ''}):`, ...shown.map(itemLine));
    if (shown.length < total) out.push(`  ... and ${total - shown.length} more ${outcome}`);
  }
  return out;
}

/** Every failure is named: the first 50 in full, the rest by id, grouped by error code. */
function failureLines(failed: readonly ItemResult[]): string[] {
  if (failed.length === 0) return [];
  const out = ['', `Failed (${failed.length}):`, ...failed.slice(0, FAILURE_LINES_MAX).map(itemLine)];
  const rest = failed.slice(FAILURE_LINES_MAX);
  if (rest.length === 0) return out;
  out.push(`  ... and ${rest.length} more failed, by error code:`);
  const byCode = new Map<string, string[]>();
  for (const r of rest) {
    const code = r.errorCode ?? 'Error';
    let ids = byCode.get(code);
    if (!ids) byCode.set(code, (ids = []));
    ids.push(r.id);
  }
  for (const [code, ids] of byCode) out.push(`  [${code}] ${ids.length}: ${ids.join(' ')}`);
  return out;
}

function planLines(report: RunReport): string[] {
  const actionable = report.plan.filter((p) => p.action !== 'skip');
  const skips = report.plan.length - actionable.length;
  const ordered = [...actionable, ...report.plan.filter((p) => p.action === 'skip')];
  const shown = ordered.slice(0, ITEM_LINES_MAX);
  const out = ['', `Plan: ${actionable.length} action(s), ${skips} skip(s)${shown.length < ordered.length ? `; first ${shown.length}` : ''}:`];
  out.push(...shown.map((p) => `  ${inRegion(p)}${p.action.padEnd(16)} ${p.target}: ${p.reason}`));
  if (shown.length < ordered.length) out.push(`  ... and ${ordered.length - shown.length} more (${Math.max(0, actionable.length - shown.length)} action(s))`);
  return out;
}

function itemLine(r: ItemResult): string {
  const code = r.errorCode ? ` [${r.errorCode}]` : '';
  const details = r.details
    ? ` (${Object.entries(r.details)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')})`
    : '';
  return `  ${inRegion(r)}${r.action} ${r.id}${code}: ${r.reason}${details}`;
}

/** An item's Region, as a line prefix (`[eu-west-1] `), in a run over several Regions. */
function inRegion(item: { region?: string }): string {
  return item.region ? `[${item.region}] ` : '';
}

function regionsText(report: RunReport, where: ReportWhere): string {
  if (!report.regions) return where.region ? ` in ${where.region}` : '';
  return ` in ${report.regions.length} Regions (${report.regions.map((r) => r.region).join(', ')})`;
}

function whereLines(report: RunReport, where: ReportWhere): string[] {
  const out = ['', 'Full detail:'];
  if (where.logGroup) out.push(`  every item: CloudWatch Logs ${where.logGroup}, filter { $.runId = "${report.runId}" }`);
  else out.push(`  run id ${report.runId}`);
  if (where.dashboardUrl) out.push(`  dashboard: ${where.dashboardUrl}`);
  return out;
}

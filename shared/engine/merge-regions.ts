import { errorCode, errorMessage } from '../aws/errors';
import type { ActionNeeded, ItemResult, RunReport } from './types';

/** What one Region's part of a run came to: its report, or what it threw. */
export interface RegionOutcome {
  region: string;
  report?: RunReport;
  error?: unknown;
}

/** The action of the failed item that stands for a Region that could not run. */
export const REGION_FAILED_ACTION = 'cover-region';

/**
 * Merges the Regions' reports of one run into `into` (an empty report of the run). Every entry is
 * stamped with its Region in place (a prune run may hold 100,000 of them: no copies). A Region
 * that failed as a whole (its describe, or an exception) becomes a failed item and an ACTION
 * NEEDED item of that Region, unless every Region failed: then the run's error says so, as a
 * single-Region run's would (a blast-radius cap refused by the whole run ends here too).
 */
export function mergeRegionReports(into: RunReport, outcomes: readonly RegionOutcome[]): RunReport {
  const failures = outcomes.map((o) => ({ region: o.region, error: o.report?.error ?? (o.report ? undefined : { code: errorCode(o.error), message: errorMessage(o.error) }) }));
  const everyRegionFailed = failures.every((f) => f.error);
  for (const { region, report } of outcomes) {
    if (!report) continue;
    for (const p of report.plan) p.region = region;
    for (const r of report.results) r.region = region;
    for (const c of report.planCounts ?? []) c.region = region;
    for (const c of report.resultCounts ?? []) c.region = region;
    for (const a of report.actionNeeded ?? []) a.region = region;
    append(into.plan, report.plan);
    append(into.results, report.results);
    if (report.planCounts) append((into.planCounts ??= []), report.planCounts);
    if (report.resultCounts) append((into.resultCounts ??= []), report.resultCounts);
    if (report.actionNeeded?.length) append((into.actionNeeded ??= []), report.actionNeeded);
    into.remaining += report.remaining;
    into.notes.push(...report.notes.map((n) => `${region}: ${n}`));
  }
  if (everyRegionFailed) {
    const messages = [...new Set(failures.map((f) => f.error!.message))];
    const codes = [...new Set(failures.map((f) => f.error!.code))];
    into.error = {
      code: codes.length === 1 ? codes[0]! : codes.join(', '),
      message: messages.length === 1 ? `${messages[0]} (every Region: ${failures.map((f) => f.region).join(', ')})` : failures.map((f) => `${f.region}: ${f.error!.message}`).join('; '),
    };
    return into;
  }
  for (const { region, error } of failures) {
    if (!error) continue;
    into.results.push(regionFailedItem(region, error));
    (into.actionNeeded ??= []).push(regionFailedAction(region, error));
  }
  return into;
}

function regionFailedItem(region: string, error: { code: string; message: string }): ItemResult {
  return { id: region, action: REGION_FAILED_ACTION, outcome: 'failed', errorCode: error.code, reason: `nothing was done in ${region}: ${error.message}`, region };
}

function regionFailedAction(region: string, error: { code: string; message: string }): ActionNeeded {
  return {
    kind: 'region-failed',
    subject: region,
    problem: `the run could not cover ${region} (${error.code}): ${error.message}; the other Regions ran`,
    todo: `check that the function may act in ${region} (its IAM role, the Region enabled for the account) and that EC2 answers there; the next run tries ${region} again`,
    region,
  };
}

/** `push(...items)` overflows the call stack past ~100,000 arguments. */
function append<T>(to: T[], items: readonly T[]): void {
  for (const item of items) to.push(item);
}

import { reportOutcomes } from '../alerts/format';
import { splitByRegion } from '../engine/merge-regions';
import { planTotals } from '../engine/run';
import type { ActionNeeded, ItemResult, RunReport } from '../engine/types';
import type { Logger } from '../log';

/**
 * What a handler returns: the run in counts and first items, never every item. Lambda posts the
 * return value and fails an invocation whose response is over 6 MB; an async invocation's
 * destination record carries at most 256 KB
 * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). Per-item detail goes
 * to the structured log instead ({@link logRunDetail}).
 */
export interface RunSummary {
  job: RunReport['job'];
  runId: string;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  counts: SummaryCounts;
  /** Counts per Region, in a run over several Regions (with each Region's backlog and error). */
  regions?: Array<{ region: string; counts: SummaryCounts; remaining: number; error?: RunReport['error'] }>;
  /** Decisions not started (time budget): the backlog the next run takes up. */
  remaining: number;
  error?: RunReport['error'];
  actionNeeded: ActionNeeded[];
  actionNeededTotal: number;
  notes: string[];
  /** The first items: failures first, then what was done, then skips (all of them in a small run). */
  items: ItemResult[];
  itemsTotal: number;
  /** Where the rest is: `run detail` log events of this run id. */
  detail: string;
}

export interface SummaryCounts {
  planned: number;
  actions: number;
  done: number;
  skipped: number;
  failed: number;
}

/** A summary never exceeds this many bytes of JSON, whatever the fleet size. */
export const SUMMARY_MAX_BYTES = 256 * 1024;
const FIRST_ITEMS = 25;
const FIRST_ACTIONS = 20;
const FIRST_NOTES = 30;
const TEXT_MAX = 1_000;
const DETAIL_VALUE_MAX = 200;
const DETAIL_KEYS_MAX = 12;

/**
 * The compact summary of a run. Each list is cut to its first entries and each text to 1,000
 * characters, so the result stays far under {@link SUMMARY_MAX_BYTES}; a last check drops lists
 * if a future field were to push it over anyway.
 */
export function summarizeRun(report: RunReport): RunSummary {
  const counts = reportOutcomes(report);
  const ordered = [
    ...report.results.filter((r) => r.outcome === 'failed'),
    ...report.results.filter((r) => r.outcome === 'done'),
    ...report.results.filter((r) => r.outcome === 'skipped'),
  ];
  const actions = report.actionNeeded ?? [];
  const summary: RunSummary = {
    job: report.job,
    runId: report.runId,
    dryRun: report.dryRun,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    counts: summaryCounts(report),
    ...(report.regions
      ? {
          regions: [...splitByRegion(report, report.regions[0]!.region)].map(([region, part]) => ({
            region,
            counts: summaryCounts(part),
            remaining: part.remaining,
            ...(part.error ? { error: { code: clip(part.error.code), message: clip(part.error.message) } } : {}),
          })),
        }
      : {}),
    remaining: report.remaining,
    ...(report.error ? { error: { code: clip(report.error.code), message: clip(report.error.message) } } : {}),
    actionNeeded: actions.slice(0, FIRST_ACTIONS).map((a) => ({ kind: clip(a.kind), subject: clip(a.subject), problem: clip(a.problem), todo: clip(a.todo), ...(a.region ? { region: a.region } : {}) })),
    actionNeededTotal: actions.length,
    notes: report.notes.slice(0, FIRST_NOTES).map((n) => clip(n)),
    items: ordered.slice(0, FIRST_ITEMS).map(compactItem),
    itemsTotal: counts.done + counts.skipped + counts.failed,
    detail: `every item is in the function's log: 'run detail' events with runId ${report.runId}`,
  };
  if (Buffer.byteLength(JSON.stringify(summary)) > SUMMARY_MAX_BYTES) {
    summary.items = [];
    summary.notes = summary.notes.slice(0, 3);
    summary.actionNeeded = summary.actionNeeded.slice(0, 3);
  }
  return summary;
}

function summaryCounts(report: RunReport): SummaryCounts {
  const totals = planTotals(report);
  return { planned: sum(totals), actions: sum(totals.filter((p) => p.action !== 'skip')), ...reportOutcomes(report) };
}

function sum(counts: ReadonlyArray<{ count: number }>): number {
  return counts.reduce((n, c) => n + c.count, 0);
}

function compactItem(r: ItemResult): ItemResult {
  const details = r.details
    ? Object.fromEntries(
        Object.entries(r.details)
          .slice(0, DETAIL_KEYS_MAX)
          .map(([k, v]) => [clip(k, 100), typeof v === 'string' ? clip(v, DETAIL_VALUE_MAX) : v]),
      )
    : undefined;
  return {
    id: clip(r.id, 300),
    action: clip(r.action, 100),
    outcome: r.outcome,
    reason: clip(r.reason),
    ...(r.errorCode ? { errorCode: clip(r.errorCode, 200) } : {}),
    ...(details ? { details } : {}),
    ...(r.region ? { region: r.region } : {}),
  };
}

function clip(text: string, max = TEXT_MAX): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * A CloudWatch Logs event is at most 256 KB (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html);
 * a detail chunk stays well under, leaving room for the logger's own fields.
 */
export const LOG_CHUNK_MAX_BYTES = 200 * 1024;

/**
 * Writes every item of the run (the results; in a dry run, the plan) to the structured log, as
 * `run detail` events of at most {@link LOG_CHUNK_MAX_BYTES} each, numbered so they can be put
 * back together (`part` of `parts`). One item larger than a chunk is cut to fit, never dropped.
 */
export function logRunDetail(log: Logger, report: RunReport): number {
  const kind = report.dryRun || report.results.length === 0 ? 'plan' : 'results';
  const items: ReadonlyArray<object> = kind === 'plan' ? report.plan : report.results;
  const chunks: Array<{ start: number; end: number }> = [];
  let start = 0;
  let bytes = 0;
  items.forEach((item, i) => {
    const size = Buffer.byteLength(JSON.stringify(item)) + 1;
    if (bytes + size > LOG_CHUNK_MAX_BYTES && i > start) {
      chunks.push({ start, end: i });
      start = i;
      bytes = 0;
    }
    bytes += size;
  });
  if (items.length > start) chunks.push({ start, end: items.length });
  chunks.forEach(({ start: from, end }, part) => {
    const slice = items.slice(from, end).map((item) => (end - from === 1 ? fitItem(item) : item));
    log.info('run detail', { runId: report.runId, job: report.job, kind, part: part + 1, parts: chunks.length, first: from, items: slice });
  });
  return chunks.length;
}

/** One item alone bigger than a chunk (a huge reason): its strings are cut until it fits. */
function fitItem(item: object): object {
  if (Buffer.byteLength(JSON.stringify(item)) <= LOG_CHUNK_MAX_BYTES) return item;
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, typeof v === 'string' ? clip(v, 10_000) : v]));
}

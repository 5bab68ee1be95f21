import type { RunReport } from '../engine/types';
import type { Logger } from '../log';

/**
 * Items per log line: a CloudWatch Logs event holds at most 256 KB
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html), and
 * an item line is ~150-400 bytes.
 */
const ITEMS_PER_LINE = 400;

/**
 * Logs every item of a run, in `run items` lines carrying the run id: the e-mail lists at most 50
 * items and points here for the rest (`{ $.runId = "…" }` in CloudWatch Logs Insights or a filter).
 */
export function logItems(report: RunReport, log: Logger): void {
  const items = report.dryRun ? report.plan : report.results;
  const parts = Math.ceil(items.length / ITEMS_PER_LINE);
  for (let part = 0; part < parts; part++) {
    log.info('run items', { runId: report.runId, job: report.job, part: part + 1, parts, items: items.slice(part * ITEMS_PER_LINE, (part + 1) * ITEMS_PER_LINE) });
  }
}

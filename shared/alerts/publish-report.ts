import type { RunReport } from '../engine/types';
import { formatReport, reportSubject } from './format';
import type { AlertSink } from './sink';

/** Items listed per section of an e-mail; the rest are counted (and are in the log). */
export const E_MAIL_ITEMS_MAX = 1_000;

/**
 * Sends the run's one summary. A run with nothing to say (no actions, no failures, no skips worth
 * mentioning) still reports, so silence always means "did not run".
 */
export async function publishReport(sink: AlertSink, report: RunReport, subjectPrefix?: string): Promise<void> {
  // SNS takes 256 KiB: listing 100,000 items only to cut them would build tens of MB in a 256 MB function.
  await sink.publish({ subject: reportSubject(report, subjectPrefix), body: formatReport(report, E_MAIL_ITEMS_MAX) });
}

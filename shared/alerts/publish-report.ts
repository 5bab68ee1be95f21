import type { RunReport } from '../engine/types';
import { formatReport, type ReportWhere, reportSubject } from './format';
import type { AlertSink } from './sink';

/**
 * Sends the run's one summary. A run with nothing to say (no actions, no failures, no skips worth
 * mentioning) still reports, so silence always means "did not run".
 */
export async function publishReport(sink: AlertSink, report: RunReport, subjectPrefix?: string, where?: ReportWhere): Promise<void> {
  await sink.publish({ subject: reportSubject(report, subjectPrefix), body: formatReport(report, where) });
}

/** The console link of a CloudWatch dashboard. */
export function dashboardUrl(region: string, name: string): string {
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${encodeURIComponent(name)}`;
}

import { formatReport, reportSubject } from '../shared/alerts/format';
import type { Alert, AlertSink } from '../shared/alerts/sink';
import type { RunReport } from '../shared/engine/types';

/** Terminal styling only when a person is looking. */
const tty = process.stdout.isTTY && !process.env.NO_COLOR;
export const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
export const dim = (s: string) => (tty ? `\x1b[2m${s}\x1b[0m` : s);

/** The demo shows the top of each e-mail: totals and failures come first, so nothing essential is cut. */
export const DEMO_EMAIL_LINES = 30;

export function printReport(report: RunReport, subjectPrefix?: string): void {
  console.log(bold(reportSubject(report, subjectPrefix)));
  console.log(formatReport(report));
  console.log('');
}

/** Prints alerts as the e-mail they would be, for CLI runs without an SNS topic. */
export function terminalAlertSink(): AlertSink {
  return {
    async publish(alert: Alert) {
      printEmail(alert.subject, alert.body);
    },
  };
}

export function printEmail(subject: string | undefined, body: string, maxLines = Number.POSITIVE_INFINITY): void {
  const rule = '-'.repeat(72);
  const lines = body.split('\n');
  console.log(dim(rule));
  console.log(`${bold('Subject:')} ${subject ?? '(none)'}`);
  console.log(dim(rule));
  console.log(lines.slice(0, maxLines).join('\n'));
  if (lines.length > maxLines) console.log(dim(`… ${lines.length - maxLines} more line(s) in the e-mail`));
  console.log(dim(rule));
  console.log('');
}

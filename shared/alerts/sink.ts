import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

/** One e-mail-sized message. */
export interface Alert {
  subject: string;
  body: string;
}

/** Where alerts go: SNS in Lambda, SNS or the terminal on the CLI, an array in tests. */
export interface AlertSink {
  publish(alert: Alert): Promise<void>;
}

/** SNS limits: subject ≤ 100 ASCII chars without line breaks; message ≤ 256 KiB (UTF-8 bytes). */
export const SNS_SUBJECT_MAX = 100;
export const SNS_MESSAGE_MAX_BYTES = 256 * 1024;

export function snsAlertSink(sns: SNSClient, topicArn: string): AlertSink {
  return {
    async publish(alert) {
      await sns.send(
        new PublishCommand({ TopicArn: topicArn, Subject: cleanSubject(alert.subject), Message: fitBody(alert.body) }),
      );
    },
  };
}

/** Collects alerts in memory (tests, dry runs on the CLI). */
export function memoryAlertSink(): AlertSink & { alerts: Alert[] } {
  const alerts: Alert[] = [];
  return { alerts, publish: async (a) => void alerts.push({ subject: cleanSubject(a.subject), body: fitBody(a.body) }) };
}

/** SNS rejects subjects with line breaks, non-ASCII or over 100 characters: make any subject valid. */
export function cleanSubject(subject: string): string {
  const ascii = subject.replace(/[\r\n\t]+/g, ' ').replace(/[^\x20-\x7e]/g, '?').trim() || 'EC2 Caretaker';
  return ascii.length <= SNS_SUBJECT_MAX ? ascii : `${ascii.slice(0, SNS_SUBJECT_MAX - 3)}...`;
}

/** Cuts a body to SNS's byte limit at a line boundary, saying so, so a huge run still sends one message. */
export function fitBody(body: string, maxBytes = SNS_MESSAGE_MAX_BYTES - 1024): string {
  if (Buffer.byteLength(body, 'utf8') <= maxBytes) return body;
  const lines = body.split('\n');
  const kept: string[] = [];
  let bytes = 0;
  for (const line of lines) {
    const size = Buffer.byteLength(line, 'utf8') + 1;
    if (bytes + size > maxBytes) break;
    kept.push(line);
    bytes += size;
  }
  const cut = lines.length - kept.length;
  return `${kept.join('\n')}\n... ${cut} more line(s) cut to fit SNS's 256 KiB limit; the full report is in the function's log.`;
}

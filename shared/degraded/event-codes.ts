/**
 * The degraded-host event codes (GUIDE §3). The data lives in `event-codes.json` so that the
 * EventBridge rule in serverless.yml (deploy/schedules.cjs, plain CommonJS) reads the very same
 * list as the parser, the scan and the planner: a code added there is handled everywhere.
 */
import codes from './event-codes.json';

/** What kind of trouble a code announces; the alert and the manual command depend on it. */
export type CodeFamily = 'retirement' | 'stop' | 'drive-degraded' | 'reboot' | 'maintenance' | 'impaired';

export interface CodeInfo {
  family: CodeFamily;
  /** What AWS will do if nobody acts, for the alert. */
  consequence: string;
  /** What the event names: an instance, or a Dedicated Host (whose instances the owner places). */
  entity?: 'instance' | 'dedicated-host';
  /** `replace`: moving the instance to healthy hardware avoids it; `notify`: report only. */
  response?: 'replace' | 'notify';
}

/** AWS Health `detail.eventTypeCode`s of EC2 hosts going bad: instance codes and Dedicated Host codes (`entity`). */
export const HEALTH_EVENT_CODES = codes.health as Readonly<Record<keyof typeof codes.health, CodeInfo>>;

/** `DescribeInstanceStatus` scheduled-event codes (`Events[].Code`), readable without a support plan. */
export const SCHEDULED_EVENT_CODES = codes.scheduled as Readonly<Record<keyof typeof codes.scheduled, CodeInfo>>;

/** Pseudo-code for a failed system status check found by the scan (no scheduled event, host already bad). */
export const IMPAIRED_CODE = 'system-status-impaired';

export function codeInfo(code: string): CodeInfo | undefined {
  if (code === IMPAIRED_CODE) return { family: 'impaired', consequence: 'system status check failing: the host is impaired now' };
  return (HEALTH_EVENT_CODES as Record<string, CodeInfo>)[code] ?? (SCHEDULED_EVENT_CODES as Record<string, CodeInfo>)[code];
}

/** The EventBridge pattern of the Health rule (deploy/schedules.cjs builds the same from the JSON). */
export function healthEventPattern(): Record<string, unknown> {
  return {
    source: ['aws.health'],
    'detail-type': ['AWS Health Event'],
    detail: { service: ['EC2'], eventTypeCode: Object.keys(HEALTH_EVENT_CODES) },
  };
}

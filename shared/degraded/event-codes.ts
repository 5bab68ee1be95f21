/**
 * The one list of degraded-host event codes (GUIDE §3). The planner, the event parser, the scan
 * and the EventBridge rule in serverless.yml all read it from here, so a code added once is
 * handled everywhere.
 */

/** What kind of trouble a code announces; the alert and the manual command depend on it. */
export type CodeFamily = 'retirement' | 'stop' | 'drive-degraded' | 'reboot' | 'maintenance' | 'impaired';

export interface CodeInfo {
  family: CodeFamily;
  /** What AWS will do if nobody acts, for the alert. */
  consequence: string;
}

/** AWS Health `detail.eventTypeCode`s for single EC2 instances (dedicated-host codes are not instances). */
export const HEALTH_EVENT_CODES = {
  AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED: { family: 'retirement', consequence: 'EBS-backed instance will be stopped' },
  AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED: { family: 'retirement', consequence: 'instance will be terminated (instance store) or stopped (EBS)' },
  AWS_EC2_INSTANCE_RETIREMENT_EXPEDITED: { family: 'retirement', consequence: 'instance will be retired soon (expedited)' },
  AWS_EC2_INSTANCE_STOP_SCHEDULED: { family: 'stop', consequence: 'instance will be stopped' },
  AWS_EC2_INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED: { family: 'drive-degraded', consequence: 'an instance-store drive is degraded; data on it is at risk' },
  AWS_EC2_INSTANCE_REBOOT_MAINTENANCE_SCHEDULED: { family: 'reboot', consequence: 'instance will be rebooted' },
  AWS_EC2_INSTANCE_REBOOT_FLEXIBLE_MAINTENANCE_SCHEDULED: { family: 'reboot', consequence: 'instance will be rebooted (flexible window)' },
  AWS_EC2_SYSTEM_REBOOT_MAINTENANCE_SCHEDULED: { family: 'reboot', consequence: 'the host will be rebooted' },
  AWS_EC2_INSTANCE_POWER_MAINTENANCE_SCHEDULED: { family: 'maintenance', consequence: 'power maintenance: instance unavailable, then rebooted' },
  AWS_EC2_INSTANCE_NETWORK_MAINTENANCE_SCHEDULED: { family: 'maintenance', consequence: 'network maintenance: instance loses connectivity for a while' },
} as const satisfies Record<string, CodeInfo>;

export type HealthEventCode = keyof typeof HEALTH_EVENT_CODES;

/** `DescribeInstanceStatus` scheduled-event codes (`Events[].Code`), readable without a support plan. */
export const SCHEDULED_EVENT_CODES = {
  'instance-retirement': { family: 'retirement', consequence: 'instance will be stopped (EBS) or terminated (instance store)' },
  'instance-stop': { family: 'stop', consequence: 'instance will be stopped' },
  'system-reboot': { family: 'reboot', consequence: 'the host will be rebooted' },
  'instance-reboot': { family: 'reboot', consequence: 'instance will be rebooted' },
  'system-maintenance': { family: 'maintenance', consequence: 'power or network maintenance on the host' },
} as const satisfies Record<string, CodeInfo>;

export type ScheduledEventCode = keyof typeof SCHEDULED_EVENT_CODES;

/** Pseudo-code for a failed system status check found by the scan (no scheduled event, host already bad). */
export const IMPAIRED_CODE = 'system-status-impaired';

export function codeInfo(code: string): CodeInfo | undefined {
  if (code === IMPAIRED_CODE) return { family: 'impaired', consequence: 'system status check failing: the host is impaired now' };
  return (HEALTH_EVENT_CODES as Record<string, CodeInfo>)[code] ?? (SCHEDULED_EVENT_CODES as Record<string, CodeInfo>)[code];
}

/** The EventBridge pattern of the Health rule (serverless.yml imports it, so the list lives only here). */
export function healthEventPattern(): Record<string, unknown> {
  return {
    source: ['aws.health'],
    'detail-type': ['AWS Health Event'],
    detail: { service: ['EC2'], eventTypeCode: Object.keys(HEALTH_EVENT_CODES) },
  };
}

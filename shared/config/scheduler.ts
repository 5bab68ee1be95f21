import { z } from 'zod';
import { checkTimeZone } from './zoned-time';
import { skippedLocalFirings } from '../snapshot/slot';

/**
 * The EventBridge Scheduler part of a schedule: a section with `timeZone` deploys as an
 * `AWS::Scheduler::Schedule` evaluated in that zone (deploy/schedules.cjs); without it, as a UTC
 * EventBridge rule, as before.
 *
 * The expression itself (`schedule`) is checked by the section's `scheduleExpression` field
 * (shared/config/fields.ts; the full EventBridge validator is shared/config/schedule-expression.ts).
 * Only what Scheduler adds is checked here: the zone, the flexible window, and DST.
 */
export const schedulerFields = {
  /** IANA time zone the schedule runs in (`Europe/Berlin`): "03:00" stays 03:00 local across DST. */
  timeZone: z
    .string()
    .superRefine((tz, ctx) => {
      const check = checkTimeZone(tz);
      if (check.ok) return;
      ctx.addIssue({
        code: 'custom',
        message: check.suggestion ? `time zone names are case-sensitive: did you mean '${check.suggestion}'?` : `unknown time zone '${tz}': expected an IANA name such as Europe/Berlin or America/New_York`,
      });
    })
    .optional(),
  /** Scheduler may start the run up to this many minutes late, spreading load (1-1440; needs timeZone). */
  flexibleWindowMinutes: z
    .number({ error: 'expected minutes from 1 to 1440' })
    .int({ error: 'expected minutes from 1 to 1440' })
    .min(1, { error: 'expected minutes from 1 to 1440' })
    // https://docs.aws.amazon.com/scheduler/latest/APIReference/API_FlexibleTimeWindow.html
    .max(1440, { error: 'expected minutes from 1 to 1440 (EventBridge Scheduler\'s maximum window)' })
    .optional(),
};

export interface SchedulerSection {
  schedule: string;
  timeZone?: string;
  flexibleWindowMinutes?: number;
}

const RATE_MINUTES: Record<string, number> = { minute: 1, hour: 60, day: 1440 };

/**
 * Cross-field checks of a Scheduler schedule, added to the section's issues with their paths.
 * `from` starts the 12 months searched for DST gaps (validate-config passes the current time).
 */
export function refineScheduler(section: SchedulerSection, ctx: z.RefinementCtx, from: Date = new Date()): void {
  if (section.flexibleWindowMinutes !== undefined && section.timeZone === undefined) {
    ctx.addIssue({ code: 'custom', path: ['flexibleWindowMinutes'], message: 'a flexible window needs an EventBridge Scheduler schedule: set timeZone too (UTC is fine)' });
  }
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(section.schedule);
  if (rate && section.flexibleWindowMinutes !== undefined) {
    const period = Number(rate[1]) * RATE_MINUTES[rate[2]!]!;
    // Our rule, not AWS's: a window as long as the period lets two runs of the job overlap.
    if (section.flexibleWindowMinutes >= period) {
      ctx.addIssue({ code: 'custom', path: ['flexibleWindowMinutes'], message: `must be shorter than the schedule's period (${period} minutes), or two runs could overlap` });
    }
  }
  if (!section.timeZone || !checkTimeZone(section.timeZone).ok || !section.schedule.startsWith('cron(')) return;
  let skipped: string[];
  try {
    skipped = skippedLocalFirings(section.schedule, section.timeZone, from);
  } catch {
    return; // A malformed expression is the expression validator's error, reported on `schedule`.
  }
  if (skipped.length > 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['schedule'],
      message:
        `in ${section.timeZone}, ${skipped[0]}${skipped.length > 1 ? ` (and ${skipped.length - 1} more)` : ''} does not exist (clocks spring forward) and ` +
        'EventBridge Scheduler skips that run; choose a time outside the DST change (e.g. 03:00 instead of 02:30)',
    });
  }
}

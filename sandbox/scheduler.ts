import type { CreateScheduleInput } from '@aws-sdk/client-scheduler';
import type { SandboxClock } from './clock';
import { fail } from './errors';

/** A one-time schedule as the sandbox stores it, with the time it asked for and the time it fires. */
export interface StoredSchedule {
  name: string;
  group: string;
  /** The `at()` time, as written. */
  atMs: number;
  /** When Scheduler invokes the target: somewhere in the documented window around `atMs` (see {@link fireTime}). */
  fireAtMs: number;
  targetArn: string;
  roleArn: string;
  input: string;
  actionAfterCompletion: string;
}

type Op = (input: never) => unknown;

const NAME = /^[0-9a-zA-Z-_.]{1,64}$/;
const AT = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/;
const MINUTE = 60_000;

/**
 * When EventBridge Scheduler invokes a one-time schedule. "All schedule types on EventBridge
 * Scheduler invoke their targets with 60 second precision": a schedule set for 1:00 invokes
 * between 1:00:00 and 1:00:59 (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html),
 * so the seconds of `at()` buy nothing: the invocation falls anywhere in the minute that holds it.
 * A flexible time window of N minutes invokes "within N minutes after the scheduled time"
 * (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-flexible-time-windows.html),
 * on top of that precision. `random` picks the moment (seeded, so a run repeats).
 */
export function fireTime(atMs: number, window: { Mode?: string; MaximumWindowInMinutes?: number }, random: () => number): number {
  const minuteStart = Math.floor(atMs / MINUTE) * MINUTE;
  const flexibleMs = window.Mode === 'FLEXIBLE' ? (window.MaximumWindowInMinutes ?? 0) * MINUTE : 0;
  return minuteStart + Math.floor(random() * (MINUTE + flexibleMs));
}

/**
 * An in-memory EventBridge Scheduler, for the one-time `at()` schedules prune chains with. It
 * refuses what CreateSchedule refuses (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html):
 * a name outside `[0-9a-zA-Z-_.]{1,64}`, a second schedule of the same name in a group
 * (`ConflictException`, 409), a missing `FlexibleTimeWindow`, `Target.Arn` or `Target.RoleArn`,
 * a window mode other than OFF / FLEXIBLE, FLEXIBLE without `MaximumWindowInMinutes` in 1-1440
 * (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_FlexibleTimeWindow.html), and
 * malformed expressions (`ValidationException`). It fires a schedule as Scheduler would, anywhere
 * in its minute (and flexible window), never to the second. Recurring rate/cron schedules are not modelled.
 */
export class SchedulerModel {
  readonly schedules = new Map<string, StoredSchedule>();

  constructor(
    private readonly clock: SandboxClock,
    private readonly accountId: string,
    private readonly region: string,
    private readonly random: () => number,
  ) {}

  readonly operations: Record<string, Op> = {
    CreateSchedule: (i: CreateScheduleInput) => this.create(i),
  };

  private create(input: CreateScheduleInput) {
    const group = input.GroupName ?? 'default';
    if (!input.Name || !NAME.test(input.Name)) throw fail('scheduler', 'ValidationException', `Invalid schedule name '${input.Name}'`);
    const window = input.FlexibleTimeWindow;
    if (!window?.Mode) throw fail('scheduler', 'ValidationException', 'FlexibleTimeWindow is required');
    if (window.Mode !== 'OFF' && window.Mode !== 'FLEXIBLE') throw fail('scheduler', 'ValidationException', `Invalid FlexibleTimeWindow.Mode '${window.Mode}': expected OFF or FLEXIBLE`);
    if (window.Mode === 'FLEXIBLE') {
      const max = window.MaximumWindowInMinutes;
      if (max === undefined || !Number.isInteger(max) || max < 1 || max > 1440) {
        throw fail('scheduler', 'ValidationException', 'FlexibleTimeWindow.MaximumWindowInMinutes must be 1-1440 when Mode is FLEXIBLE');
      }
    }
    if (!input.Target?.Arn || !input.Target.RoleArn) throw fail('scheduler', 'ValidationException', 'Target.Arn and Target.RoleArn are required');
    const at = AT.exec(input.ScheduleExpression ?? '');
    if (!at) throw fail('scheduler', 'ValidationException', `Invalid Schedule Expression ${input.ScheduleExpression}`);
    const zone = input.ScheduleExpressionTimezone ?? 'UTC';
    if (zone !== 'UTC') throw fail('scheduler', 'ValidationException', 'the sandbox models UTC one-time schedules only');
    const key = `${group}/${input.Name}`;
    if (this.schedules.has(key)) throw fail('scheduler', 'ConflictException', `Schedule ${input.Name} already exists.`, 409);
    const atMs = Date.parse(`${at[1]}Z`);
    this.schedules.set(key, {
      name: input.Name,
      group,
      atMs,
      fireAtMs: fireTime(atMs, window, this.random),
      targetArn: input.Target.Arn,
      roleArn: input.Target.RoleArn,
      input: input.Target.Input ?? '{}',
      actionAfterCompletion: input.ActionAfterCompletion ?? 'NONE',
    });
    return { ScheduleArn: `arn:aws:scheduler:${this.region}:${this.accountId}:schedule/${key}` };
  }

  /** The schedule that fires next, if any. */
  next(): StoredSchedule | undefined {
    return [...this.schedules.values()].sort((a, b) => a.fireAtMs - b.fireAtMs)[0];
  }

  /**
   * The schedules that have fired by now, first fired first; fired ones with
   * `ActionAfterCompletion: DELETE` are gone afterwards, as Scheduler deletes them after their one
   * invocation (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-delete.html).
   */
  fireDue(): StoredSchedule[] {
    const now = this.clock.nowMs();
    const due = [...this.schedules.entries()].filter(([, s]) => s.fireAtMs <= now).sort((a, b) => a[1].fireAtMs - b[1].fireAtMs);
    for (const [key, s] of due) if (s.actionAfterCompletion === 'DELETE') this.schedules.delete(key);
    return due.map(([, s]) => s);
  }
}

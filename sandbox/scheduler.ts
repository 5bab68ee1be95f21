import type { CreateScheduleInput } from '@aws-sdk/client-scheduler';
import type { SandboxClock } from './clock';
import { fail } from './errors';

/** A one-time schedule as the sandbox stores it, with its due time. */
export interface StoredSchedule {
  name: string;
  group: string;
  atMs: number;
  targetArn: string;
  roleArn: string;
  input: string;
  actionAfterCompletion: string;
}

type Op = (input: never) => unknown;

const NAME = /^[0-9a-zA-Z-_.]{1,64}$/;
const AT = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/;

/**
 * An in-memory EventBridge Scheduler, for the one-time `at()` schedules prune chains with. It
 * refuses what CreateSchedule refuses (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html):
 * a name outside `[0-9a-zA-Z-_.]{1,64}`, a second schedule of the same name in a group
 * (`ConflictException`, 409), a missing `FlexibleTimeWindow`, `Target.Arn` or `Target.RoleArn`,
 * and malformed expressions (`ValidationException`). Recurring rate/cron schedules are not modelled.
 */
export class SchedulerModel {
  readonly schedules = new Map<string, StoredSchedule>();

  constructor(
    private readonly clock: SandboxClock,
    private readonly accountId: string,
    private readonly region: string,
  ) {}

  readonly operations: Record<string, Op> = {
    CreateSchedule: (i: CreateScheduleInput) => this.create(i),
  };

  private create(input: CreateScheduleInput) {
    const group = input.GroupName ?? 'default';
    if (!input.Name || !NAME.test(input.Name)) throw fail('scheduler', 'ValidationException', `Invalid schedule name '${input.Name}'`);
    if (!input.FlexibleTimeWindow?.Mode) throw fail('scheduler', 'ValidationException', 'FlexibleTimeWindow is required');
    if (!input.Target?.Arn || !input.Target.RoleArn) throw fail('scheduler', 'ValidationException', 'Target.Arn and Target.RoleArn are required');
    const at = AT.exec(input.ScheduleExpression ?? '');
    if (!at) throw fail('scheduler', 'ValidationException', `Invalid Schedule Expression ${input.ScheduleExpression}`);
    const zone = input.ScheduleExpressionTimezone ?? 'UTC';
    if (zone !== 'UTC') throw fail('scheduler', 'ValidationException', 'the sandbox models UTC one-time schedules only');
    const key = `${group}/${input.Name}`;
    if (this.schedules.has(key)) throw fail('scheduler', 'ConflictException', `Schedule ${input.Name} already exists.`, 409);
    this.schedules.set(key, {
      name: input.Name,
      group,
      atMs: Date.parse(`${at[1]}Z`),
      targetArn: input.Target.Arn,
      roleArn: input.Target.RoleArn,
      input: input.Target.Input ?? '{}',
      actionAfterCompletion: input.ActionAfterCompletion ?? 'NONE',
    });
    return { ScheduleArn: `arn:aws:scheduler:${this.region}:${this.accountId}:schedule/${key}` };
  }

  /**
   * The schedules due by now, oldest first; fired ones with `ActionAfterCompletion: DELETE` are
   * gone afterwards, as Scheduler deletes them after their one invocation.
   */
  fireDue(): StoredSchedule[] {
    const now = this.clock.nowMs();
    const due = [...this.schedules.entries()].filter(([, s]) => s.atMs <= now).sort((a, b) => a[1].atMs - b[1].atMs);
    for (const [key, s] of due) if (s.actionAfterCompletion === 'DELETE') this.schedules.delete(key);
    return due.map(([, s]) => s);
  }
}

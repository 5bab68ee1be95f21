import { CreateScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import { errorCode, errorMessage } from './errors';

/** A one-time EventBridge Scheduler schedule that invokes one of the deployment's functions once. */
export interface OneTimeSchedule {
  /** Deterministic per run it continues: a duplicate asks for the same name and is refused. */
  name: string;
  /** `yyyy-mm-ddThh:mm:ss`, UTC. */
  at: string;
  functionArn: string;
  /** The role Scheduler assumes to invoke the function. */
  roleArn: string;
  input: string;
  description: string;
}

/**
 * Creates the schedule, deleted by Scheduler after it fires
 * (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-delete.html).
 * `exists`: a schedule of that name is already there (`ConflictException`): another delivery of
 * the same run, or another trigger of the same window, asked first; that is success. Other
 * errors are thrown.
 */
export async function createOneTimeSchedule(scheduler: SchedulerClient, s: OneTimeSchedule): Promise<'created' | 'exists'> {
  try {
    await scheduler.send(
      new CreateScheduleCommand({
        Name: s.name,
        ScheduleExpression: `at(${s.at})`,
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Description: s.description,
        Target: { Arn: s.functionArn, RoleArn: s.roleArn, Input: s.input, RetryPolicy: { MaximumRetryAttempts: 0 } },
      }),
    );
    return 'created';
  } catch (error) {
    if (errorCode(error) === 'ConflictException') return 'exists';
    throw error;
  }
}

/** A function's own ARN: a qualified one (`:$LATEST`, an alias) would be a different target. */
export function unqualifiedFunctionArn(invokedFunctionArn: string): string {
  return invokedFunctionArn.split(':').slice(0, 7).join(':');
}

/** What became of a run's request for its next run (the caller words the summary line). */
export type NextRunOutcome = { skip: string } | { created: string; at: string } | { exists: string; at: string } | { failed: string };

/**
 * Asks for a run's next run as planned (`plan`: a schedule, a reason not to, or nothing to do) and
 * says what became of it. A failure is an outcome, not a throw: what the next run would do is safe
 * and the regular trigger does it.
 */
export async function scheduleNextRun(
  scheduler: SchedulerClient,
  plan: { name: string; at: string; input: string } | { skip: string } | undefined,
  target: { functionArn: string; roleArn: string } | undefined,
  description: string,
): Promise<NextRunOutcome | undefined> {
  if (!plan || 'skip' in plan) return plan;
  try {
    const made = await createOneTimeSchedule(scheduler, { ...plan, functionArn: target!.functionArn, roleArn: target!.roleArn, description });
    return made === 'created' ? { created: plan.name, at: plan.at } : { exists: plan.name, at: plan.at };
  } catch (error) {
    return { failed: `${errorCode(error)}: ${errorMessage(error)}` };
  }
}

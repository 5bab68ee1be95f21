import { createHash } from 'node:crypto';
import { scheduleNextRun, unqualifiedFunctionArn } from '../aws/one-time-schedule';
import type { JobContext, RunReport } from '../engine/types';

/**
 * Minutes between copy sweeps while copies wait for a slot. EBS copies at most 20 snapshots at once
 * per destination Region (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-resource-quotas.html)
 * and finishes each "on a best-effort basis" unless a completion duration is asked for, in
 * 15-minute steps (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CopySnapshot.html):
 * a slot frees minutes to hours after its copy started. Slot-free events (EBS's `copySnapshot`
 * notification) reach EventBridge in the destination Region, not the deployment's, so the
 * deployment polls: a sweep every 5 minutes starts each free slot's next copy within 5 minutes,
 * at one invocation and a few describes per sweep.
 */
export const COPY_SWEEP_INTERVAL_MS = 5 * 60_000;

/**
 * Schedule names are `[0-9a-zA-Z-_.]{1,64}`
 * (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html): the
 * function's name cut to 41 characters, then `-copy-<policy hash, 6>-<yyMMddhhmm>` (23). The
 * snapshot role may create exactly these names (deploy/iam-copy.cjs cuts the name the same way).
 */
export const COPY_SWEEP_PREFIX_MAX = 41;

/** Where a copy sweep run sits in its chain: the number of the run (1 after a fresh trigger). */
export interface CopyChain {
  policy: string;
  run: number;
}

/** Whom a run's continuation invokes, as whom. */
export interface CopyContinuationTarget {
  /** The snapshot function's ARN, unqualified. */
  functionArn: string;
  /** The role Scheduler assumes (`COPY_CONTINUATION_ROLE_ARN`): it may invoke the snapshot function only. */
  roleArn: string;
  /** Schedule names start with this (the function's name): the only ones its role may create. */
  namePrefix: string;
  /** The chain this run belongs to; absent for a fresh trigger (a schedule, an EBS event, the CLI). */
  chain?: CopyChain;
}

/**
 * Pure: the sweep a run that leaves copies waiting asks for. The schedule is named after the
 * policy and the 5-minute window it fires in (not after the run), so every trigger that leaves
 * copies of the policy waiting in one window (200 EBS completion events of one burst, a duplicate
 * delivery, the chain's own run) asks for one schedule and Scheduler refuses the others
 * (`ConflictException`): one sweep per policy per window, never a fork. A dry run, a run that
 * failed, one that left nothing waiting and a chain at `maxRuns` ask for none.
 */
export function planCopyContinuation(
  report: Pick<RunReport, 'remaining' | 'dryRun' | 'error'>,
  policy: string,
  target: CopyContinuationTarget | undefined,
  maxRuns: number,
  nowMs: number,
): { name: string; at: string; input: string; run: number } | { skip: string } | undefined {
  if (report.remaining === 0 || report.dryRun || report.error) return undefined;
  if (!target) return { skip: 'no continuation target (CLI or test run): the next trigger copies them' };
  const run = (target.chain?.run ?? 0) + 1;
  if (run > maxRuns) return { skip: `the sweep ran ${run - 1} time(s) since the last trigger (snapshot.maxCopyContinuationRuns ${maxRuns}): the next trigger copies them` };
  // The first whole window at least a minute away: Scheduler fires at() schedules within their minute.
  const atMs = Math.ceil((nowMs + 60_000) / COPY_SWEEP_INTERVAL_MS) * COPY_SWEEP_INTERVAL_MS;
  const at = new Date(atMs).toISOString().slice(0, 19);
  const name = `${target.namePrefix.slice(0, COPY_SWEEP_PREFIX_MAX)}-copy-${createHash('sha256').update(policy).digest('hex').slice(0, 6)}-${at.replace(/[-:T]/g, '').slice(2, 12)}`;
  return { name, at, run, input: JSON.stringify({ copies: { policy, run } satisfies CopyChain }) };
}

/**
 * Schedules the policy's next copy sweep when `sweep` (the copy part of a run) left copies
 * waiting for the destination's limit; the note says what happened. A failure to schedule is a
 * note, not a failure: the copies are safe and the next trigger copies them.
 */
export async function scheduleCopyContinuation(ctx: JobContext, report: RunReport, sweep: Pick<RunReport, 'remaining' | 'dryRun' | 'error'>, policy: string, target: CopyContinuationTarget | undefined, maxRuns: number): Promise<void> {
  const plan = planCopyContinuation(sweep, policy, target, maxRuns, ctx.nowMs());
  const outcome = await scheduleNextRun(ctx.clients.scheduler, plan, target, `EC2 Caretaker: copy ${policy}'s snapshots waiting for a slot`);
  if (!outcome) return;
  const what =
    'skip' in outcome
      ? outcome.skip
      : 'created' in outcome
        ? `the next sweep is scheduled at ${outcome.at}Z (${outcome.created})`
        : 'exists' in outcome
          ? `the next sweep was already scheduled (another trigger of this window) at ${outcome.at}Z (${outcome.exists})`
          : `could not schedule the next sweep (${outcome.failed}); the next trigger copies them`;
  report.notes.push(`${sweep.remaining} copy(ies) of ${policy} wait for a slot: ${what}.`);
}

/**
 * The copy continuation target of a Lambda invocation of the snapshot function: itself, the
 * Scheduler role from the environment (none: the config copies nowhere, or a test), and the
 * chain of a continuation event.
 */
export function copyContinuationTarget(lambda: { invokedFunctionArn: string; functionName: string }, roleArn: string | undefined, chain?: CopyChain): CopyContinuationTarget | undefined {
  if (!roleArn) return undefined;
  return {
    functionArn: unqualifiedFunctionArn(lambda.invokedFunctionArn),
    roleArn,
    namePrefix: lambda.functionName,
    ...(chain ? { chain } : {}),
  };
}

import { scheduleNextRun, unqualifiedFunctionArn } from '../aws/one-time-schedule';
import type { JobContext, RunReport } from '../engine/types';

/**
 * Where a prune run sits in a chain of continuation runs: `origin` names the chain (the first
 * run's scheduled time, shared by duplicate deliveries of it), `run` counts from 1.
 */
export interface ContinuationChain {
  origin: string;
  run: number;
  /**
   * Deletions the previous run planned, passed `maxDeletesPerRun` with, and left, per Region
   * (early-start.ts): the next run may start on that many in each before its own plan is complete.
   */
  approved?: Record<string, number>;
  /** Fingerprint of the rules that plan was made under (`rulesFingerprint`). */
  rules?: string;
}

/** What a run passes on to its continuation about the plan it approved (see {@link ContinuationChain}). */
export type Approval = Required<Pick<ContinuationChain, 'approved' | 'rules'>>;

/** What a run needs to schedule its own continuation: whom to invoke, as whom. */
export interface ContinuationTarget {
  /** The prune function's ARN (Lambda's `invokedFunctionArn`). */
  functionArn: string;
  /** The role EventBridge Scheduler assumes to invoke it (`CONTINUATION_ROLE_ARN`). */
  roleArn: string;
  chain: ContinuationChain;
  /** Prefix of schedule names, the only ones the function's role may create. */
  namePrefix: string;
}

/**
 * The least time between a run's `CreateSchedule` and the start of the minute its continuation is
 * set for. Scheduler invokes "with 60 second precision": a schedule set for 1:00 invokes between
 * 1:00:00 and 1:00:59 (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html),
 * so a continuation set for the next whole minute starts 30 s + 30 s after the run on average,
 * and the seconds of a later `at()` would only add waiting. When it fires the run has stopped
 * deleting: all that is left of it is its report, so a start a second later is safe.
 */
export const CONTINUATION_LEAD_MS = 1_000;

/**
 * Pure: the continuation a finished run asks for, if any. A run that ran out of time budget with
 * deletions left (`report.remaining`) continues at the next whole minute instead of waiting a whole
 * `prune.schedule` period; a dry run, a refused run and a finished backlog do not; and a chain
 * stops at `maxRuns` (the next scheduled run picks the backlog up again).
 */
export function planContinuation(
  report: Pick<RunReport, 'remaining' | 'dryRun' | 'error'>,
  target: ContinuationTarget | undefined,
  maxRuns: number,
  nowMs: number,
  approval?: Approval,
): { name: string; at: string; input: string } | { skip: string } | undefined {
  if (report.remaining === 0 || report.dryRun || report.error) return undefined;
  if (!target) return { skip: 'no continuation target (CLI or test run): the next scheduled run continues' };
  if (target.chain.run >= maxRuns) return { skip: `chain of ${target.chain.run} run(s) reached prune.maxContinuationRuns ${maxRuns}: the next scheduled run continues` };
  const next = target.chain.run + 1;
  // Deterministic name: duplicate deliveries of one run ask for the same schedule, and
  // CreateSchedule refuses the second (ConflictException), so a chain never forks.
  const origin = target.chain.origin.replace(/[^0-9a-zA-Z]/g, '').slice(0, 20);
  const name = `${target.namePrefix.slice(0, 64 - origin.length - 6)}-${origin}-${next}`;
  const at = new Date(Math.ceil((nowMs + CONTINUATION_LEAD_MS) / 60_000) * 60_000).toISOString().slice(0, 19);
  // What is left passed the cap in this run: the next may start on it before its own plan is complete.
  const chain: ContinuationChain = { origin: target.chain.origin, run: next, ...approval };
  return { name, at, input: JSON.stringify({ continuation: chain }) };
}

/**
 * Schedules the next run of the chain once, at `at` (UTC), deleted by Scheduler after it fires
 * (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-delete.html). A
 * `ConflictException` means a duplicate delivery of this run already scheduled it: that is success.
 * Returns the summary line.
 */
export async function scheduleContinuation(ctx: JobContext, report: RunReport, target: ContinuationTarget | undefined, maxRuns: number, approval?: Approval): Promise<void> {
  const plan = planContinuation(report, target, maxRuns, ctx.nowMs(), approval);
  const outcome = await scheduleNextRun(ctx.clients.scheduler, plan, target, 'EC2 Caretaker: continue the prune backlog');
  if (!outcome) return;
  // The backlog is safe whatever happened: the next scheduled run continues it.
  if ('skip' in outcome) report.notes.push(`Backlog left: ${outcome.skip}.`);
  else if ('created' in outcome) report.notes.push(`Backlog left: continuation run ${target!.chain.run + 1} scheduled at ${outcome.at}Z (${outcome.created}).`);
  else if ('exists' in outcome) report.notes.push(`Backlog left: continuation ${outcome.exists} was already scheduled (a duplicate delivery of this run).`);
  else report.notes.push(`Backlog left: could not schedule a continuation (${outcome.failed}); the next scheduled run continues.`);
}

/**
 * The continuation target of a Lambda invocation: its own function, the Scheduler role from the
 * environment (none: no continuation), and the chain it belongs to. A first run's chain is named
 * after its scheduled time, which duplicate deliveries share.
 */
export function continuationTarget(
  event: { time?: string; continuation?: ContinuationChain },
  lambda: { invokedFunctionArn: string; functionName: string },
  roleArn: string | undefined,
  runId: string,
): ContinuationTarget | undefined {
  if (!roleArn) return undefined;
  return {
    functionArn: unqualifiedFunctionArn(lambda.invokedFunctionArn),
    roleArn,
    namePrefix: lambda.functionName,
    chain: event.continuation ?? { origin: event.time ?? runId, run: 1 },
  };
}

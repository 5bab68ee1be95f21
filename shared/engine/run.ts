import { randomUUID } from 'node:crypto';
import { errorCode, errorMessage } from '../aws/errors';
import { applyDecisions, type WorkerResult } from './apply';
import { BlastRadiusError } from './errors';
import type { Decision, ItemResult, JobContext, JobName, PlanCount, RunReport } from './types';

/** The describe → plan → apply contract of GUIDE §1, for jobs whose plan fits in memory. */
export interface JobDefinition<State, P> {
  job: JobName;
  /** Reads the account (read-only calls only). */
  describe(ctx: JobContext): Promise<State>;
  /** Pure: state + policy + now → decisions. */
  plan(state: State, now: Date): Array<Decision<P>>;
  /** Carries out one non-skip decision. */
  apply(decision: Decision<P>, ctx: JobContext): Promise<WorkerResult>;
  /** Blast-radius cap on the number of non-skip decisions. */
  cap: { name: string; limit: number };
  concurrency: number;
  /** The AWS API's sustained calls per second for one apply (progress shows the rate against it). */
  limitPerSecond?: number;
  /** Extra summary lines computed from the finished report (totals, per-rule counts, ...). */
  summarize?(report: RunReport, state: State): string[];
}

export function newRunId(job: JobName, now: Date): string {
  return `${job}-${now.toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomUUID().slice(0, 8)}`;
}

export function isActionable(decision: Pick<Decision, 'action'>): boolean {
  return decision.action !== 'skip';
}

/**
 * The whole plan of a report as counts per group and action: its listed entries plus those it
 * only counts ({@link RunReport.planCounts}), so consumers need not care which a job kept.
 */
export function planTotals(report: Pick<RunReport, 'plan' | 'planCounts'>): PlanCount[] {
  const totals = new Map<string, PlanCount>();
  const add = (group: string | undefined, action: string, count: number) => {
    const key = `${group ?? ''}\u0000${action}`;
    const entry = totals.get(key);
    if (entry) entry.count += count;
    else totals.set(key, { ...(group !== undefined ? { group } : {}), action, count });
  };
  for (const p of report.plan) add(p.group, p.action, 1);
  for (const c of report.planCounts ?? []) add(c.group, c.action, c.count);
  return [...totals.values()];
}

/** Skips are results too: the report lists every target once. */
export function skipResult(decision: Pick<Decision, 'target' | 'action' | 'reason' | 'group'>): ItemResult {
  return { id: decision.target, action: 'skip', outcome: 'skipped', reason: decision.reason, ...(decision.group ? { group: decision.group } : {}) };
}

/** Enforces a blast-radius cap on a plan; throws {@link BlastRadiusError} when it is exceeded. */
export function enforceCap(planned: number, cap: { name: string; limit: number }): void {
  if (planned > cap.limit) throw new BlastRadiusError(cap.name, cap.limit, planned);
}

/**
 * Enforces a cap on a context's plan: over the whole run when the context is one Region of a run
 * over several ({@link JobContext.runCap}: it waits until every Region has planned), else on
 * this plan alone. Throws {@link BlastRadiusError} when it is exceeded.
 */
export async function checkRunCap(ctx: Pick<JobContext, 'runCap'>, planned: number, cap: { name: string; limit: number }): Promise<void> {
  if (ctx.runCap) await ctx.runCap(planned, cap);
  else enforceCap(planned, cap);
}

export function emptyReport(job: JobName, ctx: Pick<JobContext, 'runId' | 'dryRun' | 'now'>): RunReport {
  return {
    job,
    runId: ctx.runId,
    dryRun: ctx.dryRun,
    startedAt: ctx.now.toISOString(),
    finishedAt: ctx.now.toISOString(),
    plan: [],
    results: [],
    remaining: 0,
    notes: [],
  };
}

/**
 * Runs one job through describe → plan → cap → apply. A describe failure or an exceeded cap ends
 * the run with `report.error` set and nothing applied; a failed item never stops the others.
 *
 * @example
 * const report = await runJob(snapshotJob(policy), ctx);
 * await publishReport(ctx.alerts, report);
 */
export async function runJob<State, P>(def: JobDefinition<State, P>, ctx: JobContext): Promise<RunReport> {
  const report = emptyReport(def.job, ctx);
  let state: State;
  try {
    state = await def.describe(ctx);
  } catch (error) {
    report.error = { code: errorCode(error), message: `describe failed: ${errorMessage(error)}` };
    return finishReport(report, ctx);
  }
  const decisions = def.plan(state, ctx.now);
  report.plan = decisions.map(({ target, action, reason, group }) => ({ target, action, reason, ...(group ? { group } : {}) }));
  const actionable = decisions.filter(isActionable);
  report.results.push(...decisions.filter((d) => !isActionable(d)).map(skipResult));
  try {
    await checkRunCap(ctx, actionable.length, def.cap);
  } catch (error) {
    if (!(error instanceof BlastRadiusError)) throw error;
    report.error = { code: error.name, message: error.message };
    report.results = [];
    return finishReport(report, ctx);
  }
  if (!ctx.dryRun && actionable.length > 0) {
    ctx.progress?.(`${def.job}: applying ${actionable.length} action(s)`);
    let failed = 0;
    const { results, notStarted } = await applyDecisions(actionable, (d) => def.apply(d, ctx), {
      concurrency: def.concurrency,
      deadline: ctx.deadline,
      safetyMarginMs: 10_000,
      onResult: (r, done) => {
        if (r.outcome === 'failed') failed++;
        ctx.progress?.({ job: def.job, action: actionable[0]!.action, done, planned: actionable.length, failed, limitPerSecond: def.limitPerSecond });
      },
    });
    report.results.push(...results);
    report.remaining = notStarted.length;
  }
  report.notes.push(...(def.summarize?.(report, state) ?? []));
  return finishReport(report, ctx);
}

/** Stamps the end of a run on the job's clock; every job ends its report with it. */
export function finishReport(report: RunReport, ctx: Pick<JobContext, 'nowMs'>): RunReport {
  report.finishedAt = new Date(ctx.nowMs()).toISOString();
  return report;
}

/** A run failed when it refused to act or any item failed. */
export function runFailed(report: RunReport): boolean {
  return report.error !== undefined || report.results.some((r) => r.outcome === 'failed');
}

/**
 * Adds a part of the run (a copy sweep, a retried slot) to the run's own report, so one run sends
 * one summary: its items, backlog, notes and ACTION NEEDED items; the first error stays the run's.
 */
export function appendReport(report: RunReport, part: RunReport): RunReport {
  report.plan.push(...part.plan);
  report.results.push(...part.results);
  report.remaining += part.remaining;
  report.notes.push(...part.notes);
  if (part.actionNeeded?.length) report.actionNeeded = [...(report.actionNeeded ?? []), ...part.actionNeeded];
  report.error ??= part.error;
  return report;
}

import { errorCode, errorMessage } from '../aws/errors';
import type { Config } from '../config/schema';
import { applyDecisions, type WorkerResult } from '../engine/apply';
import { BlastRadiusError } from '../engine/errors';
import { RateLimiter } from '../engine/rate-limit';
import { emptyReport, enforceCap, finishReport, isActionable, skipResult } from '../engine/run';
import type { ActionNeeded, Decision, JobContext, RunReport } from '../engine/types';
import type { ApplyEnv } from './apply-env';
import { manualCommand, notify } from './apply-notify';
import { cleanupImages } from './relaunch/cleanup-images';
import { relaunch } from './relaunch/relaunch';
import { LeftStoppedError, stopStart } from './apply-stop-start';
import type { WaiterLimits } from './config';
import { describeFacts, describeInProgress, describeInstancesById, scanInstanceStatus } from './describe-degraded';
import { type DegradedTrigger, type Home, noticesFromHealthEvents } from './event';
import { type DegradedPayload, type DegradedState, planDegraded, URGENT } from './plan-degraded';
import { CutOffError } from './wait';

export interface DegradedOptions {
  trigger: DegradedTrigger;
  /** Account and Region the job acts in (default Region: the EC2 client's). */
  home?: Partial<Home>;
  /** Only these instances (CLI `--instance`). */
  instanceIds?: string[];
  /** Overrides of `degraded.waiters` (tests and the sandbox poll faster). */
  waiters?: Partial<WaiterLimits>;
}

/** RunInstances bucket (GUIDE §3): 5 burst, 2 per second. */
const RUN_INSTANCES_BUCKET = { capacity: 5, refillPerSecond: 2 };

/**
 * Acts on instances on degraded hosts, from an AWS Health event or the DescribeInstanceStatus
 * scan: describe → pure plan → cap (`maxReplacementsPerRun`, notify not counted) → apply
 * (notify, stop-start or relaunch per instance) → report. Idempotent: state tags on each
 * instance and a ClientToken per (event, instance) make duplicates no-ops and cut-off runs resume.
 *
 * @example
 * const report = await runDegraded(ctx, config, { trigger: parseDegradedTrigger(event) });
 * await publishReport(ctx.alerts, report, config.alerts.subjectPrefix);
 */
export async function runDegraded(ctx: JobContext, config: Config, options: DegradedOptions): Promise<RunReport> {
  const policy = config.degraded;
  const report = emptyReport('degraded', ctx);
  const home: Home = { region: options.home?.region ?? (await ctx.clients.ec2.config.region()), accountId: options.home?.accountId };
  const dryRun = ctx.dryRun || (options.trigger.kind === 'scan' && options.trigger.dryRun === true);
  report.dryRun = dryRun;

  let state: DegradedState;
  try {
    state = await describe(ctx, options, home);
  } catch (error) {
    report.error = { code: errorCode(error), message: `describe failed: ${errorMessage(error)}` };
    return finishReport(report, ctx);
  }
  const decisions = planDegraded(state, policy, ctx.now);
  report.plan = decisions.map(({ target, action, reason }) => ({ target, action, reason }));
  const actionable = decisions.filter(isActionable) as Array<Decision<DegradedPayload>>;
  report.results.push(...decisions.filter((d) => !isActionable(d)).map(skipResult));
  const actionNeeded: ActionNeeded[] = decisions
    .filter((d) => d.action === 'skip' && d.reason.startsWith(URGENT))
    .map((d) => ({ kind: 'instance-stopped', subject: d.target, problem: d.reason, todo: `start it by hand (aws ec2 start-instances --instance-ids ${d.target}) and check why it did not start` }));
  try {
    enforceCap(actionable.filter((d) => d.action !== 'notify').length, { name: 'maxReplacementsPerRun', limit: policy.maxReplacementsPerRun });
  } catch (error) {
    if (!(error instanceof BlastRadiusError)) throw error;
    report.error = { code: error.name, message: error.message };
    report.results = [];
    return finishReport(report, ctx);
  }
  if (!dryRun && actionable.length > 0) {
    const env: ApplyEnv = {
      config: policy,
      waiters: { ...policy.waiters, ...options.waiters },
      runPacer: new RateLimiter(RUN_INSTANCES_BUCKET, ctx),
      region: home.region,
      actionNeeded,
    };
    ctx.progress?.(`degraded: ${actionable.length} instance(s) to handle`);
    const { results, notStarted } = await applyDecisions(actionable, (d) => applyOne(d, ctx, env), {
      concurrency: policy.concurrency,
      deadline: ctx.deadline,
      safetyMarginMs: 60_000,
      onResult: (r, done) => ctx.progress?.(`degraded: ${done}/${actionable.length} ${r.id} ${r.outcome}`),
    });
    report.results.push(...results);
    report.remaining = notStarted.length + results.filter((r) => r.details?.cutOff === true).length;
  }
  report.notes.push(...summarize(report, state));
  // The scan (every 15 minutes) also retires the images relaunches made, once past their retention.
  if (!dryRun && options.trigger.kind === 'scan' && policy.imageRetentionDays > 0) {
    const cleaned = await cleanupImages(ctx, policy.imageRetentionDays).catch((e) => ({ removed: [], failed: [`listing images (${errorCode(e)})`] }));
    if (cleaned.removed.length) report.notes.push(`Removed ${cleaned.removed.length} relaunch image(s) older than ${policy.imageRetentionDays} days: ${cleaned.removed.join(' ')}.`);
    if (cleaned.failed.length) report.notes.push(`Could not remove relaunch image(s): ${cleaned.failed.join(', ')}.`);
  }
  if (actionNeeded.length > 0) report.actionNeeded = [...(report.actionNeeded ?? []), ...actionNeeded];
  return finishReport(report, ctx);
}

async function describe(ctx: JobContext, options: DegradedOptions, home: Home): Promise<DegradedState> {
  const { ec2 } = ctx.clients;
  let notices;
  let skipped: DegradedState['skipped'] = [];
  let inProgress: string[] = [];
  if (options.trigger.kind === 'health') {
    ({ notices, skipped } = noticesFromHealthEvents(options.trigger.events, home));
  } else {
    const only = options.instanceIds ?? options.trigger.instanceIds;
    notices = await scanInstanceStatus(ec2, only);
    inProgress = await describeInProgress(ec2);
    if (only?.length) inProgress = inProgress.filter((id) => only.includes(id));
  }
  if (options.instanceIds?.length) notices = notices.filter((n) => options.instanceIds!.includes(n.instanceId));
  const instances = await describeInstancesById(ec2, [...notices.map((n) => n.instanceId), ...inProgress]);
  const facts = await describeFacts(ec2, instances.values());
  return { notices, skipped, instances, inProgress, facts };
}

/** Applies one decision; every result and failure names why this action was chosen. */
async function applyOne(d: Decision<DegradedPayload>, ctx: JobContext, env: ApplyEnv): Promise<WorkerResult> {
  const id = d.target;
  try {
    let result: WorkerResult;
    if (d.action === 'relaunch') result = await relaunch(d.payload, ctx, env);
    else if (d.action === 'stop-start') result = await stopStart(d.payload, ctx, env);
    else {
      result = await notify(d.payload, ctx, env);
      const stopProtected = d.payload.attention === 'stop-protected';
      env.actionNeeded.push({
        kind: stopProtected ? 'stop-protected' : 'degraded-host',
        subject: id,
        problem: d.reason,
        todo: stopProtected ? 'lift stop protection, or move the instance by hand before the deadline' : `act before the deadline; by hand: ${manualCommand(d.payload.instance, env.region)}`,
      });
    }
    return { ...result, reason: `${result.reason} [why: ${d.reason}]` };
  } catch (error) {
    // A cut-off is not a failure: the tags still say "in progress" and the next scan resumes it.
    if (error instanceof CutOffError) return { outcome: 'skipped', reason: error.message, details: { cutOff: true } };
    if (error instanceof LeftStoppedError) {
      env.actionNeeded.push({ kind: 'instance-stopped', subject: id, problem: error.message, todo: `start it (aws ec2 start-instances --instance-ids ${id}); if it falls back to stopped, check the KMS key grants of its volumes` });
    }
    if (error instanceof Error) error.message = `${error.message} [why: ${d.reason}]`;
    throw error;
  }
}

function summarize(report: RunReport, state: DegradedState): string[] {
  const count = (action: string) => report.results.filter((r) => r.action === action && r.outcome === 'done').length;
  const notes = [`${state.notices.length} notice(s) for ${state.instances.size} instance(s); relaunched ${count('relaunch')}, stop-started ${count('stop-start')}, notified ${count('notify')}.`];
  const notified = report.results.filter((r) => r.action === 'notify' && r.outcome === 'done').map((r) => r.id);
  if (notified.length > 0) notes.unshift(`ACTION NEEDED by hand for ${notified.join(', ')}: see each notify line for the deadline and the command.`);
  if (report.remaining > 0) notes.push(`${report.remaining} instance(s) left in progress; the next scan (degraded.schedule) resumes them.`);
  return notes;
}


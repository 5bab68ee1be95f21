import { errorCode, errorMessage } from '../aws/errors';
import type { Config } from '../config/schema';
import { applyDecisions, type WorkerResult } from '../engine/apply';
import { BlastRadiusError } from '../engine/errors';
import { RateLimiter } from '../engine/rate-limit';
import { checkRunCap, emptyReport, finishReport, isActionable, skipResult } from '../engine/run';
import { homeRegion, resolveRegions, runInRegions } from '../engine/regions';
import type { ActionNeeded, Decision, JobContext, RunReport } from '../engine/types';
import type { ApplyEnv } from './apply-env';
import { manualCommand, notify } from './apply-notify';
import { cleanupImages } from './relaunch/cleanup-images';
import { outOfRelaunchBudget, relaunch } from './relaunch/relaunch';
import { claimInstance } from './claim';
import { healthApiEvents } from './health-api';
import { LeftStoppedError, stopStart } from './apply-stop-start';
import type { WaiterLimits } from './config';
import { describeFacts, describeInProgress, describeInstancesById, scanInstanceStatus } from './describe-degraded';
import { type DegradedNotice, type DegradedTrigger, type Home, noticesFromHealthEvents, type SkippedEntity } from './event';
import { type DegradedPayload, type DegradedState, planDegraded, URGENT } from './plan-degraded';
import { CutOffError } from './wait';

export interface DegradedOptions {
  trigger: DegradedTrigger;
  /** The deployment's account and Region (default Region: the EC2 client's); the Regions covered come from the config. */
  home?: Partial<Pick<Home, 'region' | 'accountId'>>;
  /** Only these instances (CLI `--instance`). */
  instanceIds?: string[];
  /** Overrides of `degraded.waiters` (tests and the sandbox poll faster). */
  waiters?: Partial<WaiterLimits>;
}

/** RunInstances bucket (GUIDE §3): 5 burst, 2 per second. */
const RUN_INSTANCES_BUCKET = { capacity: 5, refillPerSecond: 2 };

/**
 * Acts on instances on degraded hosts, from an AWS Health event or the DescribeInstanceStatus
 * scan, in every Region the job covers (`degraded.regions`, else `regions`; shared/engine/regions.ts
 * runs the Regions in parallel, each with its own clients and rate buckets, into one report):
 * describe → pure plan → cap (`maxReplacementsPerRun` over the whole run, notify not counted) →
 * apply (notify, stop-start or relaunch per instance) → report. Idempotent: state tags on each
 * instance and a ClientToken per (event, instance) make duplicates no-ops and cut-off runs resume,
 * so a notice is handled once whether its Health event or the scan sees it first.
 *
 * Health events of other Regions: EventBridge delivers an AWS Health event only in the Region it
 * happens in (https://docs.aws.amazon.com/health/latest/ug/choosing-a-region.html) and our one stack
 * lives in one Region, so we do not forward them (that would take a rule per Region outside the
 * stack: a StackSet or a custom resource). The scan reads them from the AWS Health API instead
 * (shared/degraded/health-api.ts), where the support plan allows it; otherwise (and for what the API
 * misses) the scan's DescribeInstanceStatus covers retirements, stops, reboots and maintenance, seen
 * at most one `degraded.schedule` later, and a degraded instance-store drive (a Health-only notice)
 * is missed there, as the summary says. A Health event that does reach us for another covered
 * Region (a backup-Region copy, a rule the user added) acts at once, with that Region's clients.
 * README: "Degraded notices from every Region".
 *
 * @example
 * const report = await runDegraded(ctx, config, { trigger: parseDegradedTrigger(event) });
 * await publishReport(ctx.alerts, report, config.alerts.subjectPrefix);
 */
export async function runDegraded(ctx: JobContext, config: Config, options: DegradedOptions): Promise<RunReport> {
  const region = options.home?.region ?? (await homeRegion(ctx));
  // A bad Region in the config (not enabled, outside `regions`) is thrown: an alert, no action anywhere.
  const covered = await resolveRegions({ ...ctx, region }, config, config.degraded.regions);
  const home: Home = { region, accountId: options.home?.accountId, regions: covered };
  if (options.trigger.kind !== 'health') {
    // Other Regions' Health events come from the AWS Health API where the support plan allows it.
    const others = covered.filter((r) => r !== region);
    const polled = others.length > 0 ? await healthApiEvents(ctx.clients.health, others, home.accountId) : undefined;
    const fromApi = byRegionOf(polled?.ok ? noticesFromHealthEvents(polled.events, home).notices : [], region);
    const report = await runInRegions({ ...ctx, region }, covered, (regionCtx, r) => runDegradedIn(regionCtx, config, options, { ...home, region: r }, fromApi.get(r)));
    if (polled && !polled.ok) report.notes.push(polled.note);
    return report;
  }

  // A Health event: only the Regions of the instances it names; what it names elsewhere is skipped once.
  const { notices, skipped } = noticesFromHealthEvents(options.trigger.events, home);
  const byRegion = byRegionOf(notices, region);
  const regions = covered.filter((r) => byRegion.has(r));
  const report =
    regions.length > 0
      ? await runInRegions({ ...ctx, region }, regions, (regionCtx, r) => runDegradedIn(regionCtx, config, options, { ...home, region: r }, byRegion.get(r)))
      : nothingToDo(ctx);
  return withSkipped(report, skipped);
}

function byRegionOf(notices: DegradedNotice[], home: string): Map<string, DegradedNotice[]> {
  const byRegion = new Map<string, DegradedNotice[]>();
  for (const n of notices) byRegion.set(n.region ?? home, [...(byRegion.get(n.region ?? home) ?? []), n]);
  return byRegion;
}

/** A Health event naming no instance in a covered Region: a run that describes nothing. */
function nothingToDo(ctx: JobContext): RunReport {
  const report = emptyReport('degraded', ctx);
  report.notes.push(...summarize(report, { notices: [], skipped: [], instances: new Map(), inProgress: [], facts: new Map() }));
  return finishReport(report, ctx);
}

/** Entities the event named that no Region's run touches (other accounts, uncovered Regions, non-instances): listed once. */
function withSkipped(report: RunReport, skipped: SkippedEntity[]): RunReport {
  const skips = skipped.map((s) => ({ target: s.target, action: 'skip', reason: s.reason }));
  report.plan.unshift(...skips);
  report.results.unshift(...skips.map(skipResult));
  return report;
}

/** One Region's part of a run (its clients in `ctx`); `notices`: a Health event's (or the Health API's) notices in that Region. */
async function runDegradedIn(ctx: JobContext, config: Config, options: DegradedOptions, home: Home, notices?: DegradedNotice[]): Promise<RunReport> {
  const policy = config.degraded;
  const report = emptyReport('degraded', ctx);
  const dryRun = ctx.dryRun || (options.trigger.kind === 'scan' && options.trigger.dryRun === true);
  report.dryRun = dryRun;

  let state: DegradedState;
  try {
    state = await describe(ctx, options, notices ?? []);
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
    .map((d) => ({ kind: 'instance-stopped', subject: d.target, problem: d.reason, todo: `start it by hand (aws ec2 start-instances --region ${home.region} --instance-ids ${d.target}) and check why it did not start` }));
  try {
    // Over the whole run: every Region reports its count and the total decides for all.
    await checkRunCap(ctx, actionable.filter((d) => d.action !== 'notify').length, { name: 'maxReplacementsPerRun', limit: policy.maxReplacementsPerRun });
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
      // RunInstances' bucket is per Region: each Region's part paces its own.
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

/** One Region's state: the Health event's notices there, or the scan's (with the Health API's), and the instances they name. */
async function describe(ctx: JobContext, options: DegradedOptions, healthNotices: DegradedNotice[]): Promise<DegradedState> {
  const { ec2 } = ctx.clients;
  let notices: DegradedNotice[];
  let inProgress: string[] = [];
  if (options.trigger.kind === 'health') {
    notices = healthNotices;
  } else {
    const only = options.instanceIds ?? options.trigger.instanceIds;
    notices = [...(await scanInstanceStatus(ec2, only)), ...healthNotices.filter((n) => !only?.length || only.includes(n.instanceId))];
    inProgress = await describeInProgress(ec2);
    if (only?.length) inProgress = inProgress.filter((id) => only.includes(id));
  }
  if (options.instanceIds?.length) notices = notices.filter((n) => options.instanceIds!.includes(n.instanceId));
  const instances = await describeInstancesById(ec2, [...notices.map((n) => n.instanceId), ...inProgress]);
  const facts = await describeFacts(ec2, instances.values());
  return { notices, skipped: [], instances, inProgress, facts };
}

/** Applies one decision; every result and failure names why this action was chosen. */
async function applyOne(d: Decision<DegradedPayload>, ctx: JobContext, env: ApplyEnv): Promise<WorkerResult> {
  const id = d.target;
  try {
    let result: WorkerResult;
    // A relaunch without the time for it, or a run that lost the claim, acts no further.
    const held = d.action === 'notify' ? undefined : (outOfRelaunchBudget(d.payload, ctx, env) ?? (await stoodDown(d.payload, ctx, env)));
    if (held) result = held;
    else if (d.action === 'relaunch') result = await relaunch(d.payload, ctx, env);
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

/** Claims the instance (shared/degraded/claim.ts); a run that loses stands down with the winner named. */
async function stoodDown(p: DegradedPayload, ctx: JobContext, env: ApplyEnv): Promise<WorkerResult | undefined> {
  const outcome = await claimInstance(p.instance, ctx, env);
  return outcome.won ? undefined : { outcome: 'skipped', reason: outcome.reason, details: { claimedElsewhere: true } };
}

function summarize(report: RunReport, state: DegradedState): string[] {
  const count = (action: string) => report.results.filter((r) => r.action === action && r.outcome === 'done').length;
  const notes = [`${state.notices.length} notice(s) for ${state.instances.size} instance(s); relaunched ${count('relaunch')}, stop-started ${count('stop-start')}, notified ${count('notify')}.`];
  const notified = report.results.filter((r) => r.action === 'notify' && r.outcome === 'done').map((r) => r.id);
  if (notified.length > 0) notes.unshift(`ACTION NEEDED by hand for ${notified.join(', ')}: see each notify line for the deadline and the command.`);
  if (report.remaining > 0) notes.push(`${report.remaining} instance(s) left in progress; the next scan (degraded.schedule) resumes them.`);
  return notes;
}


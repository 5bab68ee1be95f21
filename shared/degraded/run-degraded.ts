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
import { type DegradedNotice, type DegradedTrigger, type Home, noticesFromHealthEvents, type SkippedEntity } from './event';
import { contextIn, degradedRegions } from './regions';
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

/** What one Region contributes to a run: its state and plan, then its apply. */
interface RegionRun {
  region: string;
  ctx: JobContext;
  state: DegradedState;
  decisions: Array<Decision<DegradedPayload | undefined>>;
}

/**
 * Acts on instances on degraded hosts, from an AWS Health event or the DescribeInstanceStatus
 * scan, in every Region the job covers (`degraded.regions` / `regions`, each with its own
 * clients and rate buckets, in parallel): describe → pure plan → cap (`maxReplacementsPerRun` over
 * all Regions, notify not counted) → apply (notify, stop-start or relaunch per instance) → one
 * report. Idempotent: state tags on each instance and a ClientToken per (event, instance) make
 * duplicates no-ops and cut-off runs resume, so a notice is handled once whether its Health event
 * or the scan sees it first.
 *
 * @example
 * const report = await runDegraded(ctx, config, { trigger: parseDegradedTrigger(event) });
 * await publishReport(ctx.alerts, report, config.alerts.subjectPrefix);
 */
export async function runDegraded(ctx: JobContext, config: Config, options: DegradedOptions): Promise<RunReport> {
  const policy = config.degraded;
  const report = emptyReport('degraded', ctx);
  const dryRun = ctx.dryRun || (options.trigger.kind === 'scan' && options.trigger.dryRun === true);
  report.dryRun = dryRun;

  let home: Home;
  let triggered: TriggeredNotices;
  try {
    const region = options.home?.region ?? (await ctx.clients.ec2.config.region());
    home = { region, accountId: options.home?.accountId, regions: await degradedRegions(ctx, config, region) };
    triggered = noticesByRegion(options, home);
  } catch (error) {
    report.error = { code: errorCode(error), message: `describe failed: ${errorMessage(error)}` };
    return finishReport(report, ctx);
  }
  const many = home.regions!.length > 1;
  const inRegion = (region: string, text: string) => (many ? `${region}: ${text}` : text);

  const described = await Promise.all(
    triggered.regions.map(async (region): Promise<RegionRun | { region: string; error: unknown }> => {
      try {
        const regionCtx = contextIn(ctx, region, home.region);
        const state = await describe(regionCtx, options, triggered.notices.get(region));
        return { region, ctx: regionCtx, state, decisions: planDegraded(state, policy, ctx.now) };
      } catch (error) {
        return { region, error };
      }
    }),
  );
  const runs = described.filter((r): r is RegionRun => 'state' in r);
  const failed = described.filter((r): r is { region: string; error: unknown } => 'error' in r);
  if (runs.length === 0 && failed.length > 0) {
    report.error = { code: errorCode(failed[0]!.error), message: failed.map((f) => inRegion(f.region, `describe failed: ${errorMessage(f.error)}`)).join('; ') };
    return finishReport(report, ctx);
  }
  // A Region that could not be read is a failed item; the others go on.
  for (const f of failed) report.results.push({ id: f.region, action: 'describe', outcome: 'failed', errorCode: errorCode(f.error), reason: `describe failed in ${f.region}: ${errorMessage(f.error)}` });

  const skips = triggered.skipped.map((s) => ({ target: s.target, action: 'skip', reason: s.reason }));
  report.plan = [...skips, ...runs.flatMap((r) => r.decisions.map(({ target, action, reason }) => ({ target, action, reason: inRegion(r.region, reason) })))];
  report.results.push(...skips.map(skipResult), ...runs.flatMap((r) => r.decisions.filter((d) => !isActionable(d)).map((d) => skipResult({ ...d, reason: inRegion(r.region, d.reason) }))));
  const actionNeeded: ActionNeeded[] = runs.flatMap((r) =>
    r.decisions
      .filter((d) => d.action === 'skip' && d.reason.startsWith(URGENT))
      .map((d) => ({ kind: 'instance-stopped', subject: d.target, problem: inRegion(r.region, d.reason), todo: `start it by hand (aws ec2 start-instances --region ${r.region} --instance-ids ${d.target}) and check why it did not start` })),
  );
  const actionable = runs.map((r) => ({ run: r, decisions: r.decisions.filter(isActionable) as Array<Decision<DegradedPayload>> }));
  try {
    enforceCap(actionable.flatMap((a) => a.decisions).filter((d) => d.action !== 'notify').length, { name: 'maxReplacementsPerRun', limit: policy.maxReplacementsPerRun });
  } catch (error) {
    if (!(error instanceof BlastRadiusError)) throw error;
    report.error = { code: error.name, message: error.message };
    report.results = [];
    return finishReport(report, ctx);
  }
  const total = actionable.reduce((n, a) => n + a.decisions.length, 0);
  if (!dryRun && total > 0) {
    ctx.progress?.(`degraded: ${total} instance(s) to handle`);
    const applied = await Promise.all(
      actionable
        .filter((a) => a.decisions.length > 0)
        .map(({ run, decisions }) => {
          const env: ApplyEnv = {
            config: policy,
            waiters: { ...policy.waiters, ...options.waiters },
            // RunInstances' bucket is per Region: each Region paces its own.
            runPacer: new RateLimiter(RUN_INSTANCES_BUCKET, run.ctx),
            region: run.region,
            actionNeeded,
          };
          const applying = applyDecisions(decisions, (d) => applyOne(d, run.ctx, env), {
            concurrency: policy.concurrency,
            deadline: ctx.deadline,
            safetyMarginMs: 60_000,
            onResult: (r, done) => ctx.progress?.(`degraded: ${inRegion(run.region, `${done}/${decisions.length} ${r.id} ${r.outcome}`)}`),
          });
          return applying.then((out) => ({ ...out, region: run.region }));
        }),
    );
    for (const { results, notStarted, region } of applied) {
      report.results.push(...results.map((r) => ({ ...r, reason: inRegion(region, r.reason) })));
      report.remaining += notStarted.length + results.filter((r) => r.details?.cutOff === true).length;
    }
  }
  report.notes.push(...summarize(report, runs.map((r) => r.state)));
  if (many) report.notes.push(`Regions covered: ${home.regions!.join(', ')}${options.trigger.kind === 'health' ? ` (this event named ${triggered.regions.join(', ') || 'none of them'})` : ''}.`);
  // The scan (every 15 minutes) also retires the images relaunches made, once past their retention.
  if (!dryRun && options.trigger.kind === 'scan' && policy.imageRetentionDays > 0) {
    for (const run of runs) {
      const cleaned = await cleanupImages(run.ctx, policy.imageRetentionDays).catch((e) => ({ removed: [], failed: [`listing images (${errorCode(e)})`] }));
      if (cleaned.removed.length) report.notes.push(inRegion(run.region, `Removed ${cleaned.removed.length} relaunch image(s) older than ${policy.imageRetentionDays} days: ${cleaned.removed.join(' ')}.`));
      if (cleaned.failed.length) report.notes.push(inRegion(run.region, `Could not remove relaunch image(s): ${cleaned.failed.join(', ')}.`));
    }
  }
  if (actionNeeded.length > 0) report.actionNeeded = [...(report.actionNeeded ?? []), ...actionNeeded];
  return finishReport(report, ctx);
}

interface TriggeredNotices {
  /** The Regions to describe: every covered one for a scan, those the event names for a Health event. */
  regions: string[];
  notices: Map<string, DegradedNotice[]>;
  skipped: SkippedEntity[];
}

/**
 * A Health event acts at once in the Region of each instance it names, if the job covers that
 * Region (EventBridge delivers Health events to the Region they happen in: see the README, "Degraded
 * notices from every Region"); a scan reads every covered Region.
 */
function noticesByRegion(options: DegradedOptions, home: Home): TriggeredNotices {
  if (options.trigger.kind !== 'health') return { regions: [...home.regions!], notices: new Map(), skipped: [] };
  const { notices, skipped } = noticesFromHealthEvents(options.trigger.events, home);
  const byRegion = new Map<string, DegradedNotice[]>();
  for (const n of notices) byRegion.set(n.region ?? home.region, [...(byRegion.get(n.region ?? home.region) ?? []), n]);
  return { regions: home.regions!.filter((r) => byRegion.has(r)), notices: byRegion, skipped };
}

/** One Region's state: the trigger's notices (Health) or the scan's, and the instances they name. */
async function describe(ctx: JobContext, options: DegradedOptions, healthNotices: DegradedNotice[] | undefined): Promise<DegradedState> {
  const { ec2 } = ctx.clients;
  let notices: DegradedNotice[];
  let inProgress: string[] = [];
  if (options.trigger.kind === 'health') {
    notices = healthNotices ?? [];
  } else {
    const only = options.instanceIds ?? options.trigger.instanceIds;
    notices = await scanInstanceStatus(ec2, only);
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

function summarize(report: RunReport, states: DegradedState[]): string[] {
  const count = (action: string) => report.results.filter((r) => r.action === action && r.outcome === 'done').length;
  const notices = states.reduce((n, s) => n + s.notices.length, 0);
  const instances = states.reduce((n, s) => n + s.instances.size, 0);
  const notes = [`${notices} notice(s) for ${instances} instance(s); relaunched ${count('relaunch')}, stop-started ${count('stop-start')}, notified ${count('notify')}.`];
  const notified = report.results.filter((r) => r.action === 'notify' && r.outcome === 'done').map((r) => r.id);
  if (notified.length > 0) notes.unshift(`ACTION NEEDED by hand for ${notified.join(', ')}: see each notify line for the deadline and the command.`);
  if (report.remaining > 0) notes.push(`${report.remaining} instance(s) left in progress; the next scan (degraded.schedule) resumes them.`);
  return notes;
}

import { DescribeRegionsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { errorCode, errorMessage } from '../aws/errors';
import { assertRegionScopes, type RegionScoped } from '../config/region-scopes';
import type { Logger } from '../log';
import { BlastRadiusError, InputError } from './errors';
import { mergeRegionReports, type RegionOutcome } from './merge-regions';
import { emptyReport, finishReport } from './run';
import type { JobContext, JobName, RunReport } from './types';

/**
 * The Region a context acts in: the one the fan-out named, else its EC2 client's (a Lambda
 * function's own Region, the CLI's profile Region, the sandbox's home Region).
 */
export async function homeRegion(ctx: Pick<JobContext, 'clients' | 'region'>): Promise<string> {
  return ctx.region ?? (await ctx.clients.ec2.config.region());
}

/**
 * The Regions enabled for the account, read afresh (a Region enabled since the last run is
 * covered by the next): DescribeRegions without `AllRegions` lists exactly the enabled ones, in
 * no particular order, so they are sorted.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRegions.html
 */
export async function describeEnabledRegions(ec2: EC2Client): Promise<string[]> {
  const out = await ec2.send(new DescribeRegionsCommand({}));
  return (out.Regions ?? []).flatMap((r) => (r.RegionName && r.OptInStatus !== 'not-opted-in' ? [r.RegionName] : [])).sort();
}

/**
 * The parts of a config that name Regions, as jobs hold it: a job that reads only its own
 * sections (tests and benches pass those) leaves the others out, and they name no Region.
 */
export type RegionConfig = Omit<RegionScoped, 'degraded' | 'failover'> & Partial<Pick<RegionScoped, 'degraded' | 'failover'>>;

function scoped(config: RegionConfig): RegionScoped {
  return { ...config, degraded: config.degraded ?? {}, failover: config.failover ?? { groups: [] } };
}

/** Every Region the config names anywhere (top-level list and every narrowing or copy target). */
export function namedRegions(config: RegionConfig): string[] {
  const named = new Set<string>(Array.isArray(config.regions) ? config.regions : []);
  for (const p of config.snapshot.policies) {
    p.regions?.forEach((r) => named.add(r));
    p.copyTo.forEach((t) => named.add(t.region));
  }
  config.prune.regions?.forEach((r) => named.add(r));
  config.degraded?.regions?.forEach((r) => named.add(r));
  for (const g of config.failover?.groups ?? []) if (g.region) named.add(g.region);
  return [...named];
}

/**
 * The Regions one run covers: the config's `regions` list, or with `all` every Region enabled for
 * the account (DescribeRegions, re-read each run), or by default the home Region (the EC2
 * client's); narrowed by the job's own setting (`narrowing`: a policy's `regions`, `prune.regions`,
 * ...). The home Region comes first, the others in the order the config lists them.
 *
 * Every Region the config names is checked against the account's enabled Regions before anything
 * runs: one that is not enabled (or outside the home Region's partition, or outside the top-level
 * list) is an {@link InputError} naming the field, so a run alerts and acts nowhere. A config
 * naming no Region but the home one needs no DescribeRegions call: such a run makes exactly the
 * calls it made before Regions existed.
 *
 * @example
 * const regions = await resolveRegions(ctx, config, policy.regions);   // ['us-east-1', 'eu-west-1']
 */
export async function resolveRegions(ctx: Pick<JobContext, 'clients' | 'region'>, config: RegionConfig, narrowing?: readonly string[]): Promise<string[]> {
  const home = await homeRegion(ctx);
  const needsAccount = config.regions === 'all' || namedRegions(config).some((r) => r !== home);
  const enabled = needsAccount ? await describeEnabledRegions(ctx.clients.ec2) : undefined;
  assertRegionScopes(scoped(config), home, enabled ? new Set(enabled) : undefined);
  const top = config.regions === 'all' ? enabled! : (config.regions ?? [home]);
  const chosen = narrowing ? top.filter((r) => narrowing.includes(r)) : [...top];
  return chosen.includes(home) ? [home, ...chosen.filter((r) => r !== home)] : chosen;
}

/**
 * Copy destinations outside the Regions the config covers: `copyTo` may name any enabled Region,
 * and a copy there is still pruned by its own rule, so prune visits it for the copies alone
 * (nothing else of that Region is read or touched). `narrowing` (`prune.regions`, which may name
 * them) keeps only those it lists. With `regions: all` every enabled Region is covered already.
 */
export function copyOnlyRegions(config: RegionConfig, home: string, narrowing?: readonly string[]): string[] {
  if (config.regions === 'all') return [];
  const top = config.regions ?? [home];
  const destinations = new Set(config.snapshot.policies.flatMap((p) => p.copyTo.map((t) => t.region)));
  return [...destinations].filter((r) => !top.includes(r) && (narrowing === undefined || narrowing.includes(r)));
}

/** One Region's part of a run: what {@link runInRegions} calls for every Region (`regions`: all of the run's). */
export type RegionRun = (regionCtx: JobContext, region: string, regions: readonly string[]) => Promise<RunReport>;

/**
 * Runs `run` in every Region **in parallel**, each with that Region's clients
 * (`ctx.clientsIn(region)`; the home Region's are `ctx.clients`) and `regionCtx.region` set, and
 * merges the Regions' reports into one {@link RunReport} for the one summary of the run. Each
 * Region's part builds its own rate limiters, since AWS's token buckets are per Region.
 *
 * - Every decision, result, count and ACTION NEEDED item carries its `region`; notes are prefixed
 *   with it; `remaining` is the sum (the next run continues every Region).
 * - A Region that fails (describe, an exception) is a failed item and an ACTION NEEDED item of that
 *   Region; the others go on. Only when every Region failed or refused does the run carry
 *   `report.error` (nothing was done anywhere); when every Region threw, the first error is thrown.
 * - A blast-radius cap stays a promise about the whole run: each Region's part reports its planned
 *   count (`checkRunCap` in run.ts) and waits until every Region has planned; if the total is over the
 *   cap, every Region refuses. A Region's plan is never cut to a share of the cap, which would
 *   refuse a run that fits or act on a part of one that does not.
 * - A run over only the home Region is exactly the single-Region run: same context, same report.
 * - An {@link InputError} from any Region (bad input is the same everywhere) is thrown once all
 *   Regions have settled, as a single-Region run throws it.
 *
 * @example
 * const report = await runInRegions(ctx, await resolveRegions(ctx, config, policy.regions), (c) => runSnapshotInRegion(c, config, policy, slot));
 */
export async function runInRegions(ctx: JobContext, regions: readonly string[], run: RegionRun): Promise<RunReport> {
  const home = await homeRegion(ctx);
  if (regions.length === 1 && regions[0] === home) return run({ ...ctx, region: home }, home, regions);
  const gate = new RunCapGate(regions);
  const outcomes = await Promise.all(
    regions.map(async (region): Promise<RegionOutcome> => {
      try {
        const clients = region === home ? ctx.clients : ctx.clientsIn?.(region);
        if (!clients) throw new Error(`no clients for Region ${region}: this context reaches only ${home}`);
        const regionCtx: JobContext = {
          ...ctx,
          clients,
          region,
          log: regionLogger(ctx.log, region),
          runCap: (planned, cap) => gate.check(region, planned, cap),
          ...(ctx.progress ? { progress: (u) => ctx.progress!(typeof u === 'string' ? `${region}: ${u}` : { ...u, region }) } : {}),
        };
        return { region, report: await run(regionCtx, region, regions) };
      } catch (error) {
        return { region, error };
      } finally {
        gate.leave(region);
      }
    }),
  );
  const input = outcomes.find((o) => o.error instanceof InputError);
  if (input) throw input.error;
  const first = outcomes.find((o) => o.report)?.report;
  // Every Region threw: the run failed as a single-Region run whose job throws (the handler alerts).
  if (!first) throw outcomes[0]!.error;
  return finishReport(mergeRegionReports(emptyReport(first.job, ctx), outcomes), ctx);
}

/**
 * Resolves the run's Regions and runs `run` in each ({@link resolveRegions}, {@link runInRegions}).
 * A bad Region in the config is thrown (an alert, no action anywhere); a failed DescribeRegions is
 * the run's error (nothing done), like any describe failure.
 */
export async function runOverRegions(
  job: JobName,
  ctx: JobContext,
  config: RegionConfig,
  narrowing: readonly string[] | undefined,
  run: RegionRun,
  /** Regions visited besides the covered ones (prune: {@link copyOnlyRegions}), given the home Region. */
  alsoVisit?: (home: string) => readonly string[],
): Promise<RunReport> {
  let regions: string[];
  try {
    regions = await resolveRegions(ctx, config, narrowing);
    if (alsoVisit) regions.push(...alsoVisit(await homeRegion(ctx)).filter((r) => !regions.includes(r)));
  } catch (error) {
    if (error instanceof InputError) throw error;
    const report = emptyReport(job, ctx);
    report.error = { code: errorCode(error), message: `could not list the account's Regions (DescribeRegions): ${errorMessage(error)}` };
    return finishReport(report, ctx);
  }
  if (regions.length === 0) {
    const report = emptyReport(job, ctx);
    report.notes.push('No Region to cover: the narrowing leaves none of the configured Regions.');
    return finishReport(report, ctx);
  }
  return runInRegions(ctx, regions, run);
}

/**
 * The whole-run blast-radius cap of a run over several Regions: each Region reports its planned
 * count once; when every Region has reported (or finished without planning), the total decides
 * for all of them.
 */
class RunCapGate {
  private readonly waiting = new Set<string>();
  private total = 0;
  private release!: () => void;
  private readonly decided = new Promise<void>((resolve) => (this.release = resolve));
  private readonly reported = new Set<string>();

  constructor(regions: readonly string[]) {
    regions.forEach((r) => this.waiting.add(r));
  }

  async check(region: string, planned: number, cap: { name: string; limit: number }): Promise<void> {
    if (this.reported.has(region)) throw new Error(`${region} checked the run's cap twice: a run has one cap`);
    this.reported.add(region);
    this.total += planned;
    this.leave(region);
    await this.decided;
    if (this.total > cap.limit) throw new BlastRadiusError(cap.name, cap.limit, this.total);
  }

  leave(region: string): void {
    this.waiting.delete(region);
    if (this.waiting.size === 0) this.release();
  }
}

function regionLogger(log: Logger, region: string): Logger {
  return {
    debug: (m, ...extra) => log.debug(m, { region }, ...extra),
    info: (m, ...extra) => log.info(m, { region }, ...extra),
    warn: (m, ...extra) => log.warn(m, { region }, ...extra),
    error: (m, ...extra) => log.error(m, { region }, ...extra),
  };
}

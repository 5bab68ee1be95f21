import { InputError } from '../engine/errors';
import { emptyReport, finishReport } from '../engine/run';
import type { JobContext, RunReport } from '../engine/types';
import type { FailoverConfig, FailoverGroup } from './config';
import { homeRegion, type RegionConfig, resolveRegions, runInRegions } from '../engine/regions';
import { type HealthMemory, type PassEvent, watchGroup } from './watch-group';

export type { HealthMemory, PassEvent } from './watch-group';

export interface FailoverOptions {
  /** Only these groups (by name); default all. */
  groups?: string[];
  /**
   * Probe until every member has a verdict (at most max(failureThreshold, successThreshold)
   * passes), decide once and stop. A dry run always works this way: it reports the plan.
   */
  once?: boolean;
  /** Upper bound on passes per group, for callers without a deadline (CLI, demo). */
  maxPasses?: number;
  /** Stops the watch loop (CLI Ctrl-C). */
  signal?: AbortSignal;
  /** Member health kept across warm invocations, so a container reuse does not restart the counters. */
  memory?: HealthMemory;
  /** Observer of every pass (demo output, tests, benchmark). */
  onPass?(event: PassEvent): void | Promise<void>;
  /**
   * The whole config, when the caller has it (handler, CLI): a group in another Region is then
   * checked against the account's enabled Regions before anything is probed (a disabled one is
   * bad input naming the field); without it, such a Region's calls fail and it is reported.
   */
  config?: RegionConfig;
}

/**
 * The DNS failover job. For each group, a watch loop probes every member with real sockets each
 * `probeIntervalSeconds` until `stopBeforeDeadlineSeconds` before the invocation's deadline;
 * damped by failure/success thresholds, it moves the service record (one UPSERT, TTL from config,
 * bounded wait for INSYNC) or the Elastic IP to the best healthy member, never to an unhealthy one.
 * All members down → nothing changes and the run fails loudly (`AllMembersDown`).
 *
 * @example
 * const report = await runFailover(ctx, config.failover, { memory });
 * await publishReport(ctx.alerts, report);
 */
export async function runFailover(ctx: JobContext, config: FailoverConfig, options: FailoverOptions = {}): Promise<RunReport> {
  const report = emptyReport('failover', ctx);
  const groups = config.groups.filter((g) => !options.groups || options.groups.includes(g.name));
  const configured = config.groups.map((g) => g.name);
  const unknown = (options.groups ?? []).map((name, i) => ({ name, i })).filter(({ name }) => !configured.includes(name));
  if (unknown.length > 0) {
    // Bad input, not a failed run: an alert naming the field, exit 2 on the CLI, nothing probed.
    throw new InputError(
      'failover groups',
      unknown.map(({ name, i }) => ({ path: `groups[${i}]`, message: `no failover group named '${name}' (configured: ${configured.join(', ') || 'none'})` })),
    );
  }
  if (groups.length === 0) report.notes.push('no failover groups configured');
  const watch = {
    once: options.once === true || ctx.dryRun,
    stopBeforeMs: config.stopBeforeDeadlineSeconds * 1000,
    maxPasses: options.maxPasses,
    signal: options.signal,
    memory: options.memory,
    onPass: options.onPass,
  };
  if (groups.length === 0) return finishReport(report, ctx);
  // Each group's members are described in the group's Region (Route 53 is global); groups are
  // independent: each runs its own loop at its own interval, the Regions in parallel.
  const home = await homeRegion(ctx);
  const regionOf = (g: FailoverGroup) => g.region ?? home;
  const regions = [...new Set([home, ...groups.map(regionOf)])].filter((r) => groups.some((g) => regionOf(g) === r));
  if (options.config && regions.some((r) => r !== home)) await resolveRegions(ctx, options.config);
  return runInRegions(ctx, regions, async (regionCtx, region) => {
    const part = regions.length === 1 ? report : emptyReport('failover', regionCtx);
    await Promise.all(groups.filter((g) => regionOf(g) === region).map((g) => watchGroup(regionCtx, g, watch, part)));
    return finishReport(part, regionCtx);
  });
}


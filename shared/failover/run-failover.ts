import { InputError } from '../engine/errors';
import { emptyReport, finishReport } from '../engine/run';
import type { JobContext, RunReport } from '../engine/types';
import type { FailoverConfig } from './config';
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
  // Groups are independent: each runs its own loop at its own interval.
  await Promise.all(groups.map((g) => watchGroup(ctx, g, watch, report)));
  return finishReport(report, ctx);
}


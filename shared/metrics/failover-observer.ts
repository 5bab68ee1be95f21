import type { PassEvent } from '../failover/watch-group';

/** What the failover watch loop saw, per group, beyond what its report holds. */
export interface GroupObservation {
  /** Every probe's latency, in ms (CloudWatch keeps the distribution: p50/p99 on the dashboard). */
  latenciesMs: number[];
  probeFailures: number;
  /** Members up at the last pass. */
  healthy: number;
  members: number;
}

export type FailoverObservations = Map<string, GroupObservation>;

/**
 * Collects probe latencies and failures from the watch loop's `onPass` events, for metrics: the
 * report keeps verdicts, not every probe. One per run; nothing leaks between invocations.
 *
 * @example
 * const observer = failoverObserver();
 * await runFailover(ctx, config.failover, { onPass: observer.onPass });
 * runMetrics(report, region, observer.observations);
 */
export function failoverObserver(): { observations: FailoverObservations; onPass(event: PassEvent): void } {
  const observations: FailoverObservations = new Map();
  return {
    observations,
    onPass(event) {
      let o = observations.get(event.group);
      if (!o) observations.set(event.group, (o = { latenciesMs: [], probeFailures: 0, healthy: 0, members: event.members.length }));
      for (const m of event.members) {
        // A member without an address fails without a socket: no latency to speak of.
        if (m.probe.ms > 0 || m.probe.ok) o.latenciesMs.push(Math.round(m.probe.ms));
        if (!m.probe.ok) o.probeFailures++;
      }
      o.healthy = event.members.filter((m) => m.health.verdict === 'up').length;
      o.members = event.members.length;
    },
  };
}

/** What the watch loop believes about one member. `unknown` until a threshold has been reached. */
export type Verdict = 'unknown' | 'up' | 'down';

export interface MemberHealth {
  verdict: Verdict;
  /** Consecutive failed probes (reset by a success). */
  failures: number;
  /** Consecutive good probes (reset by a failure). */
  successes: number;
  /** The last probe's detail, for reasons and reports. */
  last?: string;
}

export const initialHealth: MemberHealth = { verdict: 'unknown', failures: 0, successes: 0 };

/**
 * Pure hysteresis: a member turns down only after `failureThreshold` consecutive failures and up
 * only after `successThreshold` consecutive successes, so one lost probe (the MMM lesson) or one
 * lucky answer from a flapping box changes nothing.
 */
export function trackHealth(
  health: MemberHealth,
  probe: { ok: boolean; detail: string },
  thresholds: { failureThreshold: number; successThreshold: number },
): MemberHealth {
  if (probe.ok) {
    const successes = health.successes + 1;
    const verdict = successes >= thresholds.successThreshold ? 'up' : health.verdict;
    return { verdict, failures: 0, successes, last: probe.detail };
  }
  const failures = health.failures + 1;
  const verdict = failures >= thresholds.failureThreshold ? 'down' : health.verdict;
  return { verdict, failures, successes: 0, last: probe.detail };
}

import { errorCode } from '../aws/errors';

export interface RetryRule {
  /** AWS error codes this rule retries. */
  codes: ReadonlySet<string> | readonly string[];
  /** Retries after the first attempt. */
  retries: number;
  /** Wait before retry n (0-based). */
  delayMs(attempt: number): number;
}

/**
 * Retries a call on the given AWS error codes, waiting with the job's own `sleep` (so the sandbox
 * can pass virtual time). For codes the SDK does not retry itself, such as
 * `SnapshotCreationPerVolumeRateExceeded` (wait ≥ 15 s) or `ConcurrentSnapshotLimitExceeded`.
 */
export async function retryOn<T>(
  call: () => Promise<T>,
  rule: RetryRule,
  sleep: (ms: number) => Promise<void>,
): Promise<T> {
  const codes = rule.codes instanceof Set ? rule.codes : new Set(rule.codes as readonly string[]);
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= rule.retries || !codes.has(errorCode(error))) throw error;
      await sleep(rule.delayMs(attempt));
    }
  }
}

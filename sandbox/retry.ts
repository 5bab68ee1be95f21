import { StandardRetryStrategy } from '@smithy/core/retry';
import type { StandardRetryBackoffStrategy } from '@smithy/types';
import type { SandboxClock } from './clock';

/** The SDK's cap on one backoff, in ms. */
const MAXIMUM_RETRY_DELAY = 20_000;

/**
 * The SDK's standard backoff (full jitter: random × min(base × 2^attempt, 20 s)) measured in
 * sandbox time. The SDK sleeps real milliseconds between retries; with a scaled clock that would
 * make every backoff `scale` times too long in AWS seconds (a 1 s backoff at scale 200 would let
 * AWS's bucket refill for 200 s), and with a frozen clock no AWS time would pass at all.
 */
export class SandboxBackoff implements StandardRetryBackoffStrategy {
  private base = 50;

  constructor(
    private readonly clock: SandboxClock,
    private readonly random: () => number,
  ) {}

  setDelayBase(delayBase: number): void {
    this.base = delayBase;
  }

  /** Real ms to wait: the AWS-time delay divided by the scale; a frozen clock is advanced instead. */
  computeNextBackoffDelay(retryAttempt: number): number {
    const awsMs = Math.floor(this.random() * Math.min(this.base * 2 ** retryAttempt, MAXIMUM_RETRY_DELAY));
    if (this.clock.scale > 0) return awsMs / this.clock.scale;
    this.clock.advance(awsMs);
    return 0;
  }
}

/** The SDK's own standard retry strategy (attempts, retry quota, error classes), backing off in sandbox time. */
export function sandboxRetryStrategy(clock: SandboxClock, random: () => number, maxAttempts: number): StandardRetryStrategy {
  return new StandardRetryStrategy({ maxAttempts, backoff: new SandboxBackoff(clock, random) });
}

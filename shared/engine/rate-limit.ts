import { isThrottling } from '../aws/errors';

/** The part of an SDK v3 command the limiter needs: its own middleware stack. */
export interface PaceableCommand {
  middlewareStack: { add(middleware: unknown, options: Record<string, unknown>): void };
}

/**
 * Client-side pacing that mirrors an AWS token bucket (e.g. DeleteSnapshot: 100 burst, 5/s), so a
 * bulk job keeps the bucket busy instead of emptying it and collecting `RequestLimitExceeded`.
 * The rate backs off multiplicatively when AWS throttles anyway (other tools share the bucket)
 * and creeps back up on success (AIMD).
 */
export class RateLimiter {
  private tokens: number;
  private last: number;
  private rate: number;
  private lastDecrease = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly spec: { capacity: number; refillPerSecond: number },
    private readonly clock: { nowMs(): number; sleep(ms: number): Promise<void> },
  ) {
    this.tokens = spec.capacity;
    this.rate = spec.refillPerSecond;
    this.last = clock.nowMs();
  }

  /** Current steady rate, calls per second. */
  get currentRate(): number {
    return this.rate;
  }

  async acquire(): Promise<void> {
    for (;;) {
      const now = this.clock.nowMs();
      this.tokens = Math.min(this.spec.capacity, this.tokens + ((now - this.last) / 1000) * this.rate);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.clock.sleep(Math.max(1, ((1 - this.tokens) / this.rate) * 1000));
    }
  }

  /**
   * AWS throttled us: drop what is left of the burst and slow down. Throttles within one second
   * are one congestion signal (the calls in flight were all sent before we slowed down), so the
   * rate drops once for them, not once per worker, as TCP halves once per round trip.
   */
  throttled(): void {
    this.tokens = 0;
    const now = this.clock.nowMs();
    if (now - this.lastDecrease < 1000) return;
    this.lastDecrease = now;
    this.rate = Math.max(this.spec.refillPerSecond / 10, this.rate * 0.7);
  }

  succeeded(): void {
    this.rate = Math.min(this.spec.refillPerSecond, this.rate + this.spec.refillPerSecond * 0.02);
  }

  /**
   * Paces an SDK command: every attempt of it, the SDK's own retries included, waits for a token
   * first, and an attempt AWS throttles slows the pace at once (a clean one lets it recover).
   * Pacing only the first attempt would leave the retries to AWS's bucket, which the paced calls
   * keep empty: a throttled call's retries then lose to them every time until the SDK gives up
   * (measured: bench/regions.ts), and the pace would learn of the throttle only then.
   *
   * The hook sits in the command's own middleware stack at `finalizeRequest` with priority `low`,
   * inside the SDK's retry loop (`retryMiddleware`, `finalizeRequest`/`high`), so it runs once per
   * attempt (https://aws.amazon.com/blogs/developer/middleware-stack-modular-aws-sdk-js/: middleware
   * runs by step, then priority). It runs after the signing, which is fine: a wait is at most
   * 1 / (refill ÷ 10) s, far inside SigV4's five minutes.
   *
   * @example
   * await ec2.send(limiter.pace(new DeleteSnapshotCommand({ SnapshotId: id })));
   */
  pace<C extends PaceableCommand>(command: C): C {
    command.middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
        await this.acquire();
        try {
          const out = await next(args);
          this.succeeded();
          return out;
        } catch (error) {
          if (isThrottling(error)) this.throttled();
          throw error;
        }
      },
      { step: 'finalizeRequest', priority: 'low', name: 'caretakerPacing', override: true },
    );
    return command;
  }
}

import { isThrottling } from '../aws/errors';

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
   * Makes one paced SDK call and learns from it: a call the SDK had to retry, or one that failed
   * throttled, slows the pace; a clean one lets it recover.
   */
  async send<T extends { $metadata?: { attempts?: number } }>(call: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      const out = await call();
      this.observe(out.$metadata?.attempts, false);
      return out;
    } catch (error) {
      this.observe((error as { $metadata?: { attempts?: number } }).$metadata?.attempts, isThrottling(error));
      throw error;
    }
  }

  private observe(attempts: number | undefined, throttled: boolean): void {
    if (throttled || (attempts ?? 1) > 1) this.throttled();
    else this.succeeded();
  }
}

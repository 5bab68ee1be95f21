/**
 * The sandbox's notion of time: real elapsed time × `scale`, plus whatever `advance` added.
 * Scaling lets AWS's token buckets and 60-second Route 53 syncs play out in a fraction of the
 * real time, while every rate is still measured in "AWS seconds".
 */
export class SandboxClock {
  private readonly realStart = performance.now();
  private offsetMs = 0;

  constructor(
    private readonly startMs: number,
    readonly scale: number,
  ) {}

  nowMs(): number {
    return this.startMs + (performance.now() - this.realStart) * this.scale + this.offsetMs;
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  /** A `sleep` for job contexts: moves virtual time on at once, then yields to the event loop. */
  readonly sleep = async (ms: number): Promise<void> => {
    this.advance(ms);
    await new Promise((resolve) => setImmediate(resolve));
  };

  /**
   * A `sleep` that really waits, `ms / scale` real ms: for benchmarks, where the token buckets
   * must see real (scaled) time pass. With a frozen clock (scale 0) it advances instead.
   */
  readonly scaledSleep = async (ms: number): Promise<void> => {
    if (this.scale <= 0) return this.sleep(ms);
    await new Promise((resolve) => setTimeout(resolve, ms / this.scale));
  };

  /** Real milliseconds that correspond to `virtualMs` of sandbox time. */
  realMs(virtualMs: number): number {
    return this.scale > 0 ? virtualMs / this.scale : 0;
  }
}

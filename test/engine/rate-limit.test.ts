import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../shared/engine/rate-limit';
import { SandboxClock } from '../../sandbox/clock';

function limiter() {
  const clock = new SandboxClock(0, 0);
  return { clock, limiter: new RateLimiter({ capacity: 10, refillPerSecond: 5 }, { nowMs: () => clock.nowMs(), sleep: clock.sleep }) };
}

describe('RateLimiter', () => {
  it('grants the burst at once, then paces at the refill rate', async () => {
    const { clock, limiter: l } = limiter();
    for (let i = 0; i < 10; i++) await l.acquire();
    expect(clock.nowMs()).toBe(0);
    for (let i = 0; i < 5; i++) await l.acquire();
    expect(clock.nowMs()).toBeCloseTo(1000, -1);
  });

  it('slows down once for throttles that arrive together, and again after a second', () => {
    const { clock, limiter: l } = limiter();
    for (let i = 0; i < 8; i++) l.throttled();
    expect(l.currentRate).toBeCloseTo(3.5);
    clock.advance(1000);
    l.throttled();
    expect(l.currentRate).toBeCloseTo(2.45);
  });

  it('creeps back up to, never above, the refill rate on success', () => {
    const { limiter: l } = limiter();
    l.throttled();
    for (let i = 0; i < 100; i++) l.succeeded();
    expect(l.currentRate).toBe(5);
  });
});

describe('RateLimiter.send', () => {
  it('slows down after a call the SDK retried or a throttled failure, not after a clean one', async () => {
    const { limiter: l } = limiter();
    await l.send(async () => ({ $metadata: { attempts: 1 } }));
    expect(l.currentRate).toBe(5);
    await l.send(async () => ({ $metadata: { attempts: 3 } }));
    expect(l.currentRate).toBeLessThan(5);
    const after = l.currentRate;
    const throttled = Object.assign(new Error('slow down'), { name: 'RequestLimitExceeded', $metadata: { attempts: 1 } });
    await expect(l.send(async () => Promise.reject(throttled))).rejects.toBe(throttled);
    expect(l.currentRate).toBeLessThanOrEqual(after);
  });
});

import { DeleteSnapshotCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../shared/engine/rate-limit';
import { SandboxAccount } from '../../sandbox/account';
import { SandboxClock } from '../../sandbox/clock';
import { FleetBuilder } from '../../sandbox/fleet';

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

describe('RateLimiter.pace', () => {
  /** A sandbox whose DeleteSnapshot bucket (100 burst, 5/s) another tool has just emptied, on a frozen clock. */
  async function drained() {
    const sandbox = new SandboxAccount({ throttling: true, timeScale: 0, seed: 7 });
    const fleet = new FleetBuilder(sandbox);
    const vol = fleet.volume({});
    const snaps = Array.from({ length: 102 }, () => fleet.snapshot(vol, 0).SnapshotId!);
    const other = sandbox.clients({ maxAttempts: 1 }).ec2;
    for (const id of snaps.slice(0, 100)) await other.send(new DeleteSnapshotCommand({ SnapshotId: id }));
    const { clock } = sandbox;
    return { sandbox, ids: snaps.slice(100), ec2: sandbox.clients({ maxAttempts: 4 }).ec2, pacer: { nowMs: () => clock.nowMs(), sleep: clock.sleep } };
  }

  it("makes the SDK's retry of a throttled attempt wait for a token of the slowed pace, not only the SDK's backoff", async () => {
    const { sandbox, ids, ec2, pacer } = await drained();
    // One token, then 0.5/s: after the throttle 0.35/s, so the retry waits ≥ 2.86 s; the SDK's first backoff is at most 0.5 s.
    const limiter = new RateLimiter({ capacity: 1, refillPerSecond: 0.5 }, pacer);
    const out = await ec2.send(limiter.pace(new DeleteSnapshotCommand({ SnapshotId: ids[0] })));
    const attempts = sandbox.callsOf('DeleteSnapshot').slice(100);
    expect(attempts.map((c) => c.error)).toEqual(['RequestLimitExceeded', undefined]);
    expect(out.$metadata.attempts).toBe(2);
    expect(attempts[1]!.atMs - attempts[0]!.atMs).toBeGreaterThanOrEqual(1000 / 0.35 - 1);
    // Slowed once for the throttled attempt, then a clean attempt's small step back up.
    expect(limiter.currentRate).toBeCloseTo(0.35 + 0.01, 5);
  });

  it('leaves the pace alone on errors that are not throttling, and recovers on clean attempts', async () => {
    const { ids, ec2, pacer } = await drained();
    const limiter = new RateLimiter({ capacity: 10, refillPerSecond: 5 }, pacer);
    limiter.throttled();
    await pacer.sleep(5_000);
    await expect(ec2.send(limiter.pace(new DeleteSnapshotCommand({ SnapshotId: 'snap-0000000000000dead' })))).rejects.toMatchObject({ name: 'InvalidSnapshot.NotFound' });
    expect(limiter.currentRate).toBeCloseTo(3.5, 5);
    await ec2.send(limiter.pace(new DeleteSnapshotCommand({ SnapshotId: ids[1] })));
    expect(limiter.currentRate).toBeCloseTo(3.6, 5);
  });
});

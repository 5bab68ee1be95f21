import { DeleteSnapshotCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { SandboxAccount } from '../../sandbox/account';
import { SandboxClock } from '../../sandbox/clock';
import { FleetBuilder } from '../../sandbox/fleet';
import { SandboxBackoff } from '../../sandbox/retry';

describe('SandboxBackoff', () => {
  it('turns the SDK backoff (random × base × 2^attempt) into real ms at the clock scale', () => {
    const backoff = new SandboxBackoff(new SandboxClock(0, 100), () => 0.5);
    backoff.setDelayBase(1000);
    expect(backoff.computeNextBackoffDelay(0)).toBe(5);
    expect(backoff.computeNextBackoffDelay(2)).toBe(20);
    // Capped at 20 s of AWS time, like the SDK.
    expect(backoff.computeNextBackoffDelay(10)).toBe(100);
  });

  it('advances a frozen clock by the backoff instead of waiting', () => {
    const clock = new SandboxClock(0, 0);
    const backoff = new SandboxBackoff(clock, () => 0.5);
    backoff.setDelayBase(1000);
    expect(backoff.computeNextBackoffDelay(1)).toBe(0);
    expect(clock.nowMs()).toBe(1000);
  });
});

describe('SandboxAccount clients with retryOnSandboxClock', () => {
  it('lets the SDK retry a throttled call after the bucket refilled in sandbox time', async () => {
    const sandbox = new SandboxAccount({ throttling: true, timeScale: 0, start: new Date('2026-01-01T00:00:00Z') });
    const fleet = new FleetBuilder(sandbox);
    const vol = fleet.volume({});
    const snaps = Array.from({ length: 101 }, () => fleet.snapshot(vol, 0));
    const { ec2 } = sandbox.clients({ retryOnSandboxClock: true, maxAttempts: 10 });
    for (const s of snaps.slice(0, 100)) await ec2.send(new DeleteSnapshotCommand({ SnapshotId: s.SnapshotId }));
    const out = await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snaps[100]!.SnapshotId }));
    expect(out.$metadata.attempts).toBeGreaterThan(1);
    expect(sandbox.callsOf('DeleteSnapshot').filter((c) => c.error === 'RequestLimitExceeded').length).toBe(out.$metadata.attempts! - 1);
    expect(sandbox.clock.nowMs()).toBeGreaterThan(Date.parse('2026-01-01T00:00:00Z'));
  });
});

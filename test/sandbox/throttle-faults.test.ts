import { DeleteSnapshotCommand, DescribeInstancesCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { SandboxAccount } from '../../sandbox/account';
import { FleetBuilder } from '../../sandbox/fleet';
import { bucketFor, TokenBuckets } from '../../sandbox/throttle';

describe('Sandbox token buckets', () => {
  it('has AWS sizes: DeleteSnapshot 100/5, RunInstances 5/2, filtered Describe 100/20, unfiltered 50/10', () => {
    expect(bucketFor('ec2', 'DeleteSnapshot', {})).toMatchObject({ capacity: 100, refillPerSecond: 5 });
    expect(bucketFor('ec2', 'RunInstances', {})).toMatchObject({ capacity: 5, refillPerSecond: 2 });
    expect(bucketFor('ec2', 'DescribeSnapshots', { Filters: [{}] })).toMatchObject({ capacity: 100, refillPerSecond: 20 });
    expect(bucketFor('ec2', 'DescribeSnapshots', {})).toMatchObject({ capacity: 50, refillPerSecond: 10 });
    expect(bucketFor('ec2', 'StopInstances', {})).toMatchObject({ capacity: 50, refillPerSecond: 5 });
  });

  it('allows the burst, then refills at the steady rate', () => {
    const buckets = new TokenBuckets();
    const spec = { key: 'x', capacity: 100, refillPerSecond: 5 };
    let ok = 0;
    for (let i = 0; i < 150; i++) if (buckets.take(spec, 0)) ok++;
    expect(ok).toBe(100);
    expect(buckets.take(spec, 100)).toBe(false);
    expect(buckets.take(spec, 200)).toBe(true);
  });

  it('throttles with RequestLimitExceeded, which the SDK retries', async () => {
    const sandbox = new SandboxAccount({ throttling: true, timeScale: 0 });
    const fleet = new FleetBuilder(sandbox);
    const vol = fleet.volume({});
    const snaps = Array.from({ length: 101 }, () => fleet.snapshot(vol, 0));
    const { ec2 } = sandbox.clients({ maxAttempts: 1 });
    for (const s of snaps.slice(0, 100)) await ec2.send(new DeleteSnapshotCommand({ SnapshotId: s.SnapshotId }));
    await expect(ec2.send(new DeleteSnapshotCommand({ SnapshotId: snaps[100]!.SnapshotId }))).rejects.toMatchObject({
      name: 'RequestLimitExceeded',
      $metadata: { httpStatusCode: 503 },
    });
  });
});

describe('Sandbox Describe* latency model', () => {
  const seeded = (describeLatency?: boolean) => {
    const sandbox = new SandboxAccount({ timeScale: 0, describeLatency, start: new Date('2026-06-15T12:00:00Z') });
    const fleet = new FleetBuilder(sandbox);
    const vol = fleet.volume({});
    const snaps = Array.from({ length: 12 }, () => fleet.snapshot(vol, 0).SnapshotId!);
    return { sandbox, snaps, ec2: sandbox.clients().ec2 };
  };

  it('makes a DescribeSnapshots page cost 200 ms + 1 ms per snapshot returned, a DeleteSnapshot nothing', async () => {
    const { sandbox, snaps, ec2 } = seeded(true);
    const before = sandbox.clock.nowMs();
    const page = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], MaxResults: 10 }));
    expect(page.Snapshots).toHaveLength(10);
    expect(sandbox.clock.nowMs() - before).toBe(210);
    await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], MaxResults: 10, NextToken: page.NextToken }));
    expect(sandbox.clock.nowMs() - before).toBe(210 + 202);
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snaps[0] }));
    expect(sandbox.clock.nowMs() - before).toBe(412);
  });

  it('is off by default: a frozen clock stays where it is', async () => {
    const { sandbox, ec2 } = seeded();
    const before = sandbox.clock.nowMs();
    await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], MaxResults: 10 }));
    expect(sandbox.clock.nowMs()).toBe(before);
  });
});

describe('Sandbox fault injection', () => {
  it('is deterministic for a seed', async () => {
    const run = async () => {
      const sandbox = new SandboxAccount({ seed: 42, timeScale: 0 });
      sandbox.injectFault({ operation: 'DescribeInstances', code: 'InternalError', probability: 0.5 });
      const { ec2 } = sandbox.clients({ maxAttempts: 1 });
      const outcomes: string[] = [];
      for (let i = 0; i < 20; i++) {
        outcomes.push(await ec2.send(new DescribeInstancesCommand({})).then(() => 'ok', (e: Error) => e.name));
      }
      return outcomes;
    };
    const first = await run();
    expect(first).toContain('InternalError');
    expect(first).toContain('ok');
    expect(await run()).toEqual(first);
  });

  it('5xx faults are retried by the SDK as transient errors', async () => {
    const sandbox = new SandboxAccount({ timeScale: 0 });
    sandbox.injectFault({ operation: 'DescribeInstances', code: 'Unavailable', times: 2 });
    const { ec2 } = sandbox.clients();
    await ec2.send(new DescribeInstancesCommand({}));
    expect(sandbox.callsOf('DescribeInstances').map((c) => c.error)).toEqual(['Unavailable', 'Unavailable', undefined]);
  });

  it('records mutating calls separately from reads', async () => {
    const sandbox = new SandboxAccount({ timeScale: 0 });
    const fleet = new FleetBuilder(sandbox);
    const s = fleet.snapshot(fleet.volume({}), 0);
    const { ec2 } = sandbox.clients();
    await ec2.send(new DescribeInstancesCommand({}));
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: s.SnapshotId }));
    expect(sandbox.mutatingCalls().map((c) => c.operation)).toEqual(['DeleteSnapshot']);
  });

  it('names an operation it does not serve', async () => {
    const sandbox = new SandboxAccount({ timeScale: 0 });
    const { ssm } = sandbox.clients();
    const { ListDocumentsCommand } = await import('@aws-sdk/client-ssm');
    await expect(ssm.send(new ListDocumentsCommand({}))).rejects.toMatchObject({ name: 'UnsupportedOperation' });
  });
});

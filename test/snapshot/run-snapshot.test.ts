import {
  CreateSnapshotsCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createClients } from '../../shared/aws/clients';
import { InputError } from '../../shared/engine/errors';
import { runFailed } from '../../shared/engine/run';
import { runSnapshot } from '../../shared/snapshot/run-snapshot';
import { config, sandboxContext, sandboxWithFleet } from '../helpers';

const cfg = (policy: Record<string, unknown> = {}) =>
  config({
    snapshot: {
      policies: [
        { name: 'daily', schedule: 'cron(0 3 * * ? *)', selector: { tags: { 'caretaker:snapshot': ['daily'] } }, ...policy },
      ],
    },
  });

describe('runSnapshot (SDK mock)', () => {
  const clients = createClients({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  // Mock this client instance only, so the sandbox's clients elsewhere stay real.
  const ec2Mock = mockClient(clients.ec2);
  afterEach(() => ec2Mock.reset());

  it('sends one CreateSnapshots per instance with exclusions and tags at creation', async () => {
    // Prepare
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: 'i-0123456789abcdef0',
              State: { Name: 'running' },
              RootDeviceName: '/dev/xvda',
              Tags: [{ Key: 'caretaker:snapshot', Value: 'daily' }, { Key: 'Name', Value: 'db-1' }],
              BlockDeviceMappings: [
                { DeviceName: '/dev/xvda', Ebs: { VolumeId: 'vol-0000000000000000a' } },
                { DeviceName: '/dev/sdf', Ebs: { VolumeId: 'vol-0000000000000000b' } },
                { DeviceName: '/dev/sdg', Ebs: { VolumeId: 'vol-0000000000000000c' } },
              ],
            },
          ],
        },
      ],
    });
    ec2Mock.on(DescribeVolumesCommand).resolves({
      Volumes: [
        { VolumeId: 'vol-0000000000000000a' },
        { VolumeId: 'vol-0000000000000000b', Tags: [{ Key: 'backup', Value: 'skip' }] },
        { VolumeId: 'vol-0000000000000000c' },
      ],
    });
    ec2Mock.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
    ec2Mock.on(CreateSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-1', VolumeId: 'vol-0000000000000000c' }] });
    const { sandbox } = sandboxWithFleet();
    const ctx = sandboxContext(sandbox, { clients });

    // Act
    const report = await runSnapshot(ctx, cfg({ excludeBootVolume: true, excludeVolumeTags: { backup: ['skip'] }, extraTags: { team: 'db' } }), {
      policy: 'daily',
      time: '2026-03-05T03:00:41Z',
    });

    // Assess
    expect(report.results).toMatchObject([{ id: 'i-0123456789abcdef0', outcome: 'done', details: { snapshots: 'vol-0000000000000000c→snap-1' } }]);
    expect(ec2Mock).toHaveReceivedCommandTimes(CreateSnapshotsCommand, 1);
    expect(ec2Mock).toHaveReceivedCommandWith(CreateSnapshotsCommand, {
      InstanceSpecification: { InstanceId: 'i-0123456789abcdef0', ExcludeBootVolume: true, ExcludeDataVolumeIds: ['vol-0000000000000000b'] },
      Description: 'EC2 Caretaker daily snapshot of db-1',
      CopyTagsFromSource: 'volume',
      TagSpecifications: [
        {
          ResourceType: 'snapshot',
          Tags: [
            { Key: 'team', Value: 'db' },
            { Key: 'Name', Value: 'db-1 daily 2026-03-05T03:00:00Z' },
            { Key: 'caretaker:managed', Value: 'true' },
            { Key: 'caretaker:policy', Value: 'daily' },
            { Key: 'caretaker:slot', Value: '2026-03-05T03:00:00Z' },
            { Key: 'caretaker:instance', Value: 'i-0123456789abcdef0' },
          ],
        },
      ],
    });
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstancesCommand, {
      Filters: [{ Name: 'tag:caretaker:snapshot', Values: ['daily', 'daily,*', '*,daily', '*,daily,*'] }],
    });
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeSnapshotsCommand, {
      OwnerIds: ['self'],
      Filters: [
        { Name: 'tag:caretaker:policy', Values: ['daily'] },
        { Name: 'tag:caretaker:slot', Values: ['2026-03-05T03:00:00Z'] },
      ],
    });
  });
});

describe('runSnapshot (sandbox)', () => {
  const fleetOf = (n: number, volumes = 3) => {
    const { sandbox, fleet } = sandboxWithFleet();
    const instances = Array.from({ length: n }, (_, i) =>
      fleet.instance({ name: `web-${i}`, tags: { 'caretaker:snapshot': 'daily' }, volumes: Array.from({ length: volumes }, () => ({})) }),
    );
    fleet.instance({ name: 'untagged' });
    return { sandbox, fleet, instances };
  };

  it('delivering the same scheduled event three times makes exactly one snapshot set', async () => {
    const { sandbox } = fleetOf(4);
    const event = { policy: 'daily', time: '2026-03-05T03:00:00Z' };
    const reports = [];
    for (let i = 0; i < 3; i++) reports.push(await runSnapshot(sandboxContext(sandbox), cfg(), event));
    expect(sandbox.ec2.snapshots.size).toBe(12);
    expect(sandbox.callsOf('CreateSnapshots')).toHaveLength(4);
    expect(reports[0]!.results.filter((r) => r.outcome === 'done')).toHaveLength(4);
    // Still pending (a snapshot takes a minute in the sandbox): in progress, not done, not redone.
    expect(reports[2]!.results.every((r) => r.outcome === 'skipped' && /^slot \S+ in progress/.test(r.reason))).toBe(true);
  });

  it('concurrent duplicate deliveries race; the loser is caught by the per-volume rate limit, not doubled', async () => {
    const { sandbox } = fleetOf(2, 1);
    const event = { policy: 'daily', time: '2026-03-05T03:00:00Z' };
    await Promise.all([runSnapshot(sandboxContext(sandbox), cfg(), event), runSnapshot(sandboxContext(sandbox), cfg(), event)]);
    const perVolume = new Map<string, number>();
    for (const { data } of sandbox.ec2.snapshots.values()) perVolume.set(data.VolumeId!, (perVolume.get(data.VolumeId!) ?? 0) + 1);
    expect([...perVolume.values()]).toEqual([1, 1]);
  });

  it('skips with a reason when a volume is at its pending limit', async () => {
    const { sandbox, fleet, instances } = fleetOf(1, 1);
    const volumeId = instances[0]!.BlockDeviceMappings![0]!.Ebs!.VolumeId!;
    for (let i = 0; i < 5; i++) fleet.snapshot({ VolumeId: volumeId, Size: 8 }, 1_000 * (i + 1), {}, true);
    const report = await runSnapshot(sandboxContext(sandbox), cfg(), { policy: 'daily' });
    expect(report.results).toMatchObject([{ outcome: 'skipped', reason: expect.stringContaining('per-volume limit reached') }]);
    expect(sandbox.callsOf('CreateSnapshots')).toHaveLength(0);
  });

  it('waits 15 s and retries once on SnapshotCreationPerVolumeRateExceeded', async () => {
    const { sandbox } = fleetOf(1);
    sandbox.injectFault({ operation: 'CreateSnapshots', code: 'SnapshotCreationPerVolumeRateExceeded', times: 1 });
    const before = sandbox.clock.nowMs();
    const report = await runSnapshot(sandboxContext(sandbox), cfg(), { policy: 'daily' });
    expect(report.results[0]!.outcome).toBe('done');
    expect(sandbox.clock.nowMs() - before).toBeGreaterThanOrEqual(15_000);
    expect(sandbox.callsOf('CreateSnapshots').map((c) => c.error)).toEqual(['SnapshotCreationPerVolumeRateExceeded', undefined]);
  });

  it("one instance's failure does not stop the others and is reported with its code", async () => {
    const { sandbox, instances } = fleetOf(3);
    const bad = instances[1]!.InstanceId;
    sandbox.injectFault({
      operation: 'CreateSnapshots',
      code: 'InternalError',
      when: (input) => (input.InstanceSpecification as { InstanceId: string }).InstanceId === bad,
    });
    const report = await runSnapshot(sandboxContext(sandbox), cfg(), { policy: 'daily' });
    expect(report.results.map((r) => `${r.id === bad ? 'bad' : 'ok'}:${r.outcome}`).sort()).toEqual(['bad:failed', 'ok:done', 'ok:done']);
    expect(report.results.find((r) => r.id === bad)!.errorCode).toBe('InternalError');
    expect(runFailed(report)).toBe(true);
  });

  it('application consistency runs pre and post scripts around the snapshot', async () => {
    const { sandbox, instances } = fleetOf(1);
    sandbox.ssm.documents.add('caretaker-fsfreeze');
    const report = await runSnapshot(sandboxContext(sandbox), cfg({ consistency: 'application', application: { document: 'caretaker-fsfreeze', parameters: { mountPoints: ['/data'] } } }), {
      policy: 'daily',
    });
    expect(report.results[0]).toMatchObject({ outcome: 'done', details: { consistency: 'application' } });
    expect(sandbox.ssm.invocations.map((i) => [i.instanceId, i.parameters.action?.[0], i.parameters.mountPoints?.[0]])).toEqual([
      [instances[0]!.InstanceId, 'pre', '/data'],
      [instances[0]!.InstanceId, 'post', '/data'],
    ]);
    const order = sandbox.calls.map((c) => c.operation).filter((o) => o === 'SendCommand' || o === 'CreateSnapshots');
    expect(order).toEqual(['SendCommand', 'CreateSnapshots', 'SendCommand']);
  });

  it('falls back to crash-consistent when the pre script fails, still thaws, and says so', async () => {
    const { sandbox, instances } = fleetOf(1);
    sandbox.ssm.documents.add('caretaker-fsfreeze');
    sandbox.ssm.behaviour.set(instances[0]!.InstanceId!, { pre: 'Failed' });
    const report = await runSnapshot(sandboxContext(sandbox), cfg({ consistency: 'application', application: { document: 'caretaker-fsfreeze' } }), {
      policy: 'daily',
    });
    expect(report.results[0]).toMatchObject({ outcome: 'done', details: { consistency: 'crash' } });
    expect(report.results[0]!.reason).toContain('pre script Failed');
    expect(report.notes.join('\n')).toContain('fell back to crash-consistent');
    expect(sandbox.ssm.invocations.map((i) => i.parameters.action?.[0])).toEqual(['pre', 'post']);
  });

  it('names a missing SSM document and falls back without sending a post script', async () => {
    const { sandbox } = fleetOf(1);
    const report = await runSnapshot(sandboxContext(sandbox), cfg({ consistency: 'application', application: { document: 'no-such-doc' } }), {
      policy: 'daily',
    });
    expect(report.results[0]!.reason).toContain('pre script InvalidDocument (Document no-such-doc does not exist in your account)');
    expect(sandbox.callsOf('SendCommand')).toHaveLength(1);
  });

  it('fails the item loudly when the post script (thaw) fails', async () => {
    const { sandbox, instances } = fleetOf(1);
    sandbox.ssm.documents.add('caretaker-fsfreeze');
    sandbox.ssm.behaviour.set(instances[0]!.InstanceId!, { post: 'TimedOut' });
    const report = await runSnapshot(sandboxContext(sandbox), cfg({ consistency: 'application', application: { document: 'caretaker-fsfreeze', timeoutSeconds: 20 } }), {
      policy: 'daily',
    });
    expect(report.results[0]).toMatchObject({ outcome: 'failed', errorCode: 'PostScriptFailed' });
  });

  it('an unknown policy is an InputError naming the field, before any AWS call', async () => {
    const { sandbox } = fleetOf(1);
    await expect(runSnapshot(sandboxContext(sandbox), cfg(), { policy: 'hourly' })).rejects.toThrow(InputError);
    await expect(runSnapshot(sandboxContext(sandbox), cfg(), { policy: 'hourly' })).rejects.toThrow("policy: unknown snapshot policy 'hourly' (known: daily)");
    expect(sandbox.calls).toHaveLength(0);
  });

  it('says so when the selector matches nothing', async () => {
    const { sandbox } = sandboxWithFleet();
    const report = await runSnapshot(sandboxContext(sandbox), cfg(), { policy: 'daily' });
    expect(report.notes).toContain('The selector matched no instance: check the policy selector and instance tags.');
  });

  it('a dry run plans and creates nothing', async () => {
    const { sandbox } = fleetOf(2);
    const report = await runSnapshot(sandboxContext(sandbox, { dryRun: true }), cfg(), { policy: 'daily' });
    expect(report.plan.filter((p) => p.action === 'snapshot')).toHaveLength(2);
    expect(sandbox.mutatingCalls()).toHaveLength(0);
  });

  it('refuses a plan above maxInstancesPerRun and creates nothing', async () => {
    const { sandbox } = fleetOf(3);
    const report = await runSnapshot(sandboxContext(sandbox), cfg({ maxInstancesPerRun: 2 }), { policy: 'daily' });
    expect(report.error?.code).toBe('BlastRadiusError');
    expect(sandbox.mutatingCalls()).toHaveLength(0);
  });
});

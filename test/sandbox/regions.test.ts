import { DescribeRegionsCommand, type DescribeRegionsCommandInput, DescribeSnapshotsCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ListHostedZonesByNameCommand } from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import { SandboxAccount } from '../../sandbox/account';
import { FleetBuilder } from '../../sandbox/fleet';
import { serveSandbox } from '../../sandbox/http/server';

describe('Sandbox Regions', () => {
  const make = () => new SandboxAccount({ start: new Date('2026-01-01T00:00:00Z'), regions: ['us-east-1', 'eu-west-1', 'ap-southeast-3'], disabledRegions: ['af-south-1'] });

  it('gives every Region its own resources, ids and clients; the home Region is the default', async () => {
    const sandbox = make();
    const eu = new FleetBuilder(sandbox, 'eu-west-1');
    const volume = eu.volume({ sizeGiB: 8 });
    eu.snapshot(volume, 86_400_000);
    new FleetBuilder(sandbox).volume({ sizeGiB: 8 });
    expect(volume.AvailabilityZone).toBe('eu-west-1a');
    const inEu = await sandbox.clients({ region: 'eu-west-1' }).ec2.send(new DescribeVolumesCommand({}));
    const inUs = await sandbox.clients().ec2.send(new DescribeVolumesCommand({}));
    expect(inEu.Volumes?.map((v) => v.VolumeId)).toEqual([volume.VolumeId]);
    expect(inUs.Volumes).toHaveLength(1);
    expect(inUs.Volumes![0]!.VolumeId).not.toBe(volume.VolumeId);
    expect((await sandbox.clients({ region: 'ap-southeast-3' }).ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots).toEqual([]);
    expect(sandbox.calls.map((c) => c.region)).toEqual(['eu-west-1', 'us-east-1', 'ap-southeast-3']);
  });

  it('answers DescribeRegions as EC2 does: enabled ones, all with AllRegions, filters, unknown names refused', async () => {
    const ec2 = make().clients().ec2;
    const names = async (input: DescribeRegionsCommandInput) =>
      (await ec2.send(new DescribeRegionsCommand(input))).Regions?.map((r) => `${r.RegionName}:${r.OptInStatus}`);
    expect(await names({})).toEqual(['us-east-1:opt-in-not-required', 'eu-west-1:opt-in-not-required', 'ap-southeast-3:opted-in']);
    expect(await names({ AllRegions: true })).toContain('af-south-1:not-opted-in');
    expect(await names({ AllRegions: true, Filters: [{ Name: 'opt-in-status', Values: ['opted-in', 'opt-in-not-required'] }] })).toHaveLength(3);
    await expect(ec2.send(new DescribeRegionsCommand({ RegionNames: ['eu-west-9'] }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(ec2.send(new DescribeRegionsCommand({ Filters: [{ Name: 'state', Values: ['x'] }] }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('refuses calls to a disabled or absent Region; Route 53 is global', async () => {
    const sandbox = make();
    await expect(sandbox.clients({ region: 'af-south-1', maxAttempts: 1 }).ec2.send(new DescribeVolumesCommand({}))).rejects.toMatchObject({ name: 'AuthFailure' });
    await expect(sandbox.clients({ region: 'sa-east-1', maxAttempts: 1 }).ec2.send(new DescribeVolumesCommand({}))).rejects.toMatchObject({ name: 'AuthFailure' });
    await expect(sandbox.clients({ region: 'eu-west-1' }).route53.send(new ListHostedZonesByNameCommand({}))).resolves.toBeDefined();
    expect(() => sandbox.inRegion('sa-east-1')).toThrow(/no Region sa-east-1/);
  });

  it('throttles each Region against its own buckets', async () => {
    const sandbox = new SandboxAccount({ start: new Date('2026-01-01T00:00:00Z'), regions: ['us-east-1', 'eu-west-1'], throttling: true, timeScale: 0 });
    const call = (region: string) => sandbox.clients({ region, maxAttempts: 1 }).ec2.send(new DescribeVolumesCommand({}));
    for (let i = 0; i < 50; i++) await call('us-east-1'); // the unfiltered Describe bucket: 50 burst
    await expect(call('us-east-1')).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
    await expect(call('eu-west-1')).resolves.toBeDefined();
  });

  it('routes HTTP requests by the Region of their SigV4 scope', async () => {
    const sandbox = make();
    new FleetBuilder(sandbox, 'eu-west-1').volume({ sizeGiB: 8 });
    const server = await serveSandbox(sandbox);
    try {
      const client = (region: string) => new EC2Client({ region, endpoint: server.url, credentials: { accessKeyId: 'A', secretAccessKey: 'B' }, maxAttempts: 1 });
      expect((await client('eu-west-1').send(new DescribeVolumesCommand({}))).Volumes).toHaveLength(1);
      expect((await client('us-east-1').send(new DescribeVolumesCommand({}))).Volumes).toHaveLength(0);
      await expect(client('af-south-1').send(new DescribeVolumesCommand({}))).rejects.toMatchObject({ name: 'AuthFailure' });
    } finally {
      await server.close();
    }
  });
});

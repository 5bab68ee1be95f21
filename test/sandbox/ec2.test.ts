import {
  AssociateAddressCommand,
  CreateSnapshotCommand,
  CreateSnapshotsCommand,
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeleteTagsCommand,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  paginateDescribeSnapshots,
} from '@aws-sdk/client-ec2';
import { beforeEach, describe, expect, it } from 'vitest';
import { SandboxAccount } from '../../sandbox/account';
import { FleetBuilder } from '../../sandbox/fleet';

const DAY = 86_400_000;

describe('Sandbox EC2', () => {
  let sandbox: SandboxAccount;
  let fleet: FleetBuilder;
  beforeEach(() => {
    sandbox = new SandboxAccount({ start: new Date('2026-01-10T00:00:00Z'), timeScale: 0 });
    fleet = new FleetBuilder(sandbox);
  });

  describe('DescribeInstances', () => {
    it('filters by tag and state, and pages with MaxResults/NextToken', async () => {
      for (let i = 0; i < 12; i++) fleet.instance({ tags: { team: i % 2 ? 'a' : 'b' } });
      fleet.instance({ tags: { team: 'a' }, state: 'terminated' });
      const { ec2 } = sandbox.clients();
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const out = await ec2.send(
          new DescribeInstancesCommand({
            Filters: [
              { Name: 'tag:team', Values: ['a'] },
              { Name: 'instance-state-name', Values: ['running', 'stopped'] },
            ],
            MaxResults: 5,
            NextToken: token,
          }),
        );
        pages++;
        seen.push(...(out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!));
        token = out.NextToken;
      } while (token);
      expect(seen).toHaveLength(6);
      expect(pages).toBe(2);
    });

    it('answers InvalidInstanceID.NotFound for an unknown id', async () => {
      const { ec2 } = sandbox.clients();
      await expect(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0000000000000dead'] }))).rejects.toMatchObject({
        name: 'InvalidInstanceID.NotFound',
      });
    });

    it('rejects an unknown filter name as EC2 does', async () => {
      const { ec2 } = sandbox.clients();
      await expect(ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'colour', Values: ['x'] }] }))).rejects.toMatchObject({
        name: 'InvalidParameterValue',
      });
    });

    it('rejects MaxResults outside 5..1000', async () => {
      const { ec2 } = sandbox.clients();
      await expect(ec2.send(new DescribeInstancesCommand({ MaxResults: 2 }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    });
  });

  describe('DescribeVolumes', () => {
    it('finds the volumes attached to an instance', async () => {
      const inst = fleet.instance({ volumes: [{}, { sizeGiB: 100 }] });
      fleet.instance();
      const { ec2 } = sandbox.clients();
      const out = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [inst.InstanceId!] }] }));
      expect(out.Volumes?.map((v) => v.Size)).toEqual([8, 100]);
    });
  });

  describe('snapshots', () => {
    it('CreateSnapshots snapshots every attached volume with tags at creation and copied volume tags', async () => {
      const inst = fleet.instance({ volumes: [{ tags: { app: 'db' } }, { tags: { app: 'data' } }] });
      const { ec2 } = sandbox.clients();
      const out = await ec2.send(
        new CreateSnapshotsCommand({
          InstanceSpecification: { InstanceId: inst.InstanceId, ExcludeBootVolume: true },
          CopyTagsFromSource: 'volume',
          TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'caretaker:managed', Value: 'true' }] }],
        }),
      );
      expect(out.Snapshots).toHaveLength(1);
      expect(out.Snapshots![0]!.State).toBe('pending');
      expect(out.Snapshots![0]!.Tags).toEqual(
        expect.arrayContaining([
          { Key: 'app', Value: 'data' },
          { Key: 'caretaker:managed', Value: 'true' },
        ]),
      );
    });

    it('completes pending snapshots as sandbox time passes', async () => {
      const inst = fleet.instance();
      const { ec2 } = sandbox.clients();
      const { SnapshotId } = await ec2.send(new CreateSnapshotCommand({ VolumeId: inst.BlockDeviceMappings![0]!.Ebs!.VolumeId }));
      sandbox.clock.advance(61_000);
      const out = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [SnapshotId!] }));
      expect(out.Snapshots![0]).toMatchObject({ State: 'completed', Progress: '100%' });
    });

    it('enforces the per-volume rate (15 s) and the 5-pending limit (1 for st1)', async () => {
      const inst = fleet.instance({ volumes: [{ type: 'st1' }] });
      const volumeId = inst.BlockDeviceMappings![0]!.Ebs!.VolumeId!;
      const { ec2 } = sandbox.clients();
      await ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId }));
      await expect(ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId }))).rejects.toMatchObject({
        name: 'ConcurrentSnapshotLimitExceeded',
      });
      const gp3 = fleet.instance();
      const gp3Volume = gp3.BlockDeviceMappings![0]!.Ebs!.VolumeId!;
      await ec2.send(new CreateSnapshotCommand({ VolumeId: gp3Volume }));
      await expect(ec2.send(new CreateSnapshotCommand({ VolumeId: gp3Volume }))).rejects.toMatchObject({
        name: 'SnapshotCreationPerVolumeRateExceeded',
      });
    });

    it('DeleteSnapshot: InvalidSnapshot.InUse when an AMI holds it, NotFound when gone', async () => {
      const vol = fleet.volume({});
      const held = fleet.snapshot(vol, DAY);
      const free = fleet.snapshot(vol, DAY);
      fleet.image([held.SnapshotId!]);
      const { ec2 } = sandbox.clients();
      await expect(ec2.send(new DeleteSnapshotCommand({ SnapshotId: held.SnapshotId }))).rejects.toMatchObject({
        name: 'InvalidSnapshot.InUse',
      });
      await ec2.send(new DeleteSnapshotCommand({ SnapshotId: free.SnapshotId }));
      await expect(ec2.send(new DeleteSnapshotCommand({ SnapshotId: free.SnapshotId }))).rejects.toMatchObject({
        name: 'InvalidSnapshot.NotFound',
      });
    });

    it('pages DescribeSnapshots without skipping when items are deleted between pages', async () => {
      const vol = fleet.volume({});
      for (let i = 0; i < 25; i++) fleet.snapshot(vol, i * DAY, { 'caretaker:managed': 'true' });
      fleet.snapshot(vol, DAY, { other: 'x' });
      const { ec2 } = sandbox.clients();
      const seen: string[] = [];
      for await (const page of paginateDescribeSnapshots(
        { client: ec2, pageSize: 10 },
        { OwnerIds: ['self'], Filters: [{ Name: 'tag:caretaker:managed', Values: ['true'] }] },
      )) {
        for (const s of page.Snapshots ?? []) {
          seen.push(s.SnapshotId!);
          await ec2.send(new DeleteSnapshotCommand({ SnapshotId: s.SnapshotId }));
        }
      }
      expect(seen).toHaveLength(25);
    });

    it('DescribeImages finds the AMI that references a snapshot', async () => {
      const vol = fleet.volume({});
      const snap = fleet.snapshot(vol, DAY);
      const image = fleet.image([snap.SnapshotId!]);
      const { ec2 } = sandbox.clients();
      const out = await ec2.send(
        new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'block-device-mapping.snapshot-id', Values: [snap.SnapshotId!] }] }),
      );
      expect(out.Images?.map((i) => i.ImageId)).toEqual([image.ImageId]);
    });
  });

  describe('tags', () => {
    it('CreateTags and DeleteTags change tags; an unknown id is NotFound', async () => {
      const inst = fleet.instance();
      const { ec2 } = sandbox.clients();
      await ec2.send(new CreateTagsCommand({ Resources: [inst.InstanceId!], Tags: [{ Key: 'k', Value: 'v' }] }));
      let out = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:k', Values: ['v'] }] }));
      expect(out.Reservations).toHaveLength(1);
      await ec2.send(new DeleteTagsCommand({ Resources: [inst.InstanceId!], Tags: [{ Key: 'k' }] }));
      out = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag-key', Values: ['k'] }] }));
      expect(out.Reservations).toHaveLength(0);
      await expect(ec2.send(new CreateTagsCommand({ Resources: ['snap-0000000000000dead'], Tags: [{ Key: 'k', Value: 'v' }] }))).rejects.toMatchObject({
        name: 'InvalidSnapshot.NotFound',
      });
    });
  });

  describe('DescribeInstanceStatus', () => {
    it('shows scheduled events and impaired system status, filtered by event code', async () => {
      const a = fleet.instance();
      const b = fleet.instance();
      fleet.instance({ state: 'stopped' });
      sandbox.ec2.healthOf(a.InstanceId!).events.push({ Code: 'instance-retirement', Description: 'retiring', NotBefore: new Date('2026-01-20T00:00:00Z') });
      sandbox.ec2.healthOf(b.InstanceId!).systemStatus = 'impaired';
      const { ec2 } = sandbox.clients();
      const events = await ec2.send(new DescribeInstanceStatusCommand({ Filters: [{ Name: 'event.code', Values: ['instance-retirement'] }] }));
      expect(events.InstanceStatuses?.map((s) => s.InstanceId)).toEqual([a.InstanceId]);
      const impaired = await ec2.send(new DescribeInstanceStatusCommand({ Filters: [{ Name: 'system-status.status', Values: ['impaired'] }] }));
      expect(impaired.InstanceStatuses?.map((s) => s.InstanceId)).toEqual([b.InstanceId]);
      const all = await ec2.send(new DescribeInstanceStatusCommand({ IncludeAllInstances: true }));
      expect(all.InstanceStatuses).toHaveLength(3);
    });
  });

  describe('Elastic IPs', () => {
    it('AssociateAddress moves an EIP only with AllowReassociation', async () => {
      const a = fleet.instance();
      const b = fleet.instance();
      const alloc = fleet.elasticIp('203.0.113.10', a.InstanceId);
      const { ec2 } = sandbox.clients();
      await expect(ec2.send(new AssociateAddressCommand({ AllocationId: alloc, InstanceId: b.InstanceId }))).rejects.toMatchObject({
        name: 'Resource.AlreadyAssociated',
      });
      await ec2.send(new AssociateAddressCommand({ AllocationId: alloc, InstanceId: b.InstanceId, AllowReassociation: true }));
      const out = await ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'instance-id', Values: [b.InstanceId!] }] }));
      expect(out.Addresses?.[0]?.PublicIp).toBe('203.0.113.10');
      const moved = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [a.InstanceId!, b.InstanceId!] }));
      const ips = moved.Reservations!.flatMap((r) => r.Instances!).map((i) => i.PublicIpAddress);
      expect(ips).toEqual([undefined, '203.0.113.10']);
    });
  });
});

import {
  AssignPrivateIpAddressesCommand,
  AssociateAddressCommand,
  AttachNetworkInterfaceCommand,
  AttachVolumeCommand,
  CreateImageCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeNetworkInterfacesCommand,
  DetachNetworkInterfaceCommand,
  DetachVolumeCommand,
  type EC2Client,
  ModifyInstanceAttributeCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { beforeEach, describe, expect, it } from 'vitest';
import { SandboxAccount } from '../../sandbox/account';
import { BASE_IMAGE_ID, lifecycleOf } from '../../sandbox/ec2-lifecycle';
import { FleetBuilder } from '../../sandbox/fleet';

const SEC = 1000;

/** The sandbox refuses what EC2 refuses (GUIDE §3b): each case is a documented EC2 refusal. */
describe('Sandbox EC2 fidelity', () => {
  let sandbox: SandboxAccount;
  let fleet: FleetBuilder;
  let ec2: EC2Client;
  beforeEach(() => {
    sandbox = new SandboxAccount({ start: new Date('2026-01-10T00:00:00Z'), timeScale: 0 });
    fleet = new FleetBuilder(sandbox);
    ec2 = sandbox.clients().ec2;
  });

  const describeOne = async (id: string) => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!;
  const network = () => lifecycleOf(sandbox).network;
  const run = (extra: Record<string, unknown> = {}) => ec2.send(new RunInstancesCommand({ ImageId: BASE_IMAGE_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, ...extra }));

  describe('RunInstances', () => {
    it('refuses NetworkInterfaces together with SubnetId or SecurityGroupIds (InvalidParameterCombination)', async () => {
      const nic = { DeviceIndex: 0, SubnetId: 'subnet-0sandbox000000001', Groups: ['sg-0sandbox0000000001'] };
      await expect(run({ NetworkInterfaces: [nic], SubnetId: 'subnet-0sandbox000000001' })).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
      await expect(run({ NetworkInterfaces: [nic], SecurityGroupIds: ['sg-0sandbox0000000001'] })).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
      await expect(run({ NetworkInterfaces: [nic] })).resolves.toMatchObject({ Instances: [expect.objectContaining({ SubnetId: 'subnet-0sandbox000000001' })] });
    });

    it('refuses a subnet or groups on top of a launch template that defines NetworkInterfaces', async () => {
      const lt = lifecycleOf(sandbox).addLaunchTemplate('nics', { ImageId: BASE_IMAGE_ID, NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-0sandbox000000001', Groups: ['sg-0sandbox0000000001'] }] });
      const template = { LaunchTemplate: { LaunchTemplateId: lt, Version: '1' }, ImageId: undefined };
      await expect(run({ ...template, SubnetId: 'subnet-0sandbox000000001', SecurityGroupIds: ['sg-1'] })).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
      // The request's NetworkInterfaces replace the template's: that is how a template with interfaces is overridden.
      const ok = await run({ ...template, NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-0sandbox000000002', Groups: ['sg-2'] }] });
      expect(ok.Instances![0]).toMatchObject({ SubnetId: 'subnet-0sandbox000000002', Placement: expect.objectContaining({ AvailabilityZone: 'us-east-1b' }) });
    });

    it('refuses a private IP already in use (InvalidIPAddress.InUse) and creates nothing', async () => {
      const taken = fleet.instance().PrivateIpAddress!;
      const before = sandbox.ec2.instances.size;
      await expect(run({ SubnetId: 'subnet-0sandbox000000001', PrivateIpAddress: taken })).rejects.toMatchObject({ name: 'InvalidIPAddress.InUse' });
      expect(sandbox.ec2.instances.size).toBe(before);
    });

    it('does not inherit metadata options: without MetadataOptions, IMDSv1 stays allowed and the hop limit is 1', async () => {
      const plain = await run();
      expect(plain.Instances![0]!.MetadataOptions).toMatchObject({ HttpTokens: 'optional', HttpPutResponseHopLimit: 1 });
      const strict = await run({ MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 2 } });
      expect(strict.Instances![0]!.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpPutResponseHopLimit: 2 });
    });

    it('refuses the same ClientToken with other parameters (IdempotentParameterMismatch) and returns the same instance for the same ones', async () => {
      const first = await run({ ClientToken: 'tok-1' });
      const again = await run({ ClientToken: 'tok-1' });
      expect(again.Instances![0]!.InstanceId).toBe(first.Instances![0]!.InstanceId);
      await expect(run({ ClientToken: 'tok-1', InstanceType: 'm5.large' })).rejects.toMatchObject({ name: 'IdempotentParameterMismatch' });
    });

    it('refuses an unknown placement group, a gone dedicated host and a credit specification on a non-burstable type', async () => {
      await expect(run({ Placement: { GroupName: 'nope' } })).rejects.toMatchObject({ name: 'InvalidPlacementGroup.Unknown' });
      lifecycleOf(sandbox).hosts.set('h-0123456789abcdef0', 'released');
      await expect(run({ Placement: { Tenancy: 'host', HostId: 'h-0123456789abcdef0' } })).rejects.toMatchObject({ name: 'InvalidHostID.NotFound' });
      await expect(run({ InstanceType: 'm5.large', CreditSpecification: { CpuCredits: 'unlimited' } })).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
    });

    it('terminates a new instance whose volume key refuses the launcher (Client.InternalError)', async () => {
      const key = 'arn:aws:kms:us-east-1:123456789012:key/denied';
      lifecycleOf(sandbox).deniedKmsKeys.add(key);
      const launched = await run({ BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, KmsKeyId: key } }] });
      sandbox.clock.advance(31 * SEC);
      expect(await describeOne(launched.Instances![0]!.InstanceId!)).toMatchObject({ State: { Name: 'terminated' }, StateReason: { Code: 'Client.InternalError' } });
    });
  });

  describe('stop, start, terminate', () => {
    it('refuses StopInstances on a stop-protected instance, forced or not (OperationNotPermitted)', async () => {
      const i = fleet.instance();
      await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: i.InstanceId, DisableApiStop: { Value: true } }));
      await expect(ec2.send(new StopInstancesCommand({ InstanceIds: [i.InstanceId!] }))).rejects.toMatchObject({ name: 'OperationNotPermitted' });
      await expect(ec2.send(new StopInstancesCommand({ InstanceIds: [i.InstanceId!], Force: true }))).rejects.toMatchObject({ name: 'OperationNotPermitted' });
      expect((await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: i.InstanceId, Attribute: 'disableApiStop' }))).DisableApiStop).toEqual({ Value: true });
    });

    it('refuses TerminateInstances on a termination-protected instance', async () => {
      const i = fleet.instance();
      await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: i.InstanceId, DisableApiTermination: { Value: true } }));
      await expect(ec2.send(new TerminateInstancesCommand({ InstanceIds: [i.InstanceId!] }))).rejects.toMatchObject({ name: 'OperationNotPermitted' });
      expect((await describeOne(i.InstanceId!)).State?.Name).toBe('running');
    });

    it('changes one attribute per ModifyInstanceAttribute call', async () => {
      const i = fleet.instance();
      await expect(
        ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: i.InstanceId, DisableApiStop: { Value: true }, DisableApiTermination: { Value: true } })),
      ).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
    });

    it('keeps an instance stuck in stopping until a forced stop', async () => {
      const i = fleet.instance();
      lifecycleOf(sandbox).stuckStopping.add(i.InstanceId!);
      await ec2.send(new StopInstancesCommand({ InstanceIds: [i.InstanceId!] }));
      sandbox.clock.advance(600 * SEC);
      expect((await describeOne(i.InstanceId!)).State?.Name).toBe('stopping');
      await ec2.send(new StopInstancesCommand({ InstanceIds: [i.InstanceId!], Force: true }));
      sandbox.clock.advance(41 * SEC);
      expect((await describeOne(i.InstanceId!)).State?.Name).toBe('stopped');
    });

    it('loses instance-store data on a stop, even with an EBS root', async () => {
      const i = fleet.instance({ instanceType: 'm5d.large' });
      lifecycleOf(sandbox).instanceStoreData.set(i.InstanceId!, 'cache');
      await ec2.send(new StopInstancesCommand({ InstanceIds: [i.InstanceId!] }));
      expect(lifecycleOf(sandbox).instanceStoreData.has(i.InstanceId!)).toBe(false);
    });

    it('falls back to stopped with Client.InternalError when a volume key refuses the starter (KMS grant missing)', async () => {
      const i = fleet.instance({ state: 'stopped' });
      const key = 'arn:aws:kms:us-east-1:123456789012:key/cmk-1';
      sandbox.ec2.volumes.get(i.BlockDeviceMappings![0]!.Ebs!.VolumeId!)!.data.KmsKeyId = key;
      lifecycleOf(sandbox).deniedKmsKeys.add(key);
      await ec2.send(new StartInstancesCommand({ InstanceIds: [i.InstanceId!] }));
      expect((await describeOne(i.InstanceId!)).State?.Name).toBe('pending');
      sandbox.clock.advance(31 * SEC);
      expect(await describeOne(i.InstanceId!)).toMatchObject({ State: { Name: 'stopped' }, StateReason: { Code: 'Client.InternalError' } });
    });
  });

  describe('Elastic IPs and network interfaces', () => {
    it('AssociateAddress by InstanceId replaces the Elastic IP on the primary private IP (one public IPv4 per private IPv4)', async () => {
      const i = fleet.instance();
      const first = fleet.elasticIp('198.51.100.1', i.InstanceId);
      const second = fleet.elasticIp('198.51.100.2');
      await ec2.send(new AssociateAddressCommand({ AllocationId: second, InstanceId: i.InstanceId, AllowReassociation: true }));
      expect(sandbox.ec2.addresses.get(first)!.data.AssociationId).toBeUndefined();
      expect(sandbox.ec2.addresses.get(second)!.data).toMatchObject({ InstanceId: i.InstanceId, PrivateIpAddress: i.PrivateIpAddress });
      expect((await describeOne(i.InstanceId!)).PublicIpAddress).toBe('198.51.100.2');
    });

    it('AssociateAddress by InstanceId is refused when the instance has two interfaces; by interface and private IP it keeps each address', async () => {
      const i = fleet.instance();
      const extra = network().create({ subnetId: 'subnet-0sandbox000000001', groups: ['sg-0sandbox0000000001'] });
      await ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: extra.NetworkInterfaceId, InstanceId: i.InstanceId, DeviceIndex: 1 }));
      const a = fleet.elasticIp('198.51.100.1');
      const b = fleet.elasticIp('198.51.100.2');
      await expect(ec2.send(new AssociateAddressCommand({ AllocationId: a, InstanceId: i.InstanceId, AllowReassociation: true }))).rejects.toMatchObject({ name: 'InvalidInstanceID' });
      const primary = network().attachedTo(i.InstanceId!)[0]!;
      await ec2.send(new AssociateAddressCommand({ AllocationId: a, NetworkInterfaceId: primary.NetworkInterfaceId, PrivateIpAddress: primary.PrivateIpAddress, AllowReassociation: true }));
      await ec2.send(new AssociateAddressCommand({ AllocationId: b, NetworkInterfaceId: extra.NetworkInterfaceId, PrivateIpAddress: extra.PrivateIpAddress, AllowReassociation: true }));
      expect([a, b].map((id) => sandbox.ec2.addresses.get(id)!.data.AssociationId)).toEqual([expect.any(String), expect.any(String)]);
      await expect(
        ec2.send(new AssociateAddressCommand({ AllocationId: a, NetworkInterfaceId: extra.NetworkInterfaceId, PrivateIpAddress: '10.9.9.9', AllowReassociation: true })),
      ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    });

    it('never detaches the primary interface; a secondary one detaches over time and then attaches elsewhere in its zone only', async () => {
      const i = fleet.instance();
      const j = fleet.instance();
      const far = fleet.instance({ subnetId: 'subnet-0sandbox000000002' });
      const [primary] = network().attachedTo(i.InstanceId!);
      await expect(ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: primary!.Attachment!.AttachmentId }))).rejects.toMatchObject({ name: 'OperationNotPermitted' });
      const extra = network().create({ subnetId: 'subnet-0sandbox000000001', groups: ['sg-0sandbox0000000001'] });
      const { AttachmentId } = await ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: extra.NetworkInterfaceId, InstanceId: i.InstanceId, DeviceIndex: 1 }));
      await ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId }));
      await expect(ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: extra.NetworkInterfaceId, InstanceId: j.InstanceId, DeviceIndex: 1 }))).rejects.toMatchObject({
        name: 'InvalidNetworkInterface.InUse',
      });
      sandbox.clock.advance(6 * SEC);
      await expect(ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: extra.NetworkInterfaceId, InstanceId: far.InstanceId, DeviceIndex: 1 }))).rejects.toMatchObject({
        name: 'InvalidParameterCombination',
      });
      await ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: extra.NetworkInterfaceId, InstanceId: j.InstanceId, DeviceIndex: 1 }));
      const seen = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [extra.NetworkInterfaceId!] }));
      expect(seen.NetworkInterfaces![0]!.Attachment).toMatchObject({ InstanceId: j.InstanceId, DeviceIndex: 1 });
    });

    it('moves a secondary private IP only with AllowReassignment, and never a primary one', async () => {
      const i = fleet.instance();
      const j = fleet.instance();
      const [a] = network().attachedTo(i.InstanceId!);
      const [b] = network().attachedTo(j.InstanceId!);
      await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: a!.NetworkInterfaceId, PrivateIpAddresses: ['10.0.3.3'] }));
      await expect(ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: b!.NetworkInterfaceId, PrivateIpAddresses: ['10.0.3.3'] }))).rejects.toMatchObject({
        name: 'InvalidIPAddress.InUse',
      });
      await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: b!.NetworkInterfaceId, PrivateIpAddresses: ['10.0.3.3'], AllowReassignment: true }));
      expect(network().holderOf('10.0.3.3')!.NetworkInterfaceId).toBe(b!.NetworkInterfaceId);
      await expect(
        ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: b!.NetworkInterfaceId, PrivateIpAddresses: [a!.PrivateIpAddress!], AllowReassignment: true })),
      ).rejects.toMatchObject({ name: 'InvalidIPAddress.InUse' });
    });
  });

  describe('volumes', () => {
    it('attaches only available volumes in the same zone at a free device; detaching takes time', async () => {
      const i = fleet.instance({ volumes: [{}, { sizeGiB: 20 }] });
      const j = fleet.instance();
      const far = fleet.instance({ subnetId: 'subnet-0sandbox000000002' });
      const data = i.BlockDeviceMappings![1]!.Ebs!.VolumeId!;
      await expect(ec2.send(new AttachVolumeCommand({ VolumeId: data, InstanceId: j.InstanceId, Device: '/dev/sdf' }))).rejects.toMatchObject({ name: 'VolumeInUse' });
      await ec2.send(new DetachVolumeCommand({ VolumeId: data }));
      await expect(ec2.send(new AttachVolumeCommand({ VolumeId: data, InstanceId: j.InstanceId, Device: '/dev/sdf' }))).rejects.toMatchObject({ name: 'VolumeInUse' });
      sandbox.clock.advance(9 * SEC);
      await expect(ec2.send(new AttachVolumeCommand({ VolumeId: data, InstanceId: far.InstanceId, Device: '/dev/sdf' }))).rejects.toMatchObject({ name: 'InvalidVolume.ZoneMismatch' });
      await expect(ec2.send(new AttachVolumeCommand({ VolumeId: data, InstanceId: j.InstanceId, Device: '/dev/xvda' }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
      await ec2.send(new AttachVolumeCommand({ VolumeId: data, InstanceId: j.InstanceId, Device: '/dev/sdf' }));
      expect((await describeOne(j.InstanceId!)).BlockDeviceMappings!.map((m) => m.Ebs!.VolumeId)).toContain(data);
    });

    it('refuses to detach the root volume of a running instance', async () => {
      const i = fleet.instance();
      const root = i.BlockDeviceMappings![0]!.Ebs!.VolumeId!;
      await expect(ec2.send(new DetachVolumeCommand({ VolumeId: root }))).rejects.toMatchObject({ name: 'OperationNotPermitted' });
    });

    it('CreateImage leaves out volumes mapped to NoDevice, never the root', async () => {
      const i = fleet.instance({ state: 'stopped', volumes: [{}, { sizeGiB: 20 }] });
      const { ImageId } = await ec2.send(new CreateImageCommand({ InstanceId: i.InstanceId, Name: 'root-only', BlockDeviceMappings: [{ DeviceName: '/dev/sdf', NoDevice: '' }] }));
      expect(sandbox.ec2.images.get(ImageId!)!.data.BlockDeviceMappings!.map((m) => m.DeviceName)).toEqual(['/dev/xvda']);
      await expect(ec2.send(new CreateImageCommand({ InstanceId: i.InstanceId, Name: 'no-root', BlockDeviceMappings: [{ DeviceName: '/dev/xvda', NoDevice: '' }] }))).rejects.toMatchObject({
        name: 'InvalidBlockDeviceMapping',
      });
    });
  });

  it('DescribeInstanceTypes says which types have instance store and automatic recovery', async () => {
    const out = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['m5.large', 'm5d.large'] }));
    expect(out.InstanceTypes!.map((t) => [t.InstanceType, t.InstanceStorageSupported, t.AutoRecoverySupported])).toEqual([
      ['m5.large', false, true],
      ['m5d.large', true, false],
    ]);
    await expect(ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['x9.huge' as never] }))).rejects.toMatchObject({ name: 'InvalidInstanceType' });
  });
});

import {
  AssignIpv6AddressesCommand,
  AssignPrivateIpAddressesCommand,
  AssociateAddressCommand,
  AttachNetworkInterfaceCommand,
  AttachVolumeCommand,
  DescribeNetworkInterfacesCommand,
  DescribeVolumesCommand,
  EC2Client,
  type Instance,
  UnassignIpv6AddressesCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../shared/config/schema';
import type { ApplyEnv } from '../../shared/degraded/apply-env';
import { Journal } from '../../shared/degraded/identity/journal';
import { attachToReplacement } from '../../shared/degraded/identity/move-server';
import type { ServerIdentity } from '../../shared/degraded/identity/read-identity';
import { launchRequest } from '../../shared/degraded/relaunch/launch-request';
import { RateLimiter } from '../../shared/engine/rate-limit';
import type { JobContext } from '../../shared/engine/types';
import { silentLogger } from '../../shared/log';

const OLD: Instance = {
  InstanceId: 'i-0old0000000000001',
  InstanceType: 'm5d.large',
  KeyName: 'ops',
  IamInstanceProfile: { Arn: 'arn:aws:iam::123456789012:instance-profile/web' },
  RootDeviceType: 'ebs',
  RootDeviceName: '/dev/xvda',
  Placement: { AvailabilityZone: 'us-east-1a', GroupName: 'pg-web', Tenancy: 'default' },
  MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 2, HttpEndpoint: 'enabled', HttpProtocolIpv6: 'disabled', InstanceMetadataTags: 'disabled' },
  EbsOptimized: true,
  MaintenanceOptions: { AutoRecovery: 'default' },
  Monitoring: { State: 'disabled' },
  Tags: [
    { Key: 'Name', Value: 'web' },
    { Key: 'aws:ec2launchtemplate:id', Value: 'lt-0123' },
    { Key: 'caretaker:remediation', Value: 'relaunch:in-progress' },
  ],
};

const IDENTITY: ServerIdentity = {
  instance: OLD,
  root: { volumeId: 'vol-root', device: '/dev/xvda', deleteOnTermination: true, tags: [{ Key: 'Name', Value: 'web-root' }] },
  dataVolumes: [{ volumeId: 'vol-data', device: '/dev/sdf', deleteOnTermination: false, tags: [], kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k' }],
  primary: { eniId: 'eni-old0', subnetId: 'subnet-1', groups: ['sg-1'], privateIp: '10.0.0.10', secondaryIps: ['10.0.0.200'], ipv6: ['2600::1'], sourceDestCheck: true, tags: [] },
  secondary: [{ eniId: 'eni-eth1', deviceIndex: 1, attachmentId: 'eni-attach-1', deleteOnTermination: false }],
  addresses: [
    { allocationId: 'eipalloc-1', publicIp: '52.0.0.1', eniId: 'eni-old0', privateIp: '10.0.0.10' },
    { allocationId: 'eipalloc-2', publicIp: '52.0.0.2', eniId: 'eni-old0', privateIp: '10.0.0.200' },
    { allocationId: 'eipalloc-3', publicIp: '52.0.0.3', eniId: 'eni-eth1', privateIp: '10.0.0.30' },
  ],
  userData: 'IyEvYmluL2Jhc2g=',
  disableApiTermination: true,
  disableApiStop: false,
  shutdownBehavior: 'stop',
};

describe('relaunch: the exact inputs EC2 requires', () => {
  it('RunInstances carries every attribute, never protections at launch, and SubnetId + groups without a template', () => {
    expect(launchRequest(IDENTITY, { imageId: 'ami-root', hostAvailable: false }, 'caretaker-token')).toEqual({
      ImageId: 'ami-root',
      InstanceType: 'm5d.large',
      SubnetId: 'subnet-1',
      SecurityGroupIds: ['sg-1'],
      KeyName: 'ops',
      IamInstanceProfile: { Arn: 'arn:aws:iam::123456789012:instance-profile/web' },
      UserData: 'IyEvYmluL2Jhc2g=',
      Placement: { AvailabilityZone: 'us-east-1a', GroupName: 'pg-web', Tenancy: 'default' },
      MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 2, HttpEndpoint: 'enabled', HttpProtocolIpv6: 'disabled', InstanceMetadataTags: 'disabled' },
      EbsOptimized: true,
      InstanceInitiatedShutdownBehavior: 'stop',
      MaintenanceOptions: { AutoRecovery: 'default' },
      Monitoring: { Enabled: false },
      MinCount: 1,
      MaxCount: 1,
      ClientToken: 'caretaker-token',
      TagSpecifications: [
        { ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'web' }, { Key: 'caretaker:replaces', Value: 'i-0old0000000000001' }] },
        { ResourceType: 'volume', Tags: [{ Key: 'Name', Value: 'web-root' }] },
        // Marks the new primary interface as the replacement's: the only interfaces the role may move Elastic IPs onto.
        { ResourceType: 'network-interface', Tags: [{ Key: 'caretaker:replaces', Value: 'i-0old0000000000001' }] },
      ],
    });
  });

  it('with a template that defines NetworkInterfaces: our own primary interface, no SubnetId or groups, the template disks NoDevice', () => {
    const template = { id: 'lt-0123', version: '3', definesInterfaces: true, mappings: [{ DeviceName: '/dev/xvda' }, { DeviceName: '/dev/sdh', Ebs: { VolumeSize: 50 } }] };
    const input = launchRequest(IDENTITY, { imageId: 'ami-root', template, hostAvailable: false }, 'caretaker-token');
    expect(input).toMatchObject({
      ImageId: 'ami-root',
      LaunchTemplate: { LaunchTemplateId: 'lt-0123', Version: '3' },
      NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-1', Groups: ['sg-1'], DeleteOnTermination: true }],
      BlockDeviceMappings: [{ DeviceName: '/dev/sdh', NoDevice: '' }],
    });
    expect(input).not.toHaveProperty('SubnetId');
    expect(input).not.toHaveProperty('SecurityGroupIds');
    expect(input).not.toHaveProperty('DisableApiTermination');
  });

  it('keeps a dedicated host only while it is available', () => {
    const onHost = { ...IDENTITY, instance: { ...OLD, Placement: { AvailabilityZone: 'us-east-1a', Tenancy: 'host' as const, HostId: 'h-1' } } };
    expect(launchRequest(onHost, { imageId: 'ami-root', hostAvailable: true }, 't').Placement).toEqual({ AvailabilityZone: 'us-east-1a', Tenancy: 'host', HostId: 'h-1' });
    expect(launchRequest(onHost, { imageId: 'ami-root', hostAvailable: false }, 't').Placement).toEqual({ AvailabilityZone: 'us-east-1a', Tenancy: 'host' });
  });

  describe('moving the identity (aws-sdk-client-mock)', () => {
    const ec2 = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const mock = mockClient(ec2);
    beforeEach(() => {
      mock.reset();
      mock.onAnyCommand().resolves({});
      mock.on(DescribeVolumesCommand).resolves({ Volumes: [{ VolumeId: 'vol-data', State: 'in-use', Attachments: [{ State: 'attached' }] }] });
      mock.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-eth1', Attachment: { Status: 'attached' } }] });
      mock.on(AttachNetworkInterfaceCommand).resolves({ AttachmentId: 'eni-attach-new' });
    });

    it('attaches the same volume and interface, reassigns the addresses, and moves each Elastic IP by interface and private IP', async () => {
      const config = configSchema.parse({}).degraded;
      const ctx = { clients: { ec2 }, log: silentLogger, deadline: { remainingMs: () => Number.POSITIVE_INFINITY }, nowMs: () => 0, sleep: async () => undefined } as unknown as JobContext;
      const env: ApplyEnv = { config, waiters: { ...config.waiters, minDelaySeconds: 0.001, maxDelaySeconds: 0.002 }, runPacer: new RateLimiter({ capacity: 5, refillPerSecond: 2 }, ctx), region: 'us-east-1', actionNeeded: [] };
      const replacement: Instance = { InstanceId: 'i-0new', NetworkInterfaces: [{ NetworkInterfaceId: 'eni-new0', PrivateIpAddress: '10.0.0.77', Attachment: { DeviceIndex: 0 } }] };
      const journal = new Journal(silentLogger);
      await attachToReplacement(IDENTITY, replacement, ctx, env, journal);

      expect(mock).toHaveReceivedCommandWith(AttachVolumeCommand, { VolumeId: 'vol-data', InstanceId: 'i-0new', Device: '/dev/sdf' });
      expect(mock).toHaveReceivedCommandWith(AttachNetworkInterfaceCommand, { NetworkInterfaceId: 'eni-eth1', InstanceId: 'i-0new', DeviceIndex: 1 });
      expect(mock).toHaveReceivedCommandWith(AssignPrivateIpAddressesCommand, { NetworkInterfaceId: 'eni-new0', PrivateIpAddresses: ['10.0.0.200'], AllowReassignment: true });
      expect(mock).toHaveReceivedCommandWith(UnassignIpv6AddressesCommand, { NetworkInterfaceId: 'eni-old0', Ipv6Addresses: ['2600::1'] });
      expect(mock).toHaveReceivedCommandWith(AssignIpv6AddressesCommand, { NetworkInterfaceId: 'eni-new0', Ipv6Addresses: ['2600::1'] });
      // Never by InstanceId (that would leave one Elastic IP); the one on eth1 travels with its interface.
      expect(mock.commandCalls(AssociateAddressCommand).map((c) => c.args[0].input)).toEqual([
        { AllocationId: 'eipalloc-1', NetworkInterfaceId: 'eni-new0', PrivateIpAddress: '10.0.0.77', AllowReassociation: true },
        { AllocationId: 'eipalloc-2', NetworkInterfaceId: 'eni-new0', PrivateIpAddress: '10.0.0.200', AllowReassociation: true },
      ]);
      expect(journal.size).toBeGreaterThanOrEqual(5);

      // Undo: the addresses go back onto the old instance by InstanceId + PrivateIpAddress (the role may
      // not move addresses onto an arbitrary interface), before its secondary interface comes back.
      mock.resetHistory();
      mock.on(DescribeVolumesCommand).resolves({ Volumes: [{ VolumeId: 'vol-data', State: 'available', Attachments: [] }] });
      mock.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-eth1', Status: 'available' }] });
      await journal.undo();
      const back = mock.commandCalls(AssociateAddressCommand).map((c) => c.args[0].input);
      expect(back).toEqual(
        expect.arrayContaining([
          { AllocationId: 'eipalloc-1', InstanceId: 'i-0old0000000000001', PrivateIpAddress: '10.0.0.10', AllowReassociation: true },
          { AllocationId: 'eipalloc-2', InstanceId: 'i-0old0000000000001', PrivateIpAddress: '10.0.0.200', AllowReassociation: true },
        ]),
      );
      expect(back.every((input) => input.NetworkInterfaceId === undefined)).toBe(true);
      const order = mock.calls().map((c) => c.args[0].constructor.name);
      expect(order.lastIndexOf('AssociateAddressCommand')).toBeLessThan(order.indexOf('DetachNetworkInterfaceCommand'));
    });
  });
});

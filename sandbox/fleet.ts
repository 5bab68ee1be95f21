import type { Image, Instance, Snapshot, Volume, VolumeType } from '@aws-sdk/client-ec2';
import type { Ec2Model } from './ec2';
import type { SandboxAccount } from './account';
import { lifecycleOf } from './ec2-lifecycle';
import { toTags } from './query';

export interface VolumeSpec {
  sizeGiB?: number;
  type?: VolumeType;
  tags?: Record<string, string>;
}

export interface InstanceSpec {
  name?: string;
  tags?: Record<string, string>;
  /** The first volume is the root (boot) volume. */
  volumes?: VolumeSpec[];
  state?: 'running' | 'stopped' | 'terminated' | 'pending';
  rootDeviceType?: 'ebs' | 'instance-store';
  instanceType?: string;
  launchTemplate?: { id: string; version: string };
  publicIp?: string;
  privateIp?: string;
  availabilityZone?: string;
  /** Subnet of the primary interface (default: the sandbox's subnet in us-east-1a). */
  subnetId?: string;
}

/** Builds sandbox resources in their SDK shapes; used by tests, benchmarks and the demo. */
export class FleetBuilder {
  private readonly models: { ec2: Ec2Model };
  /** The Region the builder seeds (default: the account's home Region). */
  readonly region: string;

  constructor(
    private readonly account: SandboxAccount,
    region?: string,
  ) {
    this.region = region ?? account.region;
    this.models = account.inRegion(this.region);
  }

  instance(spec: InstanceSpec = {}): Instance {
    const ec2 = this.models.ec2;
    const id = ec2.newId('i');
    const network = lifecycleOf(this.models).network;
    const subnetId = spec.subnetId ?? 'subnet-0sandbox000000001';
    const az = spec.availabilityZone ?? network.subnet(subnetId).availabilityZone;
    const tags = { ...(spec.name ? { Name: spec.name } : {}), ...spec.tags };
    const root = spec.rootDeviceType ?? 'ebs';
    const volumeSpecs = spec.volumes ?? [{ sizeGiB: 8 }];
    const devices = ['/dev/xvda', '/dev/sdf', '/dev/sdg', '/dev/sdh', '/dev/sdi', '/dev/sdj', '/dev/sdk'];
    const mappings = volumeSpecs.map((v, index) => {
      const volume = this.volume({ ...v }, az);
      const device = devices[index] ?? `/dev/sd${String.fromCharCode(108 + index)}`;
      volume.Attachments = [{ InstanceId: id, Device: device, State: 'attached', VolumeId: volume.VolumeId, DeleteOnTermination: index === 0 }];
      volume.State = 'in-use';
      return { DeviceName: device, Ebs: { VolumeId: volume.VolumeId, Status: 'attached' as const, DeleteOnTermination: index === 0 } };
    });
    const state = spec.state ?? 'running';
    const eni = network.create({ subnetId, groups: ['sg-0sandbox0000000001'], privateIp: spec.privateIp, description: 'Primary network interface' });
    if (state !== 'terminated') network.bind(eni, id, 0, true);
    const instance: Instance = {
      InstanceId: id,
      ImageId: 'ami-0sandbox0000000001',
      InstanceType: (spec.instanceType ?? 't3.micro') as Instance['InstanceType'],
      State: { Name: state, Code: { pending: 0, running: 16, stopped: 80, terminated: 48 }[state] },
      Placement: { AvailabilityZone: az, Tenancy: 'default' },
      PrivateIpAddress: eni.PrivateIpAddress,
      PublicIpAddress: spec.publicIp,
      RootDeviceType: root,
      RootDeviceName: '/dev/xvda',
      BlockDeviceMappings: root === 'ebs' ? mappings : mappings.slice(1),
      LaunchTime: this.account.clock.now(),
      SubnetId: subnetId,
      VpcId: 'vpc-0sandbox0000000001',
      SecurityGroups: [{ GroupId: 'sg-0sandbox0000000001', GroupName: 'default' }],
      KeyName: 'ops',
      MetadataOptions: { State: 'applied', HttpTokens: 'optional', HttpPutResponseHopLimit: 1, HttpEndpoint: 'enabled', HttpProtocolIpv6: 'disabled', InstanceMetadataTags: 'disabled' },
      EbsOptimized: false,
      SourceDestCheck: true,
      Tags: toTags({
        ...tags,
        ...(spec.launchTemplate
          ? { 'aws:ec2launchtemplate:id': spec.launchTemplate.id, 'aws:ec2launchtemplate:version': spec.launchTemplate.version }
          : {}),
      }),
    };
    return ec2.store(ec2.instances, id, instance);
  }

  volume(spec: VolumeSpec, availabilityZone = `${this.region}a`): Volume {
    const ec2 = this.models.ec2;
    const id = ec2.newId('vol');
    return ec2.store(ec2.volumes, id, {
      VolumeId: id,
      Size: spec.sizeGiB ?? 8,
      VolumeType: spec.type ?? 'gp3',
      State: 'available',
      AvailabilityZone: availabilityZone,
      CreateTime: this.account.clock.now(),
      Encrypted: true,
      Tags: spec.tags ? toTags(spec.tags) : undefined,
    });
  }

  /** A completed snapshot taken `ageMs` ago (pending if `pending`). */
  snapshot(volume: Pick<Volume, 'VolumeId' | 'Size'>, ageMs: number, tags: Record<string, string> = {}, pending = false): Snapshot {
    const ec2 = this.models.ec2;
    const id = ec2.newId('snap');
    return ec2.store(ec2.snapshots, id, {
      SnapshotId: id,
      VolumeId: volume.VolumeId,
      VolumeSize: volume.Size,
      State: pending ? 'pending' : 'completed',
      Progress: pending ? '10%' : '100%',
      StartTime: new Date(this.account.clock.nowMs() - ageMs),
      OwnerId: this.account.accountId,
      Description: '',
      Encrypted: true,
      StorageTier: 'standard',
      Tags: Object.keys(tags).length ? toTags(tags) : undefined,
    });
  }

  /** A registered AMI whose block device mappings hold these snapshots. */
  image(snapshotIds: string[], name = 'golden'): Image {
    const ec2 = this.models.ec2;
    const id = ec2.newId('ami');
    return ec2.store(ec2.images, id, {
      ImageId: id,
      Name: name,
      State: 'available',
      OwnerId: this.account.accountId,
      RootDeviceType: 'ebs',
      RootDeviceName: '/dev/xvda',
      BlockDeviceMappings: snapshotIds.map((SnapshotId, i) => ({ DeviceName: i === 0 ? '/dev/xvda' : `/dev/sd${String.fromCharCode(102 + i)}`, Ebs: { SnapshotId } })),
    });
  }

  /** An Elastic IP, associated with `instanceId` if given. */
  elasticIp(publicIp: string, instanceId?: string): string {
    const ec2 = this.models.ec2;
    const id = ec2.newId('eipalloc');
    ec2.store(ec2.addresses, id, { AllocationId: id, PublicIp: publicIp, Domain: 'vpc' });
    if (instanceId) {
      const primary = lifecycleOf(this.models).network.attachedTo(instanceId).find((e) => e.Attachment?.DeviceIndex === 0);
      if (!primary) throw new Error(`${instanceId} has no primary network interface`);
      this.associate(id, primary.NetworkInterfaceId!, primary.PrivateIpAddress!);
    }
    return id;
  }

  /** Binds an Elastic IP to one private IP of an interface (seeding; the API path is AssociateAddress). */
  associate(allocationId: string, networkInterfaceId: string, privateIp: string): void {
    const ec2 = this.models.ec2;
    const address = ec2.addresses.get(allocationId)!.data;
    const eni = lifecycleOf(this.models).network.requireInterface(networkInterfaceId);
    const slot = eni.PrivateIpAddresses!.find((p) => p.PrivateIpAddress === privateIp);
    if (!slot) throw new Error(`${privateIp} is not on ${networkInterfaceId}`);
    address.NetworkInterfaceId = networkInterfaceId;
    address.PrivateIpAddress = privateIp;
    address.InstanceId = eni.Attachment?.InstanceId;
    address.AssociationId = ec2.newId('eipassoc');
    slot.Association = { PublicIp: address.PublicIp, AllocationId: allocationId, AssociationId: address.AssociationId, IpOwnerId: ec2.accountId };
    if (slot.Primary) eni.Association = { ...slot.Association };
    if (slot.Primary && eni.Attachment?.DeviceIndex === 0 && address.InstanceId) ec2.requireInstance(address.InstanceId).PublicIpAddress = address.PublicIp;
  }
}

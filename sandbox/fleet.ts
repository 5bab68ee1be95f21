import type { Image, Instance, Snapshot, Volume, VolumeType } from '@aws-sdk/client-ec2';
import type { SandboxAccount } from './account';
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
}

/** Builds sandbox resources in their SDK shapes; used by tests, benchmarks and the demo. */
export class FleetBuilder {
  private ips = 10;

  constructor(private readonly account: SandboxAccount) {}

  instance(spec: InstanceSpec = {}): Instance {
    const ec2 = this.account.ec2;
    const id = ec2.newId('i');
    const az = spec.availabilityZone ?? `${this.account.region}a`;
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
    const instance: Instance = {
      InstanceId: id,
      ImageId: 'ami-0sandbox0000000001',
      InstanceType: (spec.instanceType ?? 't3.micro') as Instance['InstanceType'],
      State: { Name: state, Code: { pending: 0, running: 16, stopped: 80, terminated: 48 }[state] },
      Placement: { AvailabilityZone: az, Tenancy: 'default' },
      PrivateIpAddress: spec.privateIp ?? `10.0.0.${this.ips++}`,
      PublicIpAddress: spec.publicIp,
      RootDeviceType: root,
      RootDeviceName: '/dev/xvda',
      BlockDeviceMappings: root === 'ebs' ? mappings : mappings.slice(1),
      LaunchTime: this.account.clock.now(),
      SubnetId: 'subnet-0sandbox000000001',
      VpcId: 'vpc-0sandbox0000000001',
      SecurityGroups: [{ GroupId: 'sg-0sandbox0000000001', GroupName: 'default' }],
      KeyName: 'ops',
      Tags: toTags({
        ...tags,
        ...(spec.launchTemplate
          ? { 'aws:ec2launchtemplate:id': spec.launchTemplate.id, 'aws:ec2launchtemplate:version': spec.launchTemplate.version }
          : {}),
      }),
    };
    return ec2.store(ec2.instances, id, instance);
  }

  volume(spec: VolumeSpec, availabilityZone = `${this.account.region}a`): Volume {
    const ec2 = this.account.ec2;
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
    const ec2 = this.account.ec2;
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
      Tags: Object.keys(tags).length ? toTags(tags) : undefined,
    });
  }

  /** A registered AMI whose block device mappings hold these snapshots. */
  image(snapshotIds: string[], name = 'golden'): Image {
    const ec2 = this.account.ec2;
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
    const ec2 = this.account.ec2;
    const id = ec2.newId('eipalloc');
    ec2.store(ec2.addresses, id, { AllocationId: id, PublicIp: publicIp, Domain: 'vpc' });
    if (instanceId) {
      const address = ec2.addresses.get(id)!.data;
      const instance = ec2.requireInstance(instanceId);
      address.InstanceId = instanceId;
      address.AssociationId = ec2.newId('eipassoc');
      address.PrivateIpAddress = instance.PrivateIpAddress;
      instance.PublicIpAddress = publicIp;
    }
    return id;
  }
}

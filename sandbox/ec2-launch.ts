import type {
  BlockDeviceMapping,
  CreateImageRequest,
  DescribeLaunchTemplateVersionsRequest,
  Instance,
  LaunchTemplateVersion,
  RequestLaunchTemplateData,
  RunInstancesRequest,
  Tag,
} from '@aws-sdk/client-ec2';
import type { SandboxClock } from './clock';
import { clone, type Ec2Model } from './ec2';
import type { Ec2Lifecycle } from './ec2-lifecycle';
import { fail } from './errors';

type Op = (input: never) => unknown;

/**
 * Launching in the sandbox: RunInstances (ClientToken idempotency as EC2 has it, launch
 * templates, AMIs, tags at launch), CreateImage (pending image whose mappings hold new
 * snapshots) and DescribeLaunchTemplateVersions. Instances it launches then follow the
 * lifecycle's clock (pending → running, status checks initializing → ok).
 */
export class Ec2Launcher {
  readonly launchTemplates = new Map<string, { name: string; versions: LaunchTemplateVersion[]; defaultVersion: number }>();
  private privateIps = 0;
  private readonly tokens = new Map<string, { fingerprint: string; reservationId: string; instanceIds: string[] }>();

  constructor(
    private readonly ec2: Ec2Model,
    private readonly clock: SandboxClock,
    private readonly host: Pick<Ec2Lifecycle, 'refresh' | 'schedule' | 'newPublicIp' | 'userData' | 'timings' | 'imageDueAt'>,
  ) {}

  readonly operations: Record<string, Op> = {
    RunInstances: (i: RunInstancesRequest) => this.runInstances(i),
    CreateImage: (i: CreateImageRequest) => this.createImage(i),
    DescribeLaunchTemplateVersions: (i: DescribeLaunchTemplateVersionsRequest) => this.describeLaunchTemplateVersions(i),
  };

  /** Seeds a launch template (version 1, the default); returns its id. */
  addLaunchTemplate(name: string, data: RequestLaunchTemplateData): string {
    const id = `lt-${this.ec2.newId('x').slice(2)}`;
    const version: LaunchTemplateVersion = {
      LaunchTemplateId: id,
      LaunchTemplateName: name,
      VersionNumber: 1,
      DefaultVersion: true,
      CreateTime: this.clock.now(),
      LaunchTemplateData: clone(data) as LaunchTemplateVersion['LaunchTemplateData'],
    };
    this.launchTemplates.set(id, { name, versions: [version], defaultVersion: 1 });
    return id;
  }

  // ----- RunInstances -----

  private runInstances(input: RunInstancesRequest) {
    this.host.refresh();
    if (input.MinCount === undefined || input.MaxCount === undefined) {
      throw fail('ec2', 'MissingParameter', 'The request must contain the parameters MinCount and MaxCount');
    }
    if (input.MinCount < 1 || input.MaxCount < input.MinCount) {
      throw fail('ec2', 'InvalidParameterValue', `Invalid MinCount/MaxCount: ${input.MinCount}/${input.MaxCount}`);
    }
    const token = input.ClientToken;
    if (token !== undefined && (token.length > 64 || !/^[\x20-\x7e]+$/.test(token))) {
      throw fail('ec2', 'InvalidParameterValue', 'Value for parameter ClientToken is invalid: at most 64 ASCII characters.');
    }
    const fingerprint = stableJson({ ...input, ClientToken: undefined });
    if (token) {
      const seen = this.tokens.get(token);
      if (seen) {
        if (seen.fingerprint !== fingerprint) {
          throw fail('ec2', 'IdempotentParameterMismatch', `The client token '${token}' was already used with different parameters.`);
        }
        return this.reservation(seen.reservationId, seen.instanceIds);
      }
    }
    const template = input.LaunchTemplate ? this.resolveTemplate(input.LaunchTemplate) : undefined;
    const data = template?.LaunchTemplateData ?? {};
    const imageId = input.ImageId ?? data.ImageId;
    if (!imageId) throw fail('ec2', 'MissingParameter', 'The request must contain the parameter ImageId');
    const image = this.ec2.images.get(imageId)?.data;
    if (!image) throw fail('ec2', 'InvalidAMIID.NotFound', `The image id '[${imageId}]' does not exist`);
    if (image.State !== 'available') throw fail('ec2', 'InvalidAMIID.Unavailable', `The image id '[${imageId}]' is not available (state ${image.State})`);
    const requestedTags = [
      ...(data.TagSpecifications ?? []).filter((s) => s.ResourceType === 'instance').flatMap((s) => s.Tags ?? []),
      ...(input.TagSpecifications ?? []).filter((s) => s.ResourceType === 'instance').flatMap((s) => s.Tags ?? []),
    ];
    const reserved = requestedTags.find((t) => t.Key?.toLowerCase().startsWith('aws:'));
    if (reserved) throw fail('ec2', 'InvalidParameterValue', `Tag keys starting with 'aws:' are reserved for internal use (${reserved.Key})`);
    const subnetId = input.SubnetId ?? input.NetworkInterfaces?.[0]?.SubnetId ?? 'subnet-0sandbox000000001';
    const az = input.Placement?.AvailabilityZone ?? this.zoneOfSubnet(subnetId);
    const groups = input.SecurityGroupIds ?? data.SecurityGroupIds ?? ['sg-0sandbox0000000001'];
    const profile = input.IamInstanceProfile ?? data.IamInstanceProfile;
    const reservationId = `r-${this.ec2.newId('x').slice(2)}`;
    const ids: string[] = [];
    for (let n = 0; n < input.MaxCount; n++) {
      const id = this.ec2.newId('i');
      ids.push(id);
      const tags = new Map<string, string>();
      for (const t of requestedTags) tags.set(t.Key ?? '', t.Value ?? '');
      if (template) {
        tags.set('aws:ec2launchtemplate:id', template.LaunchTemplateId!);
        tags.set('aws:ec2launchtemplate:version', String(template.VersionNumber));
      }
      const instance: Instance = {
        InstanceId: id,
        ImageId: imageId,
        InstanceType: input.InstanceType ?? data.InstanceType ?? 'm1.small',
        KeyName: input.KeyName ?? data.KeyName,
        State: { Name: 'pending', Code: 0 },
        Placement: { AvailabilityZone: az, Tenancy: 'default' },
        PrivateIpAddress: this.newPrivateIp(),
        PublicIpAddress: this.host.newPublicIp(),
        SubnetId: subnetId,
        VpcId: 'vpc-0sandbox0000000001',
        SecurityGroups: groups.map((g) => ({ GroupId: g, GroupName: g })),
        IamInstanceProfile: profile ? { Arn: profile.Arn ?? `arn:aws:iam::${this.ec2.accountId}:instance-profile/${profile.Name}`, Id: 'AIPASANDBOX0000000001' } : undefined,
        RootDeviceType: image.RootDeviceType ?? 'ebs',
        RootDeviceName: image.RootDeviceName ?? '/dev/xvda',
        BlockDeviceMappings: this.volumesFromImage(id, image.BlockDeviceMappings ?? [], az),
        LaunchTime: this.clock.now(),
        ClientToken: token,
        Tags: [...tags].map(([Key, Value]) => ({ Key, Value })),
      };
      this.ec2.store(this.ec2.instances, id, instance);
      const userData = input.UserData ?? data.UserData;
      if (userData) this.host.userData.set(id, userData);
      this.ec2.healthOf(id).events = [];
      this.host.schedule(id, 'running', this.host.timings.launchMs);
    }
    if (token) this.tokens.set(token, { fingerprint, reservationId, instanceIds: ids });
    return this.reservation(reservationId, ids);
  }

  /** Replacements land in a subnet range of their own, so addresses never collide with the fleet's. */
  private newPrivateIp(): string {
    const n = this.privateIps++;
    return `10.0.${128 + Math.floor(n / 250)}.${(n % 250) + 4}`;
  }

  private reservation(reservationId: string, ids: string[]) {
    return {
      ReservationId: reservationId,
      OwnerId: this.ec2.accountId,
      Groups: [],
      Instances: ids.map((id) => clone(this.ec2.requireInstance(id))),
    };
  }

  private zoneOfSubnet(subnetId: string): string {
    const peer = [...this.ec2.instances.values()].find((i) => i.data.SubnetId === subnetId);
    return peer?.data.Placement?.AvailabilityZone ?? `${this.ec2.region}a`;
  }

  private volumesFromImage(instanceId: string, mappings: BlockDeviceMapping[], az: string) {
    return mappings
      .filter((m) => m.Ebs)
      .map((m, index) => {
        const volumeId = this.ec2.newId('vol');
        const deleteOnTermination = m.Ebs?.DeleteOnTermination ?? index === 0;
        this.ec2.store(this.ec2.volumes, volumeId, {
          VolumeId: volumeId,
          Size: m.Ebs?.VolumeSize ?? 8,
          VolumeType: (m.Ebs?.VolumeType ?? 'gp3') as never,
          SnapshotId: m.Ebs?.SnapshotId,
          State: 'in-use',
          AvailabilityZone: az,
          CreateTime: this.clock.now(),
          Encrypted: true,
          Attachments: [{ InstanceId: instanceId, Device: m.DeviceName, State: 'attached', VolumeId: volumeId, DeleteOnTermination: deleteOnTermination }],
        });
        return { DeviceName: m.DeviceName, Ebs: { VolumeId: volumeId, Status: 'attached' as const, DeleteOnTermination: deleteOnTermination } };
      });
  }

  private resolveTemplate(spec: { LaunchTemplateId?: string; LaunchTemplateName?: string; Version?: string }): LaunchTemplateVersion {
    const [id, entry] = this.findTemplate(spec.LaunchTemplateId, spec.LaunchTemplateName);
    const wanted = spec.Version ?? '$Default';
    const number = wanted === '$Latest' ? Math.max(...entry.versions.map((v) => v.VersionNumber!)) : wanted === '$Default' ? entry.defaultVersion : Number(wanted);
    const version = entry.versions.find((v) => v.VersionNumber === number);
    if (!version) throw fail('ec2', 'InvalidLaunchTemplateId.VersionNotFound', `Could not find launch template version ${wanted} for launch template ID ${id}`);
    return version;
  }

  private findTemplate(id?: string, name?: string): [string, { name: string; versions: LaunchTemplateVersion[]; defaultVersion: number }] {
    if (id) {
      const entry = this.launchTemplates.get(id);
      if (!entry) throw fail('ec2', 'InvalidLaunchTemplateId.NotFound', `The specified launch template, with template ID ${id}, does not exist.`);
      return [id, entry];
    }
    const found = [...this.launchTemplates].find(([, e]) => e.name === name);
    if (!found) throw fail('ec2', 'InvalidLaunchTemplateName.NotFoundException', `The specified launch template, with template name ${name}, does not exist.`);
    return found;
  }

  private describeLaunchTemplateVersions(input: DescribeLaunchTemplateVersionsRequest) {
    if (!input.LaunchTemplateId && !input.LaunchTemplateName) {
      throw fail('ec2', 'MissingParameter', 'The request must contain the parameter LaunchTemplateId or LaunchTemplateName');
    }
    const [id] = this.findTemplate(input.LaunchTemplateId, input.LaunchTemplateName);
    const versions = (input.Versions?.length ? input.Versions : ['$Default']).map((v) =>
      this.resolveTemplate({ LaunchTemplateId: id, Version: v }),
    );
    return { LaunchTemplateVersions: clone(versions) };
  }

  // ----- images -----

  private createImage(input: CreateImageRequest) {
    this.host.refresh();
    const instance = this.ec2.requireInstance(input.InstanceId ?? '');
    const name = input.Name ?? '';
    if (!/^[A-Za-z0-9()[\] ./\-'@_]{3,128}$/.test(name)) {
      throw fail('ec2', 'InvalidAMIName.Malformed', `AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', '/' and '_': ${name}`);
    }
    for (const { data } of this.ec2.images.values()) {
      if (data.Name === name && data.OwnerId === this.ec2.accountId && data.State !== 'deregistered') {
        throw fail('ec2', 'InvalidAMIName.Duplicate', `AMI name ${name} is already in use by AMI ${data.ImageId}`);
      }
    }
    if (instance.RootDeviceType !== 'ebs') {
      throw fail('ec2', 'UnsupportedOperation', `The instance '${instance.InstanceId}' does not have an 'ebs' root device type; instance-store AMIs are bundled, not created.`);
    }
    if (instance.State?.Name !== 'running' && instance.State?.Name !== 'stopped') {
      throw fail('ec2', 'IncorrectInstanceState', `The instance '${instance.InstanceId}' is not in a state from which it can be imaged.`);
    }
    const imageId = this.ec2.newId('ami');
    const tagsOf = (type: string): Tag[] => (input.TagSpecifications ?? []).filter((s) => s.ResourceType === type).flatMap((s) => s.Tags ?? []);
    const mappings: BlockDeviceMapping[] = (instance.BlockDeviceMappings ?? []).map((m) => {
      const volume = this.ec2.volumes.get(m.Ebs?.VolumeId ?? '')?.data;
      const snapshotId = this.ec2.newId('snap');
      this.ec2.store(this.ec2.snapshots, snapshotId, {
        SnapshotId: snapshotId,
        VolumeId: volume?.VolumeId,
        VolumeSize: volume?.Size,
        State: 'pending',
        Progress: '0%',
        StartTime: this.clock.now(),
        OwnerId: this.ec2.accountId,
        Description: `Created by CreateImage(${instance.InstanceId}) for ${imageId}`,
        Encrypted: volume?.Encrypted ?? false,
        StorageTier: 'standard',
        Tags: tagsOf('snapshot').length ? clone(tagsOf('snapshot')) : undefined,
      });
      return {
        DeviceName: m.DeviceName,
        Ebs: { SnapshotId: snapshotId, VolumeSize: volume?.Size, VolumeType: volume?.VolumeType, DeleteOnTermination: m.Ebs?.DeleteOnTermination, Encrypted: volume?.Encrypted },
      };
    });
    this.ec2.store(this.ec2.images, imageId, {
      ImageId: imageId,
      Name: name,
      Description: input.Description,
      State: 'pending',
      OwnerId: this.ec2.accountId,
      CreationDate: this.clock.now().toISOString(),
      RootDeviceType: 'ebs',
      RootDeviceName: instance.RootDeviceName,
      BlockDeviceMappings: mappings,
      Tags: tagsOf('image').length ? clone(tagsOf('image')) : undefined,
    });
    this.host.imageDueAt.set(imageId, this.clock.nowMs() + this.host.timings.imageAvailableMs);
    return { ImageId: imageId };
  }

}


/** JSON with sorted keys and undefined dropped: two requests with the same parameters compare equal. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

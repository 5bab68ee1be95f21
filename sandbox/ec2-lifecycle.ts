import type {
  BlockDeviceMapping,
  CreateImageRequest,
  DescribeInstanceAttributeRequest,
  DescribeLaunchTemplateVersionsRequest,
  Instance,
  InstanceStateName,
  LaunchTemplateVersion,
  RequestLaunchTemplateData,
  RunInstancesRequest,
  StartInstancesRequest,
  StopInstancesRequest,
  Tag,
  TerminateInstancesRequest,
} from '@aws-sdk/client-ec2';
import type { SandboxClock } from './clock';
import { clone, type Ec2Model } from './ec2';
import { fail } from './errors';

/** How long lifecycle transitions take, in sandbox milliseconds (roughly what EC2 shows). */
export interface LifecycleTimings {
  /** pending → running after RunInstances / StartInstances. */
  launchMs: number;
  /** stopping → stopped, shutting-down → terminated. */
  stopMs: number;
  /** Status checks initializing → ok after the instance is running. */
  statusOkMs: number;
  /** CreateImage: pending → available. */
  imageAvailableMs: number;
}

export const DEFAULT_LIFECYCLE_TIMINGS: LifecycleTimings = { launchMs: 30_000, stopMs: 40_000, statusOkMs: 120_000, imageAvailableMs: 90_000 };

/** The AMI every FleetBuilder instance was launched from; public (owned by Amazon), as a base image is. */
export const BASE_IMAGE_ID = 'ami-0sandbox0000000001';

const STATE_CODES: Record<InstanceStateName, number> = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80 };

/** Scheduled-event codes a stop or a move to a new host resolves (the instance leaves the degraded host). */
const RESOLVED_BY_MOVE = new Set(['instance-stop', 'instance-retirement', 'system-reboot', 'system-maintenance']);

type Op = (input: never) => unknown;

const registry = new WeakMap<Ec2Model, Ec2Lifecycle>();

/** The lifecycle model serving a sandbox account (tests seed launch templates and user data through it). */
export function lifecycleOf(account: { ec2: Ec2Model }): Ec2Lifecycle {
  const found = registry.get(account.ec2);
  if (!found) throw new Error('this sandbox account serves no EC2 lifecycle model');
  return found;
}

/**
 * Instance and image lifecycles on top of {@link Ec2Model}: Stop/Start/Terminate/RunInstances,
 * CreateImage, DescribeInstanceAttribute, DescribeLaunchTemplateVersions. States move on sandbox
 * time (pending → running, stopping → stopped, image pending → available), worked out whenever
 * someone describes, so the SDK's own waiters (`waitUntilInstanceRunning`, ...) poll it as they
 * poll EC2. `RunInstances` honours `ClientToken` as EC2 does: same token and same parameters →
 * the same instances; different parameters → `IdempotentParameterMismatch`.
 */
export class Ec2Lifecycle {
  readonly timings: LifecycleTimings;
  readonly launchTemplates = new Map<string, { name: string; versions: LaunchTemplateVersion[]; defaultVersion: number }>();
  /** Base64 user data by instance id. */
  readonly userData = new Map<string, string>();
  /** Status-check result an instance reaches once it has initialised (tests make replacements fail with it). */
  launchHealth: (instance: Instance) => 'ok' | 'impaired' = () => 'ok';
  private readonly transitions = new Map<string, { to: InstanceStateName; atMs: number }>();
  private readonly statusDueAt = new Map<string, number>();
  private readonly imageDueAt = new Map<string, number>();
  private readonly tokens = new Map<string, { fingerprint: string; reservationId: string; instanceIds: string[] }>();
  private readonly hadPublicIp = new Set<string>();
  private ips = 0;

  constructor(
    private readonly ec2: Ec2Model,
    private readonly clock: SandboxClock,
    timings: Partial<LifecycleTimings> = {},
  ) {
    this.timings = { ...DEFAULT_LIFECYCLE_TIMINGS, ...timings };
    registry.set(ec2, this);
    ec2.store(ec2.images, BASE_IMAGE_ID, {
      ImageId: BASE_IMAGE_ID,
      Name: 'al2023-ami-sandbox-x86_64',
      State: 'available',
      OwnerId: '137112412989',
      Public: true,
      RootDeviceType: 'ebs',
      RootDeviceName: '/dev/xvda',
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: 'snap-0sandboxbase00001', VolumeSize: 8, VolumeType: 'gp3', DeleteOnTermination: true } }],
    });
    const base = ec2.operations;
    const refreshed = (name: string): Op => (input: never) => {
      this.refresh();
      return base[name]!(input);
    };
    this.operations = {
      DescribeInstances: refreshed('DescribeInstances'),
      DescribeInstanceStatus: refreshed('DescribeInstanceStatus'),
      DescribeImages: refreshed('DescribeImages'),
      DescribeAddresses: refreshed('DescribeAddresses'),
      StopInstances: (i: StopInstancesRequest) => this.stopInstances(i),
      StartInstances: (i: StartInstancesRequest) => this.startInstances(i),
      TerminateInstances: (i: TerminateInstancesRequest) => this.terminateInstances(i),
      RunInstances: (i: RunInstancesRequest) => this.runInstances(i),
      CreateImage: (i: CreateImageRequest) => this.createImage(i),
      DescribeInstanceAttribute: (i: DescribeInstanceAttributeRequest) => this.describeInstanceAttribute(i),
      DescribeLaunchTemplateVersions: (i: DescribeLaunchTemplateVersionsRequest) => this.describeLaunchTemplateVersions(i),
    };
  }

  /** Operations to register with `account.serve('ec2', ...)`. */
  readonly operations: Record<string, Op>;

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

  // ----- time -----

  /** Applies every transition that is due; called before each describe. */
  refresh(): void {
    const now = this.clock.nowMs();
    for (const [id, t] of this.transitions) {
      if (t.atMs > now) continue;
      this.transitions.delete(id);
      const instance = this.ec2.instances.get(id)?.data;
      if (!instance) continue;
      this.setState(instance, t.to);
      if (t.to === 'running') {
        const health = this.ec2.healthOf(id);
        health.systemStatus = 'initializing';
        health.instanceStatus = 'initializing';
        this.statusDueAt.set(id, t.atMs + this.timings.statusOkMs);
      }
    }
    for (const [id, at] of this.statusDueAt) {
      if (at > now) continue;
      this.statusDueAt.delete(id);
      const instance = this.ec2.instances.get(id)?.data;
      if (!instance || instance.State?.Name !== 'running') continue;
      const health = this.ec2.healthOf(id);
      const result = this.launchHealth(instance);
      health.systemStatus = 'ok';
      health.instanceStatus = result;
    }
    for (const [id, at] of this.imageDueAt) {
      if (at > now) continue;
      this.imageDueAt.delete(id);
      const image = this.ec2.images.get(id)?.data;
      if (image?.State === 'pending') image.State = 'available';
    }
  }

  private setState(instance: Instance, name: InstanceStateName): void {
    instance.State = { Name: name, Code: STATE_CODES[name] };
  }

  private schedule(id: string, to: InstanceStateName, afterMs: number): void {
    this.transitions.set(id, { to, atMs: this.clock.nowMs() + afterMs });
  }

  private eipOf(instanceId: string): boolean {
    return [...this.ec2.addresses.values()].some((a) => a.data.InstanceId === instanceId);
  }

  private newPublicIp(): string {
    this.ips++;
    return `54.${200 + Math.floor(this.ips / 65536)}.${Math.floor(this.ips / 256) % 256}.${this.ips % 256}`;
  }

  private change(instance: Instance, previous: InstanceStateName) {
    return { InstanceId: instance.InstanceId, CurrentState: clone(instance.State), PreviousState: { Name: previous, Code: STATE_CODES[previous] } };
  }

  // ----- stop / start / terminate -----

  private stopInstances(input: StopInstancesRequest) {
    this.refresh();
    const instances = (input.InstanceIds ?? []).map((id) => this.ec2.requireInstance(id));
    for (const i of instances) {
      if (i.RootDeviceType !== 'ebs') {
        throw fail('ec2', 'UnsupportedOperation', `The instance '${i.InstanceId}' does not have an 'ebs' root device type and cannot be stopped.`);
      }
      if (i.State?.Name === 'terminated' || i.State?.Name === 'shutting-down' || i.State?.Name === 'pending') {
        throw fail('ec2', 'IncorrectInstanceState', `This instance '${i.InstanceId}' is not in a state from which it can be stopped.`);
      }
    }
    return {
      StoppingInstances: instances.map((i) => {
        const previous = i.State!.Name!;
        if (previous === 'running') {
          this.setState(i, 'stopping');
          this.schedule(i.InstanceId!, 'stopped', this.timings.stopMs);
          this.leaveHost(i);
        }
        return this.change(i, previous);
      }),
    };
  }

  /** A stopped instance has left its host: its scheduled moves are done, its public IP goes (an EIP stays). */
  private leaveHost(instance: Instance): void {
    const id = instance.InstanceId!;
    if (instance.PublicIpAddress && !this.eipOf(id)) {
      this.hadPublicIp.add(id);
      instance.PublicIpAddress = undefined;
    }
    const health = this.ec2.healthOf(id);
    health.events = health.events.filter((e) => !RESOLVED_BY_MOVE.has(e.Code ?? ''));
    health.systemStatus = 'ok';
    this.statusDueAt.delete(id);
  }

  private startInstances(input: StartInstancesRequest) {
    this.refresh();
    const instances = (input.InstanceIds ?? []).map((id) => this.ec2.requireInstance(id));
    for (const i of instances) {
      if (!['stopped', 'running', 'pending'].includes(i.State?.Name ?? '')) {
        throw fail('ec2', 'IncorrectInstanceState', `The instance '${i.InstanceId}' is not in a state from which it can be started.`);
      }
    }
    return {
      StartingInstances: instances.map((i) => {
        const previous = i.State!.Name!;
        if (previous === 'stopped') {
          this.setState(i, 'pending');
          i.LaunchTime = this.clock.now();
          if (!this.eipOf(i.InstanceId!) && this.hadPublicIp.delete(i.InstanceId!)) i.PublicIpAddress = this.newPublicIp();
          this.schedule(i.InstanceId!, 'running', this.timings.launchMs);
        }
        return this.change(i, previous);
      }),
    };
  }

  private terminateInstances(input: TerminateInstancesRequest) {
    this.refresh();
    const instances = (input.InstanceIds ?? []).map((id) => this.ec2.requireInstance(id));
    return {
      TerminatingInstances: instances.map((i) => {
        const previous = i.State!.Name!;
        if (previous !== 'terminated' && previous !== 'shutting-down') {
          this.setState(i, 'shutting-down');
          this.schedule(i.InstanceId!, 'terminated', this.timings.stopMs);
          for (const { data: a } of this.ec2.addresses.values()) {
            if (a.InstanceId !== i.InstanceId) continue;
            a.InstanceId = undefined;
            a.AssociationId = undefined;
            a.PrivateIpAddress = undefined;
          }
          i.PublicIpAddress = undefined;
          this.ec2.healthOf(i.InstanceId!).events = [];
        }
        return this.change(i, previous);
      }),
    };
  }

  // ----- RunInstances -----

  private runInstances(input: RunInstancesRequest) {
    this.refresh();
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
        PrivateIpAddress: `10.0.${128 + Math.floor(this.ips / 250)}.${(this.ips % 250) + 4}`,
        PublicIpAddress: this.newPublicIp(),
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
      if (userData) this.userData.set(id, userData);
      this.ec2.healthOf(id).events = [];
      this.schedule(id, 'running', this.timings.launchMs);
    }
    if (token) this.tokens.set(token, { fingerprint, reservationId, instanceIds: ids });
    return this.reservation(reservationId, ids);
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
    this.refresh();
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
    this.imageDueAt.set(imageId, this.clock.nowMs() + this.timings.imageAvailableMs);
    return { ImageId: imageId };
  }

  // ----- attributes -----

  private describeInstanceAttribute(input: DescribeInstanceAttributeRequest) {
    const instance = this.ec2.requireInstance(input.InstanceId ?? '');
    switch (input.Attribute) {
      case 'userData': {
        const value = this.userData.get(instance.InstanceId!);
        return { InstanceId: instance.InstanceId, UserData: value === undefined ? {} : { Value: value } };
      }
      case 'instanceType':
        return { InstanceId: instance.InstanceId, InstanceType: { Value: instance.InstanceType } };
      default:
        throw fail('ec2', 'InvalidParameterValue', `Value (${String(input.Attribute)}) for parameter attribute is invalid or not served by the sandbox.`);
    }
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

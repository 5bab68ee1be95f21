import type {
  BlockDeviceMapping,
  DescribeLaunchTemplateVersionsRequest,
  Instance,
  LaunchTemplateVersion,
  RequestLaunchTemplateData,
  RunInstancesRequest,
  Tag,
  InstanceNetworkInterfaceSpecification,
} from '@aws-sdk/client-ec2';
import { Ec2Attributes } from './ec2-attributes';
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
  private readonly tokens = new Map<string, { fingerprint: string; reservationId: string; instanceIds: string[] }>();

  constructor(
    private readonly ec2: Ec2Model,
    private readonly clock: SandboxClock,
    private readonly host: Pick<
      Ec2Lifecycle,
      'refresh' | 'schedule' | 'newPublicIp' | 'userData' | 'timings' | 'imageDueAt' | 'network' | 'attributesOf' | 'launched' | 'creditSpecs' | 'placementGroups' | 'hosts'
    >,
  ) {}

  readonly operations: Record<string, Op> = {
    RunInstances: (i: RunInstancesRequest) => this.runInstances(i),
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
    if (input.MaxCount !== 1) throw fail('ec2', 'InvalidParameterValue', 'The sandbox launches one instance per call.');
    const instanceType = input.InstanceType ?? data.InstanceType ?? 'm1.small';
    const net = this.network(input, data as RequestLaunchTemplateData);
    const placement = { ...data.Placement, ...input.Placement };
    if (placement.AvailabilityZone && placement.AvailabilityZone !== net.zone) {
      throw fail('ec2', 'InvalidParameterValue', `Subnet ${net.subnetId} is in ${net.zone}, not ${placement.AvailabilityZone}.`);
    }
    if (placement.GroupName && !this.host.placementGroups.has(placement.GroupName)) {
      throw fail('ec2', 'InvalidPlacementGroup.Unknown', `The Placement Group '${placement.GroupName}' is unknown.`);
    }
    if (placement.HostId && this.host.hosts.get(placement.HostId) !== 'available') {
      throw fail('ec2', 'InvalidHostID.NotFound', `The host ID '${placement.HostId}' does not exist or is not available.`);
    }
    const credit = input.CreditSpecification ?? data.CreditSpecification;
    if (credit && !Ec2Attributes.isBurstable(instanceType)) {
      throw fail('ec2', 'InvalidParameterCombination', `The parameter CreditSpecification is not supported for instance type ${instanceType}.`);
    }
    const mappings = this.mappings(image.BlockDeviceMappings ?? [], input.BlockDeviceMappings ?? data.BlockDeviceMappings ?? []);
    const hibernation = input.HibernationOptions ?? data.HibernationOptions;
    if (hibernation?.Configured && !mappings.find((m) => m.DeviceName === (image.RootDeviceName ?? '/dev/xvda'))?.Ebs?.Encrypted) {
      throw fail('ec2', 'UnsupportedHibernationConfiguration', 'Hibernation needs an encrypted EBS root volume.');
    }
    const tagsFor = (type: string) => [...(data.TagSpecifications ?? []), ...(input.TagSpecifications ?? [])].filter((s) => s.ResourceType === type).flatMap((s) => s.Tags ?? []);
    const groups = net.groups;
    const profile = input.IamInstanceProfile ?? data.IamInstanceProfile;
    const reservationId = `r-${this.ec2.newId('x').slice(2)}`;
    const ids: string[] = [];
    const id = this.ec2.newId('i');
    ids.push(id);
    const az = net.zone;
    const primary = this.host.network.create({ subnetId: net.subnetId, groups, privateIp: net.privateIp, secondaryIps: net.secondaryIps, ipv6: net.ipv6, description: 'Primary network interface', tags: tagsFor('network-interface') });
    this.host.network.bind(primary, id, 0, true);
    for (const extra of net.attach) this.host.network.bind(this.host.network.requireInterface(extra.id), id, extra.index, false);
    const tags = new Map<string, string>();
    for (const t of requestedTags) tags.set(t.Key ?? '', t.Value ?? '');
    if (template) {
      tags.set('aws:ec2launchtemplate:id', template.LaunchTemplateId!);
      tags.set('aws:ec2launchtemplate:version', String(template.VersionNumber));
    }
    const metadata = { ...data.MetadataOptions, ...input.MetadataOptions };
    const v2 = image.ImdsSupport === 'v2.0';
    const instance: Instance = {
      InstanceId: id,
      ImageId: imageId,
      InstanceType: instanceType as Instance['InstanceType'],
      KeyName: input.KeyName ?? data.KeyName,
      State: { Name: 'pending', Code: 0 },
      Placement: { AvailabilityZone: az, Tenancy: placement.Tenancy ?? 'default', GroupName: placement.GroupName, PartitionNumber: placement.PartitionNumber, HostId: placement.HostId, Affinity: placement.Affinity },
      PrivateIpAddress: primary.PrivateIpAddress,
      PublicIpAddress: net.publicIp ? this.host.newPublicIp() : undefined,
      SubnetId: net.subnetId,
      VpcId: 'vpc-0sandbox0000000001',
      SecurityGroups: groups.map((g) => ({ GroupId: g, GroupName: g })),
      IamInstanceProfile: profile ? { Arn: profile.Arn ?? `arn:aws:iam::${this.ec2.accountId}:instance-profile/${profile.Name}`, Id: 'AIPASANDBOX0000000001' } : undefined,
      RootDeviceType: image.RootDeviceType ?? 'ebs',
      RootDeviceName: image.RootDeviceName ?? '/dev/xvda',
      BlockDeviceMappings: this.volumesFromImage(id, mappings, az, tagsFor('volume')),
      LaunchTime: this.clock.now(),
      ClientToken: token,
      EbsOptimized: input.EbsOptimized ?? data.EbsOptimized ?? false,
      SourceDestCheck: primary.SourceDestCheck,
      // Not inherited from anything: the request (or template), else the AMI's ImdsSupport and the account default.
      // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-new-instances.html
      MetadataOptions: {
        State: 'pending',
        HttpTokens: metadata.HttpTokens ?? (v2 ? 'required' : 'optional'),
        HttpPutResponseHopLimit: metadata.HttpPutResponseHopLimit ?? (v2 ? 2 : 1),
        HttpEndpoint: metadata.HttpEndpoint ?? 'enabled',
        HttpProtocolIpv6: metadata.HttpProtocolIpv6 ?? 'disabled',
        InstanceMetadataTags: metadata.InstanceMetadataTags ?? 'disabled',
      },
      CpuOptions: input.CpuOptions ?? data.CpuOptions,
      EnclaveOptions: { Enabled: (input.EnclaveOptions ?? data.EnclaveOptions)?.Enabled ?? false },
      HibernationOptions: { Configured: hibernation?.Configured ?? false },
      CapacityReservationSpecification: input.CapacityReservationSpecification
        ? { CapacityReservationPreference: input.CapacityReservationSpecification.CapacityReservationPreference, CapacityReservationTarget: input.CapacityReservationSpecification.CapacityReservationTarget }
        : { CapacityReservationPreference: 'open' },
      MaintenanceOptions: { AutoRecovery: (input.MaintenanceOptions ?? data.MaintenanceOptions)?.AutoRecovery ?? 'default' },
      Monitoring: { State: (input.Monitoring ?? data.Monitoring)?.Enabled ? 'enabled' : 'disabled' },
      Tags: [...tags].map(([Key, Value]) => ({ Key, Value })),
    };
    this.ec2.store(this.ec2.instances, id, instance);
    const attributes = this.host.attributesOf(id);
    attributes.disableApiTermination = input.DisableApiTermination ?? data.DisableApiTermination ?? false;
    attributes.disableApiStop = input.DisableApiStop ?? data.DisableApiStop ?? false;
    attributes.shutdownBehavior = (input.InstanceInitiatedShutdownBehavior ?? data.InstanceInitiatedShutdownBehavior) === 'terminate' ? 'terminate' : 'stop';
    if (credit?.CpuCredits) this.host.creditSpecs.set(id, credit.CpuCredits === 'standard' ? 'standard' : 'unlimited');
    const userData = input.UserData ?? data.UserData;
    if (userData) this.host.userData.set(id, userData);
    this.ec2.healthOf(id).events = [];
    this.host.launched(id);
    this.host.schedule(id, 'running', this.host.timings.launchMs);
    if (token) this.tokens.set(token, { fingerprint, reservationId, instanceIds: ids });
    return this.reservation(reservationId, ids);
  }

  /**
   * The network of a launch, checked as EC2 checks it before anything is created: `NetworkInterfaces`
   * (the request's replace the template's) exclude an instance-level subnet or security groups;
   * an existing interface must be available and in the subnet's zone; no address may be in use.
   * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html
   */
  private network(input: RunInstancesRequest, data: RequestLaunchTemplateData) {
    const nics = (input.NetworkInterfaces ?? data.NetworkInterfaces ?? []) as InstanceNetworkInterfaceSpecification[];
    const topGroups = input.SecurityGroupIds ?? input.SecurityGroups ?? data.SecurityGroupIds ?? data.SecurityGroups;
    if (nics.length && (input.SubnetId || topGroups?.length || input.PrivateIpAddress || input.Ipv6Addresses?.length)) {
      throw fail('ec2', 'InvalidParameterCombination', 'Network interfaces and an instance-level subnet ID or security groups may not be specified on the same request');
    }
    const nic0 = nics.find((n) => (n.DeviceIndex ?? 0) === 0);
    if (nics.length && !nic0) throw fail('ec2', 'InvalidParameterValue', 'A network interface at device index 0 is required.');
    if (nic0?.NetworkInterfaceId) throw fail('ec2', 'InvalidParameterValue', 'The sandbox launches with a new primary interface only.');
    const subnetId = input.SubnetId ?? nic0?.SubnetId ?? 'subnet-0sandbox000000001';
    const subnet = this.host.network.subnet(subnetId);
    const privateIp = input.PrivateIpAddress ?? nic0?.PrivateIpAddress ?? nic0?.PrivateIpAddresses?.find((p) => p.Primary)?.PrivateIpAddress;
    const secondaryIps = (nic0?.PrivateIpAddresses ?? []).filter((p) => !p.Primary).map((p) => p.PrivateIpAddress!);
    const ipv6 = [...(input.Ipv6Addresses ?? []), ...(nic0?.Ipv6Addresses ?? [])].map((a) => a.Ipv6Address!);
    for (const ip of [privateIp, ...secondaryIps].filter((x): x is string => !!x)) {
      if (!this.host.network.inSubnet(subnet, ip)) throw fail('ec2', 'InvalidParameterValue', `Address ${ip} is not in subnet ${subnetId}.`);
    }
    this.host.network.requireFree([privateIp, ...secondaryIps].filter((x): x is string => !!x));
    const attach = nics.filter((n) => n !== nic0).map((n) => {
      if (!n.NetworkInterfaceId) throw fail('ec2', 'InvalidParameterValue', 'The sandbox adds extra interfaces by NetworkInterfaceId only.');
      if (n.SubnetId || n.Groups?.length) throw fail('ec2', 'InvalidParameterCombination', 'A network interface ID cannot be specified with a subnet or security groups.');
      const eni = this.host.network.requireInterface(n.NetworkInterfaceId);
      if (eni.Status !== 'available') throw fail('ec2', 'InvalidNetworkInterface.InUse', `Interface: [${eni.NetworkInterfaceId}] in use.`);
      if (eni.AvailabilityZone !== subnet.availabilityZone) throw fail('ec2', 'InvalidParameterCombination', `Interface ${eni.NetworkInterfaceId} is not in ${subnet.availabilityZone}.`);
      return { id: n.NetworkInterfaceId, index: n.DeviceIndex ?? 1 };
    });
    const groups = nic0?.Groups ?? topGroups ?? ['sg-0sandbox0000000001'];
    return { subnetId, zone: subnet.availabilityZone, privateIp, secondaryIps, ipv6, attach, groups, publicIp: nic0 ? nic0.AssociatePublicIpAddress === true : nics.length === 0 };
  }

  /** The image's mappings overlaid by the request's (or template's) by device name; `NoDevice` drops one. */
  private mappings(image: BlockDeviceMapping[], requested: Array<BlockDeviceMapping | { DeviceName?: string; NoDevice?: string; Ebs?: BlockDeviceMapping['Ebs'] }>): BlockDeviceMapping[] {
    const byDevice = new Map(image.map((m) => [m.DeviceName, clone(m)]));
    for (const m of requested) {
      if (m.NoDevice !== undefined) byDevice.delete(m.DeviceName);
      else if (m.Ebs) byDevice.set(m.DeviceName, { DeviceName: m.DeviceName, Ebs: { ...byDevice.get(m.DeviceName)?.Ebs, ...m.Ebs } as BlockDeviceMapping['Ebs'] });
    }
    return [...byDevice.values()];
  }

  private reservation(reservationId: string, ids: string[]) {
    return {
      ReservationId: reservationId,
      OwnerId: this.ec2.accountId,
      Groups: [],
      Instances: ids.map((id) => clone(this.ec2.requireInstance(id))),
    };
  }

  private volumesFromImage(instanceId: string, mappings: BlockDeviceMapping[], az: string, tags: Tag[]) {
    return mappings
      .filter((m) => m.Ebs)
      .map((m, index) => {
        const volumeId = this.ec2.newId('vol');
        const deleteOnTermination = m.Ebs?.DeleteOnTermination ?? index === 0;
        const snapshot = this.ec2.snapshots.get(m.Ebs?.SnapshotId ?? '')?.data;
        this.ec2.store(this.ec2.volumes, volumeId, {
          VolumeId: volumeId,
          Size: m.Ebs?.VolumeSize ?? 8,
          VolumeType: (m.Ebs?.VolumeType ?? 'gp3') as never,
          SnapshotId: m.Ebs?.SnapshotId,
          State: 'in-use',
          AvailabilityZone: az,
          CreateTime: this.clock.now(),
          Encrypted: true,
          KmsKeyId: m.Ebs?.KmsKeyId ?? snapshot?.KmsKeyId,
          Tags: tags.length ? clone(tags) : undefined,
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
}

/** JSON with sorted keys and undefined dropped: two requests with the same parameters compare equal. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

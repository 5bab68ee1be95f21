import type { LaunchTemplateBlockDeviceMapping, RunInstancesCommandInput, Tag, TagSpecification } from '@aws-sdk/client-ec2';
import type { ServerIdentity } from '../identity/read-identity';
import { inheritedTags, TAG_REPLACES } from '../tags';
import { tagRecord } from '../../aws/filters';

/** Where the replacement's root comes from, and the launch template that supplies the rest (if any). */
export interface LaunchSource {
  imageId: string;
  template?: { id: string; version: string; definesInterfaces: boolean; mappings: LaunchTemplateBlockDeviceMapping[] };
  /** The dedicated host the old instance sat on, if it is still available. */
  hostAvailable: boolean;
}

/**
 * PURE: the RunInstances input that makes the replacement the same server: every attribute of the
 * old instance that RunInstances accepts, so the launch template (if any) only fills what the old
 * instance does not say, and never supplies a disk: its mappings are `NoDevice`d, the root comes
 * from the image of the stopped instance. Interfaces: a template that defines NetworkInterfaces is
 * overridden with a primary interface of our own (EC2 refuses SubnetId or SecurityGroupIds next to
 * them: InvalidParameterCombination); otherwise SubnetId + SecurityGroupIds. Protections are set
 * after the move (a failed replacement must stay terminable). Deterministic for a given identity
 * and token, so a retry passes EC2's idempotency check.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html
 */
export function launchRequest(identity: ServerIdentity, source: LaunchSource, token: string): RunInstancesCommandInput {
  const old = identity.instance;
  const p = identity.primary;
  const placement = old.Placement ?? {};
  const tagSpecs: TagSpecification[] = [
    { ResourceType: 'instance', Tags: [...inheritedTags(tagRecord(old.Tags)), { Key: TAG_REPLACES, Value: old.InstanceId }] },
    ...spec('volume', identity.root?.tags),
    // The new primary interface is marked as the replacement's at launch: the role may move Elastic
    // IPs onto interfaces tagged caretaker:replaces, a key it can write only through RunInstances.
    { ResourceType: 'network-interface', Tags: [...(p.tags ?? []).filter((t) => t.Key !== TAG_REPLACES), { Key: TAG_REPLACES, Value: old.InstanceId }] },
  ];
  const network: Partial<RunInstancesCommandInput> = source.template?.definesInterfaces
    ? { NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: p.subnetId, Groups: p.groups, DeleteOnTermination: true, ...(p.description ? { Description: p.description } : {}) }] }
    : { SubnetId: p.subnetId, SecurityGroupIds: p.groups };
  const rootDevice = old.RootDeviceName ?? '/dev/xvda';
  const templateDisks = (source.template?.mappings ?? []).filter((m) => m.DeviceName && m.DeviceName !== rootDevice).map((m) => ({ DeviceName: m.DeviceName, NoDevice: '' }));
  const metadata = old.MetadataOptions;
  const hostId = placement.Tenancy === 'host' && placement.HostId && source.hostAvailable ? placement.HostId : undefined;
  return {
    ImageId: source.imageId,
    ...(source.template ? { LaunchTemplate: { LaunchTemplateId: source.template.id, Version: source.template.version } } : {}),
    InstanceType: old.InstanceType,
    ...network,
    ...(templateDisks.length ? { BlockDeviceMappings: templateDisks } : {}),
    ...(old.KeyName ? { KeyName: old.KeyName } : {}),
    ...(old.IamInstanceProfile?.Arn ? { IamInstanceProfile: { Arn: old.IamInstanceProfile.Arn } } : {}),
    ...(identity.userData ? { UserData: identity.userData } : {}),
    Placement: {
      AvailabilityZone: placement.AvailabilityZone,
      ...(placement.GroupName ? { GroupName: placement.GroupName } : {}),
      ...(placement.PartitionNumber ? { PartitionNumber: placement.PartitionNumber } : {}),
      ...(placement.Tenancy ? { Tenancy: placement.Tenancy } : {}),
      ...(hostId ? { HostId: hostId } : {}),
      ...(placement.Affinity ? { Affinity: placement.Affinity } : {}),
    },
    // Not inherited by a new instance: without them IMDSv2 `required` falls back to the AMI's or the account's default.
    // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-new-instances.html
    ...(metadata
      ? {
          MetadataOptions: {
            HttpTokens: metadata.HttpTokens,
            HttpPutResponseHopLimit: metadata.HttpPutResponseHopLimit,
            HttpEndpoint: metadata.HttpEndpoint,
            HttpProtocolIpv6: metadata.HttpProtocolIpv6,
            InstanceMetadataTags: metadata.InstanceMetadataTags,
          },
        }
      : {}),
    ...(identity.cpuCredits ? { CreditSpecification: { CpuCredits: identity.cpuCredits } } : {}),
    ...(old.CpuOptions?.CoreCount ? { CpuOptions: { CoreCount: old.CpuOptions.CoreCount, ThreadsPerCore: old.CpuOptions.ThreadsPerCore } } : {}),
    ...(old.EnclaveOptions?.Enabled ? { EnclaveOptions: { Enabled: true } } : {}),
    ...(old.HibernationOptions?.Configured ? { HibernationOptions: { Configured: true } } : {}),
    ...(old.EbsOptimized !== undefined ? { EbsOptimized: old.EbsOptimized } : {}),
    ...(identity.shutdownBehavior ? { InstanceInitiatedShutdownBehavior: identity.shutdownBehavior as 'stop' | 'terminate' } : {}),
    ...(old.CapacityReservationSpecification?.CapacityReservationPreference || old.CapacityReservationSpecification?.CapacityReservationTarget
      ? {
          CapacityReservationSpecification: {
            CapacityReservationPreference: old.CapacityReservationSpecification.CapacityReservationPreference,
            CapacityReservationTarget: old.CapacityReservationSpecification.CapacityReservationTarget,
          },
        }
      : {}),
    ...(old.MaintenanceOptions?.AutoRecovery ? { MaintenanceOptions: { AutoRecovery: old.MaintenanceOptions.AutoRecovery } } : {}),
    ...(old.Monitoring?.State ? { Monitoring: { Enabled: old.Monitoring.State === 'enabled' || old.Monitoring.State === 'pending' } } : {}),
    ...(old.PrivateDnsNameOptions?.HostnameType
      ? {
          PrivateDnsNameOptions: {
            HostnameType: old.PrivateDnsNameOptions.HostnameType,
            EnableResourceNameDnsARecord: old.PrivateDnsNameOptions.EnableResourceNameDnsARecord,
            EnableResourceNameDnsAAAARecord: old.PrivateDnsNameOptions.EnableResourceNameDnsAAAARecord,
          },
        }
      : {}),
    MinCount: 1,
    MaxCount: 1,
    ClientToken: token,
    TagSpecifications: tagSpecs,
  };
}

function spec(type: 'volume', tags: Tag[] | undefined): TagSpecification[] {
  return tags?.length ? [{ ResourceType: type, Tags: tags }] : [];
}

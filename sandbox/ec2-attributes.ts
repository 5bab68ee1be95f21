import type {
  DescribeInstanceAttributeRequest,
  DescribeInstanceCreditSpecificationsRequest,
  DescribeInstanceTypesRequest,
  DescribeHostsRequest,
  InstanceTypeInfo,
  ModifyInstanceAttributeRequest,
  ModifyInstanceMetadataOptionsRequest,
} from '@aws-sdk/client-ec2';
import type { Ec2Model } from './ec2';
import type { Ec2Lifecycle } from './ec2-lifecycle';
import { fail } from './errors';

type Op = (input: never) => unknown;

/** The instance types the sandbox knows, with the facts the degraded job reads (DescribeInstanceTypes). */
const TYPES: Record<string, { instanceStoreGiB?: number; autoRecovery: boolean; burstable?: boolean; hibernation: boolean; vcpus: number; cores: number }> = {
  't3.micro': { autoRecovery: true, burstable: true, hibernation: true, vcpus: 2, cores: 1 },
  't3.large': { autoRecovery: true, burstable: true, hibernation: true, vcpus: 2, cores: 1 },
  'm5.large': { autoRecovery: true, hibernation: true, vcpus: 2, cores: 1 },
  'm5.xlarge': { autoRecovery: true, hibernation: true, vcpus: 4, cores: 2 },
  'c5.large': { autoRecovery: true, hibernation: true, vcpus: 2, cores: 1 },
  // Instance store: simplified automatic recovery does not cover these.
  // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-recover.html
  'm5d.large': { instanceStoreGiB: 75, autoRecovery: false, hibernation: false, vcpus: 2, cores: 1 },
  'm5d.xlarge': { instanceStoreGiB: 150, autoRecovery: false, hibernation: false, vcpus: 4, cores: 2 },
  'i3.large': { instanceStoreGiB: 475, autoRecovery: false, hibernation: false, vcpus: 2, cores: 1 },
};

/**
 * Instance attributes (DescribeInstanceAttribute / ModifyInstanceAttribute, one attribute per call
 * as EC2 insists), metadata options, credit specifications and the instance-type catalogue.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceAttribute.html
 */
export class Ec2Attributes {
  constructor(
    private readonly ec2: Ec2Model,
    private readonly lifecycle: Pick<Ec2Lifecycle, 'attributesOf' | 'userData' | 'hosts'>,
  ) {}

  readonly operations: Record<string, Op> = {
    DescribeInstanceAttribute: (i: DescribeInstanceAttributeRequest) => this.describe(i),
    ModifyInstanceAttribute: (i: ModifyInstanceAttributeRequest) => this.modify(i),
    ModifyInstanceMetadataOptions: (i: ModifyInstanceMetadataOptionsRequest) => this.modifyMetadata(i),
    DescribeInstanceTypes: (i: DescribeInstanceTypesRequest) => this.describeTypes(i),
    DescribeInstanceCreditSpecifications: (i: DescribeInstanceCreditSpecificationsRequest) => this.describeCredits(i),
    DescribeHosts: (i: DescribeHostsRequest) => ({
      Hosts: (i.HostIds ?? [...this.lifecycle.hosts.keys()]).filter((id) => this.lifecycle.hosts.has(id)).map((HostId) => ({ HostId, State: this.lifecycle.hosts.get(HostId) })),
    }),
  };

  /** Unlimited/standard credit mode of burstable instances, set at launch. */
  readonly credits = new Map<string, 'standard' | 'unlimited'>();

  static knows(type: string): boolean {
    return type in TYPES;
  }

  static isBurstable(type: string): boolean {
    return TYPES[type]?.burstable === true;
  }

  private describe(input: DescribeInstanceAttributeRequest) {
    const instance = this.ec2.requireInstance(input.InstanceId ?? '');
    const id = instance.InstanceId;
    const a = this.lifecycle.attributesOf(id!);
    switch (input.Attribute) {
      case 'userData': {
        const value = this.lifecycle.userData.get(id!);
        return { InstanceId: id, UserData: value === undefined ? {} : { Value: value } };
      }
      case 'instanceType':
        return { InstanceId: id, InstanceType: { Value: instance.InstanceType } };
      case 'disableApiTermination':
        return { InstanceId: id, DisableApiTermination: { Value: a.disableApiTermination } };
      case 'disableApiStop':
        return { InstanceId: id, DisableApiStop: { Value: a.disableApiStop } };
      case 'instanceInitiatedShutdownBehavior':
        return { InstanceId: id, InstanceInitiatedShutdownBehavior: { Value: a.shutdownBehavior } };
      case 'sourceDestCheck':
        return { InstanceId: id, SourceDestCheck: { Value: instance.SourceDestCheck ?? true } };
      case 'ebsOptimized':
        return { InstanceId: id, EbsOptimized: { Value: instance.EbsOptimized ?? false } };
      default:
        throw fail('ec2', 'InvalidParameterValue', `Value (${String(input.Attribute)}) for parameter attribute is invalid or not served by the sandbox.`);
    }
  }

  private modify(input: ModifyInstanceAttributeRequest) {
    const instance = this.ec2.requireInstance(input.InstanceId ?? '');
    const a = this.lifecycle.attributesOf(instance.InstanceId!);
    const given = Object.entries(input).filter(([k, v]) => k !== 'InstanceId' && k !== 'DryRun' && v !== undefined);
    // EC2 changes one attribute per call.
    if (given.length !== 1) throw fail('ec2', 'InvalidParameterCombination', 'Specify exactly one attribute to modify per request.');
    const needsStopped = ['InstanceType', 'UserData', 'EbsOptimized', 'EnaSupport', 'Kernel', 'Ramdisk'];
    if (needsStopped.includes(given[0]![0]) && instance.State?.Name !== 'stopped') {
      throw fail('ec2', 'IncorrectInstanceState', `The instance '${instance.InstanceId}' is not in the 'stopped' state.`);
    }
    if (input.DisableApiTermination) a.disableApiTermination = input.DisableApiTermination.Value === true;
    else if (input.DisableApiStop) a.disableApiStop = input.DisableApiStop.Value === true;
    else if (input.InstanceInitiatedShutdownBehavior) a.shutdownBehavior = input.InstanceInitiatedShutdownBehavior.Value === 'terminate' ? 'terminate' : 'stop';
    else if (input.SourceDestCheck) {
      if ((instance.NetworkInterfaces?.length ?? 0) > 1) {
        throw fail('ec2', 'InvalidInstanceID', `There are multiple interfaces attached to instance '${instance.InstanceId}'. Please specify an interface ID for the operation instead.`);
      }
      instance.SourceDestCheck = input.SourceDestCheck.Value;
    } else if (input.UserData) this.lifecycle.userData.set(instance.InstanceId!, Buffer.from(input.UserData.Value ?? new Uint8Array()).toString('base64'));
    else if (input.InstanceType) instance.InstanceType = input.InstanceType.Value as never;
    else if (input.EbsOptimized) instance.EbsOptimized = input.EbsOptimized.Value;
    else throw fail('ec2', 'InvalidParameterValue', `The sandbox does not model attribute ${given[0]![0]}.`);
    return {};
  }

  private modifyMetadata(input: ModifyInstanceMetadataOptionsRequest) {
    const instance = this.ec2.requireInstance(input.InstanceId ?? '');
    const hop = input.HttpPutResponseHopLimit;
    if (hop !== undefined && (hop < 1 || hop > 64)) throw fail('ec2', 'InvalidParameterValue', 'The hop limit must be between 1 and 64.');
    const m = { ...instance.MetadataOptions };
    if (input.HttpTokens) m.HttpTokens = input.HttpTokens;
    if (hop !== undefined) m.HttpPutResponseHopLimit = hop;
    if (input.HttpEndpoint) m.HttpEndpoint = input.HttpEndpoint;
    if (input.HttpProtocolIpv6) m.HttpProtocolIpv6 = input.HttpProtocolIpv6;
    if (input.InstanceMetadataTags) m.InstanceMetadataTags = input.InstanceMetadataTags;
    instance.MetadataOptions = { ...m, State: 'applied' };
    return { InstanceId: instance.InstanceId, InstanceMetadataOptions: { ...m, State: 'pending' } };
  }

  private describeTypes(input: DescribeInstanceTypesRequest) {
    const wanted = input.InstanceTypes ?? [];
    const unknown = wanted.filter((t) => !(t in TYPES));
    if (unknown.length) throw fail('ec2', 'InvalidInstanceType', `The following supplied instance types do not exist: [${unknown.join(', ')}]`);
    const InstanceTypes: InstanceTypeInfo[] = (wanted.length ? wanted : Object.keys(TYPES)).map((t) => {
      const info = TYPES[t]!;
      return {
        InstanceType: t as never,
        InstanceStorageSupported: info.instanceStoreGiB !== undefined,
        InstanceStorageInfo: info.instanceStoreGiB ? { TotalSizeInGB: info.instanceStoreGiB, Disks: [{ SizeInGB: info.instanceStoreGiB, Count: 1, Type: 'ssd' }] } : undefined,
        AutoRecoverySupported: info.autoRecovery,
        HibernationSupported: info.hibernation,
        BurstablePerformanceSupported: info.burstable === true,
        VCpuInfo: { DefaultVCpus: info.vcpus, DefaultCores: info.cores, DefaultThreadsPerCore: 2 },
      };
    });
    return { InstanceTypes };
  }

  private describeCredits(input: DescribeInstanceCreditSpecificationsRequest) {
    const ids = input.InstanceIds ?? [];
    return {
      InstanceCreditSpecifications: ids.map((id) => {
        const instance = this.ec2.requireInstance(id);
        if (!Ec2Attributes.isBurstable(instance.InstanceType ?? '')) {
          throw fail('ec2', 'InvalidParameterValue', `The instance ID '${id}' is not a burstable performance instance.`);
        }
        return { InstanceId: id, CpuCredits: this.credits.get(id) ?? 'unlimited' };
      }),
    };
  }
}

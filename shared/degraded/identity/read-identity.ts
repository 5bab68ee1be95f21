import {
  DescribeAddressesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstanceCreditSpecificationsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeVolumesCommand,
  type EC2Client,
  type Instance,
  type InstanceAttributeName,
  type Tag,
} from '@aws-sdk/client-ec2';
import { stepError } from '../apply-env';

/** A disk of the old server: moved as is (same volume id) unless it is the root. */
export interface DiskIdentity {
  volumeId: string;
  device: string;
  deleteOnTermination: boolean;
  tags: Tag[];
  kmsKeyId?: string;
}

/** The primary interface: it cannot leave the old instance, so its addresses move to the replacement's. */
export interface PrimaryInterface {
  eniId: string;
  subnetId: string;
  groups: string[];
  privateIp: string;
  secondaryIps: string[];
  ipv6: string[];
  sourceDestCheck: boolean;
  description?: string;
  tags: Tag[];
}

/** A secondary interface: moved whole (same ENI id, addresses, groups, source/dest check, tags). */
export interface SecondaryInterface {
  eniId: string;
  deviceIndex: number;
  attachmentId: string;
  deleteOnTermination: boolean;
}

/** An Elastic IP and the private IP it sits on. */
export interface AddressIdentity {
  allocationId: string;
  publicIp: string;
  eniId: string;
  privateIp: string;
}

/**
 * Everything that makes the old instance *that* server, as DescribeInstances,
 * DescribeInstanceAttribute, DescribeVolumes, DescribeNetworkInterfaces and DescribeAddresses
 * expose it. Read before anything is changed; the relaunch carries it and the undo restores it.
 */
export interface ServerIdentity {
  instance: Instance;
  root?: DiskIdentity;
  dataVolumes: DiskIdentity[];
  primary: PrimaryInterface;
  secondary: SecondaryInterface[];
  addresses: AddressIdentity[];
  userData?: string;
  disableApiTermination: boolean;
  disableApiStop: boolean;
  shutdownBehavior?: string;
  /** `standard` / `unlimited` for burstable (T) types. */
  cpuCredits?: string;
}

/** T-family types carry a credit specification (DescribeInstanceCreditSpecifications refuses others). */
function isBurstable(type: string | undefined): boolean {
  return /^t\d/.test(type ?? '');
}

export async function readIdentity(ec2: EC2Client, instance: Instance): Promise<ServerIdentity> {
  const id = instance.InstanceId!;
  const read = async <T>(what: string, call: () => Promise<T>) => call().catch((e) => Promise.reject(stepError(what, e)));
  const attribute = (Attribute: InstanceAttributeName) => read(`DescribeInstanceAttribute ${Attribute}`, () => ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute })));
  const [userData, termination, stopping, shutdown] = [
    await attribute('userData'),
    await attribute('disableApiTermination'),
    await attribute('disableApiStop'),
    await attribute('instanceInitiatedShutdownBehavior'),
  ];
  const cpuCredits = isBurstable(instance.InstanceType)
    ? (await read('DescribeInstanceCreditSpecifications', () => ec2.send(new DescribeInstanceCreditSpecificationsCommand({ InstanceIds: [id] })))).InstanceCreditSpecifications?.[0]?.CpuCredits
    : undefined;

  const volumeIds = (instance.BlockDeviceMappings ?? []).map((m) => m.Ebs?.VolumeId).filter((v): v is string => !!v);
  const volumes = volumeIds.length ? ((await read('DescribeVolumes', () => ec2.send(new DescribeVolumesCommand({ VolumeIds: volumeIds })))).Volumes ?? []) : [];
  const disks: DiskIdentity[] = (instance.BlockDeviceMappings ?? [])
    .filter((m) => m.Ebs?.VolumeId)
    .map((m) => {
      const v = volumes.find((x) => x.VolumeId === m.Ebs!.VolumeId);
      return { volumeId: m.Ebs!.VolumeId!, device: m.DeviceName!, deleteOnTermination: m.Ebs!.DeleteOnTermination === true, tags: userTags(v?.Tags), kmsKeyId: v?.KmsKeyId };
    });

  const enis = (await read('DescribeNetworkInterfaces', () => ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [id] }] })))).NetworkInterfaces ?? [];
  const primaryEni = enis.find((e) => e.Attachment?.DeviceIndex === 0);
  if (!primaryEni) throw stepError('DescribeNetworkInterfaces', new Error(`${id} has no primary network interface`));
  const addresses = (await read('DescribeAddresses', () => ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'instance-id', Values: [id] }] })))).Addresses ?? [];

  return {
    instance,
    root: disks.find((d) => d.device === instance.RootDeviceName),
    dataVolumes: disks.filter((d) => d.device !== instance.RootDeviceName),
    primary: {
      eniId: primaryEni.NetworkInterfaceId!,
      subnetId: primaryEni.SubnetId!,
      groups: (primaryEni.Groups ?? []).map((g) => g.GroupId!),
      privateIp: primaryEni.PrivateIpAddress!,
      secondaryIps: (primaryEni.PrivateIpAddresses ?? []).filter((p) => !p.Primary).map((p) => p.PrivateIpAddress!),
      ipv6: (primaryEni.Ipv6Addresses ?? []).map((a) => a.Ipv6Address!),
      sourceDestCheck: primaryEni.SourceDestCheck !== false,
      description: primaryEni.Description || undefined,
      tags: userTags(primaryEni.TagSet),
    },
    secondary: enis
      .filter((e) => e !== primaryEni)
      .map((e) => ({ eniId: e.NetworkInterfaceId!, deviceIndex: e.Attachment!.DeviceIndex!, attachmentId: e.Attachment!.AttachmentId!, deleteOnTermination: e.Attachment!.DeleteOnTermination === true })),
    addresses: addresses
      .filter((a) => a.AllocationId && a.NetworkInterfaceId && a.PrivateIpAddress)
      .map((a) => ({ allocationId: a.AllocationId!, publicIp: a.PublicIp!, eniId: a.NetworkInterfaceId!, privateIp: a.PrivateIpAddress! })),
    userData: userData.UserData?.Value,
    disableApiTermination: termination.DisableApiTermination?.Value === true,
    disableApiStop: stopping.DisableApiStop?.Value === true,
    shutdownBehavior: shutdown.InstanceInitiatedShutdownBehavior?.Value,
    cpuCredits,
  };
}

/** Tags a copy may carry: AWS's own (`aws:`) are reserved and the job's bookkeeping stays behind. */
export function userTags(tags: Tag[] | undefined): Tag[] {
  return (tags ?? []).filter((t) => t.Key && !t.Key.toLowerCase().startsWith('aws:') && !t.Key.startsWith('caretaker:remediation') && t.Key !== 'caretaker:replaced-by');
}

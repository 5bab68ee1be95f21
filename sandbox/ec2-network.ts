import type {
  AssignIpv6AddressesRequest,
  AssignPrivateIpAddressesRequest,
  AttachNetworkInterfaceRequest,
  DescribeNetworkInterfacesRequest,
  DetachNetworkInterfaceRequest,
  Instance,
  InstanceNetworkInterface,
  ModifyNetworkInterfaceAttributeRequest,
  NetworkInterface,
  Tag,
  UnassignIpv6AddressesRequest,
  UnassignPrivateIpAddressesRequest,
} from '@aws-sdk/client-ec2';
import { clone, type Ec2Model } from './ec2';
import { Ec2Addresses } from './ec2-addresses';
import { fail } from './errors';
import { applyFilters, type FilterFields, type Stored } from './query';

type Op = (input: never) => unknown;

/** A subnet of the sandbox VPC: where an interface lives decides the AZ it can attach in. */
export interface SubnetSpec {
  id: string;
  availabilityZone: string;
  /** First two octets and the first third octet of the /20 the subnet hands addresses out of (`10.0.16`). */
  prefix: string;
}

/** What a new interface needs: the fleet builder and RunInstances create them through this. */
export interface InterfaceSpec {
  subnetId: string;
  groups: string[];
  privateIp?: string;
  secondaryIps?: string[];
  ipv6?: string[];
  description?: string;
  sourceDestCheck?: boolean;
  tags?: Tag[];
}

/**
 * Network interfaces of the sandbox's EC2 (Elastic IPs on them: ec2-addresses.ts), as strict as
 * EC2 about them: a private IP belongs to one interface at a
 * time (`InvalidIPAddress.InUse`); the primary interface (device index 0) never detaches; an
 * interface attaches only in its own Availability Zone and only when `available`. Detaching
 * takes `detachMs` of sandbox time (status `detaching`, then `available`).
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssociateAddress.html
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-eni.html
 */
export class Ec2Network {
  readonly interfaces = new Map<string, Stored<NetworkInterface>>();
  readonly subnets = new Map<string, SubnetSpec>([
    ['subnet-0sandbox000000001', { id: 'subnet-0sandbox000000001', availabilityZone: 'us-east-1a', prefix: '10.0.0' }],
    ['subnet-0sandbox000000002', { id: 'subnet-0sandbox000000002', availabilityZone: 'us-east-1b', prefix: '10.0.16' }],
  ]);
  readonly addresses: Ec2Addresses;
  private hostPart = new Map<string, number>();
  private ipv6Seq = 0;
  detachMs = 5_000;

  constructor(
    private readonly ec2: Ec2Model,
    private readonly later: (afterMs: number, run: () => void) => void,
  ) {
    for (const s of this.subnets.values()) s.availabilityZone = `${ec2.region}${s.availabilityZone.slice(-1)}`;
    ec2.taggable.eni = this.interfaces as never;
    this.addresses = new Ec2Addresses(ec2, this);
  }

  /** Operations of interfaces and their Elastic IPs (built on demand: the address model is made in the constructor). */
  get operations(): Record<string, Op> {
    return {
    DescribeNetworkInterfaces: (i: DescribeNetworkInterfacesRequest) => this.describe(i),
    ...this.addresses.operations,
    AssignPrivateIpAddresses: (i: AssignPrivateIpAddressesRequest) => this.assignPrivate(i),
    UnassignPrivateIpAddresses: (i: UnassignPrivateIpAddressesRequest) => this.unassignPrivate(i),
    AssignIpv6Addresses: (i: AssignIpv6AddressesRequest) => this.assignIpv6(i),
    UnassignIpv6Addresses: (i: UnassignIpv6AddressesRequest) => this.unassignIpv6(i),
    AttachNetworkInterface: (i: AttachNetworkInterfaceRequest) => this.attach(i),
    DetachNetworkInterface: (i: DetachNetworkInterfaceRequest) => this.detach(i),
    ModifyNetworkInterfaceAttribute: (i: ModifyNetworkInterfaceAttributeRequest) => this.modify(i),
    };
  }

  // ----- creation (fleet builder, RunInstances) -----

  subnet(id: string): SubnetSpec {
    const s = this.subnets.get(id);
    if (!s) throw fail('ec2', 'InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`);
    return s;
  }

  /** The interface holding a private IPv4 address, if any. */
  holderOf(ip: string): NetworkInterface | undefined {
    for (const { data } of this.interfaces.values()) if (data.PrivateIpAddresses?.some((p) => p.PrivateIpAddress === ip)) return data;
    return undefined;
  }

  private holderOfIpv6(ip: string): NetworkInterface | undefined {
    for (const { data } of this.interfaces.values()) if (data.Ipv6Addresses?.some((p) => p.Ipv6Address === ip)) return data;
    return undefined;
  }

  /** Whether an address lies in the subnet's /20. */
  inSubnet(subnet: SubnetSpec, ip: string): boolean {
    const [a, b, c] = subnet.prefix.split('.').map(Number);
    const [x, y, z] = ip.split('.').map(Number);
    return x === a && y === b && z! >= c! && z! < c! + 16;
  }

  private nextIp(subnet: SubnetSpec): string {
    const [a, b, c] = subnet.prefix.split('.').map(Number);
    for (;;) {
      const n = (this.hostPart.get(subnet.id) ?? 5) + 1;
      this.hostPart.set(subnet.id, n);
      const ip = `${a}.${b}.${c! + Math.floor(n / 250)}.${(n % 250) + 4}`;
      if (!this.holderOf(ip)) return ip;
    }
  }

  /** Checks that each address is free; EC2's code for a taken one is InvalidIPAddress.InUse. */
  requireFree(ips: string[]): void {
    for (const ip of ips) {
      if (this.holderOf(ip)) throw fail('ec2', 'InvalidIPAddress.InUse', `Address ${ip} is in use.`);
    }
  }

  create(spec: InterfaceSpec): NetworkInterface {
    const subnet = this.subnet(spec.subnetId);
    const wanted = [...(spec.privateIp ? [spec.privateIp] : []), ...(spec.secondaryIps ?? [])];
    this.requireFree(wanted);
    for (const ip of spec.ipv6 ?? []) if (this.holderOfIpv6(ip)) throw fail('ec2', 'InvalidIPAddress.InUse', `Address ${ip} is in use.`);
    const primary = spec.privateIp ?? this.nextIp(subnet);
    const id = this.ec2.newId('eni');
    return this.ec2.store(this.interfaces, id, {
      NetworkInterfaceId: id,
      SubnetId: subnet.id,
      VpcId: 'vpc-0sandbox0000000001',
      AvailabilityZone: subnet.availabilityZone,
      Description: spec.description ?? '',
      OwnerId: this.ec2.accountId,
      InterfaceType: 'interface',
      Status: 'available',
      SourceDestCheck: spec.sourceDestCheck ?? true,
      MacAddress: `02:00:00:${id.slice(-6, -4)}:${id.slice(-4, -2)}:${id.slice(-2)}`,
      Groups: spec.groups.map((g) => ({ GroupId: g, GroupName: g })),
      PrivateIpAddress: primary,
      PrivateIpAddresses: [
        { Primary: true, PrivateIpAddress: primary },
        ...(spec.secondaryIps ?? []).map((ip) => ({ Primary: false, PrivateIpAddress: ip })),
      ],
      Ipv6Addresses: (spec.ipv6 ?? []).map((Ipv6Address) => ({ Ipv6Address })),
      // Stored as `Tags` so CreateTags finds them like any resource's; DescribeNetworkInterfaces shows them as TagSet.
      ...({ Tags: spec.tags?.length ? clone(spec.tags) : [] } as object),
    });
  }

  /** A fresh IPv6 address of the sandbox VPC's /56. */
  newIpv6(): string {
    this.ipv6Seq++;
    return `2600:1f18:abcd:ef00::${this.ipv6Seq.toString(16)}`;
  }

  /** Attaches without the API's checks (seeding and launch); the API path is {@link attach}. */
  bind(eni: NetworkInterface, instanceId: string, deviceIndex: number, deleteOnTermination: boolean): string {
    const attachmentId = this.ec2.newId('eni-attach');
    eni.Status = 'in-use';
    eni.Attachment = { AttachmentId: attachmentId, InstanceId: instanceId, InstanceOwnerId: this.ec2.accountId, DeviceIndex: deviceIndex, Status: 'attached', DeleteOnTermination: deleteOnTermination };
    return attachmentId;
  }

  attachedTo(instanceId: string): NetworkInterface[] {
    return [...this.interfaces.values()]
      .map((s) => s.data)
      .filter((e) => e.Attachment?.InstanceId === instanceId && e.Attachment.Status !== 'detached')
      .sort((a, b) => (a.Attachment!.DeviceIndex ?? 0) - (b.Attachment!.DeviceIndex ?? 0));
  }

  requireInterface(id: string): NetworkInterface {
    const found = this.interfaces.get(id)?.data;
    if (!found) throw fail('ec2', 'InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${id}' does not exist`);
    return found;
  }

  // ----- the instance's view -----

  /** {@link syncInstance} for many instances, indexing the interfaces once. */
  syncAll(instances: Iterable<Instance>): void {
    const byInstance = new Map<string, NetworkInterface[]>();
    for (const { data } of this.interfaces.values()) {
      const id = data.Attachment?.InstanceId;
      if (id) byInstance.set(id, [...(byInstance.get(id) ?? []), data]);
    }
    for (const i of instances) {
      const attached = (byInstance.get(i.InstanceId!) ?? []).sort((a, b) => (a.Attachment!.DeviceIndex ?? 0) - (b.Attachment!.DeviceIndex ?? 0));
      this.syncInstance(i, attached);
    }
  }

  /** Rebuilds `Instance.NetworkInterfaces` and the primary private IP from the interfaces, as DescribeInstances shows them. */
  syncInstance(instance: Instance, attached = this.attachedTo(instance.InstanceId!)): void {
    if (attached.length === 0) {
      if (instance.NetworkInterfaces?.length) instance.NetworkInterfaces = [];
      return;
    }
    instance.NetworkInterfaces = attached.map((e): InstanceNetworkInterface => ({
      NetworkInterfaceId: e.NetworkInterfaceId,
      SubnetId: e.SubnetId,
      VpcId: e.VpcId,
      Description: e.Description,
      OwnerId: e.OwnerId,
      Status: e.Status,
      MacAddress: e.MacAddress,
      SourceDestCheck: e.SourceDestCheck,
      InterfaceType: e.InterfaceType,
      Groups: clone(e.Groups),
      PrivateIpAddress: e.PrivateIpAddress,
      // DescribeInstances' InstanceNetworkInterfaceAssociation has no AllocationId / AssociationId
      // (only DescribeNetworkInterfaces and DescribeAddresses name the allocation):
      // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceNetworkInterfaceAssociation.html
      PrivateIpAddresses: e.PrivateIpAddresses?.map((p) => ({ ...clone(p), ...(p.Association ? { Association: instanceAssociation(p.Association) } : {}) })),
      Ipv6Addresses: clone(e.Ipv6Addresses),
      ...(e.Association ? { Association: instanceAssociation(e.Association) } : {}),
      Attachment: { AttachmentId: e.Attachment!.AttachmentId, DeviceIndex: e.Attachment!.DeviceIndex, Status: e.Attachment!.Status, DeleteOnTermination: e.Attachment!.DeleteOnTermination, NetworkCardIndex: 0 },
    }));
    const primary = attached.find((e) => e.Attachment?.DeviceIndex === 0);
    if (primary) {
      instance.PrivateIpAddress = primary.PrivateIpAddress;
      instance.SubnetId = primary.SubnetId;
      instance.SecurityGroups = clone(primary.Groups);
      instance.SourceDestCheck = primary.SourceDestCheck;
      const eip = primary.PrivateIpAddresses?.find((p) => p.Primary)?.Association?.PublicIp;
      if (eip) instance.PublicIpAddress = eip;
    }
  }

  /** On termination: interfaces marked DeleteOnTermination go (with their Elastic IP associations), others detach. */
  releaseOnTerminate(instanceId: string): void {
    for (const eni of this.attachedTo(instanceId)) {
      if (eni.Attachment?.DeleteOnTermination) {
        for (const p of eni.PrivateIpAddresses ?? []) if (p.Association) this.addresses.unbind(this.addresses.addressOn(eni.NetworkInterfaceId!, p.PrivateIpAddress!)!);
        this.interfaces.delete(eni.NetworkInterfaceId!);
      } else {
        eni.Attachment = undefined;
        eni.Status = 'available';
        this.addresses.follow(eni);
      }
    }
  }

  // ----- describe -----

  private fields: FilterFields<NetworkInterface & { Tags?: Tag[] }> = {
    'network-interface-id': (e) => [e.NetworkInterfaceId],
    'attachment.instance-id': (e) => [e.Attachment?.InstanceId],
    'attachment.device-index': (e) => [e.Attachment ? String(e.Attachment.DeviceIndex) : undefined],
    'addresses.private-ip-address': (e) => (e.PrivateIpAddresses ?? []).map((p) => p.PrivateIpAddress),
    'subnet-id': (e) => [e.SubnetId],
    status: (e) => [e.Status],
  };

  private describe(input: DescribeNetworkInterfacesRequest) {
    let items = [...this.interfaces.values()] as Array<Stored<NetworkInterface & { Tags?: Tag[] }>>;
    if (input.NetworkInterfaceIds?.length) {
      input.NetworkInterfaceIds.forEach((id) => this.requireInterface(id));
      items = items.filter((e) => input.NetworkInterfaceIds!.includes(e.data.NetworkInterfaceId!));
    }
    return { NetworkInterfaces: applyFilters(items, input.Filters, this.fields).map(({ data: { Tags, ...e } }) => clone({ ...e, TagSet: Tags ?? [] })) };
  }

  // ----- secondary addresses -----

  private assignPrivate(input: AssignPrivateIpAddressesRequest) {
    const eni = this.requireInterface(input.NetworkInterfaceId ?? '');
    const ips = input.PrivateIpAddresses ?? [];
    if (ips.length === 0 && !input.SecondaryPrivateIpAddressCount) throw fail('ec2', 'MissingParameter', 'Specify private IP addresses or a count.');
    const subnet = this.subnet(eni.SubnetId!);
    for (const ip of ips) {
      if (!this.inSubnet(subnet, ip)) throw fail('ec2', 'InvalidParameterValue', `Address ${ip} is not in the range of subnet ${subnet.id}.`);
      const holder = this.holderOf(ip);
      if (!holder || holder === eni) continue;
      const slot = holder.PrivateIpAddresses!.find((p) => p.PrivateIpAddress === ip)!;
      if (slot.Primary) throw fail('ec2', 'InvalidIPAddress.InUse', `Address ${ip} is the primary address of ${holder.NetworkInterfaceId}.`);
      if (!input.AllowReassignment) throw fail('ec2', 'InvalidIPAddress.InUse', `Address ${ip} is in use.`);
      // A reassigned address takes its Elastic IP association with it.
      holder.PrivateIpAddresses = holder.PrivateIpAddresses!.filter((p) => p !== slot);
      const eip = this.addresses.addressOn(holder.NetworkInterfaceId!, ip);
      if (eip) this.addresses.unbind(eip);
    }
    for (const ip of ips) if (!eni.PrivateIpAddresses!.some((p) => p.PrivateIpAddress === ip)) eni.PrivateIpAddresses!.push({ Primary: false, PrivateIpAddress: ip });
    return { NetworkInterfaceId: eni.NetworkInterfaceId, AssignedPrivateIpAddresses: ips.map((PrivateIpAddress) => ({ PrivateIpAddress })) };
  }

  private unassignPrivate(input: UnassignPrivateIpAddressesRequest) {
    const eni = this.requireInterface(input.NetworkInterfaceId ?? '');
    for (const ip of input.PrivateIpAddresses ?? []) {
      const slot = eni.PrivateIpAddresses!.find((p) => p.PrivateIpAddress === ip);
      if (!slot) throw fail('ec2', 'InvalidParameterValue', `Some of the specified addresses are not assigned to interface ${eni.NetworkInterfaceId}`);
      if (slot.Primary) throw fail('ec2', 'InvalidParameterValue', 'The primary private IP address cannot be unassigned.');
      const eip = this.addresses.addressOn(eni.NetworkInterfaceId!, ip);
      if (eip) this.addresses.unbind(eip);
      eni.PrivateIpAddresses = eni.PrivateIpAddresses!.filter((p) => p !== slot);
    }
    return {};
  }

  private assignIpv6(input: AssignIpv6AddressesRequest) {
    const eni = this.requireInterface(input.NetworkInterfaceId ?? '');
    const ips = input.Ipv6Addresses ?? Array.from({ length: input.Ipv6AddressCount ?? 0 }, () => this.newIpv6());
    for (const ip of ips) {
      const holder = this.holderOfIpv6(ip);
      if (holder && holder !== eni) throw fail('ec2', 'InvalidIPAddress.InUse', `Address ${ip} is in use.`);
    }
    for (const ip of ips) if (!eni.Ipv6Addresses!.some((p) => p.Ipv6Address === ip)) eni.Ipv6Addresses!.push({ Ipv6Address: ip });
    return { NetworkInterfaceId: eni.NetworkInterfaceId, AssignedIpv6Addresses: ips };
  }

  private unassignIpv6(input: UnassignIpv6AddressesRequest) {
    const eni = this.requireInterface(input.NetworkInterfaceId ?? '');
    for (const ip of input.Ipv6Addresses ?? []) {
      if (!eni.Ipv6Addresses!.some((p) => p.Ipv6Address === ip)) throw fail('ec2', 'InvalidParameterValue', `Address ${ip} is not assigned to ${eni.NetworkInterfaceId}`);
    }
    eni.Ipv6Addresses = eni.Ipv6Addresses!.filter((p) => !(input.Ipv6Addresses ?? []).includes(p.Ipv6Address!));
    return { NetworkInterfaceId: eni.NetworkInterfaceId, UnassignedIpv6Addresses: input.Ipv6Addresses };
  }

  // ----- attach / detach -----

  private attach(input: AttachNetworkInterfaceRequest) {
    const eni = this.requireInterface(input.NetworkInterfaceId ?? '');
    const instance = this.ec2.requireInstance(input.InstanceId ?? '');
    if (instance.State?.Name !== 'running' && instance.State?.Name !== 'stopped') {
      throw fail('ec2', 'IncorrectState', `Instance '${instance.InstanceId}' is not 'running' or 'stopped'.`);
    }
    if (eni.Status !== 'available') throw fail('ec2', 'InvalidNetworkInterface.InUse', `Interface: [${eni.NetworkInterfaceId}] in use.`);
    if (eni.AvailabilityZone !== instance.Placement?.AvailabilityZone) {
      throw fail('ec2', 'InvalidParameterCombination', `You may not attach a network interface to an instance if they are not in the same availability zone`);
    }
    const index = input.DeviceIndex ?? -1;
    if (index < 1) throw fail('ec2', 'InvalidParameterValue', 'Device index 0 is the primary network interface; attach at 1 or above.');
    if (this.attachedTo(instance.InstanceId!).some((e) => e.Attachment?.DeviceIndex === index)) {
      throw fail('ec2', 'InvalidParameterValue', `Instance '${instance.InstanceId}' already has an interface attached at device index '${index}'.`);
    }
    const attachmentId = this.bind(eni, instance.InstanceId!, index, false);
    this.addresses.follow(eni);
    return { AttachmentId: attachmentId, NetworkCardIndex: 0 };
  }

  private detach(input: DetachNetworkInterfaceRequest) {
    const eni = [...this.interfaces.values()].map((s) => s.data).find((e) => e.Attachment?.AttachmentId === input.AttachmentId);
    if (!eni) throw fail('ec2', 'InvalidAttachmentID.NotFound', `The attachment ID '${input.AttachmentId}' does not exist`);
    if (eni.Attachment!.DeviceIndex === 0) {
      throw fail('ec2', 'OperationNotPermitted', `The network interface at device index 0 cannot be detached.`);
    }
    if (eni.Attachment!.Status === 'detaching') return {};
    eni.Attachment!.Status = 'detaching';
    this.later(this.detachMs, () => {
      if (eni.Attachment?.AttachmentId !== input.AttachmentId) return;
      eni.Attachment = undefined;
      eni.Status = 'available';
      this.addresses.follow(eni);
    });
    return {};
  }

  private modify(input: ModifyNetworkInterfaceAttributeRequest) {
    const eni = this.requireInterface(input.NetworkInterfaceId ?? '');
    const given = [input.SourceDestCheck, input.Groups, input.Attachment, input.Description].filter((v) => v !== undefined);
    if (given.length !== 1) throw fail('ec2', 'InvalidParameterCombination', 'Specify exactly one attribute to modify.');
    if (input.SourceDestCheck) eni.SourceDestCheck = input.SourceDestCheck.Value;
    if (input.Groups) eni.Groups = input.Groups.map((g) => ({ GroupId: g, GroupName: g }));
    if (input.Description) eni.Description = input.Description.Value;
    if (input.Attachment) {
      if (!eni.Attachment || eni.Attachment.AttachmentId !== input.Attachment.AttachmentId) {
        throw fail('ec2', 'InvalidAttachmentID.NotFound', `The attachment ID '${input.Attachment.AttachmentId}' does not exist`);
      }
      eni.Attachment.DeleteOnTermination = input.Attachment.DeleteOnTermination;
    }
    return {};
  }
}

/** The instance view of an interface's association: what DescribeInstances carries of it. */
function instanceAssociation(a: NonNullable<NetworkInterface['Association']>): InstanceNetworkInterface['Association'] {
  return { IpOwnerId: a.IpOwnerId, PublicIp: a.PublicIp, ...(a.PublicDnsName ? { PublicDnsName: a.PublicDnsName } : {}), ...(a.CarrierIp ? { CarrierIp: a.CarrierIp } : {}) };
}

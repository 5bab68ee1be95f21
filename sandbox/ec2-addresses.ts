import type { Address, AssociateAddressRequest, DisassociateAddressRequest, NetworkInterface } from '@aws-sdk/client-ec2';
import type { Ec2Model } from './ec2';
import type { Ec2Network } from './ec2-network';
import { fail } from './errors';

type Op = (input: never) => unknown;

/**
 * Elastic IPs on network interfaces: an address sits on one private IPv4 of one interface;
 * `AssociateAddress` by `InstanceId` needs an instance with exactly one interface and replaces
 * whatever Elastic IP sat on its primary private IP (one public IPv4 per private IPv4), so carrying
 * several takes `NetworkInterfaceId` + `PrivateIpAddress`. An address follows its interface when
 * the interface moves between instances.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssociateAddress.html
 */
export class Ec2Addresses {
  constructor(
    private readonly ec2: Ec2Model,
    private readonly network: Pick<Ec2Network, 'requireInterface' | 'attachedTo' | 'interfaces'>,
  ) {}

  readonly operations: Record<string, Op> = {
    AssociateAddress: (i: AssociateAddressRequest) => this.associateAddress(i),
    DisassociateAddress: (i: DisassociateAddressRequest) => this.disassociateAddress(i),
  };


  addressOn(eniId: string, ip: string): Address | undefined {
    return [...this.ec2.addresses.values()].map((a) => a.data).find((a) => a.NetworkInterfaceId === eniId && a.PrivateIpAddress === ip);
  }

  private requireAddress(input: { AllocationId?: string; PublicIp?: string }): Address {
    const found = [...this.ec2.addresses.values()].find(
      (a) => (input.AllocationId && a.data.AllocationId === input.AllocationId) || (input.PublicIp && a.data.PublicIp === input.PublicIp),
    );
    if (!found) throw fail('ec2', 'InvalidAllocationID.NotFound', `The allocation ID '${input.AllocationId ?? input.PublicIp}' does not exist`);
    return found.data;
  }

  /** Removes an address's association and the public IP it gave its interface and instance. */
  unbind(address: Address): void {
    const eni = address.NetworkInterfaceId ? this.network.interfaces.get(address.NetworkInterfaceId)?.data : undefined;
    const slot = eni?.PrivateIpAddresses?.find((p) => p.PrivateIpAddress === address.PrivateIpAddress);
    if (slot) slot.Association = undefined;
    if (eni && slot?.Primary) eni.Association = undefined;
    if (address.InstanceId && slot?.Primary && eni?.Attachment?.DeviceIndex === 0) {
      const instance = this.ec2.instances.get(address.InstanceId)?.data;
      if (instance && instance.PublicIpAddress === address.PublicIp) instance.PublicIpAddress = undefined;
    }
    address.InstanceId = undefined;
    address.NetworkInterfaceId = undefined;
    address.NetworkInterfaceOwnerId = undefined;
    address.PrivateIpAddress = undefined;
    address.AssociationId = undefined;
  }

  /** Keeps the addresses on an interface in step with where the interface is attached. */
  follow(eni: NetworkInterface): void {
    for (const { data: a } of this.ec2.addresses.values()) {
      if (a.NetworkInterfaceId !== eni.NetworkInterfaceId) continue;
      a.InstanceId = eni.Attachment?.InstanceId;
    }
  }

  private associateAddress(input: AssociateAddressRequest) {
    const address = this.requireAddress(input);
    if (input.InstanceId && input.NetworkInterfaceId) {
      throw fail('ec2', 'InvalidParameterCombination', 'You may specify either an instance ID or a network interface ID, but not both.');
    }
    let eni: NetworkInterface;
    if (input.InstanceId) {
      const instance = this.ec2.requireInstance(input.InstanceId);
      if (instance.State?.Name !== 'running' && instance.State?.Name !== 'stopped') {
        throw fail('ec2', 'IncorrectInstanceState', `The instance '${instance.InstanceId}' is not in a valid state for this operation.`);
      }
      const attached = this.network.attachedTo(instance.InstanceId!);
      // "The instance must have exactly one attached network interface."
      if (attached.length !== 1) {
        throw fail('ec2', 'InvalidInstanceID', `There are multiple interfaces attached to instance '${instance.InstanceId}'. Please specify an interface ID for the operation instead.`);
      }
      eni = attached[0]!;
    } else if (input.NetworkInterfaceId) {
      eni = this.network.requireInterface(input.NetworkInterfaceId);
    } else {
      throw fail('ec2', 'MissingParameter', 'Either an instance ID or a network interface ID must be specified.');
    }
    const ip = input.PrivateIpAddress ?? eni.PrivateIpAddress!;
    const slot = eni.PrivateIpAddresses?.find((p) => p.PrivateIpAddress === ip);
    if (!slot) throw fail('ec2', 'InvalidParameterValue', `The private IP address ${ip} is not assigned to ${eni.NetworkInterfaceId}.`);
    const elsewhere = address.AssociationId && !(address.NetworkInterfaceId === eni.NetworkInterfaceId && address.PrivateIpAddress === ip);
    // The reference says reassociation is automatic in a VPC; accounts have seen Resource.AlreadyAssociated
    // without the flag, so the sandbox takes the stricter reading: moving needs AllowReassociation.
    if (elsewhere && input.AllowReassociation !== true) {
      throw fail('ec2', 'Resource.AlreadyAssociated', `resource ${address.AllocationId} is already associated with associate-id ${address.AssociationId}`);
    }
    if (address.AssociationId) this.unbind(address);
    // Whatever Elastic IP sat on that private IP is disassociated: one public IPv4 per private IPv4.
    const previous = this.addressOn(eni.NetworkInterfaceId!, ip);
    if (previous) this.unbind(previous);
    address.NetworkInterfaceId = eni.NetworkInterfaceId;
    address.NetworkInterfaceOwnerId = this.ec2.accountId;
    address.PrivateIpAddress = ip;
    address.InstanceId = eni.Attachment?.InstanceId;
    address.AssociationId = this.ec2.newId('eipassoc');
    slot.Association = { PublicIp: address.PublicIp, AllocationId: address.AllocationId, AssociationId: address.AssociationId, IpOwnerId: this.ec2.accountId };
    if (slot.Primary) eni.Association = { PublicIp: address.PublicIp, AllocationId: address.AllocationId, AssociationId: address.AssociationId, IpOwnerId: this.ec2.accountId };
    if (slot.Primary && eni.Attachment?.DeviceIndex === 0 && address.InstanceId) {
      this.ec2.requireInstance(address.InstanceId).PublicIpAddress = address.PublicIp;
    }
    return { AssociationId: address.AssociationId };
  }

  private disassociateAddress(input: DisassociateAddressRequest) {
    const address = [...this.ec2.addresses.values()].map((a) => a.data).find((a) => a.AssociationId === input.AssociationId || (input.PublicIp && a.PublicIp === input.PublicIp));
    if (!address?.AssociationId) throw fail('ec2', 'InvalidAssociationID.NotFound', `The association ID '${input.AssociationId}' does not exist`);
    this.unbind(address);
    return {};
  }
}

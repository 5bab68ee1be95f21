import {
  AssignIpv6AddressesCommand,
  AssignPrivateIpAddressesCommand,
  AssociateAddressCommand,
  AttachNetworkInterfaceCommand,
  AttachVolumeCommand,
  DetachNetworkInterfaceCommand,
  DetachVolumeCommand,
  type EC2Client,
  type Instance,
  ModifyNetworkInterfaceAttributeCommand,
  UnassignIpv6AddressesCommand,
} from '@aws-sdk/client-ec2';
import type { JobContext } from '../../engine/types';
import { type ApplyEnv, stepError } from '../apply-env';
import { waitFor } from '../wait';
import type { Journal } from './journal';
import type { ServerIdentity } from './read-identity';

/** One step's AWS call, failing with the step's name and keeping EC2's error code. */
async function step<T>(what: string, call: () => Promise<T>): Promise<T> {
  return call().catch((e) => Promise.reject(stepError(what, e)));
}

/** Waits with no regard for the invocation budget: an undo must finish what it started. */
const UNDO_DEADLINE = { remainingMs: () => Number.POSITIVE_INFINITY };

/**
 * Frees the old (stopped) server's movable identity: detaches its data volumes and secondary
 * interfaces (same ids go to the replacement). Each detach is journalled with its re-attach.
 */
export async function detachFromOld(identity: ServerIdentity, ctx: JobContext, env: ApplyEnv, journal: Journal): Promise<void> {
  const { ec2 } = ctx.clients;
  const oldId = identity.instance.InstanceId!;
  for (const d of identity.dataVolumes) {
    await step(`DetachVolume ${d.volumeId}`, () => ec2.send(new DetachVolumeCommand({ VolumeId: d.volumeId, InstanceId: oldId })));
    journal.record(`re-attach ${d.volumeId} to ${oldId} at ${d.device}`, () => reattachVolume(ec2, d.volumeId, oldId, d.device, env));
  }
  for (const e of identity.secondary) {
    await step(`DetachNetworkInterface ${e.eniId}`, () => ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: e.attachmentId })));
    journal.record(`re-attach ${e.eniId} to ${oldId} at index ${e.deviceIndex}`, () => reattachInterface(ec2, e.eniId, oldId, e.deviceIndex, env));
  }
  await Promise.all([
    ...identity.dataVolumes.map((d) => waitFor('volume-available', d.volumeId, ec2, env.waiters, ctx.deadline)),
    ...identity.secondary.map((e) => waitFor('interface-available', e.eniId, ec2, env.waiters, ctx.deadline)),
  ]);
}

/**
 * Gives the replacement the old server's identity: the same data volumes at the same device names,
 * the same secondary interfaces at the same device indexes, the primary interface's secondary
 * private IPs and IPv6 addresses, its source/dest check, and every Elastic IP on the private IP it
 * sat on (NetworkInterfaceId + PrivateIpAddress: by InstanceId only one would survive). Each
 * step is journalled with its way back.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssignPrivateIpAddresses.html
 */
export async function attachToReplacement(identity: ServerIdentity, replacement: Instance, ctx: JobContext, env: ApplyEnv, journal: Journal): Promise<void> {
  const { ec2 } = ctx.clients;
  const newId = replacement.InstanceId!;
  const newPrimary = replacement.NetworkInterfaces?.find((n) => n.Attachment?.DeviceIndex === 0);
  if (!newPrimary?.NetworkInterfaceId) throw stepError('RunInstances', new Error(`${newId} shows no primary network interface`));
  const newEni = newPrimary.NetworkInterfaceId;
  const old = identity.primary;

  for (const d of identity.dataVolumes) {
    await step(`AttachVolume ${d.volumeId}`, () => ec2.send(new AttachVolumeCommand({ VolumeId: d.volumeId, InstanceId: newId, Device: d.device })));
    journal.record(`detach ${d.volumeId} from ${newId}`, () => detachAndWait(ec2, 'volume', d.volumeId, env, newId));
  }
  for (const e of identity.secondary) {
    const { AttachmentId } = await step(`AttachNetworkInterface ${e.eniId}`, () =>
      ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: e.eniId, InstanceId: newId, DeviceIndex: e.deviceIndex })),
    );
    journal.record(`detach ${e.eniId} from ${newId}`, () => detachAndWait(ec2, 'interface', e.eniId, env, AttachmentId!));
  }
  if (old.secondaryIps.length) {
    await step('AssignPrivateIpAddresses', () => ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: newEni, PrivateIpAddresses: old.secondaryIps, AllowReassignment: true })));
    // Elastic IPs on those addresses are put back explicitly: whether a reassigned address keeps its association is not something to rely on.
    const onThem = identity.addresses.filter((a) => a.eniId === old.eniId && old.secondaryIps.includes(a.privateIp));
    journal.record(`give ${old.secondaryIps.join(' ')} back to ${old.eniId}`, async () => {
      await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: old.eniId, PrivateIpAddresses: old.secondaryIps, AllowReassignment: true }));
      for (const a of onThem) await ec2.send(new AssociateAddressCommand(backOntoOld(identity, a)));
    });
  }
  if (old.ipv6.length) {
    await step('UnassignIpv6Addresses', () => ec2.send(new UnassignIpv6AddressesCommand({ NetworkInterfaceId: old.eniId, Ipv6Addresses: old.ipv6 })));
    journal.record(`give ${old.ipv6.join(' ')} back to ${old.eniId}`, () => ec2.send(new AssignIpv6AddressesCommand({ NetworkInterfaceId: old.eniId, Ipv6Addresses: old.ipv6 })));
    await step('AssignIpv6Addresses', () => ec2.send(new AssignIpv6AddressesCommand({ NetworkInterfaceId: newEni, Ipv6Addresses: old.ipv6 })));
    journal.record(`take ${old.ipv6.join(' ')} off ${newEni}`, () => ec2.send(new UnassignIpv6AddressesCommand({ NetworkInterfaceId: newEni, Ipv6Addresses: old.ipv6 })));
  }
  if (!old.sourceDestCheck) {
    await step('ModifyNetworkInterfaceAttribute SourceDestCheck', () => ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: newEni, SourceDestCheck: { Value: false } })));
  }
  await Promise.all([
    ...identity.dataVolumes.map((d) => waitFor('volume-attached', d.volumeId, ec2, env.waiters, ctx.deadline)),
    ...identity.secondary.map((e) => waitFor('interface-attached', e.eniId, ec2, env.waiters, ctx.deadline)),
  ]);
  for (const a of identity.addresses) {
    // On the primary interface the addresses move to the replacement's; secondary interfaces moved whole.
    const target = a.eniId === old.eniId ? { eni: newEni, ip: a.privateIp === old.privateIp ? newPrimary.PrivateIpAddress! : a.privateIp } : { eni: a.eniId, ip: a.privateIp };
    if (target.eni === a.eniId && target.ip === a.privateIp) continue;
    await step(`AssociateAddress ${a.publicIp}`, () =>
      ec2.send(new AssociateAddressCommand({ AllocationId: a.allocationId, NetworkInterfaceId: target.eni, PrivateIpAddress: target.ip, AllowReassociation: true })),
    );
    // An address on a moved secondary IP goes back with that IP (the step above); the others go back here.
    if (a.eniId === old.eniId && old.secondaryIps.includes(a.privateIp)) continue;
    journal.record(`give ${a.publicIp} back to ${a.eniId} ${a.privateIp}`, () => ec2.send(new AssociateAddressCommand(backOntoOld(identity, a))));
  }
}

/**
 * An undo puts an address back on the old instance's primary interface by InstanceId +
 * PrivateIpAddress, not by NetworkInterfaceId: the role may move addresses onto an existing
 * interface only through the instance being relaunched (deploy/iam.cjs), never onto an arbitrary
 * interface. Undos run last-first, so the moved secondary interfaces are still on the replacement
 * and the old instance has exactly the one interface AssociateAddress by InstanceId requires.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssociateAddress.html
 */
function backOntoOld(identity: ServerIdentity, a: ServerIdentity['addresses'][number]) {
  return { AllocationId: a.allocationId, InstanceId: identity.instance.InstanceId!, PrivateIpAddress: a.privateIp, AllowReassociation: true };
}

async function detachAndWait(ec2: EC2Client, kind: 'volume' | 'interface', id: string, env: ApplyEnv, attachment: string): Promise<void> {
  if (kind === 'volume') await ec2.send(new DetachVolumeCommand({ VolumeId: id, InstanceId: attachment }));
  else await ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: attachment }));
  await waitFor(kind === 'volume' ? 'volume-available' : 'interface-available', id, ec2, env.waiters, UNDO_DEADLINE);
}

async function reattachVolume(ec2: EC2Client, volumeId: string, instanceId: string, device: string, env: ApplyEnv): Promise<void> {
  await waitFor('volume-available', volumeId, ec2, env.waiters, UNDO_DEADLINE);
  await ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: device }));
}

async function reattachInterface(ec2: EC2Client, eniId: string, instanceId: string, index: number, env: ApplyEnv): Promise<void> {
  await waitFor('interface-available', eniId, ec2, env.waiters, UNDO_DEADLINE);
  await ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: eniId, InstanceId: instanceId, DeviceIndex: index }));
}

import { DescribeAddressesCommand, type EC2Client, paginateDescribeInstances } from '@aws-sdk/client-ec2';
import type { FailoverMember } from './config';

/** Where a member is right now: the address to publish and probe, or why there is none. */
export interface MemberAddress {
  address?: string;
  missing?: string;
}

/**
 * Current addresses of the group's members. Instance members are looked up every pass (a stop and
 * start changes the public IP), with an `instance-id` filter so a terminated or unknown id is an
 * empty answer for that member instead of an error for the whole group.
 */
export async function describeMembers(ec2: EC2Client, members: FailoverMember[]): Promise<Map<string, MemberAddress>> {
  const out = new Map<string, MemberAddress>();
  const ids = members.flatMap((m) => (m.instanceId ? [m.instanceId] : []));
  const instances = new Map<string, { state?: string; publicIp?: string; privateIp?: string }>();
  if (ids.length > 0) {
    const pages = paginateDescribeInstances({ client: ec2 }, { Filters: [{ Name: 'instance-id', Values: ids }], MaxResults: 1000 });
    for await (const page of pages) {
      for (const i of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
        instances.set(i.InstanceId!, { state: i.State?.Name, publicIp: i.PublicIpAddress, privateIp: i.PrivateIpAddress });
      }
    }
  }
  for (const m of members) {
    if (m.ip) out.set(m.name, { address: m.ip });
    else if (m.hostname) out.set(m.name, { address: m.hostname });
    else {
      const i = instances.get(m.instanceId!);
      const address = m.address === 'public' ? i?.publicIp : i?.privateIp;
      if (!i) out.set(m.name, { missing: `instance ${m.instanceId} not found` });
      else if (i.state !== 'running') out.set(m.name, { missing: `instance ${m.instanceId} is ${i.state}` });
      else if (!address) out.set(m.name, { missing: `instance ${m.instanceId} has no ${m.address} IP` });
      else out.set(m.name, { address });
    }
  }
  return out;
}

/** The instance an Elastic IP is associated with (elastic-ip mode's "record"); undefined if none. */
export async function describeAddressOwner(ec2: EC2Client, allocationId: string): Promise<string | undefined> {
  const { Addresses } = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] }));
  return Addresses?.[0]?.InstanceId;
}

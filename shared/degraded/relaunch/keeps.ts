import type { ServerIdentity } from '../identity/read-identity';
import type { Memberships } from '../load-balancers/memberships';

export type KeepStatus = 'moved' | 'carried' | 'new' | 'cannot';

export interface KeepItem {
  item: string;
  status: KeepStatus;
}

/**
 * PURE: what the replacement keeps of the old server, item by item (the README's "what the
 * replacement keeps" table, for this instance): `moved` = the very same resource (volume, ENI,
 * Elastic IP, address, registration); `carried` = the same setting copied; `new` / `cannot` = what
 * differs, named in the summary.
 */
export function keepItems(identity: ServerIdentity, m: Memberships, opts: { records: number; instanceStore: boolean }): KeepItem[] {
  const old = identity.instance;
  const ebs = old.RootDeviceType === 'ebs';
  const items: KeepItem[] = [];
  const add = (item: string, status: KeepStatus) => items.push({ item, status });
  add(ebs ? 'root volume contents (image taken after the stop)' : 'root (instance store: from its AMI)', ebs ? 'carried' : 'cannot');
  for (const d of identity.dataVolumes) add(`data volume ${d.volumeId} at ${d.device}`, ebs ? 'moved' : 'cannot');
  for (const e of identity.secondary) add(`network interface ${e.eniId} at index ${e.deviceIndex}`, ebs ? 'moved' : 'cannot');
  for (const a of identity.addresses) add(`Elastic IP ${a.publicIp}`, ebs || a.eniId === identity.primary.eniId ? 'moved' : 'cannot');
  for (const ip of identity.primary.secondaryIps) add(`secondary private IP ${ip}`, 'moved');
  for (const ip of identity.primary.ipv6) add(`IPv6 ${ip}`, 'moved');
  for (const g of m.targetGroups) add(`target group ${g.arn.split(':').pop()}`, 'moved');
  for (const name of m.classic) add(`classic load balancer ${name}`, 'moved');
  if (opts.records) add(`${opts.records} DNS record(s)`, 'moved');
  const carried = [
    'instance type',
    'subnet and security groups',
    'Availability Zone',
    ...(old.KeyName ? ['key pair'] : []),
    ...(old.IamInstanceProfile ? ['instance profile'] : []),
    ...(identity.userData ? ['user data'] : []),
    ...(old.Placement?.GroupName ? [`placement group ${old.Placement.GroupName}`] : []),
    `tenancy ${old.Placement?.Tenancy ?? 'default'}`,
    ...(old.MetadataOptions ? [`metadata options (HttpTokens=${old.MetadataOptions.HttpTokens}, hop limit ${old.MetadataOptions.HttpPutResponseHopLimit})`] : []),
    ...(identity.cpuCredits ? [`credit specification ${identity.cpuCredits}`] : []),
    ...(old.CpuOptions?.CoreCount ? ['CPU options'] : []),
    ...(old.EnclaveOptions?.Enabled ? ['Nitro Enclaves'] : []),
    ...(old.HibernationOptions?.Configured ? ['hibernation'] : []),
    'EBS optimization',
    ...(identity.shutdownBehavior ? [`shutdown behaviour ${identity.shutdownBehavior}`] : []),
    'source/dest check',
    ...(old.CapacityReservationSpecification ? ['capacity reservation preference'] : []),
    ...(old.MaintenanceOptions?.AutoRecovery ? ['automatic recovery setting'] : []),
    ...(identity.disableApiTermination ? ['termination protection'] : []),
    ...(identity.disableApiStop ? ['stop protection'] : []),
    'instance tags',
    ...(identity.root?.tags.length ? ['root volume tags'] : []),
    ...(identity.primary.tags.length ? ['primary interface tags'] : []),
  ];
  for (const c of carried) add(c, 'carried');
  add('instance ID', 'new');
  add(`primary private IP ${identity.primary.privateIp} (stays with the old primary interface)`, 'cannot');
  if (old.Placement?.HostId) add(`dedicated host ${old.Placement.HostId} (kept if still available)`, 'carried');
  if (opts.instanceStore) add('instance-store data (lost by any stop)', 'cannot');
  return items;
}

export function keepsSummary(identity: ServerIdentity, m: Memberships, opts: { template: boolean; records: number; forced: boolean; instanceStore: boolean }) {
  const items = keepItems(identity, m, opts);
  const by = (s: KeepStatus) => items.filter((i) => i.status === s).map((i) => i.item);
  const moved = by('moved');
  const cannot = by('cannot');
  const text = [
    `moved ${moved.length ? moved.join(', ') : 'nothing else'}`,
    `carried ${by('carried').length} setting(s)${opts.template ? ' (launch template for the rest)' : ''}`,
    `new: ${by('new').join(', ')}`,
    ...(cannot.length ? [`cannot: ${cannot.join(', ')}`] : []),
    ...(opts.forced ? ['old instance was force-stopped (hung in stopping)'] : []),
  ].join('; ');
  return { text, items, carried: items.filter((i) => i.status === 'moved' || i.status === 'carried').length, total: items.filter((i) => i.status !== 'new').length };
}

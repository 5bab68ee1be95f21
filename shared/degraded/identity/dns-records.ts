import type { Instance } from '@aws-sdk/client-ec2';
import { type Change, ChangeResourceRecordSetsCommand, type Route53Client } from '@aws-sdk/client-route-53';
import type { DnsRecordConfig } from '../config';

/** The configured records that follow this instance (by id, or by any matching tag). */
export function recordsFor(records: DnsRecordConfig[], instance: Instance): DnsRecordConfig[] {
  const tags = new Map((instance.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  return records.filter((r) => {
    if (r.instanceId) return r.instanceId === instance.InstanceId;
    return Object.entries(r.tags ?? {}).some(([k, values]) => tags.has(k) && (values.length === 0 || values.includes(tags.get(k)!)));
  });
}

/**
 * UPSERTs each record with the instance's current address, one change batch per hosted zone
 * (Route 53 applies a batch all or nothing). Returns the change ids.
 */
export async function pointRecordsAt(route53: Route53Client, records: DnsRecordConfig[], instance: Instance, comment: string): Promise<string[]> {
  const byZone = new Map<string, Change[]>();
  for (const r of records) {
    const value = r.address === 'public' ? instance.PublicIpAddress : instance.PrivateIpAddress;
    if (!value) throw Object.assign(new Error(`${instance.InstanceId} has no ${r.address} IP address for ${r.name}`), { name: 'NoAddress' });
    const zone = r.hostedZoneId.replace(/^\/hostedzone\//, '');
    byZone.set(zone, [
      ...(byZone.get(zone) ?? []),
      { Action: 'UPSERT', ResourceRecordSet: { Name: r.name, Type: r.type, TTL: r.ttl, ResourceRecords: [{ Value: value }] } },
    ]);
  }
  const ids: string[] = [];
  for (const [zone, changes] of byZone) {
    const res = await route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zone, ChangeBatch: { Comment: comment, Changes: changes } }));
    ids.push(res.ChangeInfo?.Id ?? '');
  }
  return ids;
}

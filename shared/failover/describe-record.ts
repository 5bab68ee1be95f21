import { GetHostedZoneCommand, ListResourceRecordSetsCommand, type ResourceRecordSet, type Route53Client, type RRType } from '@aws-sdk/client-route-53';
import { bare, inZone } from './config';

/**
 * The one record set `name`/`type`, read straight from Route 53 (the source of truth for who is
 * active): ListResourceRecordSets starts at the name and type, one item, exact match or nothing.
 */
export async function describeRecord(route53: Route53Client, zoneId: string, name: string, type: RRType): Promise<ResourceRecordSet | undefined> {
  const out = await route53.send(
    new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: name, StartRecordType: type, MaxItems: 1 }),
  );
  const first = out.ResourceRecordSets?.[0];
  return first && bare(first.Name ?? '') === bare(name) && first.Type === type ? first : undefined;
}

/** The first value of a record set, as the planner compares it. */
export function recordValue(record: ResourceRecordSet | undefined): string | undefined {
  return record?.ResourceRecords?.[0]?.Value;
}

/**
 * Checks that the zone exists and holds every name the group writes: a bad zone id or a name
 * outside the zone is a config problem, found before any change. Returns the problems.
 */
export async function checkZone(route53: Route53Client, zoneId: string, names: Array<{ path: string; name: string }>): Promise<Array<{ path: string; message: string }>> {
  const { HostedZone } = await route53.send(new GetHostedZoneCommand({ Id: zoneId }));
  const zoneName = HostedZone?.Name ?? '';
  return names
    .filter((n) => !inZone(n.name, zoneName))
    .map((n) => ({ path: n.path, message: `${n.name} is outside the hosted zone ${bare(zoneName)} (${zoneId})` }));
}

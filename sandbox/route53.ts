import type {
  Change,
  ChangeInfo,
  ChangeResourceRecordSetsRequest,
  GetChangeRequest,
  GetHostedZoneRequest,
  HostedZone,
  ListHostedZonesByNameRequest,
  ListResourceRecordSetsRequest,
  ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import type { SandboxClock } from './clock';
import { fail } from './errors';
import { clone } from './ec2';

type Op = (input: never) => unknown;

/** Fully qualified, lower case, trailing dot: how Route 53 stores names. */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** Route 53 lists record sets by name with labels reversed (com.example.www), then type. */
function sortKey(r: ResourceRecordSet): string {
  return `${normalizeName(r.Name ?? '').split('.').reverse().join('.')}\u0000${r.Type}\u0000${r.SetIdentifier ?? ''}`;
}

/** An in-memory Route 53: hosted zones, record sets, and changes that go PENDING → INSYNC. */
export class Route53Model {
  readonly zones = new Map<string, { zone: HostedZone; records: ResourceRecordSet[] }>();
  readonly changes = new Map<string, ChangeInfo>();
  private ids = 0;

  constructor(
    private readonly clock: SandboxClock,
    /** Sandbox ms until a change is INSYNC on all name servers (AWS: about 60 s). */
    private readonly syncMs: number,
  ) {}

  readonly operations: Record<string, Op> = {
    GetHostedZone: (i: GetHostedZoneRequest) => ({ HostedZone: clone(this.requireZone(i.Id).zone) }),
    ListHostedZonesByName: (i: ListHostedZonesByNameRequest) => this.listZonesByName(i),
    ListResourceRecordSets: (i: ListResourceRecordSetsRequest) => this.listRecords(i),
    ChangeResourceRecordSets: (i: ChangeResourceRecordSetsRequest) => this.change(i),
    GetChange: (i: GetChangeRequest) => this.getChange(i),
  };

  addZone(name: string): HostedZone {
    const id = `Z${(++this.ids).toString().padStart(12, '0')}SANDBOX`;
    const zone: HostedZone = {
      Id: `/hostedzone/${id}`,
      Name: normalizeName(name),
      CallerReference: id,
      Config: { PrivateZone: false },
      ResourceRecordSetCount: 2,
    };
    const ns = `ns-1.awsdns-00.org.`;
    this.zones.set(id, {
      zone,
      records: [
        { Name: zone.Name, Type: 'SOA', TTL: 900, ResourceRecords: [{ Value: `${ns} awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400` }] },
        { Name: zone.Name, Type: 'NS', TTL: 172800, ResourceRecords: [{ Value: ns }] },
      ],
    });
    return zone;
  }

  private requireZone(id: string | undefined) {
    const bare = (id ?? '').replace(/^\/hostedzone\//, '');
    const z = this.zones.get(bare);
    if (!z) throw fail('route53', 'NoSuchHostedZone', `No hosted zone found with ID: ${bare}`, 404);
    return z;
  }

  /** The record set of `name`/`type` in zone `id`, if any (tests and the demo read it). */
  record(zoneId: string, name: string, type: string): ResourceRecordSet | undefined {
    return clone(this.requireZone(zoneId).records.find((r) => normalizeName(r.Name ?? '') === normalizeName(name) && r.Type === type));
  }

  private listZonesByName(input: ListHostedZonesByNameRequest) {
    const zones = [...this.zones.values()]
      .map((z) => z.zone)
      .filter((z) => !input.DNSName || normalizeName(z.Name ?? '') >= normalizeName(input.DNSName))
      .sort((a, b) => (a.Name ?? '').localeCompare(b.Name ?? ''));
    return { HostedZones: clone(zones), IsTruncated: false, MaxItems: Number(input.MaxItems ?? 100) };
  }

  private listRecords(input: ListResourceRecordSetsRequest) {
    const { records } = this.requireZone(input.HostedZoneId);
    const max = Math.min(Number(input.MaxItems ?? 300), 300);
    const sorted = [...records].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
    let start = 0;
    if (input.StartRecordName) {
      const from = sortKey({ Name: input.StartRecordName, Type: input.StartRecordType ?? ('' as never) });
      start = sorted.findIndex((r) => sortKey(r) >= from);
      if (start < 0) start = sorted.length;
    }
    const page = sorted.slice(start, start + max);
    const next = sorted[start + max];
    return {
      ResourceRecordSets: clone(page),
      IsTruncated: next !== undefined,
      MaxItems: max,
      ...(next ? { NextRecordName: next.Name, NextRecordType: next.Type } : {}),
    };
  }

  /** Validates the whole batch first: Route 53 applies a change batch all or nothing. */
  private change(input: ChangeResourceRecordSetsRequest) {
    const entry = this.requireZone(input.HostedZoneId);
    const changes = input.ChangeBatch?.Changes ?? [];
    if (changes.length === 0) throw fail('route53', 'InvalidChangeBatch', 'ChangeBatch must contain at least one change');
    const records = [...entry.records];
    const errors: string[] = [];
    for (const change of changes) errors.push(...this.applyChange(records, change, entry.zone.Name ?? ''));
    if (errors.length) throw fail('route53', 'InvalidChangeBatch', `[${errors.join(', ')}]`);
    entry.records.splice(0, entry.records.length, ...records);
    const id = `/change/C${(++this.ids).toString().padStart(12, '0')}`;
    const info: ChangeInfo = { Id: id, Status: 'PENDING', SubmittedAt: this.clock.now(), Comment: input.ChangeBatch?.Comment };
    this.changes.set(id, info);
    return { ChangeInfo: clone(info) };
  }

  private applyChange(records: ResourceRecordSet[], change: Change, zoneName: string): string[] {
    const rr = change.ResourceRecordSet;
    if (!rr?.Name || !rr.Type) return ['ResourceRecordSet needs Name and Type'];
    const name = normalizeName(rr.Name);
    const desc = `[name='${name}', type='${rr.Type}'${rr.SetIdentifier ? `, set-identifier='${rr.SetIdentifier}'` : ''}]`;
    if (name !== zoneName && !name.endsWith(`.${zoneName}`)) return [`RRSet with DNS name ${name} is not permitted in zone ${zoneName}`];
    if (!rr.AliasTarget && (rr.TTL === undefined || !rr.ResourceRecords?.length) && change.Action !== 'DELETE') {
      return [`Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords]], but found none in Change with [Action=${change.Action}, Name=${name}, Type=${rr.Type}]`];
    }
    const same = (r: ResourceRecordSet) => normalizeName(r.Name ?? '') === name && r.Type === rr.Type && (r.SetIdentifier ?? '') === (rr.SetIdentifier ?? '');
    const index = records.findIndex(same);
    const stored: ResourceRecordSet = { ...clone(rr), Name: name };
    const conflicts = (type: string) => records.some((r) => normalizeName(r.Name ?? '') === name && r.Type !== type && (type === 'CNAME' || r.Type === 'CNAME'));
    switch (change.Action) {
      case 'CREATE':
        if (index >= 0) return [`Tried to create resource record set ${desc} but it already exists`];
        if (conflicts(rr.Type)) return [`RRSet of type ${rr.Type} with DNS name ${name} is not permitted because a conflicting RRSet with the same DNS name already exists`];
        records.push(stored);
        return [];
      case 'UPSERT':
        if (index < 0 && conflicts(rr.Type)) return [`RRSet of type ${rr.Type} with DNS name ${name} is not permitted because a conflicting RRSet with the same DNS name already exists`];
        if (index >= 0) records[index] = stored;
        else records.push(stored);
        return [];
      case 'DELETE': {
        const current = records[index];
        if (!current || JSON.stringify(current.ResourceRecords) !== JSON.stringify(rr.ResourceRecords) || current.TTL !== rr.TTL) {
          return [`Tried to delete resource record set ${desc} but it was not found`];
        }
        records.splice(index, 1);
        return [];
      }
      default:
        return [`Unknown action ${String(change.Action)}`];
    }
  }

  private getChange(input: GetChangeRequest) {
    const id = (input.Id ?? '').startsWith('/change/') ? input.Id! : `/change/${input.Id}`;
    const info = this.changes.get(id);
    if (!info) throw fail('route53', 'NoSuchChange', `A change with the specified change ID does not exist: ${input.Id}`, 404);
    if (info.Status === 'PENDING' && this.clock.nowMs() - info.SubmittedAt!.getTime() >= this.syncMs) info.Status = 'INSYNC';
    return { ChangeInfo: clone(info) };
  }
}

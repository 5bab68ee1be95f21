import { type Instance, paginateDescribeInstances, paginateDescribeSnapshots } from '@aws-sdk/client-ec2';
import type { RRType } from '@aws-sdk/client-route-53';
import type { Config } from '../config/schema';
import { scanInstanceStatus } from '../degraded/describe-degraded';
import type { DegradedNotice } from '../degraded/event';
import { TAG_STATE } from '../degraded/tags';
import type { JobContext } from '../engine/types';
import type { FailoverGroup } from '../failover/config';
import { describeAddressOwner, describeMembers, type MemberAddress } from '../failover/describe-members';
import { describeRecord, recordValue } from '../failover/describe-record';
import { probeMember } from '../failover/probe-member';
import type { ProbeResult } from '../failover/probe-tcp';
import { describeAmiSnapshotIds } from '../prune/describe-ami-snapshots';
import type { SnapshotRow } from '../prune/plan-retention';
import { describeFleet } from '../snapshot/describe-fleet';
import { planSnapshots } from '../snapshot/plan-snapshots';
import { scheduleSlot } from '../snapshot/slot';
import { TAG } from '../tags';
import type { StatusScope } from './status-scopes';

/** What `caretaker status` reads from one Region: tags and describes only, no state store. */
export interface StatusState {
  region: string;
  policies: Array<{
    name: string;
    instances: Instance[];
    /** Volume id → instance id, for the volumes the policy snapshots. */
    volumes: Map<string, string>;
    /** This policy's snapshots per volume (every state). */
    snapshots: Map<string, SnapshotRow[]>;
  }>;
  amiSnapshotIds: Set<string>;
  /** Instances carrying `caretaker:remediation`, and those the scan finds on a degraded host. */
  remediated: Instance[];
  notices: DegradedNotice[];
  groups: Array<{ group: FailoverGroup; current?: string; addresses: Map<string, MemberAddress>; probes: Map<string, ProbeResult>; error?: string }>;
  /** Cross-Region copies that landed in this Region (tagged `caretaker:copy-of`), every state. */
  copies: CopyRow[];
  /** A copy destination outside the config's Regions: only `copies` was read ({@link StatusScope}). */
  copyOnly: boolean;
}

export interface CopyRow {
  id: string;
  /** The `caretaker:copy-of` tag: `<source Region>:<source snapshot id>`. */
  copyOf: string;
  policy?: string;
  state: string;
  startMs: number;
  progress?: string;
}

/**
 * Reads what the status view shows of one Region, with that Region's clients: each policy's
 * instances, volumes and snapshots; instances under remediation (their tags) and on degraded hosts
 * (the scan); the copies that landed there; each failover group's record (who is active) and one
 * probe of every member. Filtered, paginated, read-only. `scope` says what the config covers in
 * the Region ({@link statusScopes}); without it, everything the config names, in `ctx`'s Region.
 */
export async function describeStatus(ctx: JobContext, config: Config, scope?: StatusScope): Promise<StatusState> {
  const clients = scope ? (ctx.clientsIn?.(scope.region) ?? ctx.clients) : ctx.clients;
  ctx = { ...ctx, clients };
  const { ec2 } = clients;
  const region = await ec2.config.region();
  const policies: StatusState['policies'] = [];
  for (const policy of scope?.policies ?? config.snapshot.policies) {
    const fleet = await describeFleet(ctx, policy, scheduleSlot(policy.schedule, ctx.now, undefined, policy.timeZone));
    // The snapshot planner decides which volumes the policy covers (selector, exclusions); asked
    // as if nothing were done or pending yet, every selected instance shows its volumes.
    const volumes = new Map<string, string>();
    for (const d of planSnapshots({ ...fleet, slotSnapshots: [], pendingByVolume: new Map() })) {
      for (const id of d.payload?.volumeIds ?? []) volumes.set(id, d.payload!.instanceId);
    }
    policies.push({ name: policy.name, instances: fleet.instances, volumes, snapshots: await policySnapshots(ctx, policy.name) });
  }
  const degraded = scope?.degraded ?? true;
  const remediated: Instance[] = [];
  if (degraded) {
    for await (const page of paginateDescribeInstances({ client: ec2, pageSize: 1000 }, { Filters: [{ Name: 'tag-key', Values: [TAG_STATE] }] })) {
      for (const r of page.Reservations ?? []) remediated.push(...(r.Instances ?? []));
    }
  }
  const groups: StatusState['groups'] = [];
  for (const group of scope?.groups ?? config.failover.groups) groups.push(await describeGroup(ctx, group));
  return {
    region,
    policies,
    amiSnapshotIds: policies.length ? await describeAmiSnapshotIds(ec2) : new Set(),
    remediated,
    notices: degraded ? await scanInstanceStatus(ec2) : [],
    groups,
    copies: await describeCopies(ctx),
    copyOnly: scope?.copyOnly ?? false,
  };
}

/** Snapshots in this Region that are copies made by the suite (found by their `caretaker:copy-of` tag). */
async function describeCopies(ctx: JobContext): Promise<CopyRow[]> {
  const rows: CopyRow[] = [];
  const Filters = [{ Name: 'tag-key', Values: [TAG.copyOf] }];
  for await (const page of paginateDescribeSnapshots({ client: ctx.clients.ec2, pageSize: 1000 }, { OwnerIds: ['self'], Filters })) {
    for (const s of page.Snapshots ?? []) {
      const tags = new Map((s.Tags ?? []).map((t) => [t.Key, t.Value]));
      rows.push({
        id: s.SnapshotId!,
        copyOf: tags.get(TAG.copyOf) ?? '',
        ...(tags.has(TAG.policy) ? { policy: tags.get(TAG.policy) } : {}),
        state: s.State ?? 'unknown',
        startMs: s.StartTime?.getTime() ?? 0,
        ...(s.Progress ? { progress: s.Progress } : {}),
      });
    }
  }
  return rows;
}

async function policySnapshots(ctx: JobContext, policy: string): Promise<Map<string, SnapshotRow[]>> {
  const byVolume = new Map<string, SnapshotRow[]>();
  const Filters = [{ Name: `tag:${TAG.policy}`, Values: [policy] }];
  for await (const page of paginateDescribeSnapshots({ client: ctx.clients.ec2, pageSize: 1000 }, { OwnerIds: ['self'], Filters })) {
    for (const s of page.Snapshots ?? []) {
      const rows = byVolume.get(s.VolumeId!) ?? [];
      rows.push({
        id: s.SnapshotId!,
        volumeId: s.VolumeId!,
        startMs: s.StartTime?.getTime() ?? 0,
        state: s.State ?? 'unknown',
        sizeGiB: s.VolumeSize ?? 0,
        keepTag: (s.Tags ?? []).some((t) => t.Key === TAG.keep),
        unmanaged: !(s.Tags ?? []).some((t) => t.Key === TAG.managed && t.Value === 'true'),
      });
      byVolume.set(s.VolumeId!, rows);
    }
  }
  return byVolume;
}

async function describeGroup(ctx: JobContext, group: FailoverGroup): Promise<StatusState['groups'][number]> {
  try {
    const dns = group.mode === 'dns';
    const members = dns ? group.members : group.members.map((m) => ({ ...m, address: 'private' as const }));
    const addresses = await describeMembers(ctx.clients.ec2, members);
    const current = dns
      ? recordValue(await describeRecord(ctx.clients.route53, group.hostedZoneId!, group.recordName!, group.type as RRType))
      : await describeAddressOwner(ctx.clients.ec2, group.allocationId!);
    const results = await Promise.all(members.map((m) => probeMember(m.probe, addresses.get(m.name)?.address, addresses.get(m.name)?.missing)));
    return { group, current, addresses, probes: new Map(members.map((m, i) => [m.name, results[i]!])) };
  } catch (error) {
    return { group, addresses: new Map(), probes: new Map(), error: (error as Error).name ?? 'Error' };
  }
}


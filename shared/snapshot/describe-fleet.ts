import {
  type Filter,
  type Instance,
  paginateDescribeInstances,
  paginateDescribeSnapshots,
  paginateDescribeVolumes,
  type Snapshot,
  type Volume,
} from '@aws-sdk/client-ec2';
import type { JobContext } from '../engine/types';
import { TAG } from '../tags';
import type { SnapshotPolicy } from './config';
import { filterChunks } from '../aws/filters';
import { describeVolumeHistory, type VolumeHistory } from './describe-history';
import { CompletionCount, type Completions } from './completion-count';
import { completionWindow } from './slot';

/** What the snapshot planner needs to know about the account. */
export interface FleetState {
  policy: SnapshotPolicy;
  slot: string;
  /** Instances the selector matched (any state), each once. */
  instances: Instance[];
  /** Instance ids listed in the selector that do not exist. */
  missingIds: string[];
  /** Attached volumes of those instances, by id. */
  volumes: Map<string, Volume>;
  /** Snapshots this policy already made for this slot. */
  slotSnapshots: Snapshot[];
  /** Pending snapshots per volume (AWS allows 5, 1 for st1/sc1). */
  pendingByVolume: Map<string, number>;
  /** Each attached volume's past snapshots under this policy: freshness and how the last attempt ended. */
  history: Map<string, VolumeHistory>;
  /** The policy's completions since the last counted slot (see `CompletionCount`). */
  completions: Completions;
  /**
   * Whether this run may report `completions`: no snapshot of this slot or a later one existed
   * yet, so it is the slot's first run (a duplicate delivery, a retry or a manual run in the same
   * slot, or a late run of an older slot, counts nothing). The run counts only if it then makes a
   * snapshot, which marks the slot as counted for the next run's window (`run-snapshot.ts`).
   */
  countsCompletions: boolean;
}


/**
 * Matches `caretaker:snapshot = daily` and comma lists such as `daily,weekly` exactly: EC2 filter
 * wildcards on the separators, so `nodaily` never matches `daily`.
 */
export function listMemberPatterns(value: string): string[] {
  return [value, `${value},*`, `*,${value}`, `*,${value},*`];
}

/** Selector → filtered, paginated DescribeInstances calls (tag keys and ids are ORed). */
function instanceQueries(policy: SnapshotPolicy): Filter[][] {
  const queries: Filter[][] = Object.entries(policy.selector.tags).map(([key, values]) =>
    values.length === 0 ? [{ Name: 'tag-key', Values: [key] }] : [{ Name: `tag:${key}`, Values: values.flatMap(listMemberPatterns) }],
  );
  for (const ids of filterChunks(policy.selector.instanceIds)) queries.push([{ Name: 'instance-id', Values: ids }]);
  return queries;
}

/**
 * Reads the instances a policy selects, their attached volumes and the snapshots that decide
 * idempotency and the pending limit. Read-only, filtered and paginated.
 */
export async function describeFleet(ctx: JobContext, policy: SnapshotPolicy, slot: string): Promise<FleetState> {
  const { ec2 } = ctx.clients;
  const instances = new Map<string, Instance>();
  for (const Filters of instanceQueries(policy)) {
    for await (const page of paginateDescribeInstances({ client: ec2, pageSize: 1000 }, { Filters })) {
      for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) instances.set(i.InstanceId!, i);
    }
  }
  const volumes = new Map<string, Volume>();
  for (const ids of filterChunks([...instances.keys()])) {
    const Filters = [{ Name: 'attachment.instance-id', Values: ids }];
    for await (const page of paginateDescribeVolumes({ client: ec2, pageSize: 500 }, { Filters })) {
      for (const v of page.Volumes ?? []) volumes.set(v.VolumeId!, v);
    }
  }
  const slotSnapshots: Snapshot[] = [];
  const slotFilters = [
    { Name: `tag:${TAG.policy}`, Values: [policy.name] },
    { Name: `tag:${TAG.slot}`, Values: [slot] },
  ];
  for await (const page of paginateDescribeSnapshots({ client: ec2, pageSize: 1000 }, { OwnerIds: ['self'], Filters: slotFilters })) {
    slotSnapshots.push(...(page.Snapshots ?? []));
  }
  const pendingByVolume = new Map<string, number>();
  const pendingFilters = [{ Name: 'status', Values: ['pending'] }];
  for await (const page of paginateDescribeSnapshots({ client: ec2, pageSize: 1000 }, { OwnerIds: ['self'], Filters: pendingFilters })) {
    for (const s of page.Snapshots ?? []) pendingByVolume.set(s.VolumeId!, (pendingByVolume.get(s.VolumeId!) ?? 0) + 1);
  }
  const missingIds = policy.selector.instanceIds.filter((id) => !instances.has(id));
  const counter = new CompletionCount(Date.parse(slot));
  const history = await describeVolumeHistory(ec2, policy.name, [...volumes.keys()], ctx.now.getTime(), counter);
  const completions = counter.result(completionWindow(policy.schedule, slot, policy.timeZone)?.fromMs ?? Date.parse(slot));
  const countsCompletions = slotSnapshots.length === 0 && !completions.newerSlot;
  return { policy, slot, instances: [...instances.values()], missingIds, volumes, slotSnapshots, pendingByVolume, history, completions, countsCompletions };
}

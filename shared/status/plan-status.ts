import type { Config } from '../config/schema';
import { readState } from '../degraded/tags';
import { DELETE_ACTION, planRetention } from '../prune/plan-retention';
import { assessFreshness, policyStaleAfterMs } from '../prune/freshness';
import type { StatusState } from './describe-status';
import { type CopiesStatus, planCopies } from './plan-copies';

export interface VolumeStatus {
  policy: string;
  instanceId: string;
  instanceName: string;
  volumeId: string;
  /** Newest completed snapshot of the policy for this volume, and its age in hours. */
  newestCompleted?: { snapshotId: string; at: string; ageHours: number };
  /** Snapshots the retention keeps, per rule (one snapshot may count under several), as the prune planner decides. */
  kept: Record<string, number>;
  /** Snapshots the next prune would delete. */
  expiring: number;
  /**
   * The freshness guard's verdict, the one the snapshot and prune e-mails and the stale-volumes
   * alarm use: the newest completed snapshot is older than the policy's `staleAfter` (default 1.5 ×
   * its longest interval), or attempts but none completed for that long. A volume with no snapshot
   * at all is new, not stale.
   */
  stale: boolean;
  /** Snapshots still `pending` (in progress, or a copy on its way). */
  pending: number;
}

export interface DegradedStatus {
  instanceId: string;
  name: string;
  state: string;
  /** `relaunch:in-progress`, `stop-start:done`, ... from `caretaker:remediation`; absent if untouched. */
  remediation?: string;
  since?: string;
  /** What the scan sees now: a scheduled event (code and deadline) or an impaired status. */
  notice?: string;
}

export interface GroupStatus {
  group: string;
  record: string;
  /** The member the record (or Elastic IP) points at: the source of truth for who is active. */
  active: string;
  members: Array<{ name: string; address: string; probe: string }>;
}

export interface RegionStatus {
  region: string;
  at: string;
  volumes: VolumeStatus[];
  degraded: DegradedStatus[];
  groups: GroupStatus[];
  /** Cross-Region copies that landed in this Region, per policy (pending ones listed); every policy copying here has a row. */
  copies: CopiesStatus[];
  /**
   * A copy destination outside the config's `regions` (a copy-only Region): the suite only makes,
   * reads and prunes copies there, so `volumes`, `degraded` and `groups` are empty and only
   * `copies` was read.
   */
  copyOnly: boolean;
}

const HOUR = 3_600_000;

const tagsOf = (tags: Array<{ Key?: string; Value?: string }> | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

/**
 * Pure: what the status view shows, from what {@link describeStatus} read and `now`. Retention
 * counts come from the prune planner itself (`planRetention`), so the view shows exactly what the
 * next prune would keep and delete.
 */
export function planStatus(state: StatusState, config: Config, now: Date): RegionStatus {
  const volumes: VolumeStatus[] = [];
  for (const p of state.policies) {
    const policy = config.snapshot.policies.find((x) => x.name === p.name)!;
    const staleAfterMs = policyStaleAfterMs(policy);
    const names = new Map(p.instances.map((i) => [i.InstanceId!, tagsOf(i.Tags).Name ?? '']));
    for (const [volumeId, instanceId] of [...p.volumes].sort(([a], [b]) => a.localeCompare(b))) {
      const rows = p.snapshots.get(volumeId) ?? [];
      const completed = rows.filter((r) => r.state === 'completed').sort((a, b) => b.startMs - a.startMs)[0];
      const kept: Record<string, number> = {};
      let expiring = 0;
      if (policy.retain && rows.length) {
        for (const d of planRetention(rows, policy.retain, { now, minAgeHours: config.prune.minAgeHours, amiSnapshotIds: state.amiSnapshotIds })) {
          if (d.action === DELETE_ACTION) expiring++;
          else for (const rule of d.payload.rules) kept[rule] = (kept[rule] ?? 0) + 1;
        }
      }
      volumes.push({
        policy: p.name,
        instanceId,
        instanceName: names.get(instanceId) ?? '',
        volumeId,
        ...(completed
          ? { newestCompleted: { snapshotId: completed.id, at: new Date(completed.startMs).toISOString(), ageHours: Math.floor((now.getTime() - completed.startMs) / HOUR) } }
          : {}),
        kept,
        expiring,
        stale: assessFreshness(rows, staleAfterMs, now.getTime()).stale,
        pending: rows.filter((r) => r.state === 'pending').length,
      });
    }
  }
  const notices = new Map(state.notices.map((n) => [n.instanceId, `${n.code}${n.deadline ? ` by ${n.deadline.toISOString()}` : ''}`]));
  const degradedIds = new Set([...state.remediated.map((i) => i.InstanceId!), ...notices.keys()]);
  const instances = new Map(state.remediated.map((i) => [i.InstanceId!, i]));
  const degraded: DegradedStatus[] = [...degradedIds].sort().map((id) => {
    const i = instances.get(id);
    const tags = tagsOf(i?.Tags);
    const s = readState(tags);
    return {
      instanceId: id,
      name: tags.Name ?? '',
      state: i?.State?.Name ?? 'running',
      ...(s ? { remediation: `${s.action}:${s.phase}`, since: s.at?.toISOString() } : {}),
      ...(notices.has(id) ? { notice: notices.get(id) } : {}),
    };
  });
  const groups: GroupStatus[] = state.groups.map((g) => {
    const members = g.group.members.map((m) => {
      const probe = g.probes.get(m.name);
      return { name: m.name, address: g.addresses.get(m.name)?.address ?? g.addresses.get(m.name)?.missing ?? '-', probe: probe ? `${probe.ok ? 'ok' : 'FAIL'}: ${probe.detail}` : '-' };
    });
    const dns = g.group.mode === 'dns';
    const activeMember = g.group.members.find((m) => (dns ? g.addresses.get(m.name)?.address === g.current : m.instanceId === g.current));
    return {
      group: g.group.name,
      record: dns ? `${g.group.recordName} ${g.group.type}` : `${g.group.allocationId}`,
      active: g.error ? `unreadable (${g.error})` : activeMember ? `${activeMember.name} (${g.current})` : g.current ? `not a member (${g.current})` : 'no record',
      members,
    };
  });
  const copyingHere = config.snapshot.policies.filter((p) => p.copyTo.some((t) => t.region === state.region)).map((p) => p.name);
  return { region: state.region, at: now.toISOString(), copyOnly: state.copyOnly, volumes, degraded, groups, copies: planCopies(state.copies, now, copyingHere) };
}

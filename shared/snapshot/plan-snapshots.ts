import type { Instance, Snapshot, Tag, Volume } from '@aws-sdk/client-ec2';
import type { Decision } from '../engine/types';
import { TAG } from '../tags';
import type { FleetState } from './describe-fleet';

/** What applying one `snapshot` decision needs: a complete CreateSnapshots request in the making. */
export interface SnapshotPayload {
  instanceId: string;
  instanceName: string;
  excludeBootVolume: boolean;
  excludeDataVolumeIds: string[];
  /** The volumes that will be snapshotted, for the report. */
  volumeIds: string[];
  /** Volumes left out and why, for the report. */
  excluded: string[];
  tags: Tag[];
}

export type SnapshotDecision = Decision<SnapshotPayload | undefined>;

const PENDING_LIMIT = 5;
const PENDING_LIMIT_HDD = 1;

const tagValue = (tags: Tag[] | undefined, key: string) => tags?.find((t) => t.Key === key)?.Value;

function matchesTags(tags: Tag[] | undefined, match: Record<string, string[]>): string | undefined {
  for (const [key, values] of Object.entries(match)) {
    const value = tagValue(tags, key);
    if (value !== undefined && (values.length === 0 || values.includes(value))) return `${key}=${value}`;
  }
  return undefined;
}

/** The selector matched by tag: is this policy really in the instance's comma list? */
function selectedBy(instance: Instance, state: FleetState): boolean {
  if (state.policy.selector.instanceIds.includes(instance.InstanceId!)) return true;
  return Object.entries(state.policy.selector.tags).some(([key, values]) => {
    const value = tagValue(instance.Tags, key);
    if (value === undefined) return false;
    if (values.length === 0) return true;
    const members = value.split(',').map((v) => v.trim());
    return values.some((v) => members.includes(v));
  });
}

const skip = (target: string, reason: string): SnapshotDecision => ({ target, action: 'skip', reason, payload: undefined });

/**
 * Pure: one decision per selected instance, snapshot or skip with the reason. Decides volume
 * exclusions, idempotency by slot and the per-volume pending limit before any call is made.
 *
 * @example
 * const decisions = planSnapshots(await describeFleet(ctx, policy, slot));
 */
export function planSnapshots(state: FleetState): SnapshotDecision[] {
  const { policy, slot } = state;
  const done = new Map<string, Snapshot[]>();
  for (const s of state.slotSnapshots) {
    const id = tagValue(s.Tags, TAG.instance);
    if (id) done.set(id, [...(done.get(id) ?? []), s]);
  }
  const decisions: SnapshotDecision[] = state.missingIds.map((id) => skip(id, 'instance not found (listed in selector.instanceIds)'));
  for (const instance of state.instances) {
    const id = instance.InstanceId!;
    if (!selectedBy(instance, state)) continue;
    const stateName = instance.State?.Name ?? 'unknown';
    if (stateName === 'terminated' || stateName === 'shutting-down') {
      decisions.push(skip(id, `instance is ${stateName}`));
      continue;
    }
    const outcome = slotOutcome(done.get(id));
    if (outcome.kind === 'done') {
      decisions.push(skip(id, `already snapshotted for slot ${slot} (${outcome.ids.join(', ')})`));
      continue;
    }
    if (outcome.kind === 'in-progress') {
      decisions.push(skip(id, `slot ${slot} in progress: ${outcome.ids.join(', ')} still pending`));
      continue;
    }
    if (outcome.kind === 'gave-up') {
      decisions.push(skip(id, `slot ${slot}: the retry ended in error too (${outcome.ids.join(', ')}); not retried again`));
      continue;
    }
    const attempt = outcome.kind === 'retry' ? 2 : 1;
    const attached = (instance.BlockDeviceMappings ?? [])
      .filter((m) => m.Ebs?.VolumeId)
      .map((m) => ({ device: m.DeviceName!, volume: state.volumes.get(m.Ebs!.VolumeId!) ?? ({ VolumeId: m.Ebs!.VolumeId } as Volume) }));
    if (attached.length === 0) {
      decisions.push(skip(id, 'no EBS volumes attached'));
      continue;
    }
    const excluded: string[] = [];
    let excludeBoot = false;
    const dataExcluded: string[] = [];
    const included: Volume[] = [];
    for (const { device, volume } of attached) {
      const isBoot = device === instance.RootDeviceName;
      const byTag = matchesTags(volume.Tags, policy.excludeVolumeTags);
      if (isBoot && policy.excludeBootVolume) {
        excludeBoot = true;
        excluded.push(`${volume.VolumeId} (boot volume)`);
      } else if (byTag) {
        excluded.push(`${volume.VolumeId} (tag ${byTag})`);
        if (isBoot) excludeBoot = true;
        else dataExcluded.push(volume.VolumeId!);
      } else {
        included.push(volume);
      }
    }
    if (included.length === 0) {
      decisions.push(skip(id, `all volumes excluded: ${excluded.join(', ')}`));
      continue;
    }
    const full = included.find((v) => {
      const limit = v.VolumeType === 'st1' || v.VolumeType === 'sc1' ? PENDING_LIMIT_HDD : PENDING_LIMIT;
      return (state.pendingByVolume.get(v.VolumeId!) ?? 0) >= limit;
    });
    if (full) {
      decisions.push(skip(id, `volume ${full.VolumeId} has ${state.pendingByVolume.get(full.VolumeId!)} pending snapshot(s): per-volume limit reached`));
      continue;
    }
    const name = tagValue(instance.Tags, 'Name') ?? id;
    const retry = outcome.kind === 'retry' ? `retry of ${outcome.ids.join(', ')} (ended in error); ` : '';
    decisions.push({
      target: id,
      action: 'snapshot',
      reason: `${retry}${included.length} volume(s)${excluded.length ? `; excluded ${excluded.join(', ')}` : ''}`,
      payload: {
        instanceId: id,
        instanceName: name,
        excludeBootVolume: excludeBoot,
        excludeDataVolumeIds: dataExcluded,
        volumeIds: included.map((v) => v.VolumeId!),
        excluded,
        tags: [
          ...Object.entries(policy.extraTags).map(([Key, Value]) => ({ Key, Value })),
          { Key: 'Name', Value: `${name} ${policy.name} ${slot}`.slice(0, 256) },
          { Key: TAG.managed, Value: 'true' },
          { Key: TAG.policy, Value: policy.name },
          { Key: TAG.slot, Value: slot },
          { Key: TAG.instance, Value: id },
          ...(attempt > 1 ? [{ Key: TAG.attempt, Value: String(attempt) }] : []),
        ],
      },
    });
  }
  return decisions;
}

type SlotOutcome =
  | { kind: 'none' }
  | { kind: 'done' | 'in-progress' | 'retry' | 'gave-up'; ids: string[] };

/**
 * Where an instance stands in the slot, from its latest attempt's snapshots: a slot is done only
 * when they all completed; one that ended in `error` is retried once in the same slot (attempt 2).
 */
export function slotOutcome(snapshots: readonly Snapshot[] | undefined): SlotOutcome {
  if (!snapshots?.length) return { kind: 'none' };
  const attemptOf = (s: Snapshot) => Number(tagValue(s.Tags, TAG.attempt) ?? 1);
  const latest = Math.max(...snapshots.map(attemptOf));
  const current = snapshots.filter((s) => attemptOf(s) === latest);
  const failed = current.filter((s) => s.State === 'error').map((s) => s.SnapshotId!);
  if (failed.length) return { kind: latest >= 2 ? 'gave-up' : 'retry', ids: failed };
  const pending = current.filter((s) => s.State !== 'completed').map((s) => s.SnapshotId!);
  if (pending.length) return { kind: 'in-progress', ids: pending };
  return { kind: 'done', ids: current.map((s) => s.SnapshotId!) };
}

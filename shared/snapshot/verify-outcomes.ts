import type { Snapshot, Tag } from '@aws-sdk/client-ec2';
import type { ActionNeeded, GroupMeasures } from '../engine/types';
import { assessFreshness, policyStaleAfterMs, staleVolumeItem, WorstBackupAge } from '../prune/freshness';
import { TAG } from '../tags';
import type { FleetState } from './describe-fleet';
import type { VolumeHistory } from './describe-history';
import { slotOutcome } from './plan-snapshots';

const tagValue = (tags: Tag[] | undefined, key: string) => tags?.find((t) => t.Key === key)?.Value;

/**
 * Pure: what a snapshot run must tell a person about outcomes, from the describe step's view of
 * the policy's past snapshots. Every volume the policy covers whose last snapshot ended in `error`
 * (`snapshot-error`, with its message) or whose newest completed one is older than the policy
 * expects (`stale-volume`) is listed, run after run, until a newer snapshot completes. That is
 * also how an `error` whose completion event was missed is caught: by the next run.
 */
export function outcomeActions(state: FleetState, now: number): ActionNeeded[] {
  const { policy } = state;
  const staleAfterMs = policyStaleAfterMs(policy);
  const actions: ActionNeeded[] = [];
  for (const { instanceId, volumeId, history: h } of coveredVolumes(state)) {
    const subject = `${instanceId} / ${volumeId}`;
    const last = h.newestAttempt;
    if (last?.state === 'error') {
      actions.push({
        kind: 'snapshot-error',
        subject,
        problem: `snapshot ${last.id} (slot ${last.slot || 'unknown'}, attempt ${last.attempt}) ended in error: ${last.message || 'EBS gave no message'}`,
        todo:
          last.attempt < 2
            ? `caretaker retries it once in slot ${last.slot} (on EBS's completion event, or when that slot runs again); if the retry fails too, check the volume's state, its KMS key grants and the account's snapshot quota`
            : `the retry failed too: check the volume's state, its KMS key grants and the account's snapshot quota, then run caretaker snapshot --policy ${policy.name}`,
      });
    }
    const freshness = assessFreshness(historyRows(h), staleAfterMs, now);
    if (freshness.stale) actions.push(staleVolumeItem({ instanceId, volumeId, scope: `policy ${policy.name}`, freshness }, now));
  }
  return actions;
}

/**
 * Pure: the policy's figures for metrics, from the same view of the covered volumes: the worst
 * volume's backup age, and the snapshots that completed since the last counted slot (only when
 * this run counts them, see `countsCompletions`).
 */
export function policyMeasures(state: FleetState, now: number, counts: boolean): GroupMeasures {
  const worst = new WorstBackupAge();
  for (const { history: h } of coveredVolumes(state)) worst.add(assessFreshness(historyRows(h), undefined, now), now);
  const staleAfterMs = policyStaleAfterMs(state.policy);
  return {
    group: state.policy.name,
    ...(counts ? { snapshotsCompleted: state.completions.count } : {}),
    ...(worst.ageMs !== undefined ? { worstBackupAgeMs: worst.ageMs, volumes: worst.volumes, worstCompleted: worst.completed } : {}),
    ...(staleAfterMs !== undefined ? { staleAfterMs } : {}),
  };
}

/** The volumes a policy covers now (selected, live instances; exclusions honoured) that have a history. */
function* coveredVolumes(state: FleetState): Generator<{ instanceId?: string; volumeId: string; history: VolumeHistory }> {
  for (const instance of state.instances) {
    const stateName = instance.State?.Name;
    if (stateName === 'terminated' || stateName === 'shutting-down') continue;
    for (const m of instance.BlockDeviceMappings ?? []) {
      const volumeId = m.Ebs?.VolumeId;
      if (!volumeId || excluded(state, m.DeviceName === instance.RootDeviceName, volumeId)) continue;
      const history = state.history.get(volumeId);
      if (history) yield { instanceId: instance.InstanceId, volumeId, history };
    }
  }
}

/** The rows the freshness guard reads: the newest completed snapshot and the oldest attempt. */
function historyRows(h: VolumeHistory) {
  return [
    ...(h.newestCompleted ? [{ ...h.newestCompleted, state: 'completed' }] : []),
    ...(h.oldestAttemptMs !== undefined ? [{ id: 'oldest', startMs: h.oldestAttemptMs, state: 'attempt' }] : []),
  ];
}

function excluded(state: FleetState, isBoot: boolean, volumeId: string): boolean {
  if (isBoot && state.policy.excludeBootVolume) return true;
  const tags = state.volumes.get(volumeId)?.Tags;
  return Object.entries(state.policy.excludeVolumeTags).some(([key, values]) => {
    const value = tagValue(tags, key);
    return value !== undefined && (values.length === 0 || values.includes(value));
  });
}

/**
 * Whether this run reports the slot's completions: it is the slot's first (no snapshot of this
 * slot or a later one existed) and it made a snapshot, which marks the slot as counted for the next
 * run's window. A run that made none (every instance refused, or skipped) leaves the window open:
 * Lambda's retry, or the next slot's run, counts it.
 */
export function countsCompletions(state: FleetState, snapshotsMade: number): boolean {
  return state.countsCompletions && snapshotsMade > 0;
}

/** The summary line on the completions a run counted (none when it did not count). */
export function completionsLine(state: FleetState, measures: GroupMeasures): string | undefined {
  if (measures.snapshotsCompleted === undefined) return undefined;
  const { fromMs, fromSlot } = state.completions;
  const since = new Date(fromMs).toISOString().replace('.000Z', 'Z');
  return `${measures.snapshotsCompleted} snapshot(s) of the policy completed since ${fromSlot ? `slot ${since}, the last one counted` : `the schedule's previous firing (${since})`}.`;
}

/** One line on the slot: it is done only when every instance's snapshots completed. */
export function slotLine(state: FleetState, startedNow: number): string {
  const byInstance = new Map<string, Snapshot[]>();
  for (const s of state.slotSnapshots) {
    const id = tagValue(s.Tags, TAG.instance);
    if (id) byInstance.set(id, [...(byInstance.get(id) ?? []), s]);
  }
  const counts = { done: 0, 'in-progress': 0, retry: 0, 'gave-up': 0, none: 0 };
  for (const snaps of byInstance.values()) counts[slotOutcome(snaps).kind]++;
  const open = counts['in-progress'] + startedNow;
  const verdict = open === 0 && counts.retry === 0 && counts['gave-up'] === 0 && counts.done > 0 ? 'done' : 'not done yet';
  return (
    `Slot ${state.slot} is ${verdict}: ${counts.done} instance(s) with every snapshot completed, ${open} pending (${startedNow} started by this run), ` +
    `${counts.retry + counts['gave-up']} ended in error (${counts['gave-up']} of them after their retry).`
  );
}

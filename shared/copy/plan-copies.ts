import type { ActionNeeded, Decision } from '../engine/types';
import type { CopyTarget } from '../snapshot/config';
import { TAG } from '../tags';
import { type CopyState, copyOfValue, winningCopy } from './describe-copies';

export const COPY_ACTION = 'copy-snapshot';
export const DEDUPE_ACTION = 'delete-duplicate-copy';

/**
 * Concurrent snapshot copies per destination Region: 20, not adjustable
 * (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-resource-quotas.html).
 */
export const COPY_LIMIT_PER_DESTINATION = 20;

/** What one copy decision carries to the apply step: the CopySnapshot request, and how to find its result. */
export interface CopyPayload {
  kind: 'copy';
  sourceId: string;
  sourceRegion: string;
  region: string;
  copyOf: string;
  description: string;
  tags: Array<{ Key: string; Value: string }>;
  kmsKeyId?: string;
}

export interface DedupePayload {
  kind: 'dedupe';
  region: string;
  copyOf: string;
  /** The copy that stays. */
  keep: string;
}

export type CopyDecision = Decision<CopyPayload | DedupePayload>;

export interface CopyPlanInput {
  policy: string;
  target: CopyTarget;
  state: CopyState;
  now: number;
  /** Sources started longer ago than this are not copied by a sweep (a first `copyTo` does not backfill history). */
  windowMs: number;
}

/**
 * Pure: which of the policy's completed snapshots to copy to one destination, oldest first, at
 * most the copies the destination has room for (its limit less caretaker's copies in flight
 * there); the rest wait (`deferred`) for the next trigger or the sweep's continuation. A source is copied once: a copy tagged
 * `caretaker:copy-of` with its id (any state) means done. Per source volume, copies only move
 * forward in time: a source older than the newest one already copied is never copied (its copy
 * was pruned by the copy rule, or it was passed over), so pruning never causes a re-copy. Several
 * copies of one source (two triggers raced) are reduced to the winner (see `winningCopy`).
 *
 * @example
 * const { decisions } = planCopies({ policy: 'nightly', target, state, now: Date.now(), windowMs: 3 * DAY });
 */
export function planCopies(input: CopyPlanInput): { decisions: CopyDecision[]; actionNeeded: ActionNeeded[]; alreadyCopied: number; deferred: number } {
  const { policy, target, state, now, windowMs } = input;
  const decisions: CopyDecision[] = [];
  const actionNeeded: ActionNeeded[] = [];
  const byCopyOf = new Map<string, CopyState['copies']>();
  const newestCopied = new Map<string, number>();
  for (const c of state.copies) {
    let list = byCopyOf.get(c.copyOf);
    if (!list) byCopyOf.set(c.copyOf, (list = []));
    list.push(c);
    if (Number.isFinite(c.sourceStartMs)) newestCopied.set(c.sourceVolumeId, Math.max(newestCopied.get(c.sourceVolumeId) ?? Number.NEGATIVE_INFINITY, c.sourceStartMs));
  }
  for (const [copyOf, copies] of byCopyOf) {
    const keep = winningCopy(copies)!;
    for (const c of copies) {
      if (c !== keep) {
        decisions.push({ target: c.id, action: DEDUPE_ACTION, reason: `a second copy of ${copyOf} in ${target.region} (two triggers raced): ${keep.id} stays`, payload: { kind: 'dedupe', region: target.region, copyOf, keep: keep.id }, group: policy });
      }
    }
    if (keep.state === 'error') {
      actionNeeded.push({
        kind: 'copy-error',
        subject: `${copyOf} → ${target.region} ${keep.id}`,
        problem: `the copy ended in error: ${keep.stateMessage ?? 'no reason given'}`,
        todo: `check copyTo[${target.region}].kmsKeyId (a key of ${target.region} that exists, is enabled and that the snapshot role may use); caretaker does not copy this snapshot again: delete ${keep.id} to let the next run retry it`,
      });
    }
  }
  let alreadyCopied = 0;
  let deferred = 0;
  let room = Math.max(0, COPY_LIMIT_PER_DESTINATION - state.inFlight);
  const sources = [...state.sources].sort((a, b) => a.startMs - b.startMs || (a.id < b.id ? -1 : 1));
  for (const s of sources) {
    const copyOf = copyOfValue(state.sourceRegion, s.id);
    if (byCopyOf.has(copyOf)) {
      alreadyCopied++;
      continue;
    }
    if (now - s.startMs > windowMs) continue;
    const newest = newestCopied.get(s.volumeId);
    if (newest !== undefined && s.startMs < newest) {
      decisions.push({ target: s.id, action: 'skip', reason: `older than the newest copy of ${s.volumeId} in ${target.region}: copies only move forward`, payload: copyPayload(policy, target, state.sourceRegion, s), group: policy });
      continue;
    }
    if (room === 0) {
      deferred++;
      decisions.push({ target: s.id, action: 'skip', reason: `deferred: ${COPY_LIMIT_PER_DESTINATION} copies in flight to ${target.region} (its limit); the next trigger copies it`, payload: copyPayload(policy, target, state.sourceRegion, s), group: policy });
      continue;
    }
    room--;
    decisions.push({ target: s.id, action: COPY_ACTION, reason: `completed, no copy in ${target.region} yet`, payload: copyPayload(policy, target, state.sourceRegion, s), group: policy });
  }
  return { decisions, actionNeeded, alreadyCopied, deferred };
}

/** The copy's tags: managed, policy, copy-of, source Region/volume/start always; the source's own tags too with `copyTags`. */
function copyPayload(policy: string, target: CopyTarget, sourceRegion: string, s: CopyState['sources'][number]): CopyPayload {
  const copyOf = copyOfValue(sourceRegion, s.id);
  const tags = new Map<string, string>();
  if (target.copyTags) for (const [k, v] of Object.entries(s.tags)) if (!k.startsWith('aws:')) tags.set(k, v);
  tags.set(TAG.managed, 'true');
  tags.set(TAG.policy, policy);
  tags.set(TAG.copyOf, copyOf);
  tags.set(TAG.sourceRegion, sourceRegion);
  tags.set(TAG.sourceVolume, s.volumeId);
  tags.set(TAG.sourceStart, new Date(s.startMs).toISOString());
  return {
    kind: 'copy',
    sourceId: s.id,
    sourceRegion,
    region: target.region,
    copyOf,
    description: `Copy of ${s.id} from ${sourceRegion} (caretaker policy ${policy})`,
    tags: [...tags].map(([Key, Value]) => ({ Key, Value })),
    ...(target.kmsKeyId ? { kmsKeyId: target.kmsKeyId } : {}),
  };
}

import { type EC2Client, paginateDescribeSnapshots } from '@aws-sdk/client-ec2';
import { filterChunks } from '../aws/filters';
import { TAG } from '../tags';
import type { CompletionCount } from './completion-count';

/** What the freshness guard and outcome checks need of one volume's past snapshots under a policy. */
export interface VolumeHistory {
  /** The newest snapshot that reached `completed`. */
  newestCompleted?: { id: string; startMs: number };
  /** The newest snapshot of any state: the last attempt, and how it ended. */
  newestAttempt?: { id: string; startMs: number; state: string; message: string; slot: string; attempt: number };
  /** The oldest snapshot of any state (a volume with attempts but no success is stale from then). */
  oldestAttemptMs?: number;
}

/**
 * Reads the policy's snapshots of these volumes (filtered by policy tag and volume id, paginated)
 * into one small summary per volume, so a policy with a long history costs pages, not memory.
 * With `completions`, feeds it every snapshot too (the slot's completion count, same pages).
 */
export async function describeVolumeHistory(
  ec2: EC2Client,
  policy: string,
  volumeIds: readonly string[],
  now: number,
  completions?: CompletionCount,
): Promise<Map<string, VolumeHistory>> {
  const history = new Map<string, VolumeHistory>();
  for (const ids of filterChunks(volumeIds)) {
    const Filters = [
      { Name: `tag:${TAG.policy}`, Values: [policy] },
      { Name: 'volume-id', Values: ids },
    ];
    for await (const page of paginateDescribeSnapshots({ client: ec2, pageSize: 1000 }, { OwnerIds: ['self'], Filters, MaxResults: 1000 })) {
      for (const s of page.Snapshots ?? []) {
        completions?.add(s);
        const startMs = s.StartTime?.getTime() ?? 0;
        // A clock ahead of ours is no evidence of a recent backup.
        if (startMs > now) continue;
        let h = history.get(s.VolumeId!);
        if (!h) history.set(s.VolumeId!, (h = {}));
        h.oldestAttemptMs = Math.min(h.oldestAttemptMs ?? startMs, startMs);
        if (s.State === 'completed' && (!h.newestCompleted || startMs > h.newestCompleted.startMs)) h.newestCompleted = { id: s.SnapshotId!, startMs };
        if (!h.newestAttempt || startMs > h.newestAttempt.startMs) {
          const tag = (key: string) => s.Tags?.find((t) => t.Key === key)?.Value;
          h.newestAttempt = { id: s.SnapshotId!, startMs, state: s.State ?? 'unknown', message: s.StateMessage ?? '', slot: tag(TAG.slot) ?? '', attempt: Number(tag(TAG.attempt) ?? 1) };
        }
      }
    }
  }
  return history;
}

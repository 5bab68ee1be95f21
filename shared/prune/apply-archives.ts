import { type EC2Client, ModifySnapshotTierCommand } from '@aws-sdk/client-ec2';
import { errorCode, THROTTLING_CODES } from '../aws/errors';
import type { WorkerResult } from '../engine/apply';
import type { RateLimiter } from '../engine/rate-limit';
import { retryOn } from '../engine/retry';
import type { PruneDecision } from './plan-retention';

/**
 * ModifySnapshotTier has no bucket of its own on the EC2 throttling page: it is a mutating call
 * (50 burst, 5/s, GUIDE §3, https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html).
 * Paced with headroom as deletions are (see DELETE_PACING).
 */
export const MODIFY_SNAPSHOT_TIER_BUCKET = { capacity: 50, refillPerSecond: 5 } as const;
export const ARCHIVE_PACING = { capacity: MODIFY_SNAPSHOT_TIER_BUCKET.capacity - 5, refillPerSecond: MODIFY_SNAPSHOT_TIER_BUCKET.refillPerSecond } as const;

/**
 * Moves one kept snapshot to the archive tier. What EBS refuses is a skip, not a failure: the
 * snapshot is already archived or no longer `completed` (`IncorrectState`), an AMI now uses it
 * (`InvalidSnapshot.InUse`), it is gone (`InvalidSnapshot.NotFound`), or a quota is full
 * (`ResourceLimitExceeded`: archives in progress per account, archived snapshots per volume); the
 * next run decides again. https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifySnapshotTier.html
 */
export function snapshotArchiver(ec2: EC2Client, limiter: RateLimiter, sleep: (ms: number) => Promise<void>): (decision: PruneDecision) => Promise<WorkerResult> {
  return async (decision) => {
    const details = { volumeId: decision.payload.volumeId, sizeGiB: decision.payload.sizeGiB };
    try {
      const out = await retryOn(
        () => ec2.send(limiter.pace(new ModifySnapshotTierCommand({ SnapshotId: decision.target, StorageTier: 'archive' }))),
        { codes: THROTTLING_CODES, retries: 3, delayMs: (n) => 1000 * 2 ** n },
        sleep,
      );
      return { outcome: 'done', reason: decision.reason, details: { ...details, ...(out.TieringStartTime ? { tieringStartTime: out.TieringStartTime.toISOString() } : {}) } };
    } catch (error) {
      const code = errorCode(error);
      const why = SKIPS[code];
      if (why) return { outcome: 'skipped', reason: `not archived (${code}): ${why}`, errorCode: code, details };
      throw error;
    }
  };
}

const SKIPS: Record<string, string> = {
  IncorrectState: 'already archived, or no longer completed',
  'InvalidSnapshot.InUse': 'an AMI uses it',
  'InvalidSnapshot.NotFound': 'it is gone',
  ResourceLimitExceeded: 'an EBS archive quota is full; a later run tries again',
};

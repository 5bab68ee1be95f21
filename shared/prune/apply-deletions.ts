import { DeleteSnapshotCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { errorCode, THROTTLING_CODES } from '../aws/errors';
import type { WorkerResult } from '../engine/apply';
import type { RateLimiter } from '../engine/rate-limit';
import { retryOn } from '../engine/retry';
import type { PruneDecision } from './plan-retention';

/** Job-level retries of a throttled delete, on top of the SDK's own, before the item counts as failed. */
const THROTTLE_RETRIES = 3;

/**
 * Deletes one snapshot, paced by a client-side token bucket that mirrors DeleteSnapshot's
 * (100 burst, 5/s), so many workers keep AWS's bucket busy without emptying it. Whenever AWS
 * throttles an attempt anyway the limiter slows down, and the SDK's retries wait their turn too.
 *
 * `InvalidSnapshot.NotFound` is success (someone else deleted it: the goal is reached);
 * `InvalidSnapshot.InUse` is a skip (an AMI or another service still needs it), not a failure.
 */
export function snapshotDeleter(
  ec2: EC2Client,
  limiter: RateLimiter,
  sleep: (ms: number) => Promise<void>,
): (decision: PruneDecision) => Promise<WorkerResult> {
  return async (decision) => {
    const { payload } = decision;
    const details = { volumeId: payload.volumeId, sizeGiB: payload.sizeGiB, rule: payload.rules[0] ?? 'retention', ...(payload.unmanaged ? { unmanaged: true } : {}) };
    try {
      await retryOn(
        () => ec2.send(limiter.pace(new DeleteSnapshotCommand({ SnapshotId: decision.target }))),
        { codes: THROTTLING_CODES, retries: THROTTLE_RETRIES, delayMs: (n) => 1000 * 2 ** n },
        sleep,
      );
      return { outcome: 'done', reason: decision.reason, details };
    } catch (error) {
      const code = errorCode(error);
      if (code === 'InvalidSnapshot.NotFound') {
        return { outcome: 'done', reason: `already gone (${code}); ${decision.reason}`, details: { ...details, alreadyGone: true } };
      }
      if (code === 'InvalidSnapshot.InUse') {
        return { outcome: 'skipped', reason: `in use (${code}): an AMI or another service still needs it`, errorCode: code, details };
      }
      throw error;
    }
  };
}

import { CopySnapshotCommand, DeleteSnapshotCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { errorCode, errorMessage } from '../aws/errors';
import type { WorkerResult } from '../engine/apply';
import { describeCopiesOf, winningCopy } from './describe-copies';
import type { CopyDecision, CopyPayload, DedupePayload } from './plan-copies';

/** Errors that mean "not now" or "no longer", not a failure of ours: the item is skipped with the reason. */
const DEFERRED: Record<string, string> = {
  // The destination's 20 copies in flight were taken between describe and apply (another run, another tool).
  ResourceLimitExceeded: 'deferred: the destination Region has its 20 copies in flight; the next trigger copies it',
  // The source was deleted or is no longer completed since it was described.
  'InvalidSnapshot.NotFound': 'the source snapshot no longer exists',
  IncorrectState: 'the source snapshot is no longer completed',
};

/**
 * Carries out one copy decision in its destination Region. CopySnapshot has no client token, so
 * idempotency is by tag: the copies of the source are looked up right before copying (another
 * trigger may have made one since the describe) and right after; when two triggers both copied,
 * each keeps the same winner (`winningCopy`) and deletes its own copy if it lost, so they converge
 * on one copy whatever the interleaving. Sent to the destination Region's endpoint, as EC2 expects
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CopySnapshot.html); the SDK signs
 * the source Region's PresignedUrl itself.
 */
export async function applyCopy(decision: CopyDecision, ec2: EC2Client): Promise<WorkerResult> {
  const p = decision.payload;
  if (p.kind === 'dedupe') return removeDuplicate(decision.target, p, ec2);
  return copyOnce(p, ec2);
}

async function copyOnce(p: CopyPayload, ec2: EC2Client): Promise<WorkerResult> {
  const before = winningCopy(await describeCopiesOf(ec2, p.copyOf));
  if (before) return { outcome: 'skipped', reason: `already copied to ${p.region} as ${before.id} (by a concurrent run)`, details: { copy: before.id, region: p.region } };
  let copyId: string;
  try {
    const out = await ec2.send(
      new CopySnapshotCommand({
        SourceRegion: p.sourceRegion,
        SourceSnapshotId: p.sourceId,
        Description: p.description,
        // KmsKeyId needs Encrypted; without a key the source's encryption carries over (an encrypted source stays encrypted).
        ...(p.kmsKeyId ? { Encrypted: true, KmsKeyId: p.kmsKeyId } : {}),
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: p.tags }],
      }),
    );
    copyId = out.SnapshotId!;
  } catch (error) {
    const reason = DEFERRED[errorCode(error)];
    if (reason) return { outcome: 'skipped', errorCode: errorCode(error), reason: `${reason} (${errorMessage(error)})` };
    throw error;
  }
  const copies = await describeCopiesOf(ec2, p.copyOf);
  const winner = winningCopy(copies.some((c) => c.id === copyId) ? copies : [...copies, { id: copyId, startMs: Number.POSITIVE_INFINITY }]);
  if (winner && winner.id !== copyId) {
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: copyId }));
    return { outcome: 'skipped', reason: `a concurrent run copied it first (${winner.id}); removed the duplicate ${copyId}`, details: { copy: winner.id, region: p.region } };
  }
  return { outcome: 'done', reason: `copy started in ${p.region}${p.kmsKeyId ? ` (encrypted with ${p.kmsKeyId})` : ''}`, details: { copy: copyId, region: p.region } };
}

async function removeDuplicate(copyId: string, p: DedupePayload, ec2: EC2Client): Promise<WorkerResult> {
  try {
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: copyId }));
  } catch (error) {
    if (errorCode(error) === 'InvalidSnapshot.NotFound') return { outcome: 'skipped', reason: 'already removed (by the run that made it)' };
    throw error;
  }
  return { outcome: 'done', reason: `removed: ${p.keep} is the copy of ${p.copyOf} that stays`, details: { region: p.region } };
}

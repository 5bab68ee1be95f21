import { CreateSnapshotsCommand, type CreateSnapshotsCommandOutput, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { TAG } from '../tags';
import { errorCode } from '../aws/errors';
import type { WorkerResult } from '../engine/apply';
import type { RateLimiter } from '../engine/rate-limit';
import type { JobContext } from '../engine/types';
import type { SnapshotPolicy } from './config';
import type { SnapshotDecision } from './plan-snapshots';
import { runConsistencyScript } from './run-consistency-script';

/** AWS: wait at least 15 s after SnapshotCreationPerVolumeRateExceeded. */
export const PER_VOLUME_RATE_WAIT_MS = 16_000;

/**
 * One crash-consistent `CreateSnapshots` call for all of an instance's included volumes, tagged
 * at creation. With `application` consistency the policy's SSM document runs before (`pre`) and
 * after (`post`); a failed `pre` falls back to crash-consistent and says so, a failed `post` is a
 * failure (the file system or database may still be frozen).
 */
export async function applySnapshot(
  decision: SnapshotDecision,
  ctx: JobContext,
  policy: SnapshotPolicy,
  limiter: RateLimiter,
): Promise<WorkerResult> {
  const p = decision.payload!;
  const notes: string[] = [];
  let consistency: 'crash' | 'application' = 'crash';
  let preSent = false;
  if (policy.consistency === 'application' && policy.application) {
    const pre = await runConsistencyScript(ctx, policy.application, p.instanceId, 'pre');
    preSent = pre.sent;
    if (pre.ok) consistency = 'application';
    else notes.push(`pre script ${pre.status}${pre.detail ? ` (${pre.detail})` : ''}: fell back to crash-consistent`);
  }
  let out: CreateSnapshotsCommandOutput | undefined;
  let failure: WorkerResult | undefined;
  try {
    out = await createSnapshots(ctx, p, policy, limiter).catch(async (error) => {
      if (errorCode(error) !== 'SnapshotCreationPerVolumeRateExceeded') throw error;
      await ctx.sleep(PER_VOLUME_RATE_WAIT_MS);
      // A concurrent duplicate delivery may be what just snapshotted these volumes.
      const existing = await slotSnapshotsOf(ctx, p);
      if (existing.length > 0) return undefined;
      return createSnapshots(ctx, p, policy, limiter);
    });
    if (!out) failure = { outcome: 'skipped', action: 'skip', reason: 'already snapshotted for this slot by a concurrent run' };
  } catch (error) {
    const code = errorCode(error);
    failure =
      code === 'ConcurrentSnapshotLimitExceeded'
        ? { outcome: 'skipped', action: 'skip', errorCode: code, reason: 'per-volume pending-snapshot limit reached; the next run retries' }
        : { outcome: 'failed', errorCode: code, reason: (error as Error).message };
  }
  if (preSent && policy.application) {
    const post = await runConsistencyScript(ctx, policy.application, p.instanceId, 'post');
    if (!post.ok) {
      return {
        outcome: 'failed',
        errorCode: 'PostScriptFailed',
        reason: `post script ${post.status}: the instance may still be frozen or locked; check it now${out ? ' (snapshots were created)' : ''}`,
        details: out ? snapshotDetails(out) : undefined,
      };
    }
  }
  if (failure) return { ...failure, reason: [failure.reason, ...notes].join('; ') };
  return {
    outcome: 'done',
    reason: [
      `${consistency}-consistent snapshot of ${out!.Snapshots?.length ?? 0} volume(s)`,
      ...(p.excluded.length ? [`excluded ${p.excluded.join(', ')}`] : []),
      ...notes,
    ].join('; '),
    details: { ...snapshotDetails(out!), consistency },
  };
}

async function createSnapshots(
  ctx: JobContext,
  p: NonNullable<SnapshotDecision['payload']>,
  policy: SnapshotPolicy,
  limiter: RateLimiter,
): Promise<CreateSnapshotsCommandOutput> {
  return ctx.clients.ec2.send(
    limiter.pace(
      new CreateSnapshotsCommand({
        InstanceSpecification: {
          InstanceId: p.instanceId,
          ExcludeBootVolume: p.excludeBootVolume,
          ...(p.excludeDataVolumeIds.length ? { ExcludeDataVolumeIds: p.excludeDataVolumeIds } : {}),
        },
        Description: `EC2 Caretaker ${policy.name} snapshot of ${p.instanceName}`,
        CopyTagsFromSource: 'volume',
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: p.tags }],
      }),
    ),
  );
}

function snapshotDetails(out: CreateSnapshotsCommandOutput): Record<string, string> {
  return { snapshots: (out.Snapshots ?? []).map((s) => `${s.VolumeId}→${s.SnapshotId}`).join(', ') };
}

/** This instance's snapshots for the decision's slot and attempt (a handful: no paging needed). */
async function slotSnapshotsOf(ctx: JobContext, p: NonNullable<SnapshotDecision['payload']>): Promise<string[]> {
  const tag = (key: string) => p.tags.find((t) => t.Key === key)?.Value ?? '';
  const attempt = tag(TAG.attempt) || '1';
  const out = await ctx.clients.ec2.send(
    new DescribeSnapshotsCommand({
      OwnerIds: ['self'],
      Filters: [
        { Name: `tag:${TAG.instance}`, Values: [p.instanceId] },
        { Name: `tag:${TAG.policy}`, Values: [tag(TAG.policy)] },
        { Name: `tag:${TAG.slot}`, Values: [tag(TAG.slot)] },
      ],
    }),
  );
  // A retry must not mistake the first attempt's failed snapshots for a concurrent run's work.
  return (out.Snapshots ?? []).filter((s) => (s.Tags?.find((t) => t.Key === TAG.attempt)?.Value ?? '1') === attempt).map((s) => s.SnapshotId!);
}

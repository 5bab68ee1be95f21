import { z } from 'zod';

/**
 * EBS's snapshot completion events on EventBridge
 * (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-cloud-watch-events.html):
 * - `EBS Snapshot Notification`, `detail.event: createSnapshot`: one snapshot, `detail.snapshot_id`
 *   (an ARN), `detail.result: succeeded | failed`, `detail.cause`;
 * - `EBS Multi-Volume Snapshots Completion Status`, `detail.event: createSnapshots`: one
 *   CreateSnapshots request, `detail.snapshots[]` of `{ snapshot_id, source, status }`.
 * Other snapshot notifications (copy, share, lock) are not ours and are refused by the schema.
 * Only the fields used are checked; EventBridge adds envelope fields freely.
 */
const snapshotArn = z.string().regex(/snap-[0-9a-f]{8,17}$/, { error: 'expected a snapshot ARN ending in snap-…' });

const single = z.object({
  source: z.literal('aws.ec2'),
  'detail-type': z.literal('EBS Snapshot Notification'),
  detail: z.object({
    event: z.literal('createSnapshot'),
    result: z.string(),
    cause: z.string().optional(),
    snapshot_id: snapshotArn,
  }),
});

const multi = z.object({
  source: z.literal('aws.ec2'),
  'detail-type': z.literal('EBS Multi-Volume Snapshots Completion Status'),
  detail: z.object({
    event: z.literal('createSnapshots'),
    result: z.string(),
    cause: z.string().optional(),
    snapshots: z.array(z.object({ snapshot_id: snapshotArn, source: z.string().optional(), status: z.string().optional() })).min(1),
  }),
});

/** What the snapshot function needs of a completion event: which snapshots, and whether the request failed. */
export const completionEventSchema = z.union([single, multi]).transform((e) => ({
  kind: 'completion' as const,
  result: e.detail.result,
  cause: e.detail.cause ?? '',
  snapshotIds: ('snapshots' in e.detail ? e.detail.snapshots.map((s) => s.snapshot_id) : [e.detail.snapshot_id]).map((arn) => /snap-[0-9a-f]+$/.exec(arn)![0]),
}));

export type CompletionEvent = z.infer<typeof completionEventSchema>;

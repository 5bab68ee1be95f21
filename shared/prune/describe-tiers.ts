import { type EC2Client, paginateDescribeSnapshotTierStatus } from '@aws-sdk/client-ec2';
import type { TierInfo } from './plan-archive';

/**
 * Last tiering operations after which an archived copy exists or is being made
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SnapshotTierStatus.html): a failed
 * archive and a finished permanent restore leave none.
 */
const IN_ARCHIVE_OPS = [
  'archival-in-progress',
  'archival-completed',
  'temporary-restore-in-progress',
  'temporary-restore-completed',
  'temporary-restore-failed',
  'permanent-restore-in-progress',
  'permanent-restore-failed',
];

/**
 * The snapshots of this Region that are in the archive tier or on their way, and since when:
 * DescribeSnapshots shows only `StorageTier` (still `standard` while an archive runs), while the
 * 90-day minimum counts from the archive, which only DescribeSnapshotTierStatus tells
 * (`ArchivalCompleteTime`, or `LastTieringStartTime` of an archive in progress). Filtered on the
 * last operation, so an account's unarchived snapshots are not listed.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshotTierStatus.html
 */
export async function describeArchiveTiers(ec2: EC2Client): Promise<Map<string, TierInfo>> {
  const tiers = new Map<string, TierInfo>();
  const input = { Filters: [{ Name: 'last-tiering-operation', Values: IN_ARCHIVE_OPS }], MaxResults: 1000 };
  for await (const page of paginateDescribeSnapshotTierStatus({ client: ec2, pageSize: 1000 }, input)) {
    for (const s of page.SnapshotTierStatuses ?? []) {
      const op = s.LastTieringOperationStatus;
      if (!s.SnapshotId || !op) continue;
      const since = op === 'archival-in-progress' ? s.LastTieringStartTime : (s.ArchivalCompleteTime ?? s.LastTieringStartTime);
      tiers.set(s.SnapshotId, { op, sinceMs: since?.getTime() ?? 0 });
    }
  }
  return tiers;
}

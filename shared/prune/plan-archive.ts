import { ARCHIVE_MINIMUM_DAYS, type Retain } from './config';
import type { Granularity } from './time-buckets';

const DAY = 86_400_000;

export const ARCHIVE_ACTION = 'archive-snapshot';

/**
 * EBS's default quota "Archived snapshots per volume" (adjustable)
 * (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-resource-quotas.html).
 */
export const ARCHIVED_PER_VOLUME = 25;

/**
 * What DescribeSnapshotTierStatus says of a snapshot that has been (or is being) archived:
 * the last tiering operation and when the snapshot went into the archive (the archive's
 * completion, else the start of the archive in progress): the 90-day minimum counts from there.
 */
export interface TierInfo {
  op: string;
  sinceMs: number;
}

/**
 * Whether an archived copy exists or is being made: a snapshot archived, being archived, restored
 * for a while (its archived copy stays), or being restored. Not after a failed archive or a
 * permanent restore. https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SnapshotTierStatus.html
 */
export function inArchive(info: TierInfo | undefined): info is TierInfo {
  return info !== undefined && info.op !== 'archival-failed' && info.op !== 'permanent-restore-completed';
}

/** The shortest time N periods can take, in days: a rule keeping a snapshot at rank k of N keeps it ≥ (N − k) of these. */
export const SHORTEST_PERIOD_DAYS: Record<Granularity, number> = { hourly: 1 / 24, daily: 1, weekly: 7, monthly: 28, yearly: 365 };

/** What the planner knows of one kept snapshot when it decides whether to archive it. */
export interface ArchiveCandidate {
  id: string;
  startMs: number;
  state: string;
  storageTier: string;
  unmanaged: boolean;
  /** Rules that keep it. */
  rules: readonly string[];
  /** The least number of days the rules that keep it go on keeping it (Infinity: a tag keeps it). */
  staysDays: number;
  amiHeld: boolean;
  tier?: TierInfo;
}

export type ArchiveVerdict = { archive: true; reason: string } | { archive: false; reason?: string };

/**
 * Whether prune moves a kept snapshot to the archive tier (`retain.archive`): it is `completed`,
 * in the standard tier with no archive made or in progress, older than `afterDays`, kept by a
 * rule the archive lists, and the rules keeping it go on keeping it at least the archive's 90-day
 * minimum (a snapshot they may delete sooner would be billed as if kept: it stays standard).
 * AWS refuses an AMI's snapshot; the role may archive only caretaker's. Returns why not when the
 * reason is worth reporting.
 * https://docs.aws.amazon.com/ebs/latest/userguide/snapshot-archive.html
 */
export function archiveVerdict(c: ArchiveCandidate, archive: NonNullable<Retain['archive']>, nowMs: number, archivedOfVolume: number): ArchiveVerdict {
  const listed = archive.rules.filter((r) => c.rules.includes(r));
  if (listed.length === 0 || c.state !== 'completed' || c.storageTier !== 'standard' || inArchive(c.tier)) return { archive: false };
  const ageDays = (nowMs - c.startMs) / DAY;
  if (ageDays < archive.afterDays) return { archive: false };
  if (c.unmanaged) return { archive: false, reason: 'not archived: unmanaged snapshots are never archived' };
  if (c.amiHeld) return { archive: false, reason: 'not archived: an AMI uses it (EBS archives no AMI snapshot)' };
  if (c.staysDays < ARCHIVE_MINIMUM_DAYS) {
    return { archive: false, reason: `not archived: the rules keep it only ${Math.floor(c.staysDays)} more day(s) for sure, less than the archive's ${ARCHIVE_MINIMUM_DAYS}-day minimum` };
  }
  if (archivedOfVolume >= ARCHIVED_PER_VOLUME) return { archive: false, reason: `not archived: the volume has ${archivedOfVolume} archived snapshots (EBS quota ${ARCHIVED_PER_VOLUME})` };
  const stays = Number.isFinite(c.staysDays) ? `kept at least ${Math.floor(c.staysDays)} more days` : 'kept while tagged';
  return { archive: true, reason: `archive: ${listed.join(', ')} snapshot ${Math.floor(ageDays)} days old (archive.afterDays ${archive.afterDays}), ${stays}` };
}

/** The keep label of an archived snapshot the rules would delete inside its 90-day minimum. */
export function archiveMinimumLabel(tier: TierInfo): string {
  const ends = new Date(tier.sinceMs + ARCHIVE_MINIMUM_DAYS * DAY).toISOString().slice(0, 10);
  return `in the archive since ${new Date(tier.sinceMs).toISOString().slice(0, 10)}: deleting before ${ends} is billed for the rest of the ${ARCHIVE_MINIMUM_DAYS} days anyway (archive minimum), so it is kept until then`;
}

/** Whether a snapshot the rules condemn is still inside the archive's 90-day minimum. */
export function withinArchiveMinimum(tier: TierInfo | undefined, nowMs: number): tier is TierInfo {
  return inArchive(tier) && nowMs - tier.sinceMs < ARCHIVE_MINIMUM_DAYS * DAY;
}

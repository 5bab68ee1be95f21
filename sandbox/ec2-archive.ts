import type {
  DescribeSnapshotTierStatusRequest,
  Image,
  ModifySnapshotTierRequest,
  RestoreSnapshotTierRequest,
  Snapshot,
  SnapshotTierStatus,
  TieringOperationStatus,
} from '@aws-sdk/client-ec2';
import type { SandboxClock } from './clock';
import { fail } from './errors';
import { applyFilters, type FilterFields, paginate, type Stored } from './query';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * EBS's quotas for the archive tier (adjustable; these are the defaults):
 * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-resource-quotas.html ("Archived snapshots per
 * volume" 25, "In-progress snapshot archives per account" 25, "In-progress snapshot restores from
 * archive per account" 5).
 */
export const ARCHIVE_QUOTAS = { archivedPerVolume: 25, archivesInProgress: 25, restoresInProgress: 5 } as const;

/** Deleting (or permanently restoring) an archived snapshot sooner is billed for the rest of these days. */
export const ARCHIVE_MINIMUM_MS = 90 * DAY;

/** How long tiering takes in the model. AWS: restores take "up to 72 hours"; archiving has no documented figure. */
export interface TieringTimings {
  archiveMs: number;
  restoreMs: number;
}

export const DEFAULT_TIERING_TIMINGS: TieringTimings = { archiveMs: 6 * HOUR, restoreMs: 24 * HOUR };

/** One early deletion or permanent restore the account was billed for (the archive's 90-day minimum). */
export interface EarlyArchiveCharge {
  snapshotId: string;
  kind: 'delete' | 'permanent-restore';
  /** Days of the 90-day minimum left when it happened (billed as archive storage). */
  remainingDays: number;
  sizeGiB: number;
}

interface TierState {
  op: TieringOperationStatus;
  /** When the last archive or restore started (LastTieringStartTime). */
  startMs: number;
  /** When the snapshot went (or goes) into the archive: the 90-day minimum counts from here. */
  archivedAtMs?: number;
  /** ArchivalCompleteTime. */
  archivalCompleteMs?: number;
  /** For a temporary restore: the days asked for, then when it is re-archived. */
  temporaryDays?: number;
  restoreExpiryMs?: number;
}

type Op = (input: never) => unknown;

/**
 * The EBS Snapshots Archive tier of one Region, as strict as EBS
 * (https://docs.aws.amazon.com/ebs/latest/userguide/snapshot-archive.html,
 * https://docs.aws.amazon.com/ebs/latest/userguide/archive-snapshot.html):
 *
 * - ModifySnapshotTier archives only `completed` snapshots the account owns, not one an AMI uses,
 *   not one already archived or being archived; at most 25 archives in progress per account and
 *   25 archived snapshots per volume. Archiving takes time: the snapshot stays `standard` (and
 *   usable) until the archive completes, then DescribeSnapshots shows `StorageTier: archive`.
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifySnapshotTier.html
 * - DescribeSnapshotTierStatus shows the last tiering operation, its start and the archive's
 *   completion (filters `snapshot-id`, `volume-id`, `last-tiering-operation`).
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshotTierStatus.html
 * - RestoreSnapshotTier: temporary (`TemporaryRestoreDays`, re-archived after) or permanent
 *   (`PermanentRestore`), never both; only an archived snapshot; at most 5 restores in progress;
 *   a restore takes hours. A temporarily restored snapshot may get a new period or be made permanent.
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RestoreSnapshotTier.html
 * - DeleteSnapshot of an archived snapshot is allowed; within 90 days of archiving (or during the
 *   archive) it is billed for the remaining days, as is a permanent restore: recorded in
 *   {@link earlyCharges}. https://docs.aws.amazon.com/ebs/latest/userguide/snapshot-archive-pricing.html
 *
 * EC2 documents no error codes of its own for these calls; the sandbox answers with EC2's common
 * ones (`IncorrectState`, `InvalidSnapshot.InUse` as DeleteSnapshot does for an AMI's snapshot,
 * `ResourceLimitExceeded` for a quota), so callers are tested against a refusal, not a code.
 */
export class SnapshotTiers {
  private readonly states = new Map<string, TierState>();
  readonly earlyCharges: EarlyArchiveCharge[] = [];

  constructor(
    private readonly clock: SandboxClock,
    private readonly accountId: string,
    private readonly snapshots: Map<string, Stored<Snapshot>>,
    private readonly images: Map<string, Stored<Image>>,
    readonly timings: TieringTimings = { ...DEFAULT_TIERING_TIMINGS },
  ) {}

  readonly operations: Record<string, Op> = {
    ModifySnapshotTier: (i: ModifySnapshotTierRequest) => this.modifySnapshotTier(i),
    DescribeSnapshotTierStatus: (i: DescribeSnapshotTierStatusRequest) => this.describeSnapshotTierStatus(i),
    RestoreSnapshotTier: (i: RestoreSnapshotTierRequest) => this.restoreSnapshotTier(i),
  };

  /** Brings a snapshot's tier up to date with sandbox time (archives and restores that finished, restores that expired). */
  refresh(s: Snapshot): Snapshot {
    const t = this.states.get(s.SnapshotId ?? '');
    if (!t) {
      s.StorageTier ??= 'standard';
      return s;
    }
    const now = this.clock.nowMs();
    if (t.op === 'archival-in-progress' && now >= t.startMs + this.timings.archiveMs) {
      t.op = 'archival-completed';
      t.archivalCompleteMs = t.startMs + this.timings.archiveMs;
      t.archivedAtMs = t.archivalCompleteMs;
      s.StorageTier = 'archive';
    }
    if (t.op === 'temporary-restore-in-progress' && now >= t.startMs + this.timings.restoreMs) {
      t.op = 'temporary-restore-completed';
      t.restoreExpiryMs = t.startMs + this.timings.restoreMs + (t.temporaryDays ?? 1) * DAY;
      s.StorageTier = 'standard';
      s.RestoreExpiryTime = new Date(t.restoreExpiryMs);
    }
    if (t.op === 'temporary-restore-completed' && t.restoreExpiryMs !== undefined && now >= t.restoreExpiryMs) {
      // The restored copy is removed; the archived one was kept all along.
      s.StorageTier = 'archive';
      delete s.RestoreExpiryTime;
      delete t.restoreExpiryMs;
    }
    if (t.op === 'permanent-restore-in-progress' && now >= t.startMs + this.timings.restoreMs) {
      t.op = 'permanent-restore-completed';
      s.StorageTier = 'standard';
      delete s.RestoreExpiryTime;
      delete t.archivedAtMs;
    }
    return s;
  }

  /** Whether the snapshot is in the archive tier or on its way there (an archived copy exists or is being made). */
  inArchive(id: string): boolean {
    const op = this.states.get(id)?.op;
    return op !== undefined && op !== 'archival-failed' && op !== 'permanent-restore-completed';
  }

  /** DeleteSnapshot: allowed for an archived snapshot, billed for what is left of the 90-day minimum. */
  deleted(s: Snapshot): void {
    const id = s.SnapshotId ?? '';
    this.refresh(s);
    if (this.inArchive(id)) this.charge(s, 'delete');
    this.states.delete(id);
  }

  /** Seeds an archived snapshot (tests, the demo): archived `archivedAgoMs` ago, archive completed. */
  seedArchived(id: string, archivedAgoMs: number): void {
    const s = this.snapshots.get(id)?.data;
    if (!s) throw new Error(`no snapshot ${id}`);
    const at = this.clock.nowMs() - archivedAgoMs;
    this.states.set(id, { op: 'archival-completed', startMs: at - this.timings.archiveMs, archivedAtMs: at, archivalCompleteMs: at });
    s.StorageTier = 'archive';
  }

  private charge(s: Snapshot, kind: EarlyArchiveCharge['kind']): void {
    const t = this.states.get(s.SnapshotId ?? '');
    const from = t?.archivedAtMs ?? t?.startMs;
    if (from === undefined) return;
    const leftMs = from + ARCHIVE_MINIMUM_MS - this.clock.nowMs();
    // Billed "rounded to the nearest hour".
    if (leftMs > 0) this.earlyCharges.push({ snapshotId: s.SnapshotId ?? '', kind, remainingDays: Math.round(leftMs / HOUR) / 24, sizeGiB: s.VolumeSize ?? 0 });
  }

  private requireOwn(id: string | undefined): Snapshot {
    const s = this.snapshots.get(id ?? '')?.data;
    if (!s) throw fail('ec2', 'InvalidSnapshot.NotFound', `The snapshot '${id ?? ''}' does not exist.`);
    if (s.OwnerId !== this.accountId) throw fail('ec2', 'UnauthorizedOperation', `You can archive only snapshots you own: ${id} is shared with you (copy it first).`);
    return this.refresh(s);
  }

  private count(op: TieringOperationStatus): number {
    let n = 0;
    for (const [id, t] of this.states) {
      const s = this.snapshots.get(id)?.data;
      if (s) this.refresh(s);
      if (t.op === op) n++;
    }
    return n;
  }

  private modifySnapshotTier(input: ModifySnapshotTierRequest) {
    if (input.StorageTier !== undefined && input.StorageTier !== 'archive') {
      throw fail('ec2', 'InvalidParameterValue', `Value (${input.StorageTier}) for parameter storageTier is invalid. Valid value: archive.`);
    }
    const s = this.requireOwn(input.SnapshotId);
    const id = s.SnapshotId!;
    if (s.State !== 'completed') throw fail('ec2', 'IncorrectState', `Snapshot ${id} is in state ${s.State}: only completed snapshots can be archived.`);
    const op = this.states.get(id)?.op;
    if (op === 'archival-in-progress') throw fail('ec2', 'IncorrectState', `Snapshot ${id} is already being archived.`);
    if (this.inArchive(id)) throw fail('ec2', 'IncorrectState', `Snapshot ${id} is already in the archive tier (${op}).`);
    for (const { data: image } of this.images.values()) {
      if (image.State === 'deregistered') continue;
      if ((image.BlockDeviceMappings ?? []).some((m) => m.Ebs?.SnapshotId === id)) {
        throw fail('ec2', 'InvalidSnapshot.InUse', `Snapshot ${id} is associated with ${image.ImageId}: deregister or disable the AMI before archiving it.`);
      }
    }
    if (this.count('archival-in-progress') >= ARCHIVE_QUOTAS.archivesInProgress) {
      throw fail('ec2', 'ResourceLimitExceeded', `You have reached the limit of ${ARCHIVE_QUOTAS.archivesInProgress} in-progress snapshot archives for this account.`);
    }
    const archivedOfVolume = [...this.states.keys()].filter((other) => this.inArchive(other) && this.snapshots.get(other)?.data.VolumeId === s.VolumeId).length;
    if (archivedOfVolume >= ARCHIVE_QUOTAS.archivedPerVolume) {
      throw fail('ec2', 'ResourceLimitExceeded', `Volume ${s.VolumeId} already has ${archivedOfVolume} archived snapshots (limit ${ARCHIVE_QUOTAS.archivedPerVolume}).`);
    }
    const now = this.clock.nowMs();
    // The 90-day minimum is billed from the archive; deleting during it is billed for what has moved (we take all of it).
    this.states.set(id, { op: 'archival-in-progress', startMs: now, archivedAtMs: now });
    return { SnapshotId: id, TieringStartTime: new Date(now) };
  }

  private restoreSnapshotTier(input: RestoreSnapshotTierRequest) {
    const s = this.requireOwn(input.SnapshotId);
    const id = s.SnapshotId!;
    const temporary = input.TemporaryRestoreDays;
    if (temporary !== undefined && input.PermanentRestore) {
      throw fail('ec2', 'InvalidParameterCombination', 'Specify either TemporaryRestoreDays or PermanentRestore, not both.');
    }
    if (temporary === undefined && !input.PermanentRestore) throw fail('ec2', 'MissingParameter', 'The request must contain TemporaryRestoreDays or PermanentRestore=true.');
    if (temporary !== undefined && (!Number.isInteger(temporary) || temporary < 1)) {
      throw fail('ec2', 'InvalidParameterValue', `Value (${temporary}) for parameter temporaryRestoreDays is invalid: expected a whole number of days, at least 1.`);
    }
    const t = this.states.get(id);
    const now = this.clock.nowMs();
    // A temporarily restored snapshot: a new period, or made permanent (the user guide's "modify the restore period or type").
    if (t?.op === 'temporary-restore-completed' && s.StorageTier === 'standard') {
      if (temporary !== undefined) {
        t.restoreExpiryMs = now + temporary * DAY;
        s.RestoreExpiryTime = new Date(t.restoreExpiryMs);
        return { SnapshotId: id, RestoreStartTime: new Date(t.startMs), RestoreDuration: temporary, IsPermanentRestore: false };
      }
      this.charge(s, 'permanent-restore');
      Object.assign(t, { op: 'permanent-restore-completed' as const, startMs: now });
      delete t.archivedAtMs;
      delete t.restoreExpiryMs;
      delete s.RestoreExpiryTime;
      return { SnapshotId: id, RestoreStartTime: new Date(now), IsPermanentRestore: true };
    }
    if (s.StorageTier !== 'archive' || !t) throw fail('ec2', 'IncorrectState', `Snapshot ${id} is not in the archive tier (${t?.op ?? 'standard'}): only archived snapshots can be restored.`);
    if (t.op.endsWith('-restore-in-progress')) throw fail('ec2', 'IncorrectState', `Snapshot ${id} is already being restored (${t.op}).`);
    const restoring = this.count('temporary-restore-in-progress') + this.count('permanent-restore-in-progress');
    if (restoring >= ARCHIVE_QUOTAS.restoresInProgress) {
      throw fail('ec2', 'ResourceLimitExceeded', `You have reached the limit of ${ARCHIVE_QUOTAS.restoresInProgress} in-progress snapshot restores for this account.`);
    }
    if (input.PermanentRestore) this.charge(s, 'permanent-restore');
    Object.assign(t, { op: input.PermanentRestore ? 'permanent-restore-in-progress' : 'temporary-restore-in-progress', startMs: now, temporaryDays: temporary });
    return { SnapshotId: id, RestoreStartTime: new Date(now), ...(temporary !== undefined ? { RestoreDuration: temporary } : {}), IsPermanentRestore: Boolean(input.PermanentRestore) };
  }

  private statusFields: FilterFields<Snapshot> = {
    'snapshot-id': (s) => [s.SnapshotId],
    'volume-id': (s) => [s.VolumeId],
    'last-tiering-operation': (s) => [this.states.get(s.SnapshotId ?? '')?.op],
  };

  private describeSnapshotTierStatus(input: DescribeSnapshotTierStatusRequest) {
    const own = [...this.snapshots.values()].filter((s) => s.data.OwnerId === this.accountId);
    for (const s of own) this.refresh(s.data);
    const { page, nextToken } = paginate('ec2', applyFilters(own, input.Filters, this.statusFields), input, { min: 5, max: 1000 });
    return { SnapshotTierStatuses: page.map((s) => this.statusOf(s)), NextToken: nextToken };
  }

  private statusOf(s: Snapshot): SnapshotTierStatus {
    const t = this.states.get(s.SnapshotId ?? '');
    const progress = t && t.op.endsWith('-in-progress') ? Math.min(99, Math.floor(((this.clock.nowMs() - t.startMs) / (t.op === 'archival-in-progress' ? this.timings.archiveMs : this.timings.restoreMs)) * 100)) : 100;
    return {
      SnapshotId: s.SnapshotId,
      VolumeId: s.VolumeId,
      Status: s.State,
      OwnerId: s.OwnerId,
      Tags: s.Tags ? structuredClone(s.Tags) : undefined,
      StorageTier: s.StorageTier ?? 'standard',
      ...(t
        ? {
            LastTieringStartTime: new Date(t.startMs),
            LastTieringProgress: progress,
            LastTieringOperationStatus: t.op,
            ...(t.archivalCompleteMs !== undefined ? { ArchivalCompleteTime: new Date(t.archivalCompleteMs) } : {}),
            ...(t.restoreExpiryMs !== undefined ? { RestoreExpiryTime: new Date(t.restoreExpiryMs) } : {}),
          }
        : {}),
    };
  }
}

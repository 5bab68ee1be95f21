import {
  CreateSnapshotCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  DescribeSnapshotTierStatusCommand,
  type EC2Client,
  ModifySnapshotTierCommand,
  RestoreSnapshotTierCommand,
} from '@aws-sdk/client-ec2';
import { beforeEach, describe, expect, it } from 'vitest';
import { SandboxAccount } from '../../sandbox/account';
import { ARCHIVE_QUOTAS } from '../../sandbox/ec2-archive';
import { FleetBuilder } from '../../sandbox/fleet';
import { bucketFor } from '../../sandbox/throttle';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The archive tier refuses what EBS refuses (https://docs.aws.amazon.com/ebs/latest/userguide/snapshot-archive.html). */
describe('Sandbox EBS archive tier', () => {
  let sandbox: SandboxAccount;
  let fleet: FleetBuilder;
  let ec2: EC2Client;
  let volume: { VolumeId?: string; Size?: number };
  beforeEach(() => {
    sandbox = new SandboxAccount({ start: new Date('2026-06-01T00:00:00Z'), timeScale: 0 });
    fleet = new FleetBuilder(sandbox);
    ec2 = sandbox.clients({ maxAttempts: 1 }).ec2;
    volume = fleet.volume({ sizeGiB: 100 });
  });

  const snap = (ageDays = 40) => fleet.snapshot(volume, ageDays * DAY).SnapshotId!;
  const archive = (id: string) => ec2.send(new ModifySnapshotTierCommand({ SnapshotId: id, StorageTier: 'archive' }));
  const tierOf = async (id: string) => (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }))).Snapshots![0]!.StorageTier;
  const status = async (id: string) => (await ec2.send(new DescribeSnapshotTierStatusCommand({ Filters: [{ Name: 'snapshot-id', Values: [id] }] }))).SnapshotTierStatuses![0]!;

  it('archives a completed snapshot: standard (usable) while archiving, archive once done, and says when it started', async () => {
    const id = snap();
    const out = await archive(id);
    expect(out.TieringStartTime).toEqual(sandbox.clock.now());
    expect(await tierOf(id)).toBe('standard');
    expect(await status(id)).toMatchObject({ StorageTier: 'standard', LastTieringOperationStatus: 'archival-in-progress', LastTieringStartTime: sandbox.clock.now() });
    sandbox.clock.advance(sandbox.ec2.tiers.timings.archiveMs);
    expect(await tierOf(id)).toBe('archive');
    expect(await status(id)).toMatchObject({ StorageTier: 'archive', LastTieringOperationStatus: 'archival-completed', ArchivalCompleteTime: sandbox.clock.now() });
    // An archived snapshot is still a completed snapshot of its volume.
    const listed = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'storage-tier', Values: ['archive'] }] }));
    expect(listed.Snapshots!.map((s) => [s.SnapshotId, s.State])).toEqual([[id, 'completed']]);
  });

  it('refuses a pending snapshot, one an AMI uses, one already archived or being archived, and a tier other than archive', async () => {
    const pending = fleet.snapshot(volume, 0, {}, true).SnapshotId!;
    await expect(archive(pending)).rejects.toMatchObject({ name: 'IncorrectState' });
    const held = snap();
    fleet.image([held]);
    await expect(archive(held)).rejects.toMatchObject({ name: 'InvalidSnapshot.InUse' });
    const id = snap();
    await archive(id);
    await expect(archive(id)).rejects.toMatchObject({ name: 'IncorrectState' });
    sandbox.clock.advance(sandbox.ec2.tiers.timings.archiveMs);
    await expect(archive(id)).rejects.toMatchObject({ name: 'IncorrectState' });
    await expect(ec2.send(new ModifySnapshotTierCommand({ SnapshotId: snap(), StorageTier: 'standard' as never }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(archive('snap-0000000000000dead')).rejects.toMatchObject({ name: 'InvalidSnapshot.NotFound' });
  });

  it('refuses an error snapshot (a failed CreateSnapshot)', async () => {
    sandbox.ec2.outcomes.fail({ volumeId: volume.VolumeId! });
    const { SnapshotId } = await ec2.send(new CreateSnapshotCommand({ VolumeId: volume.VolumeId! }));
    sandbox.clock.advance(2 * HOUR);
    await expect(archive(SnapshotId!)).rejects.toMatchObject({ name: 'IncorrectState' });
  });

  it(`allows ${ARCHIVE_QUOTAS.archivesInProgress} archives in progress per account, then refuses until one completes`, async () => {
    const volumes = Array.from({ length: ARCHIVE_QUOTAS.archivesInProgress + 1 }, () => fleet.volume({ sizeGiB: 8 }));
    const ids = volumes.map((v) => fleet.snapshot(v, 40 * DAY).SnapshotId!);
    for (const id of ids.slice(0, -1)) await archive(id);
    await expect(archive(ids.at(-1)!)).rejects.toMatchObject({ name: 'ResourceLimitExceeded' });
    sandbox.clock.advance(sandbox.ec2.tiers.timings.archiveMs);
    await expect(archive(ids.at(-1)!)).resolves.toMatchObject({ SnapshotId: ids.at(-1) });
  });

  it(`refuses a ${ARCHIVE_QUOTAS.archivedPerVolume + 1}th archived snapshot of one volume`, async () => {
    const ids = Array.from({ length: ARCHIVE_QUOTAS.archivedPerVolume + 1 }, (_, i) => snap(40 + i));
    for (const id of ids.slice(0, -1)) sandbox.ec2.tiers.seedArchived(id, 10 * DAY);
    await expect(archive(ids.at(-1)!)).rejects.toMatchObject({ name: 'ResourceLimitExceeded' });
  });

  it('throttles ModifySnapshotTier on the mutating bucket (50 burst, 5/s) and DescribeSnapshotTierStatus on the filtered describe one', () => {
    expect(bucketFor('ec2', 'ModifySnapshotTier', { SnapshotId: 'snap-1' })).toEqual({ key: 'ModifySnapshotTier', capacity: 50, refillPerSecond: 5 });
    expect(bucketFor('ec2', 'DescribeSnapshotTierStatus', { Filters: [{ Name: 'last-tiering-operation', Values: ['archival-completed'] }] })).toMatchObject({ capacity: 100, refillPerSecond: 20 });
  });

  it('filters DescribeSnapshotTierStatus by last-tiering-operation and refuses an unknown filter', async () => {
    const archived = snap();
    const archiving = snap();
    snap();
    sandbox.ec2.tiers.seedArchived(archived, 5 * DAY);
    await archive(archiving);
    const byOp = async (op: string) =>
      (await ec2.send(new DescribeSnapshotTierStatusCommand({ Filters: [{ Name: 'last-tiering-operation', Values: [op] }] }))).SnapshotTierStatuses!.map((s) => s.SnapshotId);
    expect(await byOp('archival-completed')).toEqual([archived]);
    expect(await byOp('archival-in-progress')).toEqual([archiving]);
    await expect(ec2.send(new DescribeSnapshotTierStatusCommand({ Filters: [{ Name: 'storage-tier', Values: ['archive'] }] }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  describe('RestoreSnapshotTier', () => {
    it('restores temporarily after hours, then re-archives when the days run out', async () => {
      const id = snap();
      sandbox.ec2.tiers.seedArchived(id, 100 * DAY);
      const out = await ec2.send(new RestoreSnapshotTierCommand({ SnapshotId: id, TemporaryRestoreDays: 2 }));
      expect(out).toMatchObject({ RestoreDuration: 2, IsPermanentRestore: false });
      sandbox.clock.advance(HOUR);
      expect(await tierOf(id)).toBe('archive'); // a restore takes hours, not minutes
      sandbox.clock.advance(sandbox.ec2.tiers.timings.restoreMs);
      expect(await tierOf(id)).toBe('standard');
      expect((await status(id)).LastTieringOperationStatus).toBe('temporary-restore-completed');
      sandbox.clock.advance(2 * DAY);
      expect(await tierOf(id)).toBe('archive');
      expect(sandbox.ec2.tiers.earlyCharges).toEqual([]); // temporary restores are never charged the minimum
    });

    it('refuses both kinds at once, neither, a snapshot not archived, and a sixth restore in progress', async () => {
      const id = snap();
      sandbox.ec2.tiers.seedArchived(id, 100 * DAY);
      await expect(ec2.send(new RestoreSnapshotTierCommand({ SnapshotId: id, TemporaryRestoreDays: 2, PermanentRestore: true }))).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
      await expect(ec2.send(new RestoreSnapshotTierCommand({ SnapshotId: id }))).rejects.toMatchObject({ name: 'MissingParameter' });
      await expect(ec2.send(new RestoreSnapshotTierCommand({ SnapshotId: snap(), PermanentRestore: true }))).rejects.toMatchObject({ name: 'IncorrectState' });
      const ids = Array.from({ length: ARCHIVE_QUOTAS.restoresInProgress + 1 }, (_, i) => fleet.snapshot(fleet.volume({}), (50 + i) * DAY).SnapshotId!);
      for (const other of ids) sandbox.ec2.tiers.seedArchived(other, 100 * DAY);
      for (const other of ids.slice(0, -1)) await ec2.send(new RestoreSnapshotTierCommand({ SnapshotId: other, TemporaryRestoreDays: 1 }));
      await expect(ec2.send(new RestoreSnapshotTierCommand({ SnapshotId: ids.at(-1)!, TemporaryRestoreDays: 1 }))).rejects.toMatchObject({ name: 'ResourceLimitExceeded' });
    });

    it('bills a permanent restore within the 90-day minimum for the days left', async () => {
      const id = snap();
      sandbox.ec2.tiers.seedArchived(id, 40 * DAY);
      await ec2.send(new RestoreSnapshotTierCommand({ SnapshotId: id, PermanentRestore: true }));
      expect(sandbox.ec2.tiers.earlyCharges).toEqual([{ snapshotId: id, kind: 'permanent-restore', remainingDays: 50, sizeGiB: 100 }]);
      sandbox.clock.advance(sandbox.ec2.tiers.timings.restoreMs);
      expect(await tierOf(id)).toBe('standard');
      // Once back in the standard tier it may be archived again.
      await expect(archive(id)).resolves.toMatchObject({ SnapshotId: id });
    });
  });

  describe('DeleteSnapshot of an archived snapshot', () => {
    it('is allowed, and billed for the rest of the 90 days when sooner (the pricing page: deleted after 40 days, billed 50)', async () => {
      const young = snap();
      const old = snap();
      sandbox.ec2.tiers.seedArchived(young, 40 * DAY);
      sandbox.ec2.tiers.seedArchived(old, 91 * DAY);
      await ec2.send(new DeleteSnapshotCommand({ SnapshotId: young }));
      await ec2.send(new DeleteSnapshotCommand({ SnapshotId: old }));
      expect(sandbox.ec2.tiers.earlyCharges).toEqual([{ snapshotId: young, kind: 'delete', remainingDays: 50, sizeGiB: 100 }]);
    });

    it('is billed the minimum when deleted while still being archived', async () => {
      const id = snap();
      await archive(id);
      sandbox.clock.advance(HOUR);
      await ec2.send(new DeleteSnapshotCommand({ SnapshotId: id }));
      expect(sandbox.ec2.tiers.earlyCharges.map((c) => [c.snapshotId, c.remainingDays])).toEqual([[id, 90 - 1 / 24]]);
    });
  });
});

import { DescribeSnapshotsCommand, ModifySnapshotTierCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/load';
import { RateLimiter } from '../../shared/engine/rate-limit';
import { runFailed } from '../../shared/engine/run';
import type { JobContext } from '../../shared/engine/types';
import { ARCHIVE_PACING, snapshotArchiver } from '../../shared/prune/apply-archives';
import { ARCHIVE_ACTION } from '../../shared/prune/plan-archive';
import { runPrune } from '../../shared/prune/run-prune';
import { SandboxAccount } from '../../sandbox/account';
import { FleetBuilder } from '../../sandbox/fleet';
import { sandboxJobContext } from '../../sandbox/job-context';

const DAY = 86_400_000;
const START = new Date('2026-06-15T12:00:00Z');
const at = (iso: string) => START.getTime() - Date.parse(iso);

function setup(options: { throttling?: boolean } = {}) {
  const sandbox = new SandboxAccount({ start: START, timeScale: 0, throttling: options.throttling ?? false, seed: 11 });
  const fleet = new FleetBuilder(sandbox);
  const context = (overrides: Partial<JobContext> = {}): JobContext => sandboxJobContext(sandbox, { runId: 'archive-test', ...overrides });
  const managed = (vol: { VolumeId?: string; Size?: number }, ageMs: number, policy = 'gfs') =>
    fleet.snapshot(vol, ageMs, { 'caretaker:managed': 'true', 'caretaker:policy': policy }).SnapshotId!;
  const tierOf = async (id: string) => (await sandbox.clients().ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }))).Snapshots![0]!.StorageTier;
  const moved = () => sandbox.callsOf('ModifySnapshotTier').map((c) => (c.input as { SnapshotId: string }).SnapshotId);
  return { sandbox, fleet, context, managed, tierOf, moved };
}

const config = (retain: Record<string, unknown>, prune: Record<string, unknown> = {}) =>
  parseConfig({
    snapshot: { policies: [{ name: 'gfs', schedule: 'rate(1 day)', selector: { tags: { backup: ['gfs'] } }, retain: { staleAfter: '30d', ...retain } }] },
    prune: { minAgeHours: 24, ...prune },
  });

const GFS = { daily: 7, weekly: 8, monthly: 12, archive: { afterDays: 30, rules: ['monthly'] } };

/**
 * A volume snapshotted daily for 60 days (Apr 16 - Jun 14, 2026), before that on the 1st of each
 * month back to Apr 2025. On Jun 15, monthly: 12 keeps Jun 14 (rank 1), May 31, Apr 30, then Mar 1 ...
 * Jul 1 2025 (rank 12). Older than 30 days and kept ≥ 90 more days for sure (rank k: (12 − k) × 28
 * days) are ranks 3-8: Apr 30, Mar 1, Feb 1, Jan 1, Dec 1, Nov 1. Ranks 9-12 may go within 90 days.
 */
function gfsVolume(s: ReturnType<typeof setup>) {
  const vol = s.fleet.volume({ sizeGiB: 50 });
  const byDate = new Map<string, string>();
  for (let d = 1; d <= 60; d++) {
    const date = new Date(START.getTime() - d * DAY).toISOString().slice(0, 10);
    byDate.set(date, s.managed(vol, d * DAY));
  }
  for (const month of ['2025-04', '2025-05', '2025-06', '2025-07', '2025-08', '2025-09', '2025-10', '2025-11', '2025-12', '2026-01', '2026-02', '2026-03']) {
    byDate.set(`${month}-01`, s.managed(vol, at(`${month}-01T12:00:00Z`)));
  }
  return { vol, byDate, id: (date: string) => byDate.get(date)! };
}

const MOVED_DATES = ['2026-04-30', '2026-03-01', '2026-02-01', '2026-01-01', '2025-12-01', '2025-11-01'];
const SOON_DATES = ['2025-10-01', '2025-09-01', '2025-08-01', '2025-07-01'];

describe('prune: the archive tier (retain.archive)', () => {
  it('moves the kept snapshots of the listed rules older than afterDays, and only those; a dry run moves nothing', async () => {
    const s = setup();
    const v = gfsVolume(s);

    const dry = await runPrune(s.context({ dryRun: true }), config(GFS));
    expect(s.moved()).toEqual([]);
    const planned = dry.plan.filter((p) => p.action === ARCHIVE_ACTION);
    expect(planned.map((p) => p.target).sort()).toEqual(MOVED_DATES.map(v.id).sort());
    expect(planned.find((p) => p.target === v.id('2026-03-01'))!.reason).toMatch(/kept: monthly 2026-03; archive: monthly snapshot 106 days old \(archive\.afterDays 30\), kept at least 224 more days$/);
    // Ranks 9-12 may be deleted within the 90-day minimum: they stay standard, and the plan says why.
    for (const date of SOON_DATES) expect(dry.plan.find((p) => p.target === v.id(date))).toMatchObject({ action: 'skip', reason: expect.stringMatching(/not archived: the rules keep it only \d+ more day\(s\) for sure/) });
    // Kept by weekly only (not listed), however old: never archived.
    const weeklyOnly = dry.plan.find((p) => p.target === v.id('2026-05-10'))!;
    expect(weeklyOnly).toMatchObject({ action: 'skip' });
    expect(weeklyOnly.reason).toBe('kept: weekly 2026-W19');
    expect(dry.notes).toContain('Would move 6 kept snapshot(s) to the archive tier; 6 can start now (0 archive(s) already in progress, prune.maxArchivesInProgress 25), the rest in later runs.');

    const report = await runPrune(s.context(), config(GFS));
    expect(runFailed(report)).toBe(false);
    expect(s.moved().sort()).toEqual(MOVED_DATES.map(v.id).sort());
    // Oldest first.
    expect(s.moved()).toEqual([...MOVED_DATES].reverse().map(v.id));
    expect(report.results.filter((r) => r.action === ARCHIVE_ACTION).map((r) => r.outcome)).toEqual(Array(6).fill('done'));
    expect(report.notes).toContain('Archive tier: started 6 move(s) (ModifySnapshotTier; archiving takes hours, the snapshot stays usable meanwhile).');
    // Moving keeps: they are counted as kept, and deletions are those of the same rules without an archive.
    expect(report.planCounts).toContainEqual({ group: 'gfs', action: ARCHIVE_ACTION, count: 6 });
    expect(s.sandbox.ec2.snapshots.has(v.id('2025-06-01'))).toBe(false);
    expect(await s.tierOf(v.id('2026-03-01'))).toBe('standard'); // usable while the archive runs
    s.sandbox.clock.advance(s.sandbox.ec2.tiers.timings.archiveMs);
    expect(await s.tierOf(v.id('2026-03-01'))).toBe('archive');
  });

  it('counts archived snapshots for retention like any other, and never moves them again', async () => {
    const s = setup();
    const v = gfsVolume(s);
    await runPrune(s.context(), config(GFS));
    s.sandbox.clock.advance(s.sandbox.ec2.tiers.timings.archiveMs);
    const before = new Set(s.sandbox.ec2.snapshots.keys());

    const again = await runPrune(s.context({ now: s.sandbox.clock.now() }), config(GFS));
    expect(s.moved()).toHaveLength(6); // no second ModifySnapshotTier
    expect(again.results.filter((r) => r.outcome === 'done')).toEqual([]);
    expect(new Set(s.sandbox.ec2.snapshots.keys())).toEqual(before);
    expect(again.notes).toContain('6 snapshot(s) are in the archive tier (or on their way): counted by the retention rules like any other.');

    // monthly: 3 on the same history: the archived Apr 30 is still April's snapshot, so April's
    // other survivor (Apr 26, kept by weekly so far) goes; were archived ones not counted, it would be April's.
    const few = await runPrune(s.context({ now: s.sandbox.clock.now(), dryRun: true }), config({ daily: 7, monthly: 3 }));
    expect(few.plan.find((p) => p.target === v.id('2026-04-30'))!.reason).toBe('archive tier; kept: monthly 2026-04');
    expect(few.plan.find((p) => p.target === v.id('2026-04-26'))!.action).toBe('delete-snapshot');
  });

  it('keeps an archived snapshot the rules condemn until its 90-day minimum ends (deleting sooner is billed anyway), says so, then deletes it', async () => {
    const s = setup();
    const vol = s.fleet.volume({ sizeGiB: 80 });
    const recent = [1, 2, 3].map((d) => s.managed(vol, d * DAY));
    const young = s.managed(vol, 200 * DAY); // archived 40 days ago
    const old = s.managed(vol, 300 * DAY); // archived 120 days ago
    s.sandbox.ec2.tiers.seedArchived(young, 40 * DAY);
    s.sandbox.ec2.tiers.seedArchived(old, 120 * DAY);

    const report = await runPrune(s.context(), config({ keepLast: 3 }));
    expect(new Set(s.sandbox.ec2.snapshots.keys())).toEqual(new Set([...recent, young]));
    expect(s.sandbox.ec2.tiers.earlyCharges).toEqual([]);
    expect(report.notes).toContain(
      '1 archived snapshot(s) (≈ 80 GiB) that the rules would delete are kept until their 90-day archive minimum ends: deleting them sooner is billed for the remaining days anyway; the first run after it deletes them.',
    );
    const dry = await runPrune(s.context({ dryRun: true }), config({ keepLast: 3 }));
    expect(dry.plan.find((p) => p.target === young)!.reason).toBe(
      'archive tier; kept: in the archive since 2026-05-06: deleting before 2026-08-04 is billed for the rest of the 90 days anyway (archive minimum), so it is kept until then',
    );

    s.sandbox.clock.advance(51 * DAY);
    await runPrune(s.context({ now: s.sandbox.clock.now() }), config({ keepLast: 3 }));
    expect(s.sandbox.ec2.snapshots.has(young)).toBe(false);
    expect(s.sandbox.ec2.tiers.earlyCharges).toEqual([]);
  });

  it('starts only the moves the in-progress quota has room for, and leaves the rest for a later run', async () => {
    const s = setup();
    const volumes = Array.from({ length: 5 }, () => s.fleet.volume({ sizeGiB: 10 }));
    for (const vol of volumes) for (const d of [1, 2, 40, 70, 100]) s.managed(vol, d * DAY);
    // Two archives already running (someone archived by hand).
    const busy = volumes.slice(0, 2).map((vol) => s.fleet.snapshot(vol, 400 * DAY).SnapshotId!);
    for (const id of busy) await s.sandbox.clients().ec2.send(new ModifySnapshotTierCommand({ SnapshotId: id, StorageTier: 'archive' }));
    const cfg = config({ keepLast: 5, monthly: 12, archive: { afterDays: 30, rules: ['monthly'] } }, { maxArchivesInProgress: 5 });

    const report = await runPrune(s.context(), cfg);
    // 5 volumes × 3 monthly snapshots older than 30 days = 15 moves; room for 3.
    expect(s.moved().slice(2)).toHaveLength(3);
    expect(report.resultCounts).toContainEqual({ group: 'gfs', action: ARCHIVE_ACTION, outcome: 'skipped', count: 12 });
    expect(report.notes).toContain('Archive tier: started 3 move(s) (ModifySnapshotTier; archiving takes hours, the snapshot stays usable meanwhile); 12 wait for a later run (2 archive(s) already in progress, prune.maxArchivesInProgress 5).');
    // Waiting moves are no deletion backlog: they never ask for a continuation a minute later (archives take hours).
    expect(report.remaining).toBe(0);
  });

  it('paces ModifySnapshotTier to its bucket: a drained bucket slows the run down, it does not fail it', async () => {
    const s = setup({ throttling: true });
    const vol = s.fleet.volume({ sizeGiB: 10 });
    const ids = Array.from({ length: 20 }, (_, i) => s.managed(s.fleet.volume({ sizeGiB: 10 }), (40 + i) * DAY));
    s.managed(vol, DAY);
    // Another tool used the whole bucket just before the run (calls that archive nothing, so the quota stays free).
    const other = s.sandbox.clients({ maxAttempts: 1 }).ec2;
    await Promise.allSettled(Array.from({ length: 50 }, () => other.send(new ModifySnapshotTierCommand({ SnapshotId: 'snap-0000000000000dead', StorageTier: 'archive' }))));
    const t0 = s.sandbox.clock.nowMs();

    const report = await runPrune(s.context(), config({ keepLast: 1, monthly: 6, archive: { afterDays: 30, rules: ['monthly'] } }));
    const results = report.results.filter((r) => r.action === ARCHIVE_ACTION);
    expect(results.filter((r) => r.outcome === 'done').map((r) => r.id).sort()).toEqual(ids.sort());
    // 20 calls on an empty 5/s bucket take at least 4 s of (sandbox) time.
    expect(s.sandbox.clock.nowMs() - t0).toBeGreaterThanOrEqual(3_800);
  });

  it('never plans an AMI\'s snapshot or an unmanaged one, and treats what EBS refuses at apply time as a skip', async () => {
    const s = setup();
    const vol = s.fleet.volume({ sizeGiB: 10 });
    s.managed(vol, DAY);
    const held = s.managed(vol, 45 * DAY);
    const free = s.managed(vol, 75 * DAY);
    s.fleet.image([held]);
    const cfg = config({ keepLast: 1, monthly: 12, archive: { afterDays: 30, rules: ['monthly'] } });

    const dry = await runPrune(s.context({ dryRun: true }), cfg);
    expect(dry.plan.find((p) => p.target === held)!.reason).toMatch(/not archived: an AMI uses it/);
    expect(dry.plan.find((p) => p.target === free)!.action).toBe(ARCHIVE_ACTION);

    // Archived by hand between the plan and the call: EBS says IncorrectState, the item is skipped.
    const ec2 = s.sandbox.clients().ec2;
    await ec2.send(new ModifySnapshotTierCommand({ SnapshotId: free, StorageTier: 'archive' }));
    const archiver = snapshotArchiver(ec2, new RateLimiter(ARCHIVE_PACING, { nowMs: () => s.sandbox.clock.nowMs(), sleep: async () => {} }), async () => {});
    const decision = { target: free, action: ARCHIVE_ACTION, reason: 'r', payload: { volumeId: vol.VolumeId!, sizeGiB: 10, startMs: 0, unmanaged: false, rules: ['monthly' as const] } };
    await expect(archiver(decision)).resolves.toMatchObject({ outcome: 'skipped', errorCode: 'IncorrectState' });
    await expect(archiver({ ...decision, target: held })).resolves.toMatchObject({ outcome: 'skipped', errorCode: 'InvalidSnapshot.InUse' });
  });
});

import { summarizeRun } from '../../shared/lambda/summary';
import { countTable } from '../../shared/alerts/format-counts';
import { formatReport, reportSubject } from '../../shared/alerts/format';
import { memoryAlertSink } from '../../shared/alerts/sink';
import { DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/load';
import { InputError } from '../../shared/engine/errors';
import { runFailed } from '../../shared/engine/run';
import type { JobContext } from '../../shared/engine/types';
import { describeSnapshotPages } from '../../shared/prune/describe-snapshots';
import { runPrune } from '../../shared/prune/run-prune';
import { FOREIGN_REASON } from '../../shared/prune/summarize-prune';
import { SandboxAccount } from '../../sandbox/account';
import { FleetBuilder } from '../../sandbox/fleet';
import { sandboxJobContext } from '../../sandbox/job-context';

const DAY = 86_400_000;
const START = new Date('2026-06-15T12:00:00Z');

function setup(options: { throttling?: boolean } = {}) {
  const sandbox = new SandboxAccount({ start: START, timeScale: 0, throttling: options.throttling ?? false, seed: 7 });
  const fleet = new FleetBuilder(sandbox);
  const context = (overrides: Partial<JobContext> = {}): JobContext => sandboxJobContext(sandbox, { runId: 'prune-test', ...overrides });
  /** A caretaker snapshot of policy `policy`, `days` old. */
  const managed = (vol: { VolumeId?: string; Size?: number }, days: number, policy = 'daily', extra: Record<string, string> = {}) =>
    fleet.snapshot(vol, days * DAY, { 'caretaker:managed': 'true', 'caretaker:policy': policy, ...extra }).SnapshotId!;
  const existing = () => new Set(sandbox.ec2.snapshots.keys());
  return { sandbox, fleet, context, managed, existing };
}

/** `staleAfter: 30d`: these volumes' newest snapshots are days old; the freshness guard has its own tests. */
const config = (prune: Record<string, unknown> = {}, retain: Record<string, unknown> | null = { olderThanDays: 7, staleAfter: '30d' }) =>
  parseConfig({
    snapshot: {
      policies: [{ name: 'daily', schedule: 'rate(1 day)', selector: { tags: { backup: ['daily'] } }, ...(retain ? { retain } : {}) }],
    },
    prune: { minAgeHours: 24, ...prune },
  });

describe('runPrune', () => {
  it('deletes expired caretaker snapshots per volume and reports counts, GiB and rules', async () => {
    const { sandbox, fleet, context, managed, existing } = setup();
    const volA = fleet.volume({ sizeGiB: 100 });
    const volB = fleet.volume({ sizeGiB: 20 });
    const a = [1, 3, 8, 10].map((d) => managed(volA, d));
    const b = [9, 12].map((d) => managed(volB, d));
    const foreign = fleet.snapshot(volA, 30 * DAY).SnapshotId!;

    const report = await runPrune(context(), config());

    expect([...existing()].sort()).toEqual([a[0], a[1], b[0], foreign].sort());
    expect(report.results.filter((r) => r.outcome === 'done').map((r) => r.id).sort()).toEqual([a[2], a[3], b[1]].sort());
    expect(report.notes).toContain('Deleted 3 snapshot(s), ≈ 220 GiB (volume size × count).');
    expect(report.notes).toContain('Condemned by: older-than 3.');
    expect(report.notes.some((n) => n.startsWith('Kept 3 snapshot(s); by rule (one snapshot may count under several): min-keep 2, newer-than 2'))).toBe(true);
    expect(sandbox.callsOf('DescribeSnapshots')[0]!.input).toEqual({
      OwnerIds: ['self'],
      MaxResults: 1000,
      Filters: [
        { Name: 'tag:caretaker:managed', Values: ['true'] },
        { Name: 'tag:caretaker:policy', Values: ['daily'] },
      ],
    });
    expect(sandbox.callsOf('DescribeImages')[0]!.input).toMatchObject({ Owners: ['self'], IncludeDisabled: true });
    expect(runFailed(report)).toBe(false);
  });

  it('does nothing in a dry run but lists every deletion with its rule and every survivor with its keeper', async () => {
    const { sandbox, fleet, context, managed } = setup();
    const vol = fleet.volume({});
    const [fresh, old] = [2, 20].map((d) => managed(vol, d));

    const report = await runPrune(context({ dryRun: true }), config());

    expect(sandbox.mutatingCalls()).toEqual([]);
    expect(report.plan).toEqual([
      { target: fresh, action: 'skip', reason: 'kept: newest 1 (minKeep), not older than 7 days', group: 'daily' },
      { target: old, action: 'delete-snapshot', reason: 'older than 7 days (olderThanDays)', group: 'daily' },
    ]);
    expect(report.notes).toContain('Would delete 1 snapshot(s), ≈ 8 GiB (volume size × count).');
  });

  it('keeps snapshots an AMI references without calling DeleteSnapshot for them', async () => {
    const { sandbox, fleet, context, managed, existing } = setup();
    const vol = fleet.volume({});
    const [, held, free] = [1, 20, 21].map((d) => managed(vol, d));
    fleet.image([held!]);

    const dry = await runPrune(context({ dryRun: true }), config());
    const report = await runPrune(context(), config());

    expect(dry.plan.find((p) => p.target === held)?.reason).toBe('kept: used by an AMI');
    expect(existing().has(held!)).toBe(true);
    expect(existing().has(free!)).toBe(false);
    expect(sandbox.callsOf('DeleteSnapshot').map((c) => c.input.SnapshotId)).toEqual([free]);
    // A run counts what it keeps (per policy) instead of listing it: the held one and the newest.
    expect(report.resultCounts).toEqual([{ group: 'daily', action: 'skip', outcome: 'skipped', count: 2 }]);
    expect(report.plan).toEqual([]);
    expect(report.planCounts).toEqual([
      { group: 'daily', action: 'skip', count: 2 },
      { group: 'daily', action: 'delete-snapshot', count: 1 },
    ]);
    expect(report.results.map((r) => r.id)).toEqual([free]);
    // Summary, e-mail and metrics count the counted results with the listed ones.
    expect(summarizeRun(report).counts).toEqual({ planned: 3, actions: 1, done: 1, skipped: 2, failed: 0 });
    expect(summarizeRun(report).itemsTotal).toBe(3);
    expect(countTable(report)).toEqual(['Counts (policy / action: outcomes):', '  daily / delete-snapshot: done 1', '  daily / skip: skipped 2']);
    expect(reportSubject(report)).toBe('[caretaker] Prune ok: 1 done, 2 skipped');
    expect(formatReport(report, {})).toContain('Skipped (2): counted per policy above, not listed.');
    expect(report.notes).toContain('Kept 2 snapshot(s); by rule (one snapshot may count under several): min-keep 1, newer-than 1, ami 1.');
  });

  it('counts InvalidSnapshot.InUse as skipped and InvalidSnapshot.NotFound as already done', async () => {
    const { sandbox, fleet, context, managed } = setup();
    const vol = fleet.volume({});
    const [, inUse, vanished, plain] = [1, 20, 21, 22].map((d) => managed(vol, d));
    sandbox.injectFault({ operation: 'DeleteSnapshot', code: 'InvalidSnapshot.InUse', when: (i) => i.SnapshotId === inUse });
    // Deleted by someone else between our describe and our delete.
    sandbox.injectFault({ operation: 'DeleteSnapshot', code: 'InvalidSnapshot.NotFound', when: (i) => i.SnapshotId === vanished });

    const report = await runPrune(context(), config());

    const byId = Object.fromEntries(report.results.map((r) => [r.id, r]));
    expect(byId[inUse!]).toMatchObject({ outcome: 'skipped', errorCode: 'InvalidSnapshot.InUse' });
    expect(byId[vanished!]).toMatchObject({ outcome: 'done', details: { alreadyGone: true } });
    expect(byId[plain!]).toMatchObject({ outcome: 'done' });
    expect(report.notes).toContain('Deleted 2 snapshot(s), ≈ 16 GiB (volume size × count); 1 of them were already gone.');
    expect(report.notes).toContain('Skipped when deleting: InvalidSnapshot.InUse 1.');
    expect(runFailed(report)).toBe(false);
  });

  it('deletes everything through a 30% RequestLimitExceeded storm, slowing down instead of failing', async () => {
    const { sandbox, fleet, context, managed, existing } = setup({ throttling: true });
    const vols = Array.from({ length: 6 }, () => fleet.volume({}));
    const expired = vols.flatMap((v) => Array.from({ length: 20 }, (_, i) => managed(v, 10 + i)));
    const kept = vols.map((v) => managed(v, 1));
    sandbox.injectFault({ operation: 'DeleteSnapshot', code: 'RequestLimitExceeded', probability: 0.3 });

    const report = await runPrune(context(), config());

    const throttled = sandbox.callsOf('DeleteSnapshot').filter((c) => c.error === 'RequestLimitExceeded').length;
    expect(throttled).toBeGreaterThan(20);
    expect(report.results.filter((r) => r.outcome === 'failed')).toEqual([]);
    expect([...existing()].sort()).toEqual([...kept].sort());
    expect(expired.every((id) => !existing().has(id))).toBe(true);
  });

  it('stops at the time budget, reports the backlog, and the next run finishes without deleting anything twice', async () => {
    const { sandbox, fleet, context, managed, existing } = setup({ throttling: true });
    const vols = Array.from({ length: 10 }, () => fleet.volume({}));
    const expired = vols.flatMap((v) => Array.from({ length: 40 }, (_, i) => managed(v, 10 + i)));
    const kept = vols.map((v) => managed(v, 1));
    // A 60 s invocation: with a 100-token burst and 5/s, far fewer than 400 deletions fit.
    const end = sandbox.clock.nowMs() + 60_000;

    const first = await runPrune(context({ deadline: { remainingMs: () => end - sandbox.clock.nowMs() } }), config(), { safetyMarginMs: 10_000 });
    const firstDone = first.results.filter((r) => r.outcome === 'done').map((r) => r.id);
    const second = await runPrune(context({ now: sandbox.clock.now() }), config());

    expect(first.remaining).toBeGreaterThan(0);
    expect(firstDone.length + first.remaining).toBe(400);
    expect(first.notes).toContain(`Remaining backlog: ${first.remaining} deletion(s) not started (time budget); the next run continues.`);
    expect(sandbox.clock.nowMs()).toBeGreaterThan(end - 60_000);
    const secondDone = second.results.filter((r) => r.outcome === 'done').map((r) => r.id);
    expect(secondDone.filter((id) => firstDone.includes(id))).toEqual([]);
    expect(secondDone.length).toBe(first.remaining);
    const deleteCalls = sandbox.callsOf('DeleteSnapshot').filter((c) => !c.error).map((c) => c.input.SnapshotId);
    expect(new Set(deleteCalls).size).toBe(deleteCalls.length);
    expect([...existing()].sort()).toEqual([...kept].sort());
    expect(expired.some((id) => existing().has(id))).toBe(false);
  });

  it('refuses a plan over maxDeletesPerRun and deletes nothing', async () => {
    const { sandbox, fleet, context, managed } = setup();
    const vol = fleet.volume({});
    [1, 10, 11, 12, 13].forEach((d) => managed(vol, d));

    const report = await runPrune(context(), config({ maxDeletesPerRun: 3 }));

    expect(report.error).toMatchObject({ code: 'BlastRadiusError' });
    expect(report.error?.message).toContain('maxDeletesPerRun=3 exceeded: the plan has 4 actions');
    expect(sandbox.mutatingCalls()).toEqual([]);
  });

  it('prunes a listed volume like the seed tool, leaving unmanaged snapshots alone unless selected', async () => {
    const { sandbox, fleet, context, managed, existing } = setup();
    const vol = fleet.volume({});
    const mine = managed(vol, 30, 'adhoc');
    const foreign = fleet.snapshot(vol, 30 * DAY, { team: 'db' }).SnapshotId!;
    managed(vol, 1, 'adhoc');
    const prune = { volumes: [{ volumeId: vol.VolumeId, olderThanDays: 7 }] };

    const dry = await runPrune(context({ dryRun: true }), config(prune, null));
    expect(dry.results.find((r) => r.id === foreign)).toMatchObject({ outcome: 'skipped', reason: FOREIGN_REASON });
    const leftAlone = await runPrune(context(), config(prune, null));
    expect(existing().has(mine)).toBe(false);
    expect(existing().has(foreign)).toBe(true);
    expect(leftAlone.resultCounts).toContainEqual({ group: 'unmanaged', action: 'skip', outcome: 'skipped', count: 1 });
    expect(leftAlone.notes).toContain('Unmanaged snapshots: 1 left alone (not tagged caretaker:managed=true); 0 selected by includeUnmanaged, 0 of them deleted.');
    expect(sandbox.callsOf('DescribeSnapshots')[0]!.input).toMatchObject({ Filters: [{ Name: 'volume-id', Values: [vol.VolumeId] }] });

    const selected = await runPrune(context(), config({ ...prune, includeUnmanaged: { tags: { team: ['db'] } } }, null));
    expect(existing().has(foreign)).toBe(false);
    expect(selected.results.find((r) => r.id === foreign)).toMatchObject({ outcome: 'done', details: { unmanaged: true } });
    expect(selected.results.find((r) => r.id === foreign)?.reason).toContain('unmanaged (selected by includeUnmanaged)');
  });

  it('plans a policy snapshot on a listed volume once, under its policy', async () => {
    const { sandbox, fleet, context, managed } = setup();
    const vol = fleet.volume({});
    const snaps = [1, 3, 5].map((d) => managed(vol, d));

    const report = await runPrune(context({ dryRun: true }), config({ volumes: [{ volumeId: vol.VolumeId, olderThanDays: 2 }] }, { keepLast: 2 }));

    expect(report.plan.map((p) => p.target).sort()).toEqual([...snaps].sort());
    expect(report.plan.find((p) => p.target === snaps[2])).toMatchObject({ action: 'delete-snapshot', reason: 'kept by no rule (keepLast 2; minKeep 1)' });
    expect(sandbox.callsOf('DescribeSnapshots')).toHaveLength(2);
  });

  it('runs only the volumes given as options (caretaker prune --volume … --older-than …)', async () => {
    const { fleet, context, managed, existing } = setup();
    const [volA, volB] = [fleet.volume({}), fleet.volume({})];
    const a = [1, 9].map((d) => managed(volA!, d));
    const b = [1, 9].map((d) => managed(volB!, d));

    await runPrune(context(), config(), { volumes: [{ volumeId: volA!.VolumeId!, olderThanDays: 3, minKeep: 1, timeZone: 'UTC' }] });

    expect(existing().has(a[1]!)).toBe(false);
    expect(existing().has(b[1]!)).toBe(true);
  });

  it('rejects a listed volume that neither exists nor has snapshots, naming the field, before any delete', async () => {
    const { sandbox, fleet, context, managed } = setup();
    const vol = fleet.volume({});
    managed(vol, 30);
    const prune = { volumes: [{ volumeId: vol.VolumeId, olderThanDays: 7 }, { volumeId: 'vol-0000000000000dead', olderThanDays: 7 }] };

    await expect(runPrune(context(), config(prune, null))).rejects.toThrow(
      new InputError('prune volumes', [{ path: 'prune.volumes[1].volumeId', message: 'volume vol-0000000000000dead does not exist and has no snapshots in this account and Region' }]),
    );
    expect(sandbox.mutatingCalls()).toEqual([]);
  });

  it('accepts a listed volume that was deleted but still has snapshots (the seed tool\'s clean-up case)', async () => {
    const { fleet, context, existing } = setup();
    const gone = { VolumeId: 'vol-00000000000000de1', Size: 8 };
    const old = fleet.snapshot(gone, 30 * DAY, { 'caretaker:managed': 'true' }).SnapshotId!;
    fleet.snapshot(gone, 2 * DAY, { 'caretaker:managed': 'true' });

    await runPrune(context(), config({ volumes: [{ volumeId: gone.VolumeId, olderThanDays: 7 }] }, null));

    expect(existing().has(old)).toBe(false);
  });

  it('reports a describe failure as a refused run and deletes nothing', async () => {
    const { sandbox, fleet, context, managed } = setup();
    managed(fleet.volume({}), 30);
    sandbox.injectFault({ operation: 'DescribeImages', code: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation.' });

    const report = await runPrune(context(), config());

    expect(report.error).toEqual({ code: 'UnauthorizedOperation', message: 'describe failed: You are not authorized to perform this operation.' });
    expect(sandbox.mutatingCalls()).toEqual([]);
  });
});

describe('describeSnapshotPages', () => {
  it('follows NextToken with the filters and page size on every page', async () => {
    const ec2 = mockClient(EC2Client);
    ec2
      .on(DescribeSnapshotsCommand)
      .resolvesOnce({ Snapshots: [{ SnapshotId: 'snap-1' }], NextToken: 'page-2' })
      .resolvesOnce({ Snapshots: [{ SnapshotId: 'snap-2' }] });
    const scope = { policies: [{ name: 'daily', retain: { olderThanDays: 7, minKeep: 1, timeZone: 'UTC' } }], volumes: [] };

    const pages = [];
    for await (const page of describeSnapshotPages(new EC2Client({ region: 'eu-west-1' }), scope)) pages.push(page.snapshots.map((s) => s.SnapshotId));

    expect(pages).toEqual([['snap-1'], ['snap-2']]);
    const filters = [
      { Name: 'tag:caretaker:managed', Values: ['true'] },
      { Name: 'tag:caretaker:policy', Values: ['daily'] },
    ];
    expect(ec2).toHaveReceivedCommandWith(DescribeSnapshotsCommand, { OwnerIds: ['self'], MaxResults: 1000, Filters: filters });
    expect(ec2).toHaveReceivedNthCommandWith(DescribeSnapshotsCommand, 2, { NextToken: 'page-2', MaxResults: 1000, Filters: filters });
    ec2.restore();
  });
});

describe('runPrune on a deleted, listed volume', () => {
  it('accepts it when only policy snapshots remain (they count as its snapshots)', async () => {
    const { context, managed, existing } = setup();
    const gone = { VolumeId: 'vol-00000000000000de2', Size: 8 };
    const old = managed(gone, 30);
    managed(gone, 2);

    await runPrune(context(), config({ volumes: [{ volumeId: gone.VolumeId, olderThanDays: 7 }] }));

    expect(existing().has(old)).toBe(false);
  });
});

describe('prune summary e-mail', () => {
  it('stays a short e-mail with the totals when thousands of items were deleted', async () => {
    const { fleet, context, managed } = setup();
    for (let v = 0; v < 100; v++) {
      const vol = fleet.volume({});
      for (let d = 1; d <= 40; d++) managed(vol, d);
    }
    const alerts = memoryAlertSink();
    const report = await runPrune(context(), config({ maxDeletesPerRun: 5000 }));
    const { publishReport } = await import('../../shared/alerts/publish-report');
    await publishReport(alerts, report);

    const body = alerts.alerts[0]!.body;
    expect(Buffer.byteLength(body)).toBeLessThan(8 * 1024);
    expect(body).toContain('Deleted 3300 snapshot(s), ≈ 26,400 GiB (volume size × count).');
    expect(body).toContain('  daily / delete-snapshot: done 3,300');
    expect(body).toContain('  ... and 3250 more done');
  });
});

describe('runPrune delivered twice at once (EventBridge is at-least-once)', () => {
  it('deletes each snapshot once; the slower run finds them already gone, nothing fails', async () => {
    const { sandbox, fleet, context, managed, existing } = setup();
    const vol = fleet.volume({});
    const expired = [10, 11, 12, 13, 14].map((d) => managed(vol, d));
    const kept = managed(vol, 1);

    const [a, b] = await Promise.all([runPrune(context(), config()), runPrune(context(), config())]);

    expect([...existing()]).toEqual([kept]);
    expect(sandbox.callsOf('DeleteSnapshot').filter((c) => !c.error).map((c) => c.input.SnapshotId).sort()).toEqual([...expired].sort());
    expect([...a.results, ...b.results].filter((r) => r.outcome === 'failed')).toEqual([]);
    expect([...a.results, ...b.results].filter((r) => r.details?.alreadyGone === true)).toHaveLength(5);
  });
});

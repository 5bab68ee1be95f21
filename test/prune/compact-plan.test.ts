import { DescribeSnapshotsCommand, EC2Client, type Snapshot } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { describeSnapshotPages } from '../../shared/prune/describe-snapshots';
import { DELETE_ACTION, judgeRetention, planRetention, type SnapshotRow } from '../../shared/prune/plan-retention';
import { SnapshotTable } from '../../shared/prune/snapshot-table';
import { ARCHIVE_ACTION } from '../../shared/prune/plan-archive';
import { runPrune } from '../../shared/prune/run-prune';
import { countPlanEntry, emptyTally } from '../../shared/prune/summarize-prune';
import { parseConfig } from '../../shared/config/load';
import { SandboxAccount } from '../../sandbox/account';
import { FleetBuilder } from '../../sandbox/fleet';
import { sandboxJobContext } from '../../sandbox/job-context';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-15T12:00:00Z');

function snapshot(i: number, extra: Partial<Snapshot> = {}): Snapshot {
  return {
    SnapshotId: `snap-${i.toString(16).padStart(17, '0')}`,
    VolumeId: `vol-${(i % 7).toString(16).padStart(17, '0')}`,
    StartTime: new Date(NOW - i * 60_000),
    State: i % 3 === 0 ? 'pending' : 'completed',
    VolumeSize: 8 + (i % 5),
    Tags: i % 11 === 0 ? [{ Key: 'caretaker:keep', Value: '' }] : [],
    StorageTier: i % 13 === 0 ? 'archive' : 'standard',
    ...extra,
  };
}

describe('SnapshotTable', () => {
  it('gives back every field the planner reads, past its first growth', () => {
    // Prepare
    const table = new SnapshotTable();
    const n = 3000;

    // Act
    for (let i = 0; i < n; i++) expect(table.add(snapshot(i), i % 4 === 0)).toBe(i);

    // Assess
    expect(table.length).toBe(n);
    for (const i of [0, 1, 3, 11, 13, 26, 143, 1023, 1024, 2047, 2048, n - 1]) {
      const s = snapshot(i);
      expect(table.row(i)).toEqual({
        id: s.SnapshotId,
        volumeId: s.VolumeId,
        startMs: s.StartTime!.getTime(),
        state: s.State,
        sizeGiB: s.VolumeSize,
        keepTag: i % 11 === 0,
        unmanaged: i % 4 === 0,
        storageTier: i % 13 === 0 ? 'archive' : 'standard',
      });
      expect(table.inArchiveTier(i)).toBe(i % 13 === 0);
      expect(table.volumeId(i)).toBe(s.VolumeId);
    }
  });

  it('reads missing fields as the row did (no start time: 0, no state: unknown) and any state AWS may add', () => {
    const table = new SnapshotTable();
    table.add({ SnapshotId: 'snap-1' }, false);
    table.add({ SnapshotId: 'snap-2', State: 'recoverable', StartTime: new Date(NOW) }, true);

    expect(table.row(0)).toEqual({ id: 'snap-1', volumeId: '', startMs: 0, state: 'unknown', sizeGiB: 0, keepTag: false, unmanaged: false, storageTier: 'standard' });
    expect(table.row(1)).toMatchObject({ state: 'recoverable', startMs: NOW, unmanaged: true });
  });

  it('refuses an index it does not hold, and holds nothing once cleared', () => {
    const table = new SnapshotTable();
    table.add(snapshot(1), false);

    expect(() => table.row(1)).toThrow(RangeError);
    expect(() => table.row(-1)).toThrow(RangeError);
    table.clear();
    expect(table.length).toBe(0);
    expect(() => table.row(0)).toThrow(RangeError);
  });
});

describe('judgeRetention', () => {
  const rows: SnapshotRow[] = Array.from({ length: 12 }, (_, d) => ({
    id: `d${d}`,
    volumeId: 'vol-1',
    startMs: NOW - d * DAY - 3600_000,
    state: 'completed',
    sizeGiB: 8,
    keepTag: d === 9,
    unmanaged: false,
  }));
  const ctx = { now: new Date(NOW), minAgeHours: 24, amiSnapshotIds: new Set(['d10']) };
  const retain = { olderThanDays: 5, minKeep: 1, timeZone: 'UTC' };

  it('is planRetention verdict for verdict, newest first', () => {
    const judged = judgeRetention(rows, retain, ctx);
    const planned = planRetention(rows, retain, ctx);

    expect(judged.sorted.map((r) => r.id)).toEqual(planned.map((d) => d.target));
    judged.sorted.forEach((_, i) => {
      expect(judged.isDeletion(i)).toBe(planned[i]!.action === DELETE_ACTION);
      expect(judged.rules(i)).toEqual(planned[i]!.payload.rules);
      expect(judged.reason(i)).toBe(planned[i]!.reason);
      expect(judged.decision(i)).toEqual(planned[i]);
    });
    expect(planned.filter((d) => d.action === DELETE_ACTION).map((d) => d.target)).toEqual(['d5', 'd6', 'd7', 'd8', 'd11']);
  });

  it('shares one read-only rule list between snapshots with the same verdict; decisions get their own copy', () => {
    const judged = judgeRetention(rows, retain, ctx);
    const at = (id: string) => judged.sorted.findIndex((r) => r.id === id);

    expect(judged.rules(at('d6'))).toBe(judged.rules(at('d7')));
    expect(judged.rules(at('d6'))).toEqual(['older-than']);
    expect(judged.rules(at('d2'))).toBe(judged.rules(at('d3')));
    expect(judged.rules(at('d9'))).toEqual(['keep-tag']);
    expect(() => (judged.rules(at('d2')) as string[]).push('ami')).toThrow(TypeError);
    const decision = judged.decision(at('d2'));
    expect(decision.payload.rules).not.toBe(judged.rules(at('d2')));
  });
});

describe('judgeRetention with the archive tier', () => {
  // 400 days of daily snapshots; monthly ones older than 30 days move to the archive tier.
  const rows: SnapshotRow[] = Array.from({ length: 400 }, (_, d) => ({
    id: `a${String(d).padStart(3, '0')}`,
    volumeId: 'vol-1',
    startMs: NOW - d * DAY - 3600_000,
    state: 'completed',
    sizeGiB: 8,
    keepTag: false,
    unmanaged: false,
    storageTier: d === 200 ? 'archive' : 'standard',
  }));
  // a300 went into the archive 10 days ago: the rules condemn it, the 90-day minimum keeps it.
  const tiering = new Map([['a300', { op: 'archival-completed', sinceMs: NOW - 10 * DAY }]]);
  const ctx = { now: new Date(NOW), minAgeHours: 24, amiSnapshotIds: new Set<string>(), tiering };
  const retain = { daily: 7, monthly: 12, minKeep: 1, timeZone: 'UTC', archive: { afterDays: 30, rules: ['monthly' as const] } };

  it('is planRetention verdict for verdict: moves, the archive minimum, archived snapshots', () => {
    const judged = judgeRetention(rows, retain, ctx);
    const planned = planRetention(rows, retain, ctx);
    const at = (id: string) => judged.sorted.findIndex((r) => r.id === id);

    judged.sorted.forEach((_, i) => {
      expect(judged.action(i)).toBe(planned[i]!.action);
      expect(judged.archived(i)).toBe(planned[i]!.payload.archived === true);
      expect(judged.decision(i)).toEqual(planned[i]);
    });
    expect(planned.filter((d) => d.action === ARCHIVE_ACTION).length).toBeGreaterThan(3);
    expect(judged.rules(at('a300'))).toEqual(['archive-minimum']);
    expect(judged.reason(at('a300'))).toMatch(/^archive tier; kept: in the archive since /);
    expect(judged.archived(at('a200'))).toBe(true);
    expect(judged.archived(at('a001'))).toBe(false);
  });

  it('without an archive rule or tiering, plans as before: no move, no archive-minimum', () => {
    const { archive: _, ...plain } = retain;
    const judged = judgeRetention(rows, plain, { ...ctx, tiering: undefined });

    judged.sorted.forEach((_, i) => expect(judged.action(i)).not.toBe(ARCHIVE_ACTION));
    expect(judged.isDeletion(judged.sorted.findIndex((r) => r.id === 'a300'))).toBe(true);
  });
});

describe('describeSnapshotPages', () => {
  it('lets each SDK page go once it is read, without emptying what the reader was handed', async () => {
    // Prepare: the SDK pages, held here to see what the generator leaves in them.
    const first = { Snapshots: [snapshot(1), snapshot(2)], NextToken: 'page-2' };
    const second = { Snapshots: [snapshot(3)] };
    const ec2 = mockClient(EC2Client);
    ec2.on(DescribeSnapshotsCommand).resolvesOnce(first).resolvesOnce(second);
    const scope = { policies: [{ name: 'daily', retain: { olderThanDays: 7, minKeep: 1, timeZone: 'UTC' } }], volumes: [] };

    // Act
    const handed: Snapshot[][] = [];
    const whileReading: Array<Snapshot[] | undefined> = [];
    for await (const page of describeSnapshotPages(new EC2Client({ region: 'eu-west-1' }), scope)) {
      handed.push(page.snapshots);
      whileReading.push(handed.length === 1 ? first.Snapshots : second.Snapshots);
    }

    // Assess: intact while read, dropped from the SDK's page afterwards, the reader's arrays untouched.
    expect(whileReading.map((s) => s?.length)).toEqual([2, 1]);
    expect(first.Snapshots).toBeUndefined();
    expect(second.Snapshots).toBeUndefined();
    expect(handed.map((p) => p.map((s) => s.SnapshotId))).toEqual([[snapshot(1).SnapshotId, snapshot(2).SnapshotId], [snapshot(3).SnapshotId]]);
    ec2.restore();
  });
});

describe('countPlanEntry', () => {
  it('keeps one entry per group and action, in the order they first occurred', () => {
    const tally = emptyTally();
    countPlanEntry(tally, 'daily', 'skip');
    countPlanEntry(tally, 'weekly', 'skip');
    countPlanEntry(tally, 'daily', DELETE_ACTION, 3);
    countPlanEntry(tally, 'daily', 'skip', 2);
    countPlanEntry(tally, undefined, 'skip');

    expect(tally.perGroup).toEqual([
      { group: 'daily', action: 'skip', count: 3 },
      { group: 'weekly', action: 'skip', count: 1 },
      { group: 'daily', action: DELETE_ACTION, count: 3 },
      { action: 'skip', count: 1 },
    ]);
  });
});

describe('runPrune, counted (a run) and listed (a dry run)', () => {
  it('deletes exactly what the dry run lists, with the same reason, and counts what it keeps as the dry run lists it', async () => {
    // Prepare: two policies, keep tags, an AMI, an unmanaged snapshot selected on a listed volume.
    const sandbox = new SandboxAccount({ start: new Date(NOW), timeScale: 0, throttling: false, seed: 3 });
    const fleet = new FleetBuilder(sandbox);
    const held: string[] = [];
    for (let v = 0; v < 6; v++) {
      const vol = fleet.volume({ sizeGiB: 8 * (v + 1) });
      for (let d = 1; d <= 12; d++) {
        const policy = v % 2 ? 'weekly' : 'daily';
        const tags: Record<string, string> = { 'caretaker:managed': 'true', 'caretaker:policy': policy, ...(d === 10 && v === 1 ? { 'caretaker:keep': 'true' } : {}) };
        const id = fleet.snapshot(vol, d * DAY - 3_600_000, tags).SnapshotId!;
        if (d === 11 && v === 2) held.push(id);
      }
    }
    const listed = fleet.volume({});
    fleet.snapshot(listed, 20 * DAY, { team: 'db' });
    fleet.snapshot(listed, 21 * DAY, { team: 'web' });
    fleet.snapshot(listed, 25 * DAY, { team: 'db' });
    fleet.snapshot(listed, 2 * DAY, { team: 'db' });
    fleet.image(held);
    const config = parseConfig({
      snapshot: {
        policies: [
          { name: 'daily', schedule: 'rate(1 day)', selector: { tags: { backup: ['daily'] } }, retain: { olderThanDays: 5, staleAfter: '30d' } },
          { name: 'weekly', schedule: 'rate(7 days)', selector: { tags: { backup: ['weekly'] } }, retain: { daily: 3, keepLast: 2 } },
        ],
      },
      prune: { minAgeHours: 24, volumes: [{ volumeId: listed.VolumeId, olderThanDays: 7 }], includeUnmanaged: { tags: { team: ['db'] } } },
    });
    const context = (dryRun: boolean) => sandboxJobContext(sandbox, { runId: 'prune-compact', dryRun });

    // Act
    const dry = await runPrune(context(true), config);
    const run = await runPrune(context(false), config);

    // Assess: the same deletions for the same reasons, and the same counts per group and action.
    const planned = dry.plan.filter((p) => p.action === DELETE_ACTION);
    expect(planned.length).toBeGreaterThan(10);
    expect(planned.some((p) => p.reason.startsWith('unmanaged (selected by includeUnmanaged); '))).toBe(true);
    const byId = (items: Array<{ id?: string; target?: string; reason: string }>) => new Map(items.map((i) => [i.id ?? i.target, i.reason]));
    expect(byId(run.results.filter((r) => r.outcome === 'done'))).toEqual(byId(planned));
    const counted = new Map<string, number>();
    for (const p of dry.plan) counted.set(`${p.group} ${p.action}`, (counted.get(`${p.group} ${p.action}`) ?? 0) + 1);
    expect(new Map(run.planCounts!.map((c) => [`${c.group} ${c.action}`, c.count]))).toEqual(counted);
    expect(run.notes.filter((n) => n.startsWith('Kept') || n.startsWith('Condemned'))).toEqual(dry.notes.filter((n) => n.startsWith('Kept') || n.startsWith('Condemned')));
    expect(run.results.filter((r) => r.outcome === 'failed')).toEqual([]);
  });
});

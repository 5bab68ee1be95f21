import { CopySnapshotCommand, ModifySnapshotTierCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/load';
import type { JobContext, RunReport } from '../../shared/engine/types';
import type { ContinuationChain } from '../../shared/prune/continuation';
import { describeSnapshotPages } from '../../shared/prune/describe-snapshots';
import { DeletionQueue, earlyDeletionAllowance, rulesFingerprint, VOLUME_ID_PARTITIONS } from '../../shared/prune/early-start';
import { ARCHIVE_ACTION } from '../../shared/prune/plan-archive';
import { DELETE_ACTION } from '../../shared/prune/plan-retention';
import { pruneScope, runPrune, type PruneRunConfig } from '../../shared/prune/run-prune';
import { TAG } from '../../shared/tags';
import { SandboxAccount } from '../../sandbox/account';
import { FleetBuilder } from '../../sandbox/fleet';
import { sandboxJobContext } from '../../sandbox/job-context';
import { copyWorld } from '../copy/helpers';

const DAY = 86_400_000;
const FN = 'arn:aws:lambda:us-east-1:123456789012:function:ec2-caretaker-test-prune-snapshots';
// The role deploy/iam.cjs makes for the continuation (PruneContinuationRole): <service>-<stage>-<region>-<function>-continue (deploy/names.cjs).
const ROLE = 'arn:aws:iam::123456789012:role/ec2-caretaker-test-us-east-1-prune-snapshots-continue';

const config = (prune: Record<string, unknown> = {}, retain: Record<string, unknown> = { olderThanDays: 7, staleAfter: '30d' }) =>
  parseConfig({
    snapshot: { policies: [{ name: 'daily', schedule: 'rate(1 day)', selector: { tags: { backup: ['daily'] } }, retain }] },
    prune: { minAgeHours: 24, maxDeletesPerRun: 5000, ...prune },
  });

/**
 * 40 volumes, 12 caretaker snapshots each, created day by day across the volumes (so no volume's
 * snapshots sit together in creation order): 5 of each volume's are expired (8-12 days old).
 */
function setup() {
  const sandbox = new SandboxAccount({ start: new Date('2026-06-15T12:00:00Z'), timeScale: 0, throttling: true, seed: 11 });
  const fleet = new FleetBuilder(sandbox);
  const volumes = Array.from({ length: 40 }, () => fleet.volume({}));
  const volumeOf = new Map<string, string>();
  const expired = new Set<string>();
  for (let day = 12; day >= 1; day--) {
    for (const volume of volumes) {
      const id = fleet.snapshot(volume, day * DAY - 3_600_000, { 'caretaker:managed': 'true', 'caretaker:policy': 'daily' }).SnapshotId!;
      volumeOf.set(id, volume.VolumeId!);
      if (day >= 8) expired.add(id);
    }
  }
  const context = (overrides: Partial<JobContext> = {}): JobContext => sandboxJobContext(sandbox, { runId: 'early-test', ...overrides });
  return { sandbox, fleet, volumes, volumeOf, expired, context };
}

const continuation = (chain: ContinuationChain) => ({ functionArn: FN, roleArn: ROLE, namePrefix: 'ec2-caretaker-test-prune-snapshots', chain });
const approvedChain = (cfg: PruneRunConfig, approved: Record<string, number>): ContinuationChain => ({ origin: '2026-06-15T12:00:00Z', run: 2, approved, rules: rulesFingerprint(cfg) });

/** The group of volume-id endings a volume is read in ('all': the single query). */
const groupOf = (volumeId: string) => VOLUME_ID_PARTITIONS.find((p) => p.some((s) => volumeId.endsWith(s)))!.join(',');

/** Call indexes: where each DescribeSnapshots query by volume-id endings ended, and every delete. */
function timeline(sandbox: SandboxAccount, region = 'us-east-1') {
  const lastReadOf = new Map<string, number>();
  const deletes: Array<{ index: number; snapshotId: string }> = [];
  sandbox.calls.forEach((c, index) => {
    if (c.region !== region) return;
    if (c.operation === 'DescribeSnapshots') {
      const filters = (c.input.Filters ?? []) as Array<{ Name: string; Values: string[] }>;
      if (!filters.some((f) => f.Name === `tag:${TAG.policy}`)) return; // the copy check's query
      const endings = filters.find((f) => f.Name === 'volume-id')?.Values.map((v) => v.replace('vol-*', '')).join(',') ?? 'all';
      lastReadOf.set(endings, index);
    }
    if (c.operation === 'DeleteSnapshot' && !c.error) deletes.push({ index, snapshotId: c.input.SnapshotId as string });
  });
  const lastRead = Math.max(...lastReadOf.values());
  return { lastReadOf, deletes, lastRead };
}

/** What a run did, to compare an early-start run with one that reads everything first. */
function outcome(report: RunReport) {
  const done = (action: string) => report.results.filter((r) => r.action === action && r.outcome === 'done').map((r) => `${r.region ?? ''}/${r.id}`).sort();
  const counts = (report.planCounts ?? []).map((c) => JSON.stringify(c)).sort();
  return { deleted: done(DELETE_ACTION), archived: done(ARCHIVE_ACTION), counts, actionNeeded: report.actionNeeded ?? [], remaining: report.remaining, error: report.error };
}

describe('prune continuation runs start deleting before the whole account is read', () => {
  it('reads volumes in 64 groups by the last digits of their id and deletes from a group only once all its snapshots are read', async () => {
    const { sandbox, volumeOf, expired, context } = setup();
    const cfg = config();

    const report = await runPrune(context(), cfg, { continuation: continuation(approvedChain(cfg, { 'us-east-1': 200 })) });

    const { lastReadOf, deletes, lastRead } = timeline(sandbox);
    expect([...lastReadOf.keys()].sort()).toEqual(VOLUME_ID_PARTITIONS.map((p) => p.join(',')).sort());
    // Deleting started while other groups were still being read…
    expect(deletes[0]!.index).toBeLessThan(lastRead);
    // …but never on a volume whose group was not completely read.
    for (const d of deletes) expect(d.index).toBeGreaterThan(lastReadOf.get(groupOf(volumeOf.get(d.snapshotId)!))!);
    // The same outcome as reading everything first: exactly the expired snapshots, each once.
    expect(new Set(deletes.map((d) => d.snapshotId))).toEqual(expired);
    expect(deletes.length).toBe(expired.size);
    expect(report.remaining).toBe(0);
    expect(report.error).toBeUndefined();
    expect(report.notes.some((n) => /^[1-9]\d* deletion\(s\) started before this run's plan was complete/.test(n))).toBe(true);
  });

  it.each([
    ['a first (scheduled) run', undefined],
    ['a continuation whose predecessor planned under other rules', { origin: 'o', run: 2, approved: { 'us-east-1': 200 }, rules: '0123456789abcdef' }],
    ['a continuation that carries no approval', { origin: 'o', run: 2 }],
    ['a continuation whose predecessor left nothing approved here', 'elsewhere'],
  ] as const)('%s reads everything, plans and passes the cap before its first delete', async (_name, chain) => {
    const { sandbox, expired, context } = setup();
    const cfg = config();
    const c = chain === 'elsewhere' ? approvedChain(cfg, { 'eu-west-1': 200 }) : chain;

    await runPrune(context(), cfg, c ? { continuation: continuation(c) } : {});

    const { deletes, lastRead, lastReadOf } = timeline(sandbox);
    expect([...lastReadOf.keys()]).toEqual(['all']);
    expect(deletes[0]!.index).toBeGreaterThan(lastRead);
    expect(deletes.length).toBe(expired.size);
  });

  it('never starts early with listed volumes (a typo must stop the run before anything is deleted), in a dry run, or beyond the cap', () => {
    const chain = (rules: string, n = 50): ContinuationChain => ({ origin: 'o', run: 2, approved: { 'us-east-1': n }, rules });
    const run = { region: 'us-east-1', listedVolumes: 0, dryRun: false, cap: 1000 };
    const rules = rulesFingerprint(config());
    expect(earlyDeletionAllowance(chain(rules), { ...run, rules })).toBe(50);
    expect(earlyDeletionAllowance(chain(rules), { ...run, rules, listedVolumes: 1 })).toBe(0);
    expect(earlyDeletionAllowance(chain(rules), { ...run, rules, dryRun: true })).toBe(0);
    expect(earlyDeletionAllowance(chain(rules, 5000), { ...run, rules })).toBe(1000);
    expect(earlyDeletionAllowance(chain(rules), { ...run, rules, region: 'eu-west-1' })).toBe(0);
    expect(earlyDeletionAllowance({ ...chain(rules), run: 1 }, { ...run, rules })).toBe(0);
  });

  it('fingerprints every rule that decides a plan, and nothing else', () => {
    const base = rulesFingerprint(config());
    expect(rulesFingerprint(config())).toBe(base);
    expect(rulesFingerprint(config({ maxDeletesPerRun: 4999 }))).not.toBe(base);
    expect(rulesFingerprint(config({ minAgeHours: 25 }))).not.toBe(base);
    expect(rulesFingerprint(config({}, { olderThanDays: 8, staleAfter: '30d' }))).not.toBe(base);
    expect(rulesFingerprint(config(), [{ volumeId: 'vol-0123456789abcdef0', olderThanDays: 7, minKeep: 1, timeZone: 'UTC' }])).not.toBe(base);
    expect(base).toMatch(/^[0-9a-f]{16}$/);
  });

  it('deletes nothing early in a dry run', async () => {
    const { sandbox, context } = setup();
    const cfg = config();
    const report = await runPrune(context({ dryRun: true }), cfg, { continuation: continuation(approvedChain(cfg, { 'us-east-1': 200 })) });
    expect(sandbox.callsOf('DeleteSnapshot')).toEqual([]);
    expect(report.plan.filter((p) => p.action === DELETE_ACTION)).toHaveLength(200);
  });

  it('starts at most the approved count before its plan is complete; a complete plan over maxDeletesPerRun then stops the run and lists what it refused', async () => {
    const { sandbox, expired, context } = setup();
    // The rules the previous run approved 12 deletions under, with a cap the whole plan (200) exceeds.
    const cfg = config({ maxDeletesPerRun: 150 });

    const report = await runPrune(context(), cfg, { continuation: continuation(approvedChain(cfg, { 'us-east-1': 12 })) });

    const { deletes } = timeline(sandbox);
    expect(deletes.length).toBeGreaterThan(0);
    expect(deletes.length).toBeLessThanOrEqual(12);
    for (const d of deletes) expect(expired.has(d.snapshotId)).toBe(true);
    expect(report.error).toMatchObject({ code: 'BlastRadiusError' });
    expect(report.plan).toHaveLength(200 - deletes.length);
    expect(report.results.filter((r) => r.outcome === 'done')).toHaveLength(deletes.length);
    expect(sandbox.scheduler.schedules.size).toBe(0);
  });

  it('a describe that fails half-way ends the run: what started early finishes and is reported, nothing more, no continuation', async () => {
    const { sandbox, expired, context } = setup();
    const cfg = config();
    // The 40th volume group's query is refused (not a throttle the SDK would retry).
    const late = VOLUME_ID_PARTITIONS[40]!.map((e) => `vol-*${e}`).join(',');
    sandbox.injectFault({
      operation: 'DescribeSnapshots',
      when: (input) => ((input.Filters ?? []) as Array<{ Name: string; Values: string[] }>).some((f) => f.Name === 'volume-id' && f.Values.join(',') === late),
      code: 'UnauthorizedOperation',
      httpStatusCode: 403,
    });

    const report = await runPrune(context(), cfg, { continuation: continuation(approvedChain(cfg, { 'us-east-1': 30 })) });

    const { deletes } = timeline(sandbox);
    expect(report.error).toMatchObject({ code: 'UnauthorizedOperation', message: expect.stringMatching(/^describe failed/) });
    expect(deletes.length).toBeGreaterThan(0);
    expect(deletes.length).toBeLessThanOrEqual(30);
    for (const d of deletes) expect(expired.has(d.snapshotId)).toBe(true);
    expect(report.results.filter((r) => r.action === DELETE_ACTION && r.outcome === 'done')).toHaveLength(deletes.length);
    expect(report.notes).toContain(`${deletes.length} deletion(s) of the plan the previous run approved were carried out before this run's plan was complete.`);
    expect(sandbox.scheduler.schedules.size).toBe(0);
  });

  it('passes on what it leaves per Region under its rules, and the next run starts early on it', async () => {
    const { sandbox, expired, context } = setup();
    const cfg = config({ maxContinuationRuns: 5 });
    // A budget for part of the plan: 30 s of margin, then deletions until the deadline nears.
    const first = await runPrune(sandboxJobContext(sandbox, { runId: 'first' }, { budgetMs: 30_000 + 10_000 }), cfg, {
      continuation: continuation({ origin: '2026-06-15T12:00:00Z', run: 1 }),
      rate: { capacity: 5, refillPerSecond: 5 },
      concurrency: 1,
    });
    expect(first.remaining).toBeGreaterThan(0);
    const [scheduled] = [...sandbox.scheduler.schedules.values()];
    const chain = (JSON.parse(scheduled!.input) as { continuation: ContinuationChain }).continuation;
    expect(chain).toEqual({ origin: '2026-06-15T12:00:00Z', run: 2, approved: { 'us-east-1': first.remaining }, rules: rulesFingerprint(cfg) });

    const calls = sandbox.calls.length;
    const second = await runPrune(context(), cfg, { continuation: continuation(chain) });
    expect(second.remaining).toBe(0);
    const reads = sandbox.calls.slice(calls).filter((c) => c.operation === 'DescribeSnapshots');
    expect(reads).toHaveLength(64);
    expect(sandbox.ec2.snapshots.size).toBe(480 - expired.size);
  });
});

describe('a continuation over several Regions', () => {
  it('carries what each Region left of the approved plan, and each Region starts early on its own count', async () => {
    const sandbox = new SandboxAccount({ start: new Date('2026-06-15T12:00:00Z'), timeScale: 0, seed: 5, regions: ['us-east-1', 'eu-west-1'] });
    for (const region of ['us-east-1', 'eu-west-1']) {
      const fleet = new FleetBuilder(sandbox, region);
      for (let v = 0; v < 10; v++) {
        const volume = fleet.volume({});
        for (let day = 12; day >= 1; day--) fleet.snapshot(volume, day * DAY - 3_600_000, { 'caretaker:managed': 'true', 'caretaker:policy': 'daily' });
      }
    }
    const cfg = parseConfig({ regions: ['us-east-1', 'eu-west-1'], snapshot: config().snapshot, prune: { minAgeHours: 24, maxDeletesPerRun: 5000, maxContinuationRuns: 5 } });
    const first = await runPrune(sandboxJobContext(sandbox, { runId: 'first' }, { budgetMs: 30_000 + 4_000 }), cfg, {
      continuation: continuation({ origin: '2026-06-15T12:00:00Z', run: 1 }),
      rate: { capacity: 5, refillPerSecond: 5 },
      concurrency: 1,
    });
    const left = Object.fromEntries(first.regions!.map((r) => [r.region, r.remaining]));
    expect(left['us-east-1']).toBeGreaterThan(0);
    expect(left['eu-west-1']).toBeGreaterThan(0);
    const chain = (JSON.parse([...sandbox.scheduler.schedules.values()][0]!.input) as { continuation: ContinuationChain }).continuation;
    expect(chain).toEqual({ origin: '2026-06-15T12:00:00Z', run: 2, approved: left, rules: rulesFingerprint(cfg) });

    const calls = sandbox.calls.length;
    const second = await runPrune(sandboxJobContext(sandbox, { runId: 'second' }), cfg, { continuation: continuation(chain) });
    expect(second.remaining).toBe(0);
    expect(second.notes.filter((n) => / deletion\(s\) started before this run's plan was complete/.test(n)).map((n) => n.split(':')[0]).sort()).toEqual(['eu-west-1', 'us-east-1']);
    for (const region of ['us-east-1', 'eu-west-1']) {
      expect(sandbox.calls.slice(calls).filter((c) => c.region === region && c.operation === 'DescribeSnapshots')).toHaveLength(64);
      expect(sandbox.inRegion(region).ec2.snapshots.size).toBe(10 * 7);
    }
  });
});

describe('an early start decides exactly what reading everything first decides', () => {
  /** Runs `build`'s world twice: a first run that reads everything, and a continuation with an approval. */
  async function both(build: () => { sandbox: SandboxAccount; cfg: PruneRunConfig; ctx: () => JobContext }, approved: Record<string, number>) {
    const plain = build();
    const early = build();
    const reference = await runPrune(plain.ctx(), plain.cfg);
    const report = await runPrune(early.ctx(), early.cfg, { continuation: continuation(approvedChain(early.cfg, approved)) });
    const partitioned = early.sandbox.calls.filter((c) => c.operation === 'DescribeSnapshots' && ((c.input.Filters ?? []) as Array<{ Name: string }>).some((f) => f.Name === 'volume-id'));
    return { reference: outcome(reference), early: outcome(report), partitioned: partitioned.length, world: early };
  }

  it('on a stale volume (freshness guard): deletes nothing by age there and lists it as ACTION NEEDED', async () => {
    const build = () => {
      const s = setup();
      // Snapshots of one volume stopped 40 days ago: 5 of them, all past olderThanDays 7.
      const stopped = s.fleet.volume({});
      for (const d of [40, 41, 42, 43, 44]) s.fleet.snapshot(stopped, d * DAY, { 'caretaker:managed': 'true', 'caretaker:policy': 'daily' });
      return { sandbox: s.sandbox, cfg: config(), ctx: () => s.context() };
    };
    const { reference, early, partitioned } = await both(build, { 'us-east-1': 200 });
    expect(partitioned).toBe(64);
    expect(early).toEqual(reference);
    expect(early.actionNeeded).toHaveLength(1);
    expect(early.deleted).toHaveLength(200);
  });

  it('with the archive tier: the same moves, the 90-day minimum holds the same snapshots', async () => {
    const build = () => {
      const s = setup();
      const gfs = s.fleet.volume({});
      const ids = Array.from({ length: 14 }, (_, m) => s.fleet.snapshot(gfs, (m + 1) * 30 * DAY, { 'caretaker:managed': 'true', 'caretaker:policy': 'daily' }).SnapshotId!);
      return {
        sandbox: s.sandbox,
        cfg: config({}, { keepLast: 3, monthly: 12, archive: { afterDays: 30, rules: ['monthly'] }, staleAfter: '400d' }),
        ctx: () => s.context(),
        held: ids[13]!,
        archive: async () => {
          // Archived 10 days ago (within the 90-day minimum): kept even where the rules would delete it.
          await s.sandbox.clients().ec2.send(new ModifySnapshotTierCommand({ SnapshotId: ids[13]!, StorageTier: 'archive' }));
        },
      };
    };
    const prepared = () => {
      const w = build();
      return { ...w, ready: w.archive() };
    };
    const plainWorld = prepared();
    const earlyWorld = prepared();
    await Promise.all([plainWorld.ready, earlyWorld.ready]);
    for (const w of [plainWorld, earlyWorld]) w.sandbox.clock.advance(10 * DAY);
    let i = 0;
    const { reference, early, partitioned } = await both(() => [plainWorld, earlyWorld][i++]!, { 'us-east-1': 200 });
    expect(partitioned).toBe(64);
    expect(early).toEqual(reference);
    expect(early.archived.length).toBeGreaterThan(0);
    // Past monthly 12, but archived 10 days ago: held by the 90-day minimum.
    expect(earlyWorld.sandbox.ec2.snapshots.has(earlyWorld.held)).toBe(true);
    expect(early.deleted).not.toContain(`/${earlyWorld.held}`);
    expect(early.counts.some((c) => c.includes(`"action":"${ARCHIVE_ACTION}"`))).toBe(true);
  });

  it('over two Regions with copies: the copy hold keeps a source whose copy is pending; copies are planned by source volume once every group is read', async () => {
    const build = () => {
      const w = copyWorld();
      const volumes = Array.from({ length: 6 }, () => w.fleet.volume({ sizeGiB: 8 }).VolumeId!);
      const sources = volumes.map((v) => Array.from({ length: 10 }, (_, d) => w.source(v, (d + 1) * DAY)));
      const eu = new FleetBuilder(w.sandbox, 'eu-west-1');
      volumes.forEach((source, k) => {
        for (let d = 1; d <= 6; d++) {
          eu.snapshot({ VolumeId: 'vol-ffffffff', Size: 8 }, d * DAY, {
            [TAG.managed]: 'true',
            [TAG.policy]: 'nightly',
            [TAG.copyOf]: `us-east-1:snap-copy${k}${d}`,
            [TAG.sourceRegion]: 'us-east-1',
            [TAG.sourceVolume]: source,
          });
        }
      });
      const oldest = sources[0]![9]!;
      const pending = w.sandbox.clients({ region: 'eu-west-1' }).ec2.send(
        new CopySnapshotCommand({
          SourceRegion: 'us-east-1',
          SourceSnapshotId: oldest,
          TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: TAG.copyOf, Value: `us-east-1:${oldest}` }, { Key: TAG.sourceRegion, Value: 'us-east-1' }] }],
        }),
      );
      return { sandbox: w.sandbox, cfg: w.cfg, ctx: () => w.ctx(), oldest, pending };
    };
    const worlds = [build(), build()];
    await Promise.all(worlds.map((w) => w.pending));
    let i = 0;
    const { reference, early, partitioned, world } = await both(() => worlds[i++]!, { 'us-east-1': 18, 'eu-west-1': 18 });
    expect(partitioned).toBe(128); // 64 queries in each Region
    expect(early).toEqual(reference);
    expect(early.deleted).not.toContain(`us-east-1/${worlds[1]!.oldest}`);
    expect(world.sandbox.inRegion('us-east-1').ec2.snapshots.has(worlds[1]!.oldest)).toBe(true);
    // daily 7 at home: 3 of each source volume's 10 go, but not the held one; daily 3 for the copies: 3 of each 6.
    expect(early.deleted.filter((d) => d.startsWith('us-east-1/'))).toHaveLength(6 * 3 - 1);
    expect(early.deleted.filter((d) => d.startsWith('eu-west-1/'))).toHaveLength(6 * 3);
  });
});

describe('describeSnapshotPages by volume-id suffix', () => {
  it('64 queries by volume-id endings read exactly what the single query reads, each only (and all of) its volumes, across pages', async () => {
    const { sandbox } = setup();
    const { ec2 } = sandbox.clients();
    const scope = pruneScope(config(), {});
    const read = async (endings?: readonly string[]) => {
      const ids: Array<{ id: string; volumeId: string }> = [];
      for await (const page of describeSnapshotPages(ec2, scope, 5, endings)) for (const s of page.snapshots) ids.push({ id: s.SnapshotId!, volumeId: s.VolumeId! });
      return ids;
    };
    const all = await read();
    const parts = await Promise.all(VOLUME_ID_PARTITIONS.map(async (endings) => ({ endings, ids: await read(endings) })));

    const ofGroup = (endings: readonly string[], volumeId: string) => endings.some((e) => volumeId.endsWith(e));
    for (const { endings, ids } of parts) {
      for (const s of ids) expect(ofGroup(endings, s.volumeId)).toBe(true);
      expect(ids.length).toBe(all.filter((s) => ofGroup(endings, s.volumeId)).length);
    }
    // Every ending of two hex digits is in exactly one group.
    expect(VOLUME_ID_PARTITIONS.flat().sort()).toEqual(Array.from({ length: 256 }, (_, n) => n.toString(16).padStart(2, '0')));
    expect(new Set(parts.flatMap((p) => p.ids.map((s) => s.id)))).toEqual(new Set(all.map((s) => s.id)));
    expect(all).toHaveLength(480);
  });
});

describe('DeletionQueue', () => {
  const item = (startMs: number) => ({ startMs, payload: { startMs } });
  const take = async (queue: DeletionQueue<ReturnType<typeof item>>, n: number) => {
    const it = queue[Symbol.asyncIterator]();
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const next = await it.next();
      if (next.done) break;
      out.push(next.value.startMs);
    }
    return out;
  };

  it('hands out the oldest known first, at most the allowance before release, everything after', async () => {
    const queue = new DeletionQueue<ReturnType<typeof item>>(2);
    queue.add([item(5), item(1), item(9)]);
    const it = queue[Symbol.asyncIterator]();
    expect((await it.next()).value.startMs).toBe(1);
    expect((await it.next()).value.startMs).toBe(5);
    let third: number | undefined;
    const pending = it.next().then((r) => (third = r.done ? -1 : r.value.startMs));
    await new Promise((r) => setImmediate(r));
    expect(third).toBeUndefined(); // waits: the allowance is spent
    queue.add([item(0)]);
    queue.release();
    await pending;
    expect(third).toBe(0);
    expect(await take(queue, 5)).toEqual([9]);
    expect(queue.planned).toBe(4);
    expect(queue.handedOut).toBe(4);
  });

  it('refuse() ends it and returns what was never handed out, oldest first', async () => {
    const queue = new DeletionQueue<ReturnType<typeof item>>(1);
    queue.add([item(3), item(2), item(7)]);
    expect(await take(queue, 1)).toEqual([2]);
    expect(queue.refuse().map((i) => i.startMs)).toEqual([3, 7]);
    expect(await take(queue, 3)).toEqual([]);
  });
});

import { CopySnapshotCommand } from '@aws-sdk/client-ec2';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliRun } from '../../cli/context';
import { buildDemoAccount } from '../../sandbox/demo-account';
import { FleetBuilder } from '../../sandbox/fleet';
import { parseConfig } from '../../shared/config/load';
import { DELETE_ACTION } from '../../shared/prune/plan-retention';
import { runPrune } from '../../shared/prune/run-prune';
import { TAG } from '../../shared/tags';
import { copyWorld, DAY } from './helpers';

describe('prune and cross-Region copies', () => {
  it('prunes copies in their Region by the copy rule, grouped by source volume (not by their arbitrary VolumeId)', async () => {
    const w = copyWorld(); // nightly: retain daily 7 at home; copyTo eu-west-1 retain daily 3
    const eu = new FleetBuilder(w.sandbox, 'eu-west-1');
    const copies = new Map<string, string[]>();
    for (const source of ['vol-0aaaaaaaaaaaaaaa1', 'vol-0aaaaaaaaaaaaaaa2']) {
      for (let d = 1; d <= 5; d++) {
        const id = eu.snapshot({ VolumeId: 'vol-ffffffff', Size: 8 }, d * DAY, {
          [TAG.managed]: 'true',
          [TAG.policy]: 'nightly',
          [TAG.copyOf]: `us-east-1:snap-${source.slice(-1)}${d}`,
          [TAG.sourceRegion]: 'us-east-1',
          [TAG.sourceVolume]: source,
        }).SnapshotId!;
        copies.set(source, [...(copies.get(source) ?? []), id]);
      }
    }
    const report = await runPrune(w.ctx({ clients: w.sandbox.clients({ region: 'eu-west-1' }) }), w.cfg);
    const deleted = report.results.filter((r) => r.action === DELETE_ACTION && r.outcome === 'done').map((r) => r.id).sort();
    // daily 3 per source volume: the two oldest of each go (the policy's own daily 7 would keep all).
    expect(deleted).toEqual([...copies.values()].flatMap((ids) => ids.slice(3)).sort());
    expect(report.results.filter((r) => r.action === DELETE_ACTION).every((r) => r.group === 'nightly copies')).toBe(true);
    expect(w.sandbox.callsOf('DeleteSnapshot').every((c) => c.region === 'eu-west-1')).toBe(true);
  });

  it('never deletes a source while its copy is pending, and deletes it once the copy completed', async () => {
    const w = copyWorld();
    const volume = w.fleet.volume({ sizeGiB: 8 }).VolumeId!;
    const sources = Array.from({ length: 9 }, (_, d) => w.source(volume, (d + 1) * DAY)); // newest first
    const oldest = sources[8]!;
    await w.sandbox.clients({ region: 'eu-west-1' }).ec2.send(
      new CopySnapshotCommand({
        SourceRegion: 'us-east-1',
        SourceSnapshotId: oldest,
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: TAG.copyOf, Value: `us-east-1:${oldest}` }, { Key: TAG.sourceRegion, Value: 'us-east-1' }] }],
      }),
    );
    const first = await runPrune(w.ctx({ dryRun: true }), w.cfg);
    expect(first.plan.find((p) => p.target === oldest)).toMatchObject({ action: 'skip', reason: 'kept: its copy in eu-west-1 is still pending' });
    expect(first.plan.find((p) => p.target === sources[7])).toMatchObject({ action: DELETE_ACTION });
    w.sandbox.clock.advance(600_000);
    const after = await runPrune(w.ctx({ now: w.sandbox.clock.now() }), w.cfg);
    expect(after.results.filter((r) => r.action === DELETE_ACTION && r.outcome === 'done').map((r) => r.id).sort()).toEqual([sources[7], oldest].sort());
  });

  it('deletes nothing when the copies of another Region cannot be checked', async () => {
    const w = copyWorld();
    const volume = w.fleet.volume({ sizeGiB: 8 }).VolumeId!;
    for (let d = 1; d <= 9; d++) w.source(volume, d * DAY);
    const report = await runPrune(w.ctx({ clientsIn: undefined }), w.cfg);
    expect(report.error).toMatchObject({ message: expect.stringContaining('cannot check the copies in eu-west-1') });
    expect(w.sandbox.mutatingCalls()).toEqual([]);
  });
});

describe('prune in a copy destination outside `regions`', () => {
  /** `regions: [us-east-1]`; nightly copies to eu-west-1, which the config does not otherwise cover. */
  function copyOnlyWorld() {
    const w = copyWorld();
    w.cfg.regions = ['us-east-1'];
    const eu = new FleetBuilder(w.sandbox, 'eu-west-1');
    const copyTags = (d: number) => ({ [TAG.managed]: 'true', [TAG.policy]: 'nightly', [TAG.copyOf]: `us-east-1:snap-0${d}`, [TAG.sourceRegion]: 'us-east-1', [TAG.sourceVolume]: 'vol-0aaaaaaaaaaaaaaa1' });
    const copies = Array.from({ length: 5 }, (_, i) => eu.snapshot({ VolumeId: 'vol-ffffffff', Size: 8 }, (i + 1) * DAY, copyTags(i + 1)).SnapshotId!);
    // What else lives in eu-west-1: a managed snapshot of nightly that is not a copy (the policy once
    // covered the Region), one of a policy the config does not know, and one that is not caretaker's.
    const volume = eu.volume({ sizeGiB: 8 }).VolumeId!;
    const others = [
      eu.snapshot({ VolumeId: volume, Size: 8 }, 30 * DAY, { [TAG.managed]: 'true', [TAG.policy]: 'nightly' }).SnapshotId!,
      eu.snapshot({ VolumeId: volume, Size: 8 }, 30 * DAY, { [TAG.managed]: 'true', [TAG.policy]: 'gone', [TAG.copyOf]: 'us-east-1:snap-0ff' }).SnapshotId!,
      eu.snapshot({ VolumeId: volume, Size: 8 }, 30 * DAY, { team: 'db' }).SnapshotId!,
    ];
    return { ...w, copies, others };
  }

  it('prunes the copies there by their own rule and touches nothing else of that Region', async () => {
    const w = copyOnlyWorld();
    expect(parseConfig(w.cfg).regions).toEqual(['us-east-1']);
    const report = await runPrune(w.ctx(), w.cfg);
    const deleted = report.results.filter((r) => r.action === DELETE_ACTION && r.outcome === 'done');
    // copyTo retain daily 3: the two oldest copies go, in eu-west-1.
    expect(deleted.map((r) => r.id).sort()).toEqual(w.copies.slice(3).sort());
    expect(deleted.every((r) => r.region === 'eu-west-1' && r.group === 'nightly copies')).toBe(true);
    for (const id of w.others) expect(w.eu().snapshots.has(id), id).toBe(true);
    // In eu-west-1 it read caretaker's snapshots of the copying policies only: no volume, no other listing.
    const euCalls = w.sandbox.calls.filter((c) => c.region === 'eu-west-1');
    expect(new Set(euCalls.map((c) => c.operation))).toEqual(new Set(['DescribeSnapshots', 'DescribeImages', 'DeleteSnapshot']));
    for (const c of euCalls.filter((c) => c.operation === 'DescribeSnapshots')) {
      const filters = (c.input as { Filters: Array<{ Name: string; Values: string[] }> }).Filters;
      expect(filters.some((f) => (f.Name === `tag:${TAG.policy}` && f.Values.join() === 'nightly') || (f.Name === 'status' && f.Values.join() === 'pending'))).toBe(true);
    }
  });

  it('prune.regions may name the copy destination, and leaving it out of prune.regions leaves its copies alone', async () => {
    const only = copyOnlyWorld();
    only.cfg.prune = { ...only.cfg.prune, regions: ['eu-west-1'] };
    expect(parseConfig(only.cfg).prune.regions).toEqual(['eu-west-1']);
    const report = await runPrune(only.ctx(), only.cfg);
    expect(report.results.filter((r) => r.outcome === 'done').map((r) => r.id).sort()).toEqual(only.copies.slice(3).sort());
    expect(only.sandbox.calls.filter((c) => c.region === 'us-east-1' && c.operation !== 'DescribeRegions')).toEqual([]);

    const home = copyOnlyWorld();
    home.cfg.prune = { ...home.cfg.prune, regions: ['us-east-1'] };
    await runPrune(home.ctx(), home.cfg);
    expect(home.sandbox.mutatingCalls()).toEqual([]);
    // A Region that is neither covered nor a copy destination is still refused, naming the field.
    expect(() => parseConfig({ ...home.cfg, prune: { ...home.cfg.prune, regions: ['ap-south-1'] } })).toThrow(/prune.regions\[0\]: ap-south-1 is not one of regions: \[us-east-1\]/);
  });
});

describe('caretaker prune --region <copy destination outside regions>', () => {
  it('prunes that Region, for its copies alone; other jobs refuse it, naming --region', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'caretaker-copy-region-'));
    const file = join(dir, 'caretaker.config.json.yml');
    const demo = buildDemoAccount().config;
    // The demo's db-consistent policy copies us-east-1 → eu-west-1; here eu-west-1 is no covered Region.
    writeFileSync(file, JSON.stringify({ ...demo, regions: ['us-east-1'] }));
    const run = await cliRun('prune', { sandbox: true, config: file, region: 'eu-west-1', 'dry-run': true });
    expect(run.config.regions).toEqual(['us-east-1']);
    expect(run.config.prune.regions).toEqual(['eu-west-1']);
    const report = await runPrune(run.ctx, run.config);
    const sandbox = run.demo!.sandbox;
    expect(new Set(sandbox.calls.filter((c) => c.operation !== 'DescribeRegions').map((c) => c.region))).toEqual(new Set(['eu-west-1']));
    expect(report.plan.every((p) => p.region === undefined || p.region === 'eu-west-1')).toBe(true);
    await expect(cliRun('snapshot', { sandbox: true, config: file, region: 'eu-west-1' })).rejects.toThrow(/--region: eu-west-1 is not one of the configured Regions \(us-east-1\)/);
    // And --region us-east-1 stays there: the copy destination is not visited.
    const home = await cliRun('prune', { sandbox: true, config: file, region: 'us-east-1', 'dry-run': true });
    await runPrune(home.ctx, home.config);
    expect(home.demo!.sandbox.calls.filter((c) => c.region === 'eu-west-1' && !(c.operation === 'DescribeSnapshots' && JSON.stringify(c.input).includes('pending')))).toEqual([]);
  });
});

import { CopySnapshotCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { FleetBuilder } from '../../sandbox/fleet';
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

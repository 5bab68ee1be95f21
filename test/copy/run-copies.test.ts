import { CopySnapshotCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { runCopies } from '../../shared/copy/run-copies';
import { COPY_ACTION, COPY_LIMIT_PER_DESTINATION, DEDUPE_ACTION } from '../../shared/copy/plan-copies';
import { runFailed } from '../../shared/engine/run';
import { runMetrics } from '../../shared/metrics/run-metrics';
import { TAG } from '../../shared/tags';
import { copyWorld, DAY, HOUR } from './helpers';

const tagsOf = (tags: Array<{ Key?: string; Value?: string }> | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key, t.Value]));

describe('runCopies', () => {
  it('copies each completed snapshot once to its copyTo Region, tagged as managed with its source, and counts SnapshotCopies', async () => {
    const w = copyWorld();
    const volume = w.fleet.volume({ sizeGiB: 8 });
    const a = w.source(volume.VolumeId!, 2 * HOUR);
    const b = w.source(volume.VolumeId!, HOUR, { [TAG.keep]: 'legal' });
    const report = await runCopies(w.ctx(), w.policyOf());
    expect(report.results.filter((r) => r.action === COPY_ACTION && r.outcome === 'done').map((r) => r.id)).toEqual([a, b]);
    const copies = w.copiesBySource();
    expect([...copies.keys()].sort()).toEqual([`us-east-1:${a}`, `us-east-1:${b}`].sort());
    const copy = w.eu().snapshots.get(copies.get(`us-east-1:${a}`)![0]!)!.data;
    expect(tagsOf(copy.Tags)).toEqual({
      [TAG.managed]: 'true',
      [TAG.policy]: 'nightly',
      [TAG.copyOf]: `us-east-1:${a}`,
      [TAG.sourceRegion]: 'us-east-1',
      [TAG.sourceVolume]: volume.VolumeId,
      [TAG.sourceStart]: new Date(w.sandbox.clock.nowMs() - 2 * HOUR).toISOString(),
      Name: 'web-1',
      team: 'web',
    });
    expect(copy).toMatchObject({ State: 'pending', Description: `Copy of ${a} from us-east-1 (caretaker policy nightly)` });
    // Every CopySnapshot went to the destination Region.
    expect(w.sandbox.callsOf('CopySnapshot').map((c) => c.region)).toEqual(['eu-west-1', 'eu-west-1']);
    const [policySet] = runMetrics(report, 'us-east-1').filter((s) => s.level === 'policy');
    expect(policySet?.values).toMatchObject({ SnapshotCopies: 2, SnapshotsFailed: 0 });
    // A second trigger finds both copies by their tag and makes nothing.
    const again = await runCopies(w.ctx(), w.policyOf());
    expect(again.results).toEqual([]);
    expect(again.notes.join('\n')).toContain('0 to start, 2 source(s) already copied');
    expect(w.sandbox.callsOf('CopySnapshot')).toHaveLength(2);
  });

  it('copies without the source tags when copyTags is false, and encrypts with the configured key', async () => {
    const w = copyWorld({ copyTags: false, kmsKeyId: 'alias/backups' });
    const key = w.sandbox.inRegion('eu-west-1').kms.createKey('alias/backups');
    const s = w.source(w.fleet.volume({ sizeGiB: 8 }).VolumeId!, HOUR);
    await runCopies(w.ctx(), w.policyOf());
    const copy = w.eu().snapshots.get(w.copiesBySource().get(`us-east-1:${s}`)![0]!)!.data;
    expect(Object.keys(tagsOf(copy.Tags)).sort()).toEqual([TAG.copyOf, TAG.managed, TAG.policy, TAG.sourceRegion, TAG.sourceStart, TAG.sourceVolume].sort());
    expect(copy).toMatchObject({ Encrypted: true, KmsKeyId: key });
    expect(w.sandbox.callsOf('CopySnapshot')[0]!.input).toMatchObject({ Encrypted: true, KmsKeyId: 'alias/backups' });
  });

  it('makes one copy under duplicate triggers (an event, the sweep and a retry at once), removing a raced duplicate', async () => {
    const w = copyWorld();
    const volume = w.fleet.volume({ sizeGiB: 8 });
    const sources = [w.source(volume.VolumeId!, 3 * HOUR), w.source(volume.VolumeId!, 2 * HOUR), w.source(volume.VolumeId!, HOUR)];
    const reports = await Promise.all([
      runCopies(w.ctx({ runId: 'event' }), w.policyOf(), { snapshotIds: [sources[2]!] }),
      runCopies(w.ctx({ runId: 'sweep' }), w.policyOf()),
      runCopies(w.ctx({ runId: 'retry' }), w.policyOf()),
    ]);
    // The three raced: more CopySnapshot calls than sources, yet one copy each in the end.
    expect(w.sandbox.callsOf('CopySnapshot').length).toBeGreaterThan(sources.length);
    const copies = w.copiesBySource();
    for (const s of sources) expect(copies.get(`us-east-1:${s}`), s).toHaveLength(1);
    expect(reports.flatMap((r) => r.results).filter((r) => r.outcome === 'failed')).toEqual([]);
    expect(reports.flatMap((r) => r.results).some((r) => /removed the duplicate/.test(r.reason))).toBe(true);
    // Later triggers agree and change nothing.
    const calls = w.sandbox.calls.length;
    await runCopies(w.ctx(), w.policyOf());
    expect(w.sandbox.mutatingCalls().filter((c) => w.sandbox.calls.indexOf(c) >= calls)).toEqual([]);
  });

  it('reduces copies that two triggers left behind to the earliest one', async () => {
    const w = copyWorld();
    const s = w.source(w.fleet.volume({ sizeGiB: 8 }).VolumeId!, HOUR);
    const eu = w.sandbox.clients({ region: 'eu-west-1' }).ec2;
    const tags = [{ Key: TAG.managed, Value: 'true' }, { Key: TAG.policy, Value: 'nightly' }, { Key: TAG.copyOf, Value: `us-east-1:${s}` }, { Key: TAG.sourceRegion, Value: 'us-east-1' }];
    const first = (await eu.send(new CopySnapshotCommand({ SourceRegion: 'us-east-1', SourceSnapshotId: s, TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }] }))).SnapshotId!;
    w.sandbox.clock.advance(1000);
    const second = (await eu.send(new CopySnapshotCommand({ SourceRegion: 'us-east-1', SourceSnapshotId: s, TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }] }))).SnapshotId!;
    const report = await runCopies(w.ctx(), w.policyOf());
    expect(report.results).toEqual([expect.objectContaining({ id: second, action: DEDUPE_ACTION, outcome: 'done' })]);
    expect(w.copiesBySource().get(`us-east-1:${s}`)).toEqual([first]);
  });

  it(`never has more than ${COPY_LIMIT_PER_DESTINATION} copies in flight in the destination: the rest wait for the next trigger, oldest first`, async () => {
    const w = copyWorld();
    const sources = Array.from({ length: 30 }, (_, i) => w.source(w.fleet.volume({ sizeGiB: 8 }).VolumeId!, (40 - i) * 60_000));
    // Someone else's copy is in flight too: it counts against the same limit.
    const other = w.fleet.snapshot(w.fleet.volume({ sizeGiB: 8 }), DAY);
    await w.sandbox.clients({ region: 'eu-west-1' }).ec2.send(new CopySnapshotCommand({ SourceRegion: 'us-east-1', SourceSnapshotId: other.SnapshotId }));
    const first = await runCopies(w.ctx(), w.policyOf());
    expect(w.sandbox.inRegion('eu-west-1').copies.inFlight()).toBe(COPY_LIMIT_PER_DESTINATION);
    const done = first.results.filter((r) => r.outcome === 'done').map((r) => r.id);
    // Ours were planned against ours in flight (0): the 20th met the foreign copy's slot and was deferred, not failed.
    expect(done).toEqual(sources.slice(0, COPY_LIMIT_PER_DESTINATION - 1));
    expect(first.results.find((r) => r.errorCode === 'ResourceLimitExceeded')).toMatchObject({ id: sources[19], outcome: 'skipped' });
    expect(first.results.filter((r) => /deferred/.test(r.reason)).map((r) => r.id).sort()).toEqual(sources.slice(19).sort());
    expect(runFailed(first)).toBe(false);
    w.sandbox.clock.advance(600_000);
    const second = await runCopies(w.ctx({ now: w.sandbox.clock.now() }), w.policyOf());
    expect(second.results.filter((r) => r.outcome === 'done').map((r) => r.id)).toEqual(sources.slice(19));
    expect(w.sandbox.callsOf('CopySnapshot').filter((c) => c.error === 'ResourceLimitExceeded')).toHaveLength(1);
    expect([...w.copiesBySource().values()].every((ids) => ids.length === 1)).toBe(true);
    expect(w.copiesBySource().size).toBe(30);
  });

  it('does not backfill history nor re-copy sources older than the newest copy of their volume', async () => {
    const w = copyWorld();
    const volume = w.fleet.volume({ sizeGiB: 8 }).VolumeId!;
    const ancient = w.source(volume, 10 * DAY); // outside the window (3 daily intervals)
    const older = w.source(volume, 2 * DAY);
    const newer = w.source(volume, DAY);
    await runCopies(w.ctx(), w.policyOf(), { snapshotIds: [newer] });
    const report = await runCopies(w.ctx(), w.policyOf());
    expect(report.results).toEqual([expect.objectContaining({ id: older, action: 'skip', reason: expect.stringContaining('copies only move forward') })]);
    expect([...w.copiesBySource().keys()]).toEqual([`us-east-1:${newer}`]);
    expect(report.plan.some((p) => p.target === ancient)).toBe(false);
  });

  it('alerts on a copy that ended in error (a KMS key that does not exist there) and does not copy that source again', async () => {
    const w = copyWorld({ kmsKeyId: 'alias/missing' });
    const s = w.source(w.fleet.volume({ sizeGiB: 8 }).VolumeId!, HOUR);
    const first = await runCopies(w.ctx(), w.policyOf());
    expect(first.results).toEqual([expect.objectContaining({ id: s, outcome: 'done' })]);
    w.sandbox.clock.advance(600_000);
    const next = await runCopies(w.ctx({ now: w.sandbox.clock.now() }), w.policyOf());
    expect(next.actionNeeded).toEqual([
      expect.objectContaining({ kind: 'copy-error', subject: expect.stringContaining(`us-east-1:${s}`), problem: expect.stringContaining('alias/missing does not exist in eu-west-1'), todo: expect.stringContaining('copyTo[eu-west-1].kmsKeyId') }),
    ]);
    expect(w.sandbox.callsOf('CopySnapshot')).toHaveLength(1);
  });

  it('keeps dryRun, the blast-radius cap and a missing Region client from copying', async () => {
    const w = copyWorld({ maxCopiesPerRun: 2 });
    const volume = w.fleet.volume({ sizeGiB: 8 }).VolumeId!;
    for (let i = 1; i <= 3; i++) w.source(volume, i * HOUR);
    const capped = await runCopies(w.ctx(), w.policyOf());
    expect(capped.error).toMatchObject({ code: 'BlastRadiusError', message: expect.stringContaining('copyTo[eu-west-1].maxCopiesPerRun') });
    const dry = await runCopies(w.ctx({ dryRun: true }), { ...w.policyOf(), copyTo: [{ ...w.policyOf().copyTo[0]!, maxCopiesPerRun: 10 }] });
    expect(dry.plan.filter((p) => p.action === COPY_ACTION)).toHaveLength(3);
    const noClients = await runCopies(w.ctx({ clientsIn: undefined }), w.policyOf());
    expect(noClients.error).toMatchObject({ code: 'NoClients' });
    expect(w.sandbox.mutatingCalls()).toEqual([]);
  });
});

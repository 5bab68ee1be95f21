import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/snapshot-volumes';
import { lambdaContext, sandboxDeps } from '../../sandbox/handler-deps';
import { copyWorld } from './helpers';

const require = createRequire(import.meta.url);
const schedules = require('../../deploy/schedules.cjs');

const file = join(tmpdir(), `caretaker-copy-schedules-${process.pid}.yml`);
const previous = process.env.CARETAKER_CONFIG_FILE;
afterEach(() => {
  if (previous === undefined) delete process.env.CARETAKER_CONFIG_FILE;
  else process.env.CARETAKER_CONFIG_FILE = previous;
});

describe('cross-Region copies through the snapshot function', () => {
  it('copies each snapshot once whether EBS events (duplicated), the next sweep or a retry get there first', async () => {
    const w = copyWorld();
    const web = w.fleet.instance({ name: 'web-1', tags: { 'caretaker:snapshot': 'nightly' }, volumes: [{}, { sizeGiB: 20 }] });
    w.fleet.instance({ name: 'web-2', tags: { 'caretaker:snapshot': 'nightly' }, volumes: [{}] });
    const topicArn = w.sandbox.sns.addTopic('alerts');
    const deps = sandboxDeps(w.sandbox, w.cfg, topicArn);
    const handler = makeHandler(deps);
    const context = () => lambdaContext('caretaker-snapshot-volumes', 900_000, () => w.sandbox.clock.nowMs());

    await handler({ policy: 'nightly', time: '2026-11-22T03:00:00Z' }, context());
    expect(w.sandbox.callsOf('CopySnapshot')).toHaveLength(0); // nothing completed yet
    w.sandbox.clock.advance(600_000);
    const events = w.sandbox.ec2.settleSnapshots().filter((e) => e['detail-type'] === 'EBS Multi-Volume Snapshots Completion Status');
    expect(events.map((e) => e.detail.result)).toEqual(['succeeded', 'succeeded']);

    // EventBridge delivers at least once: each event twice, while a manual run of the slot sweeps.
    const runs = [...events, ...events].map((e) => handler(e, context()));
    runs.push(handler({ policy: 'nightly', time: '2026-11-22T03:00:00Z' }, context()));
    await Promise.all(runs);

    const copies = w.copiesBySource();
    expect(copies.size).toBe(3);
    for (const ids of copies.values()) expect(ids).toHaveLength(1);
    const volumeIds = new Set(web.BlockDeviceMappings!.map((m) => m.Ebs!.VolumeId));
    const copyTags = [...copies.values()].map(([id]) => w.eu().snapshots.get(id!)!.data.Tags!);
    expect(copyTags.filter((tags) => volumeIds.has(tags.find((t) => t.Key === 'caretaker:source-volume')?.Value))).toHaveLength(2);
    expect(deps.reports.every((r) => !r.results.some((i) => i.outcome === 'failed'))).toBe(true);

    // The next night's run finds every copy done and copies the new snapshots only once they complete.
    w.sandbox.clock.advance(86_400_000);
    await handler({ policy: 'nightly', time: '2026-11-23T03:00:00Z' }, context());
    expect(w.copiesBySource().size).toBe(3);
  });

  it('encrypts the copies with the configured key of the destination (the next scheduled run sweeps them)', async () => {
    const w = copyWorld({ kmsKeyId: 'alias/backups' });
    const key = w.sandbox.inRegion('eu-west-1').kms.createKey('alias/backups');
    w.fleet.instance({ name: 'db-1', tags: { 'caretaker:snapshot': 'nightly' }, volumes: [{}] });
    const handler = makeHandler(sandboxDeps(w.sandbox, w.cfg, w.sandbox.sns.addTopic('alerts')));
    const context = () => lambdaContext('caretaker-snapshot-volumes', 900_000, () => w.sandbox.clock.nowMs());
    await handler({ policy: 'nightly', time: '2026-11-22T03:00:00Z' }, context());
    w.sandbox.clock.advance(86_400_000);
    await handler({ policy: 'nightly', time: '2026-11-23T03:00:00Z' }, context());
    const [[copyId]] = [...w.copiesBySource().values()] as [[string]];
    expect(w.eu().snapshots.get(copyId)!.data).toMatchObject({ Encrypted: true, KmsKeyId: key });
  });

  it('routes completed snapshots to the function only when a policy copies them', () => {
    const results = (yaml: string) => {
      writeFileSync(file, yaml);
      process.env.CARETAKER_CONFIG_FILE = file;
      return schedules.snapshotSchedules().flatMap((e: { eventBridge?: { pattern: { detail: { result: string[] } } } }) => (e.eventBridge ? [e.eventBridge.pattern.detail.result] : []));
    };
    const policy = '    - { name: p, schedule: rate(1 day), selector: { tags: { a: [] } }';
    expect(results(`snapshot:\n  policies:\n${policy} }\n`)).toEqual([['failed']]);
    expect(results(`snapshot:\n  policies:\n${policy}, copyTo: [{ region: eu-west-1, retain: { daily: 3 } }] }\n`)).toEqual([['failed', 'succeeded']]);
  });
});

import { ModifyInstanceAttributeCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { formatReport, reportSubject } from '../../shared/alerts/format';
import { tagRecord } from '../../shared/aws/filters';
import { runDegraded } from '../../shared/degraded/run-degraded';
import { lifecycleOf } from '../../sandbox/ec2-lifecycle';
import { FleetBuilder } from '../../sandbox/fleet';
import { config, contextFor, FAST_WAITERS, fastSandbox } from './helpers';

const KEY = 'arn:aws:kms:us-east-1:123456789012:key/cmk-data';

/** One instance with a scheduled event as the scan sees it, and the auto default. */
function world(spec: Parameters<FleetBuilder['instance']>[0] = {}, code = 'instance-retirement') {
  const sandbox = fastSandbox();
  const inst = new FleetBuilder(sandbox).instance({ name: 'app-1', instanceType: 'm5.large', ...spec });
  sandbox.ec2.healthOf(inst.InstanceId!).events = [{ InstanceEventId: 'instance-event-0123456789abcdef0', Code: code as never, Description: 'scheduled', NotBefore: new Date('2026-01-24T00:00:00Z') }];
  const run = () => runDegraded(contextFor(sandbox), config(), { trigger: { kind: 'scan' }, waiters: FAST_WAITERS });
  const tags = () => tagRecord(sandbox.ec2.requireInstance(inst.InstanceId!).Tags);
  return { sandbox, id: inst.InstanceId!, run, tags };
}

describe('degraded: auto action on the sandbox, and stop-start failure semantics', () => {
  it('auto stop-starts an EBS-only instance on a retirement notice (same instance id)', async () => {
    const w = world();
    const report = await w.run();
    expect(report.results[0]).toMatchObject({ action: 'stop-start', outcome: 'done', reason: expect.stringMatching(/\[why: instance-retirement .*AWS recommends stop\/start/) });
    expect(w.sandbox.ec2.requireInstance(w.id).State?.Name).toBe('running');
    expect(w.sandbox.callsOf('RunInstances')).toHaveLength(0);
  });

  it('auto only notifies for an m5d (instance store) on a retirement notice, and for any instance on a reboot notice: no stop', async () => {
    for (const [spec, code] of [
      [{ instanceType: 'm5d.large' }, 'instance-retirement'],
      [{}, 'system-reboot'],
    ] as const) {
      const w = world(spec, code);
      lifecycleOf(w.sandbox).instanceStoreData.set(w.id, 'cache');
      const report = await w.run();
      expect(report.results[0]).toMatchObject({ action: 'notify', outcome: 'done' });
      expect(report.actionNeeded).toEqual([expect.objectContaining({ kind: 'degraded-host', subject: w.id })]);
      expect(w.sandbox.callsOf('StopInstances')).toHaveLength(0);
      expect(lifecycleOf(w.sandbox).instanceStoreData.get(w.id)).toBe('cache');
    }
  });

  it('detects stop protection up front: one notice naming it, no StopInstances, no loop on the next scans', async () => {
    const w = world();
    await w.sandbox.clients().ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: w.id, DisableApiStop: { Value: true } }));
    const report = await w.run();
    expect(report.results[0]).toMatchObject({ action: 'notify', outcome: 'done' });
    expect(report.actionNeeded).toEqual([expect.objectContaining({ kind: 'stop-protected', problem: expect.stringMatching(/stop protection \(DisableApiStop\) is on/) })]);
    const again = await w.run();
    expect(again.results[0]).toMatchObject({ outcome: 'skipped', reason: expect.stringMatching(/already handled \(notify\)/) });
    expect(w.sandbox.callsOf('StopInstances')).toHaveLength(0);
  });

  it('forces the stop of an instance stuck in stopping, then starts it', async () => {
    const w = world();
    lifecycleOf(w.sandbox).stuckStopping.add(w.id);
    const report = await w.run();
    expect(report.results[0]).toMatchObject({ action: 'stop-start', outcome: 'done', details: expect.objectContaining({ forcedStop: true }) });
    expect(w.sandbox.callsOf('StopInstances').map((c) => c.input.Force ?? false)).toEqual([false, true]);
    expect(w.sandbox.ec2.requireInstance(w.id).State?.Name).toBe('running');
  });

  it('a start that fails (KMS grant missing) is retried, then alerted URGENT; the next scan starts it once the key is fixed', async () => {
    const w = world({ volumes: [{ sizeGiB: 8 }, { sizeGiB: 50 }] });
    const data = w.sandbox.ec2.requireInstance(w.id).BlockDeviceMappings![1]!.Ebs!.VolumeId!;
    w.sandbox.ec2.volumes.get(data)!.data.KmsKeyId = KEY;
    lifecycleOf(w.sandbox).deniedKmsKeys.add(KEY);
    const ctx = contextFor(w.sandbox);
    const report = await runDegraded(ctx, config(), { trigger: { kind: 'scan' }, waiters: FAST_WAITERS });

    expect(report.results[0]).toMatchObject({ action: 'stop-start', outcome: 'failed', errorCode: 'Client.InternalError' });
    expect(w.sandbox.callsOf('StartInstances')).toHaveLength(2);
    expect(w.sandbox.ec2.requireInstance(w.id).State?.Name).toBe('stopped');
    expect(w.tags()).toMatchObject({ 'caretaker:remediation': 'stop-start:failed', 'caretaker:remediation-error': 'Client.InternalError' });
    expect(report.actionNeeded).toEqual([expect.objectContaining({ kind: 'instance-stopped', subject: w.id, problem: expect.stringMatching(/URGENT: .* is STOPPED/) })]);
    expect(reportSubject(report)).toMatch(/ACTION NEEDED \(1\)/);
    expect(formatReport(report)).toMatch(/ACTION NEEDED \(1\):\n {2}i-.*URGENT/);

    lifecycleOf(w.sandbox).deniedKmsKeys.clear();
    const retry = await w.run();
    expect(retry.plan[0]!.reason).toMatch(/^URGENT: left stopped .*attempt 2 of 3/);
    expect(retry.results[0]).toMatchObject({ action: 'stop-start', outcome: 'done' });
    expect(w.sandbox.callsOf('StopInstances')).toHaveLength(1);
    expect(w.sandbox.ec2.requireInstance(w.id).State?.Name).toBe('running');
    expect(w.tags()['caretaker:remediation']).toBe('stop-start:done');
  });
});

describe('degraded: image cleanup', () => {
  it('the scan deregisters relaunch images past their retention and deletes their snapshots; other images stay', async () => {
    const sandbox = fastSandbox();
    const fleet = new FleetBuilder(sandbox);
    const snapOld = fleet.snapshot({ VolumeId: 'vol-1', Size: 8 }, 0).SnapshotId!;
    const snapNew = fleet.snapshot({ VolumeId: 'vol-2', Size: 8 }, 0).SnapshotId!;
    const snapOther = fleet.snapshot({ VolumeId: 'vol-3', Size: 8 }, 0).SnapshotId!;
    const made = (snap: string, daysAgo: number, tags: Record<string, string>) => {
      const image = fleet.image([snap], `img-${snap}`);
      image.CreationDate = new Date(sandbox.clock.nowMs() - daysAgo * 86_400_000).toISOString();
      image.Tags = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
      // CreateImage tags the image's snapshots too (TagSpecifications): the role deletes only snapshots tagged caretaker:replaces.
      sandbox.ec2.snapshots.get(snap)!.data.Tags = image.Tags.map((t) => ({ ...t }));
      return image.ImageId!;
    };
    const oldImage = made(snapOld, 8, { 'caretaker:replaces': 'i-0aaaaaaaaaaaaaaaa' });
    const recent = made(snapNew, 2, { 'caretaker:replaces': 'i-0bbbbbbbbbbbbbbbb' });
    const golden = made(snapOther, 30, { role: 'golden' });
    const report = await runDegraded(contextFor(sandbox), config(), { trigger: { kind: 'scan' }, waiters: FAST_WAITERS });
    expect(report.notes.join('\n')).toContain(`Removed 1 relaunch image(s) older than 7 days: ${oldImage}`);
    expect([...sandbox.ec2.images.keys()]).toEqual(expect.arrayContaining([recent, golden]));
    expect(sandbox.ec2.images.has(oldImage)).toBe(false);
    expect(sandbox.ec2.snapshots.has(snapOld)).toBe(false);
    expect(sandbox.ec2.snapshots.has(snapNew)).toBe(true);
  });
});

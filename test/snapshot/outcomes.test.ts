import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { makeHandler } from '../../functions/snapshot-volumes';
import { parseInput } from '../../shared/config/load';
import { snapshotEventSchema } from '../../shared/snapshot/event';
import { lambdaContext, sandboxDeps } from '../../sandbox/handler-deps';
import { config, sandboxWithFleet } from '../helpers';

const cfg = config({ snapshot: { policies: [{ name: 'daily', schedule: 'cron(0 3 * * ? *)', selector: { tags: { 'caretaker:snapshot': ['daily'] } } }] } });

function setup() {
  const { sandbox, fleet } = sandboxWithFleet();
  const TOPIC = sandbox.sns.addTopic('caretaker-alerts');
  const web = fleet.instance({ name: 'web', tags: { 'caretaker:snapshot': 'daily' }, volumes: [{}, {}] });
  const db = fleet.instance({ name: 'db', tags: { 'caretaker:snapshot': 'daily' }, volumes: [{}] });
  const deps = sandboxDeps(sandbox, cfg, TOPIC);
  const handler = makeHandler(deps);
  // The handler returns its compact summary; the tests read the run's full report.
  const invoke = async (event: unknown) => {
    await handler(event, lambdaContext('snapshot-volumes', 900_000, () => sandbox.clock.nowMs()));
    return deps.lastReport();
  };
  const volumesOf = (i: typeof web) => i.BlockDeviceMappings!.map((m) => m.Ebs!.VolumeId!);
  /** Lets EBS finish the pending snapshots and returns the completion events emitted since `from`. */
  const settle = (from: number) => {
    sandbox.clock.advance(61_000);
    return sandbox.ec2.settleSnapshots().slice(from);
  };
  return { sandbox, web, db, invoke, volumesOf, settle };
}

const scheduled = { policy: 'daily', time: '2026-03-05T03:00:00Z' };

describe('snapshot outcome verification (sandbox)', () => {
  it('an error snapshot: EBS event → alerted with volume and message, retried once in the same slot; the slot is done once the retry completes', async () => {
    const { sandbox, web, invoke, volumesOf, settle } = setup();
    const broken = volumesOf(web)[1]!;
    sandbox.ec2.outcomes.fail({ volumeId: broken, times: 1, message: 'Snapshot failed: volume I/O error' });

    const first = await invoke(scheduled);
    expect(first.notes).toContain('Slot 2026-03-05T03:00:00Z is not done yet: 0 instance(s) with every snapshot completed, 2 pending (2 started by this run), 0 ended in error (0 of them after their retry).');
    const events = settle(0);
    const failedEvent = events.find((e) => e.detail.result === 'failed')!;
    expect(failedEvent).toMatchObject({ source: 'aws.ec2', 'detail-type': 'EBS Multi-Volume Snapshots Completion Status', detail: { event: 'createSnapshots' } });
    expect(events.filter((e) => e.detail.result === 'succeeded')).toHaveLength(1);

    const onEvent = await invoke(failedEvent);

    const retries = sandbox.callsOf('CreateSnapshots').slice(2);
    expect(retries).toHaveLength(1);
    expect(retries[0]!.input).toMatchObject({ InstanceSpecification: { InstanceId: web.InstanceId } });
    expect((retries[0]!.input.TagSpecifications as Array<{ Tags: Array<{ Key: string; Value: string }> }>)[0]!.Tags).toEqual(
      expect.arrayContaining([{ Key: 'caretaker:slot', Value: '2026-03-05T03:00:00Z' }, { Key: 'caretaker:attempt', Value: '2' }]),
    );
    expect(onEvent.actionNeeded).toEqual([
      expect.objectContaining({ kind: 'snapshot-error', subject: `${web.InstanceId} / ${broken}`, problem: expect.stringContaining('ended in error: Snapshot failed: volume I/O error') }),
    ]);
    const mail = sandbox.sns.messages.at(-1)!;
    expect(mail.subject).toContain('ACTION NEEDED (1)');
    expect(mail.message).toContain(broken);

    // The retry completes; a late duplicate of the scheduled event finds the slot done and alerts nothing.
    expect(settle(events.length).map((e) => e.detail.result)).toEqual(['succeeded']);
    const again = await invoke(scheduled);
    expect(sandbox.callsOf('CreateSnapshots')).toHaveLength(3);
    expect(again.actionNeeded ?? []).toEqual([]);
    expect(again.notes).toContain('Slot 2026-03-05T03:00:00Z is done: 2 instance(s) with every snapshot completed, 0 pending (0 started by this run), 0 ended in error (0 of them after their retry).');
  });

  it('retries only once: a retry that fails too is alerted and not retried again, even when the event comes twice', async () => {
    const { sandbox, web, invoke, volumesOf, settle } = setup();
    sandbox.ec2.outcomes.fail({ volumeId: volumesOf(web)[0]!, message: 'Snapshot failed: KMS key disabled' });
    await invoke(scheduled);
    const firstFail = settle(0).find((e) => e.detail.result === 'failed')!;
    await invoke(firstFail);
    const secondFail = settle(2).find((e) => e.detail.result === 'failed')!;

    const a = await invoke(secondFail);
    const b = await invoke(secondFail);

    expect(sandbox.callsOf('CreateSnapshots')).toHaveLength(3);
    for (const r of [a, b]) {
      expect(r.actionNeeded?.[0]).toMatchObject({ kind: 'snapshot-error', todo: expect.stringContaining('the retry failed too') });
      expect(r.results.find((x) => x.id === web.InstanceId)?.reason).toContain('the retry ended in error too');
    }
  });

  it('a missed completion event is caught by the next run, which lists the error until a newer snapshot completes', async () => {
    const { sandbox, db, invoke, volumesOf, settle } = setup();
    sandbox.ec2.outcomes.fail({ volumeId: volumesOf(db)[0]!, times: 1 });
    await invoke(scheduled);
    settle(0); // the event is lost

    sandbox.clock.advance(24 * 3_600_000);
    const next = await invoke({ policy: 'daily', time: '2026-03-06T03:00:00Z' });

    expect(next.actionNeeded).toEqual([expect.objectContaining({ kind: 'snapshot-error', subject: `${db.InstanceId} / ${volumesOf(db)[0]}` })]);
    settle(0);
    sandbox.clock.advance(24 * 3_600_000);
    expect((await invoke({ policy: 'daily', time: '2026-03-07T03:00:00Z' })).actionNeeded ?? []).toEqual([]);
  });

  it('a volume with no completed snapshot for longer than 1.5 × the schedule is listed as stale until one completes', async () => {
    const { sandbox, web, invoke, settle } = setup();
    await invoke(scheduled);
    settle(0);
    sandbox.clock.advance(3 * 24 * 3_600_000); // three days without a run

    const late = await invoke({ policy: 'daily', time: '2026-03-08T03:00:00Z' });

    const stale = (late.actionNeeded ?? []).filter((a) => a.kind === 'stale-volume');
    expect(stale.map((a) => a.subject.split(' / ')[0])).toEqual(expect.arrayContaining([web.InstanceId]));
    expect(stale).toHaveLength(3);
    expect(stale[0]!.problem).toMatch(/policy daily expects one at least every 36h$/);
    settle(0);
    sandbox.clock.advance(3_600_000);
    expect((await invoke({ policy: 'daily', time: '2026-03-08T03:00:00Z' })).actionNeeded ?? []).toEqual([]);
  });

  it('parses the sample events under events/ as EBS sends them', () => {
    for (const file of ['ebs-multi-volume-failed.json', 'ebs-snapshot-failed.json']) {
      const event = parseInput(snapshotEventSchema, JSON.parse(readFileSync(`events/snapshot-volumes/${file}`, 'utf8')), file);
      expect(event).toMatchObject({ kind: 'completion', result: 'failed' });
    }
  });
});

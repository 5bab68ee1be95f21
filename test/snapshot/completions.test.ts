import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/snapshot-volumes';
import { lambdaContext, sandboxDeps } from '../../sandbox/handler-deps';
import { completionWindow } from '../../shared/snapshot/slot';
import { parseEmf } from '../metrics/emf';
import { config, sandboxWithFleet } from '../helpers';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const policyConfig = (over: Record<string, unknown> = {}) =>
  config({ snapshot: { policies: [{ name: 'daily', schedule: 'cron(0 3 * * ? *)', selector: { tags: { 'caretaker:snapshot': ['daily'] } }, ...over }] } });

/** Two instances, three volumes, the snapshot handler on the sandbox, and the EMF lines of each run. */
function setup(cfg = policyConfig()) {
  const { sandbox, fleet } = sandboxWithFleet();
  const topic = sandbox.sns.addTopic('caretaker-alerts');
  const web = fleet.instance({ name: 'web', tags: { 'caretaker:snapshot': 'daily' }, volumes: [{}, {}] });
  fleet.instance({ name: 'db', tags: { 'caretaker:snapshot': 'daily' }, volumes: [{}] });
  let lines: string[] = [];
  const deps = sandboxDeps(sandbox, cfg, topic, undefined, (l) => lines.push(l));
  const handler = makeHandler(deps);
  /** One invocation; returns its policy line's values (the run line is checked elsewhere). */
  const invoke = async (event: unknown) => {
    lines = [];
    await handler(event, lambdaContext('snapshot-volumes', 900_000, () => sandbox.clock.nowMs())).catch(() => undefined);
    const policy = parseEmf(lines).find((l) => l.dimensions.Policy === 'daily');
    return { values: policy?.values ?? {}, report: deps.lastReport(), mails: sandbox.sns.messages.length };
  };
  const slot = (day: number) => ({ policy: 'daily', time: new Date(Date.parse('2026-03-05T03:00:00Z') + day * DAY).toISOString().replace('.000Z', 'Z') });
  /** Moves the clock to `ms` after the sandbox's start (2026-03-05T03:00Z). */
  const at = (ms: number) => sandbox.clock.advance(Date.parse('2026-03-05T03:00:00Z') + ms - sandbox.clock.nowMs());
  /** Moves the clock to an instant and runs that slot as its scheduled event would. */
  const runSlot = (iso: string, lateMs = 0) => {
    sandbox.clock.advance(Date.parse(iso) + lateMs - sandbox.clock.nowMs());
    return invoke({ policy: 'daily', time: iso });
  };
  /** The completed snapshots in the account that completed by `iso`: what the counts must add up to. */
  const completedBy = (iso: string) =>
    [...sandbox.ec2.snapshots.values()].filter((s) => s.data.State === 'completed' && (s.data.CompletionTime ?? s.data.StartTime)!.getTime() <= Date.parse(iso)).length;
  return { sandbox, fleet, web, invoke, slot, at, runSlot, completedBy };
}

describe('SnapshotsCompleted: counted by the next slot that runs, once (sandbox, EMF lines)', () => {
  it('the next slot counts the previous slot\'s snapshots that completed since, by their completionTime', async () => {
    const { sandbox, invoke, slot, at } = setup();
    const first = await invoke(slot(0));
    // Nothing existed before the first slot: nothing completed, and no volume has an age yet.
    expect(first.values).toEqual({ SnapshotsStarted: 3, SnapshotsFailed: 0, SnapshotCopies: 0, SnapshotsCompleted: 0 });
    at(DAY + 30_000);
    sandbox.ec2.settleSnapshots();
    const completed = [...sandbox.ec2.snapshots.values()].map((s) => s.data);
    expect(completed.map((s) => [s.State, s.CompletionTime?.toISOString()])).toEqual(
      completed.map((s) => ['completed', new Date(s.StartTime!.getTime() + 60_000).toISOString()]),
    );

    const second = await invoke(slot(1));

    expect(second.values).toMatchObject({ SnapshotsStarted: 3, SnapshotsCompleted: 3, StaleAfterHours: 36 });
    // The worst volume's newest completed snapshot is yesterday's: 24 h and the 30 s the run started late.
    expect(second.values.WorstBackupAgeHours).toBeCloseTo(24.01, 2);
    expect(second.report.notes).toContain('3 snapshot(s) of the policy completed since slot 2026-03-05T03:00:00Z, the last one counted.');
    // The first run had no earlier slot in the account: its window starts at the schedule's previous firing.
    expect(first.report.notes).toContain("0 snapshot(s) of the policy completed since the schedule's previous firing (2026-03-04T03:00:00Z).");
    expect(second.report.notes).toContainEqual(expect.stringMatching(/^Backup age of policy daily: worst volume 24\.0 hours since its newest completed snapshot, over 3 volume\(s\); stale after 36h\.$/));
  });

  it('a duplicate delivery, a failed-snapshot event and a manual run of the same slot count nothing again, and send no extra e-mail per completion', async () => {
    const { sandbox, web, invoke, slot, at } = setup();
    const broken = web.BlockDeviceMappings![1]!.Ebs!.VolumeId!;
    await invoke(slot(0));
    at(DAY);
    sandbox.ec2.outcomes.fail({ volumeId: broken, times: 1, message: 'Snapshot failed: volume I/O error' });
    const second = await invoke(slot(1));
    expect(second.values.SnapshotsCompleted).toBe(3);

    const again = await invoke(slot(1));
    expect(again.values).not.toHaveProperty('SnapshotsCompleted');
    expect(again.values.WorstBackupAgeHours).toBeCloseTo(24, 1);

    at(DAY + 61_000);
    const failed = sandbox.ec2.settleSnapshots().find((e) => e.detail.result === 'failed')!;
    const onEvent = await invoke(failed);
    expect(onEvent.report.results.map((r) => r.action)).toContain('snapshot');
    expect(onEvent.values).not.toHaveProperty('SnapshotsCompleted');

    const manual = await invoke({ policy: 'daily' });
    expect(manual.values).not.toHaveProperty('SnapshotsCompleted');
    // One e-mail per run, none per completion: 5 runs, 5 e-mails.
    expect(manual.mails).toBe(5);
  });

  it('a failed first run that made no snapshot leaves the count to Lambda\'s retry of it', async () => {
    const { sandbox, invoke, slot, at } = setup();
    await invoke(slot(0));
    at(DAY);
    // Both instances refused (UnauthorizedOperation, which the SDK does not retry): the slot stays empty.
    sandbox.injectFault({ operation: 'CreateSnapshots', code: 'UnauthorizedOperation', httpStatusCode: 403, times: 2 });
    const refused = await invoke(slot(1));
    expect(refused.values).toMatchObject({ SnapshotsStarted: 0, SnapshotsFailed: 2 });
    expect(refused.values).not.toHaveProperty('SnapshotsCompleted');
    const retry = await invoke(slot(1));
    expect(retry.values).toMatchObject({ SnapshotsStarted: 3, SnapshotsCompleted: 3 });
  });

  it('a slot that never ran leaves its window to the next run that does: counted once, from the last counted slot', async () => {
    const { invoke, slot, at } = setup();
    await invoke(slot(0));
    at(3 * DAY);
    // Slots 1 and 2 never ran: the day-0 snapshots completed in their windows, and slot 3 counts them.
    const late = await invoke(slot(3));
    expect(late.values.SnapshotsCompleted).toBe(3);
    expect(late.report.notes).toContain('3 snapshot(s) of the policy completed since slot 2026-03-05T03:00:00Z, the last one counted.');
    expect(late.values.WorstBackupAgeHours).toBeCloseTo(72, 1);
    expect(late.values.StaleAfterHours).toBe(36);
    expect(late.report.notes).toContainEqual(expect.stringContaining('stale after 36h (OVER: see ACTION NEEDED)'));
    at(4 * DAY);
    expect((await invoke(slot(4))).values.SnapshotsCompleted).toBe(3);
  });

  it('a slot whose every attempt was refused (no snapshot made) leaves its window to the next slot', async () => {
    const { sandbox, invoke, slot, at } = setup();
    await invoke(slot(0));
    at(DAY);
    sandbox.injectFault({ operation: 'CreateSnapshots', code: 'UnauthorizedOperation', httpStatusCode: 403, times: 4 });
    expect((await invoke(slot(1))).values).not.toHaveProperty('SnapshotsCompleted');
    expect((await invoke(slot(1))).values).not.toHaveProperty('SnapshotsCompleted');
    at(2 * DAY);
    const next = await invoke(slot(2));
    expect(next.values).toMatchObject({ SnapshotsStarted: 3, SnapshotsCompleted: 3 });
  });

  it('a late run of an older slot, after a newer slot ran, counts nothing; the next slot counts its snapshots', async () => {
    const { invoke, slot, at, completedBy } = setup();
    await invoke(slot(0));
    at(2 * DAY);
    expect((await invoke(slot(2))).values.SnapshotsCompleted).toBe(3);
    // Someone runs slot 1 by hand a minute later: it makes snapshots (the slot was empty) but counts nothing.
    at(2 * DAY + 60_000);
    const old = await invoke(slot(1));
    expect(old.values.SnapshotsStarted).toBe(3);
    expect(old.values).not.toHaveProperty('SnapshotsCompleted');
    at(3 * DAY);
    // Slot 2's and the late slot 1's snapshots, all completed after slot 2.
    const third = await invoke(slot(3));
    expect(third.values.SnapshotsCompleted).toBe(6);
    expect(3 + 6).toBe(completedBy(slot(3).time));
  });

  it('without completionTime (EC2 omits it on some snapshots), a completed snapshot counts by its start time', async () => {
    const { fleet, web, invoke, slot, at } = setup();
    const [a, b] = web.BlockDeviceMappings!.map((m) => ({ VolumeId: m.Ebs!.VolumeId!, Size: 8 }));
    const tags = { 'caretaker:managed': 'true', 'caretaker:policy': 'daily', 'caretaker:instance': web.InstanceId! };
    at(DAY);
    // a of slot 03-05T03:00 started an hour after it; b of slot 03-04T03:00 started an hour before 03-05T03:00.
    fleet.snapshot(a!, 23 * HOUR, { ...tags, 'caretaker:slot': '2026-03-05T03:00:00Z' });
    fleet.snapshot(b!, 25 * HOUR, { ...tags, 'caretaker:slot': '2026-03-04T03:00:00Z' });
    const run = await invoke(slot(1));
    // The window is (03-05T03:00, 03-06T03:00]: a's start is inside it, b's before it.
    expect(run.values.SnapshotsCompleted).toBe(1);
    expect(run.values.WorstBackupAgeHours).toBe(25);
  });

  it('counts every completion exactly once over a month of runs, duplicates, refused and missed slots', async () => {
    const { sandbox, invoke, slot, at, completedBy } = setup();
    let counted = 0;
    const count = (run: { values: Record<string, unknown> }) => (run.values.SnapshotsCompleted as number | undefined) ?? 0;
    // Per day: run once, run twice (a duplicate delivery), miss the slot, or have the first attempt refused and retried.
    const plan = ['run', 'twice', 'miss', 'refused', 'run', 'miss', 'miss', 'twice', 'run', 'refused', 'run', 'run', 'miss', 'twice', 'run'];
    for (const [day, what] of plan.entries()) {
      if (what === 'miss') continue;
      at(day * DAY + 20_000);
      if (what === 'refused') {
        sandbox.injectFault({ operation: 'CreateSnapshots', code: 'UnauthorizedOperation', httpStatusCode: 403, times: 2 });
        counted += count(await invoke(slot(day)));
      }
      counted += count(await invoke(slot(day)));
      if (what === 'twice') counted += count(await invoke(slot(day)));
    }
    const last = plan.length - 1;
    // Everything that completed by the last counted slot was counted, once.
    expect(counted).toBe(completedBy(slot(last).time));
    expect(counted).toBe(3 * (plan.filter((w) => w !== 'miss').length - 1));
  });
});

describe('SnapshotsCompleted for schedules with L, W or # and in local time', () => {
  it('a month-end schedule (L) counts the previous month end\'s snapshots, and a manual run slots to the month end, not the minute', async () => {
    const { sandbox, runSlot, invoke } = setup(policyConfig({ schedule: 'cron(0 3 L * ? *)' }));
    expect((await runSlot('2026-03-31T03:00:00Z')).values).toMatchObject({ SnapshotsStarted: 3, SnapshotsCompleted: 0 });
    const april = await runSlot('2026-04-30T03:00:00Z', 5_000);
    expect(april.values).toMatchObject({ SnapshotsStarted: 3, SnapshotsCompleted: 3, StaleAfterHours: 31 * 24 * 1.5 });
    sandbox.clock.advance(9 * HOUR);
    const manual = await invoke({ policy: 'daily' });
    expect(manual.report.notes[0]).toContain('slot 2026-04-30T03:00:00Z');
    expect(manual.values.SnapshotsStarted).toBe(0);
    expect(sandbox.ec2.snapshots.size).toBe(6);
  });

  it('a first-Monday schedule (#) counts once per firing', async () => {
    const { runSlot } = setup(policyConfig({ schedule: 'cron(0 3 ? * 2#1 *)' }));
    await runSlot('2026-04-06T03:00:00Z');
    expect((await runSlot('2026-05-04T03:00:00Z')).values.SnapshotsCompleted).toBe(3);
    expect((await runSlot('2026-06-01T03:00:00Z')).values.SnapshotsCompleted).toBe(3);
  });

  it('03:00 Berlin across the change to summer time: the 23-hour day and a missed slot after it count each completion once', async () => {
    const { runSlot, completedBy } = setup(policyConfig({ schedule: 'cron(0 3 * * ? *)', timeZone: 'Europe/Berlin' }));
    // 03:00 CET is 02:00Z; from 29 March 03:00 CEST is 01:00Z.
    const counts = [];
    for (const iso of ['2026-03-28T02:00:00Z', '2026-03-29T01:00:00Z', '2026-03-31T01:00:00Z']) counts.push((await runSlot(iso, 30_000)).values.SnapshotsCompleted);
    // 30 March never ran: 31 March counts the 29th's snapshots, which completed in the 30th's window.
    expect(counts).toEqual([0, 3, 3]);
    expect(6).toBe(completedBy('2026-03-31T01:00:00Z'));
  });
});

describe('completionWindow', () => {
  it('runs from the previous firing to the slot: a cron\'s previous firing, a rate\'s period back (rate rules fire from their creation time)', () => {
    const ms = (iso: string) => Date.parse(iso);
    expect(completionWindow('cron(0 3 * * ? *)', '2026-03-06T03:00:00Z')).toEqual({ fromMs: ms('2026-03-05T03:00:00Z'), toMs: ms('2026-03-06T03:00:00Z') });
    expect(completionWindow('cron(0 3 ? * MON-FRI *)', '2026-03-09T03:00:00Z')).toEqual({ fromMs: ms('2026-03-06T03:00:00Z'), toMs: ms('2026-03-09T03:00:00Z') });
    expect(completionWindow('rate(1 day)', '2026-03-06T14:37:00Z')).toEqual({ fromMs: ms('2026-03-05T14:37:00Z'), toMs: ms('2026-03-06T14:37:00Z') });
    // 03:00 Berlin: the firing on the day clocks spring forward (03-29) is 23 hours after the one before.
    expect(completionWindow('cron(0 3 * * ? *)', '2026-03-30T01:00:00Z', 'Europe/Berlin')).toEqual({ fromMs: ms('2026-03-29T01:00:00Z'), toMs: ms('2026-03-30T01:00:00Z') });
    expect(completionWindow('cron(0 3 * * ? *)', '2026-03-29T01:00:00Z', 'Europe/Berlin')).toEqual({ fromMs: ms('2026-03-28T02:00:00Z'), toMs: ms('2026-03-29T01:00:00Z') });
    expect(completionWindow('cron(0 3 L * ? *)', '2026-03-31T03:00:00Z')).toEqual({ fromMs: ms('2026-02-28T03:00:00Z'), toMs: ms('2026-03-31T03:00:00Z') });
  });
});

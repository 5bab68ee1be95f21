import { CreateScheduleCommand } from '@aws-sdk/client-scheduler';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeHandler } from '../../functions/prune-snapshots';
import { parseConfig } from '../../shared/config/load';
import { planContinuation } from '../../shared/prune/continuation';
import { lambdaContext, sandboxDeps } from '../../sandbox/handler-deps';
import { SandboxAccount } from '../../sandbox/account';
import { FleetBuilder } from '../../sandbox/fleet';

const DAY = 86_400_000;
// The role deploy/iam.cjs makes for the continuation (PruneContinuationRole): <service>-<stage>-<region>-<function>-continue (deploy/names.cjs).
const ROLE = 'arn:aws:iam::123456789012:role/ec2-caretaker-test-us-east-1-prune-snapshots-continue';

function setup(maxContinuationRuns = 24) {
  const sandbox = new SandboxAccount({ start: new Date('2026-06-15T12:00:00Z'), timeScale: 0, throttling: true, seed: 5 });
  const fleet = new FleetBuilder(sandbox);
  const topic = sandbox.sns.addTopic('alerts');
  const expired: string[] = [];
  for (let v = 0; v < 60; v++) {
    const vol = fleet.volume({});
    fleet.snapshot(vol, 3_600_000, { 'caretaker:managed': 'true', 'caretaker:policy': 'daily' });
    for (let d = 10; d < 30; d++) expired.push(fleet.snapshot(vol, d * DAY, { 'caretaker:managed': 'true', 'caretaker:policy': 'daily' }).SnapshotId!);
  }
  const config = parseConfig({
    snapshot: { policies: [{ name: 'daily', schedule: 'rate(1 day)', selector: { tags: { backup: ['daily'] } }, retain: { olderThanDays: 7 } }] },
    prune: { maxDeletesPerRun: 5000, maxContinuationRuns },
  });
  const handler = makeHandler(sandboxDeps(sandbox, config, topic));
  // A 2-minute budget less the 30 s margin: ~95 + 90 × 5 ≈ 545 deletions per run, so 1,200 take three runs.
  const invoke = (event: unknown) => handler(event, lambdaContext('ec2-caretaker-test-prune-snapshots', 120_000, () => sandbox.clock.nowMs()));
  /** Advances to the next due one-time schedule and fires it; undefined when none is left. */
  const fireNext = async () => {
    const next = sandbox.scheduler.next();
    if (!next) return undefined;
    sandbox.clock.advance(Math.max(0, next.fireAtMs - sandbox.clock.nowMs()));
    const [due] = sandbox.scheduler.fireDue();
    return { schedule: due!, report: await invoke(JSON.parse(due!.input)) };
  };
  return { sandbox, expired, invoke, fireNext };
}

describe('prune backlog continuation (sandbox)', () => {
  beforeEach(() => vi.stubEnv('CONTINUATION_ROLE_ARN', ROLE));
  afterEach(() => vi.unstubAllEnvs());

  it('clears a backlog larger than one run across continuation runs a minute apart, each deleting only what is left', async () => {
    const { sandbox, expired, invoke, fireNext } = setup();

    const first = await invoke({ time: '2026-06-15T12:00:00Z' });
    expect(first.remaining).toBeGreaterThan(0);
    const runs = [first];
    const schedules = [];
    for (let next = await fireNext(); next; next = await fireNext()) {
      schedules.push(next.schedule);
      runs.push(next.report);
    }

    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.at(-1)!.remaining).toBe(0);
    expect(expired.filter((id) => sandbox.ec2.snapshots.has(id))).toEqual([]);
    // Each snapshot deleted once: no run repeats another's work.
    const deleted = sandbox.callsOf('DeleteSnapshot').filter((c) => !c.error).map((c) => c.input.SnapshotId);
    expect(new Set(deleted).size).toBe(deleted.length);
    expect(schedules.map((s) => s.name)).toEqual(schedules.map((_, i) => `ec2-caretaker-test-prune-snapshots-20260615T120000Z-${i + 2}`));
    expect(schedules[0]).toMatchObject({ targetArn: 'arn:aws:lambda:us-east-1:123456789012:function:ec2-caretaker-test-prune-snapshots', roleArn: ROLE, actionAfterCompletion: 'DELETE' });
    expect(sandbox.callsOf('CreateSchedule')[0]!.input).toMatchObject({ FlexibleTimeWindow: { Mode: 'OFF' }, ScheduleExpressionTimezone: 'UTC' });
    expect(runs[0]!.notes.find((n) => n.startsWith('Backlog left:'))).toMatch(/^Backlog left: continuation run 2 scheduled at 2026-06-15T12:\d\d:00Z \(ec2-caretaker-test-prune-snapshots-20260615T120000Z-2\)\.$/);
    // Set for the next whole minute at least a second after each run ends (Scheduler's precision
    // is a minute), so it starts 1-120 s later, not a schedule period later.
    for (let i = 0; i < schedules.length; i++) {
      const gap = schedules[i]!.atMs - Date.parse(runs[i]!.finishedAt);
      expect(schedules[i]!.atMs % 60_000).toBe(0);
      expect(gap).toBeGreaterThanOrEqual(1_000);
      expect(gap).toBeLessThan(61_000);
      expect(schedules[i]!.fireAtMs - schedules[i]!.atMs).toBeGreaterThanOrEqual(0);
      expect(schedules[i]!.fireAtMs - schedules[i]!.atMs).toBeLessThan(60_000);
    }
  });

  it('does not fork under duplicate delivery: the second identical run finds its continuation already scheduled', async () => {
    const { sandbox, invoke } = setup();
    const event = { time: '2026-06-15T12:00:00Z' };
    const a = await invoke(event);
    const b = await invoke(event);

    expect(sandbox.scheduler.schedules.size).toBe(1);
    expect(a.notes.some((n) => n.includes('continuation run 2 scheduled'))).toBe(true);
    expect(b.notes.some((n) => n.includes('was already scheduled (a duplicate delivery of this run)'))).toBe(true);
  });

  it('stops the chain at prune.maxContinuationRuns and says the scheduled run continues', async () => {
    const { sandbox, invoke, fireNext } = setup(2);
    await invoke({ time: '2026-06-15T12:00:00Z' });
    const second = await fireNext();

    expect(second!.report.remaining).toBeGreaterThan(0);
    expect(second!.report.notes).toContain('Backlog left: chain of 2 run(s) reached prune.maxContinuationRuns 2: the next scheduled run continues.');
    expect(sandbox.scheduler.schedules.size).toBe(0);
  });

  it('schedules nothing after a dry run, a finished backlog, or without a role', () => {
    const target = { functionArn: 'arn:aws:lambda:us-east-1:1:function:f', roleArn: ROLE, namePrefix: 'f', chain: { origin: 'o', run: 1 } };
    expect(planContinuation({ remaining: 5, dryRun: true }, target, 24, 0)).toBeUndefined();
    expect(planContinuation({ remaining: 0, dryRun: false }, target, 24, 0)).toBeUndefined();
    expect(planContinuation({ remaining: 5, dryRun: false }, undefined, 24, 0)).toEqual({ skip: expect.stringContaining('no continuation target') });
  });
});

describe('sandbox EventBridge Scheduler refuses what AWS refuses', () => {
  const base = {
    Name: 'caretaker-x-1',
    ScheduleExpression: 'at(2026-06-15T12:01:00)',
    FlexibleTimeWindow: { Mode: 'OFF' as const },
    Target: { Arn: 'arn:aws:lambda:us-east-1:123456789012:function:f', RoleArn: ROLE },
  };
  it.each([
    ['a duplicate name', base, 'ConflictException'],
    ['a bad name', { ...base, Name: 'no spaces allowed' }, 'ValidationException'],
    ['no FlexibleTimeWindow', { ...base, Name: 'b', FlexibleTimeWindow: undefined }, 'ValidationException'],
    ['no role', { ...base, Name: 'c', Target: { Arn: base.Target.Arn } }, 'ValidationException'],
    ['a malformed at()', { ...base, Name: 'd', ScheduleExpression: 'at(2026-06-15 12:01)' }, 'ValidationException'],
    ['an unknown window mode', { ...base, Name: 'e', FlexibleTimeWindow: { Mode: 'SOMETIMES' } }, 'ValidationException'],
    ['FLEXIBLE without a maximum window', { ...base, Name: 'f', FlexibleTimeWindow: { Mode: 'FLEXIBLE' } }, 'ValidationException'],
    ['FLEXIBLE with a window of 0 minutes', { ...base, Name: 'g', FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 0 } }, 'ValidationException'],
    ['FLEXIBLE with a window over a day', { ...base, Name: 'h', FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 1441 } }, 'ValidationException'],
  ])('%s', async (_name, input, code) => {
    const sandbox = new SandboxAccount({ timeScale: 0 });
    const { scheduler } = sandbox.clients();
    await scheduler.send(new CreateScheduleCommand(base));
    await expect(scheduler.send(new CreateScheduleCommand(input as typeof base))).rejects.toMatchObject({ name: code });
  });
});

describe('sandbox EventBridge Scheduler fires with 60-second precision, as documented', () => {
  const create = async (sandbox: SandboxAccount, name: string, expression: string, window: { Mode: 'OFF' | 'FLEXIBLE'; MaximumWindowInMinutes?: number }) => {
    await sandbox.clients().scheduler.send(
      new CreateScheduleCommand({ Name: name, ScheduleExpression: expression, FlexibleTimeWindow: window, ActionAfterCompletion: 'DELETE', Target: { Arn: 'arn:aws:lambda:us-east-1:123456789012:function:f', RoleArn: ROLE } }),
    );
    return sandbox.scheduler.schedules.get(`default/${name}`)!;
  };

  it('fires an at() anywhere in its minute (never to the second, never after the minute), spread over the whole minute', async () => {
    const sandbox = new SandboxAccount({ start: new Date('2026-06-15T12:00:00Z'), timeScale: 0, seed: 9 });
    const offsets: number[] = [];
    for (let i = 0; i < 200; i++) {
      const s = await create(sandbox, `s${i}`, 'at(2026-06-15T12:05:30)', { Mode: 'OFF' });
      offsets.push(s.fireAtMs - Date.parse('2026-06-15T12:05:00Z'));
    }
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...offsets)).toBeLessThan(60_000);
    // The seconds written in at() do not pin the moment: some fire before 12:05:30, some after.
    expect(offsets.filter((o) => o < 30_000).length).toBeGreaterThan(50);
    expect(offsets.filter((o) => o >= 30_000).length).toBeGreaterThan(50);
    expect(Math.min(...offsets)).toBeLessThan(5_000);
    expect(Math.max(...offsets)).toBeGreaterThan(55_000);
  });

  it('fires a FLEXIBLE schedule within its window after the scheduled minute', async () => {
    const sandbox = new SandboxAccount({ start: new Date('2026-06-15T12:00:00Z'), timeScale: 0, seed: 9 });
    const offsets: number[] = [];
    for (let i = 0; i < 200; i++) {
      const s = await create(sandbox, `f${i}`, 'at(2026-06-15T12:05:00)', { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 });
      offsets.push(s.fireAtMs - Date.parse('2026-06-15T12:05:00Z'));
    }
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...offsets)).toBeLessThan(16 * 60_000);
    expect(Math.max(...offsets)).toBeGreaterThan(10 * 60_000);
  });

  it('fireDue returns a schedule only once it has fired, and deletes it after (ActionAfterCompletion DELETE)', async () => {
    const sandbox = new SandboxAccount({ start: new Date('2026-06-15T12:00:00Z'), timeScale: 0, seed: 3 });
    const s = await create(sandbox, 'once', 'at(2026-06-15T12:01:00)', { Mode: 'OFF' });
    sandbox.clock.advance(s.fireAtMs - sandbox.clock.nowMs() - 1);
    expect(sandbox.scheduler.fireDue()).toEqual([]);
    sandbox.clock.advance(1);
    expect(sandbox.scheduler.fireDue().map((d) => d.name)).toEqual(['once']);
    expect(sandbox.scheduler.schedules.size).toBe(0);
  });

  it('plans a continuation for the next whole minute at least a second away: at(…:00), never the seconds of now + 60 s', () => {
    const target = { functionArn: 'arn:aws:lambda:us-east-1:1:function:f', roleArn: ROLE, namePrefix: 'f', chain: { origin: 'o', run: 1 } };
    const at = (now: string) => (planContinuation({ remaining: 5, dryRun: false }, target, 24, Date.parse(now)) as { at: string }).at;
    expect(at('2026-06-15T12:14:31.200Z')).toBe('2026-06-15T12:15:00');
    expect(at('2026-06-15T12:14:59.500Z')).toBe('2026-06-15T12:16:00');
    expect(at('2026-06-15T12:14:00.000Z')).toBe('2026-06-15T12:15:00');
  });
});

import { describe, expect, it } from 'vitest';
import { SandboxAccount } from '../../sandbox/account';
import { FleetBuilder } from '../../sandbox/fleet';
import { tagRecord } from '../../shared/aws/filters';
import { claimsOf, judgeClaim, TAG_CLAIM_PREFIX } from '../../shared/degraded/claim';
import { parseDegradedTrigger } from '../../shared/degraded/event';
import { runDegraded } from '../../shared/degraded/run-degraded';
import type { RunReport } from '../../shared/engine/types';
import { config, contextFor, FAST_WAITERS, healthEvent, START } from './helpers';

const RETIREMENT = 'AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED';
const T0 = Date.parse('2026-01-10T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const claim = (run: string, ms: number) => ({ [`${TAG_CLAIM_PREFIX}${run}`]: iso(ms) });

describe('judgeClaim (pure)', () => {
  const state = { 'caretaker:remediation': 'stop-start:done', 'caretaker:remediation-at': iso(T0 - 3_600_000) };

  it('lets the first claim since the state it planned from win, the same for every reader', () => {
    const fresh = { ...state, ...claim('run-b', T0 + 1_000), ...claim('run-a', T0 + 2_000) };
    expect(judgeClaim(fresh, state, 'run-b', T0 + 1_000, 20)).toEqual({ won: true });
    expect(judgeClaim(fresh, state, 'run-a', T0 + 2_000, 20)).toEqual({ won: false, reason: expect.stringContaining('claimed first by run run-b') });
    // Two claims at the same millisecond: the run id decides, alike for both.
    const tie = { ...claim('run-b', T0), ...claim('run-a', T0) };
    expect(judgeClaim(tie, {}, 'run-a', T0, 20)).toEqual({ won: true });
    expect(judgeClaim(tie, {}, 'run-b', T0, 20).won).toBe(false);
  });

  it('ignores claims of runs that finished before the state it read, and of runs older than the lease', () => {
    const finished = { ...state, ...claim('old-run', T0 - 3_700_000), ...claim('me', T0) };
    expect(judgeClaim(finished, state, 'me', T0, 20)).toEqual({ won: true });
    const dead = { ...claim('dead-run', T0 - 21 * 60_000), ...claim('me', T0) };
    expect(judgeClaim(dead, {}, 'me', T0, 20)).toEqual({ won: true });
  });

  it('stands down when the state changed since it planned (another run acted meanwhile)', () => {
    const fresh = { 'caretaker:remediation': 'stop-start:in-progress', 'caretaker:remediation-at': iso(T0), ...claim('me', T0) };
    expect(judgeClaim(fresh, {}, 'me', T0, 20)).toEqual({ won: false, reason: expect.stringContaining('another run acted meanwhile (now stop-start:in-progress') });
  });

  it('reads claims oldest first and skips unreadable ones', () => {
    expect(claimsOf({ ...claim('b', T0 + 1), ...claim('a', T0), [`${TAG_CLAIM_PREFIX}x`]: 'garbage', other: 'x' }).map((c) => c.runId)).toEqual(['a', 'b']);
  });
});

/** One EBS instance on a retiring host; tag writes take up to `lagMs` to show in DescribeInstances. */
function world(seed: number, lagMs: number, action: 'stop-start' | 'relaunch' = 'stop-start') {
  const sandbox = new SandboxAccount({ start: START, timeScale: 1000, seed, timings: { tagVisibilityLagMs: lagMs } });
  const web = new FleetBuilder(sandbox).instance({ name: 'web', tags: { 'caretaker:on-degraded': action } });
  const id = web.InstanceId!;
  sandbox.ec2.healthOf(id).events = [{ InstanceEventId: 'instance-event-0000000000000001', Code: 'instance-retirement', NotBefore: new Date('2026-01-24T00:00:00Z') }];
  return { sandbox, id };
}

/** Resolves once `ready()` holds, checking between event-loop turns (the other run goes on meanwhile). */
async function when(ready: () => boolean): Promise<void> {
  for (let i = 0; i < 200_000 && !ready(); i++) await new Promise((r) => setImmediate(r));
  if (!ready()) throw new Error('the first run never reached the point the second one waits for');
}

type Start = 'together' | 'after-first-claim' | 'after-first-stop';

/** Two runs on one notice: `first` starts, the other starts at `start` (a Health event and the scan, or two deliveries). */
async function race(sandbox: SandboxAccount, id: string, first: 'health' | 'scan', start: Start, degraded: Record<string, unknown> = {}): Promise<RunReport[]> {
  const cfg = config({ leaseMinutes: 20, ...degraded });
  const trigger = (kind: 'health' | 'scan') => (kind === 'health' ? parseDegradedTrigger(healthEvent(RETIREMENT, [id])) : ({ kind: 'scan' } as const));
  const run = (kind: 'health' | 'scan', runId: string) => runDegraded(contextFor(sandbox, { now: sandbox.clock.now(), runId }), cfg, { trigger: trigger(kind), waiters: FAST_WAITERS });
  const second = first === 'health' ? 'scan' : 'health';
  const a = run(first, `degraded-${first}-1`);
  if (start === 'after-first-claim') await when(() => sandbox.callsOf('CreateTags').some((c) => JSON.stringify(c.input).includes(TAG_CLAIM_PREFIX)));
  if (start === 'after-first-stop') await when(() => sandbox.callsOf('StopInstances').length > 0);
  const b = run(second, `degraded-${second}-2`);
  return Promise.all([a, b]);
}

describe('two runs on one notice at the same moment: exactly one acts (issue 15)', () => {
  const cases: Array<[first: 'health' | 'scan', start: Start, seed: number]> = [];
  for (const first of ['health', 'scan'] as const) for (const start of ['together', 'after-first-claim', 'after-first-stop'] as const) for (const seed of [1, 2, 3]) cases.push([first, start, seed]);

  it.each(cases)('%s first, the other starting %s (seed %i, tag writes visible after up to 10 s): one stop-start, the instance running', async (first, start, seed) => {
    const { sandbox, id } = world(seed, 10_000);
    const reports = await race(sandbox, id, first, start);
    const results = reports.flatMap((r) => r.results);
    expect(results.filter((r) => r.outcome === 'done'), JSON.stringify(results)).toEqual([expect.objectContaining({ id, action: 'stop-start' })]);
    expect(results.filter((r) => r.outcome === 'failed')).toEqual([]);
    // The other stood down, naming why: the first claim, the state it saw change, the run in progress, or
    // (starting late under load) the instance it found stopped by the first run, already handled, or its
    // notice already gone (AWS clears the scheduled event once the instance left the host).
    expect(results.filter((r) => r.outcome === 'skipped').map((r) => r.reason)).toEqual([
      expect.stringMatching(/claimed first by run degraded-|another run acted meanwhile|in progress .*another run|not running|already handled|no pending event/),
    ]);
    expect(sandbox.callsOf('StopInstances')).toHaveLength(1);
    expect(sandbox.callsOf('StartInstances')).toHaveLength(1);
    const instance = sandbox.ec2.requireInstance(id);
    expect(instance.State?.Name).toBe('running');
    expect(tagRecord(instance.Tags)['caretaker:remediation']).toBe('stop-start:done');
  });

  it('without the claim (the race it closes): both runs planned before either tagged, and both would stop the instance', async () => {
    const { sandbox, id } = world(1, 10_000);
    // Both describe before either writes: each plans a stop-start from "no state".
    const plans = await Promise.all(
      ['scan-x', 'scan-y'].map((runId) => runDegraded(contextFor(sandbox, { now: sandbox.clock.now(), runId, dryRun: true }), config(), { trigger: { kind: 'scan' }, waiters: FAST_WAITERS })),
    );
    expect(plans.map((p) => p.plan.filter((d) => d.action === 'stop-start').length)).toEqual([1, 1]);
    // With the claim, the same two runs for real: one acts.
    const reports = await race(sandbox, id, 'scan', 'together');
    expect(reports.flatMap((r) => r.results).filter((r) => r.outcome === 'done')).toHaveLength(1);
  });

  it('relaunch: two runs together make one image and one replacement', async () => {
    const { sandbox, id } = world(4, 10_000, 'relaunch');
    const reports = await race(sandbox, id, 'health', 'together');
    const results = reports.flatMap((r) => r.results);
    expect(results.filter((r) => r.outcome === 'done'), JSON.stringify(results)).toEqual([expect.objectContaining({ id, action: 'relaunch' })]);
    expect(sandbox.callsOf('CreateImage')).toHaveLength(1);
    expect(sandbox.callsOf('RunInstances')).toHaveLength(1);
    expect(sandbox.callsOf('StopInstances')).toHaveLength(1);
  });

  it('a later trigger after the winner finished is not held off by its claim, and stale claims are removed', async () => {
    const { sandbox, id } = world(5, 10_000);
    await race(sandbox, id, 'health', 'together');
    const tags = () => tagRecord(sandbox.ec2.requireInstance(id).Tags);
    expect(claimsOf(tags())).toHaveLength(2);
    // A day and more later (past the cooldown) the host retires again: the new run acts, and clears the old claims.
    sandbox.clock.advance(25 * 3_600_000);
    sandbox.ec2.healthOf(id).events = [{ InstanceEventId: 'instance-event-0000000000000002', Code: 'instance-retirement', NotBefore: new Date('2026-02-24T00:00:00Z') }];
    const again = await runDegraded(contextFor(sandbox, { now: sandbox.clock.now(), runId: 'degraded-later' }), config(), { trigger: { kind: 'scan' }, waiters: FAST_WAITERS });
    expect(again.results).toEqual([expect.objectContaining({ id, outcome: 'done' })]);
    expect(claimsOf(tags()).map((c) => c.runId)).toEqual(['degraded-later']);
    expect(sandbox.callsOf('DeleteTags')).toHaveLength(1);
  });
});

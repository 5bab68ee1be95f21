import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeHandler } from '../../functions/snapshot-volumes';
import { COPY_SWEEP_INTERVAL_MS, COPY_SWEEP_PREFIX_MAX, planCopyContinuation } from '../../shared/copy/continuation';
import { COPY_ACTION, COPY_LIMIT_PER_DESTINATION } from '../../shared/copy/plan-copies';
import { snapshotEventSchema } from '../../shared/snapshot/event';
import { lambdaContext, sandboxDeps } from '../../sandbox/handler-deps';
import { copyWorld, HOUR } from './helpers';

const FUNCTION = 'ec2-caretaker-test-snapshot-volumes';
// The role deploy/iam.cjs makes for the snapshot function's copy sweeps (SnapshotContinuationRole).
const ROLE = 'arn:aws:iam::123456789012:role/ec2-caretaker-test-us-east-1-snapshot-volumes-continue';
const target = { functionArn: `arn:aws:lambda:us-east-1:123456789012:function:${FUNCTION}`, roleArn: ROLE, namePrefix: FUNCTION };
const left = (remaining: number) => ({ remaining, dryRun: false });

describe('planCopyContinuation', () => {
  const now = Date.parse('2026-11-22T03:31:10Z');

  it('asks for the next sweep in the first whole 5-minute window at least a minute away, named after the policy and the window', () => {
    const plan = planCopyContinuation(left(40), 'nightly', target, 96, now);
    expect(plan).toMatchObject({ at: '2026-11-22T03:35:00', run: 1, input: JSON.stringify({ copies: { policy: 'nightly', run: 1 } }) });
    expect('name' in plan! && plan.name).toMatch(new RegExp(`^${FUNCTION.slice(0, COPY_SWEEP_PREFIX_MAX)}-copy-[0-9a-f]{6}-2611220335$`));
    // A minute before a window's start is too close: the next window.
    expect(planCopyContinuation(left(1), 'nightly', target, 96, Date.parse('2026-11-22T03:34:30Z'))).toMatchObject({ at: '2026-11-22T03:40:00' });
  });

  it('gives every trigger of one window the same name (one sweep, never a fork) and other policies or windows their own', () => {
    const name = (policy: string, at: number, chain?: { policy: string; run: number }) => {
      const p = planCopyContinuation(left(3), policy, { ...target, ...(chain ? { chain } : {}) }, 96, at);
      return p && 'name' in p ? p.name : undefined;
    };
    const first = name('nightly', now);
    expect(name('nightly', now + 90_000)).toBe(first);
    expect(name('nightly', now + 60_000, { policy: 'nightly', run: 7 })).toBe(first);
    expect(name('weekly', now)).not.toBe(first);
    expect(name('nightly', now + COPY_SWEEP_INTERVAL_MS)).not.toBe(first);
    // Scheduler's name limit holds for the longest function names.
    const long = planCopyContinuation(left(3), 'a'.repeat(40), { ...target, namePrefix: 'x'.repeat(64) }, 96, now);
    expect(long && 'name' in long && long.name.length).toBe(64);
  });

  it('asks for nothing when nothing waits, in a dry run or a failed run, and stops a chain at maxCopyContinuationRuns', () => {
    expect(planCopyContinuation(left(0), 'nightly', target, 96, now)).toBeUndefined();
    expect(planCopyContinuation({ remaining: 5, dryRun: true }, 'nightly', target, 96, now)).toBeUndefined();
    expect(planCopyContinuation({ ...left(5), error: { code: 'X', message: 'x' } }, 'nightly', target, 96, now)).toBeUndefined();
    expect(planCopyContinuation(left(5), 'nightly', undefined, 96, now)).toEqual({ skip: expect.stringContaining('no continuation target') });
    expect(planCopyContinuation(left(5), 'nightly', { ...target, chain: { policy: 'nightly', run: 3 } }, 4, now)).toMatchObject({ run: 4 });
    expect(planCopyContinuation(left(5), 'nightly', { ...target, chain: { policy: 'nightly', run: 4 } }, 4, now)).toEqual({ skip: expect.stringContaining('maxCopyContinuationRuns 4') });
    expect(planCopyContinuation(left(5), 'nightly', target, 0, now)).toEqual({ skip: expect.stringContaining('maxCopyContinuationRuns 0') });
  });
});

describe('copy sweep event', () => {
  it('is told from a scheduled run and an EBS event, and a bad field is named', () => {
    expect(snapshotEventSchema.parse({ copies: { policy: 'nightly', run: 2 } })).toEqual({ copies: { policy: 'nightly', run: 2 } });
    const bad = snapshotEventSchema.safeParse({ copies: { policy: 'nightly', run: 0 } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['copies', 'run']);
    expect(snapshotEventSchema.safeParse({ copies: { policy: 'nightly', run: 1, extra: 1 } }).success).toBe(false);
    expect(snapshotEventSchema.parse(JSON.parse(readFileSync('events/snapshot-volumes/copy-sweep.json', 'utf8')))).toEqual({ copies: { policy: 'daily', run: 1 } });
  });
});

describe('copy backlog drain (sandbox, through the snapshot handler)', () => {
  beforeEach(() => vi.stubEnv('COPY_CONTINUATION_ROLE_ARN', ROLE));
  afterEach(() => vi.unstubAllEnvs());

  /** `n` completed sources of `nightly` (one per volume), each copy taking `copyMs` in eu-west-1. */
  function burst(n: number, copyMs: number, snapshot: Record<string, unknown> = {}) {
    const w = copyWorld({}, {});
    w.cfg.snapshot = { ...w.cfg.snapshot, ...snapshot };
    w.sandbox.inRegion('eu-west-1').ec2.timings.snapshotCompleteMs = copyMs;
    const sources = Array.from({ length: n }, (_, i) => w.source(w.fleet.volume({ sizeGiB: 8 }).VolumeId!, 2 * HOUR - i * 1000));
    const topic = w.sandbox.sns.addTopic('alerts');
    const deps = sandboxDeps(w.sandbox, w.cfg, topic);
    const handler = makeHandler(deps);
    const invoke = (event: unknown) => handler(event, lambdaContext(FUNCTION, 900_000, () => w.sandbox.clock.nowMs()));
    const inFlight = () => [...w.eu().snapshots.values()].filter(({ data }) => w.eu().refreshSnapshot(data).State === 'pending').length;
    /** Advances to the next one-time schedule, fires it and returns its run; undefined when none is left. */
    const fireNext = async () => {
      // Scheduler fires an at() anywhere in its minute (sandbox/scheduler.ts): advance to when this one does.
      const next = w.sandbox.scheduler.next();
      if (!next) return undefined;
      w.sandbox.clock.advance(Math.max(0, next.fireAtMs - w.sandbox.clock.nowMs()));
      const [due] = w.sandbox.scheduler.fireDue();
      return { schedule: due!, summary: await invoke(JSON.parse(due!.input)) };
    };
    return { ...w, sources, deps, invoke, inFlight, fireNext };
  }

  it('drains 60 copies due at once through the 20 slots, sweeping every 5 minutes until none is left, never over the limit', async () => {
    const w = burst(60, 12 * 60_000);
    const first = await w.invoke({ policy: 'nightly', time: '2026-11-22T03:00:00Z' });
    expect(w.inFlight()).toBe(COPY_LIMIT_PER_DESTINATION);
    expect(first.remaining).toBe(40);
    expect(w.deps.lastReport().notes.join('\n')).toMatch(/40 copy\(ies\) of nightly wait for a slot: the next sweep is scheduled at 2026-11-22T03:35:00Z/);
    const runs: number[] = [];
    let maxInFlight = w.inFlight();
    for (let next = await w.fireNext(); next; next = await w.fireNext()) {
      runs.push(JSON.parse(next.schedule.input).copies.run);
      maxInFlight = Math.max(maxInFlight, w.inFlight());
      expect(next.schedule).toMatchObject({ targetArn: target.functionArn, roleArn: ROLE, actionAfterCompletion: 'DELETE' });
    }
    // Every source copied once, the last sweep found nothing waiting and asked for no other.
    const copies = w.copiesBySource();
    expect(w.sources.every((s) => copies.get(`us-east-1:${s}`)?.length === 1)).toBe(true);
    expect(maxInFlight).toBe(COPY_LIMIT_PER_DESTINATION);
    expect(w.sandbox.callsOf('CopySnapshot').filter((c) => c.error)).toEqual([]);
    expect(runs).toEqual(runs.map((_, i) => i + 1));
    // 12-minute copies: a round of 20 every 15 minutes, three rounds.
    expect(runs.length).toBe(6);
    expect(w.deps.lastReport().remaining).toBe(0);
  });

  it('starts one sweep per window however many triggers leave copies waiting (duplicate deliveries, EBS events)', async () => {
    const w = burst(30, 30 * 60_000);
    await Promise.all([w.invoke({ policy: 'nightly', time: '2026-11-22T03:00:00Z' }), w.invoke({ policy: 'nightly', time: '2026-11-22T03:00:00Z' })]);
    await w.invoke({ policy: 'nightly', time: '2026-11-22T03:00:00Z' });
    expect(w.sandbox.scheduler.schedules.size).toBe(1);
    expect(w.deps.lastReport().notes.join('\n')).toContain('the next sweep was already scheduled (another trigger of this window)');
    expect(w.sandbox.callsOf('CreateSchedule').filter((c) => c.error === 'ConflictException').length).toBeGreaterThanOrEqual(1);
    // However the triggers raced, never more than the limit in flight.
    expect(w.inFlight()).toBe(COPY_LIMIT_PER_DESTINATION);
  });

  it("an EBS completion event whose run leaves copies waiting schedules the policy's sweep too", async () => {
    const w = burst(25, HOUR);
    const [first] = w.sources;
    const event = {
      version: '0',
      id: 'e1',
      'detail-type': 'EBS Snapshot Notification',
      source: 'aws.ec2',
      account: '123456789012',
      time: w.sandbox.clock.now().toISOString(),
      region: 'us-east-1',
      resources: [`arn:aws:ec2::us-east-1:snapshot/${first}`],
      detail: { event: 'createSnapshot', result: 'succeeded', cause: '', request_id: '', snapshot_id: `arn:aws:ec2::us-east-1:snapshot/${first}`, source: `arn:aws:ec2::us-east-1:volume/vol-0`, startTime: '', endTime: '' },
    };
    await w.invoke(event);
    expect(w.inFlight()).toBe(COPY_LIMIT_PER_DESTINATION);
    expect([...w.sandbox.scheduler.schedules.values()].map((s) => JSON.parse(s.input))).toEqual([{ copies: { policy: 'nightly', run: 1 } }]);
  });

  it('stops after snapshot.maxCopyContinuationRuns sweeps when slots never free up, and says the next trigger copies them', async () => {
    const w = burst(25, 48 * HOUR, { maxCopyContinuationRuns: 3 });
    await w.invoke({ policy: 'nightly', time: '2026-11-22T03:00:00Z' });
    let sweeps = 0;
    while (await w.fireNext()) sweeps++;
    expect(sweeps).toBe(3);
    expect(w.deps.lastReport().notes.join('\n')).toMatch(/5 copy\(ies\) of nightly wait for a slot: the sweep ran 3 time\(s\) since the last trigger \(snapshot.maxCopyContinuationRuns 3\)/);
    expect(w.sandbox.callsOf('CopySnapshot')).toHaveLength(COPY_LIMIT_PER_DESTINATION);
  });

  it('schedules nothing in a dry run, and a sweep for a policy no longer copying does nothing', async () => {
    const w = burst(25, HOUR);
    const dry = await w.invoke({ policy: 'nightly', time: '2026-11-22T03:00:00Z', dryRun: true });
    expect(dry.remaining).toBe(5);
    expect(w.sandbox.callsOf('CreateSchedule')).toEqual([]);
    expect(w.sandbox.callsOf('CopySnapshot')).toEqual([]);
    const gone = await w.invoke({ copies: { policy: 'retired', run: 4 } });
    expect(gone.error).toBeUndefined();
    expect(w.deps.lastReport().notes).toEqual(['Copy sweep: policy retired is no longer in the config; nothing to copy.']);
    expect(w.deps.lastReport().results.filter((r) => r.action === COPY_ACTION)).toEqual([]);
  });
});

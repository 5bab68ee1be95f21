import { describe, expect, it } from 'vitest';
import { progressLine, progressMeter } from '../../cli/progress';
import type { ProgressUpdate } from '../../shared/engine/types';
import { runPrune } from '../../shared/prune/run-prune';
import { runCopies } from '../../shared/copy/run-copies';
import { copyWorld } from '../copy/helpers';
import { buildDemoAccount } from '../../sandbox/demo-account';
import { sandboxJobContext } from '../../sandbox/job-context';

const update = (done: number, over: Partial<ProgressUpdate> = {}): ProgressUpdate => ({ job: 'prune', action: 'delete-snapshot', done, planned: 49_783, failed: 0, limitPerSecond: 5, ...over });

describe('progress line', () => {
  it('shows done / planned, the rate against the API limit and an ETA', () => {
    expect(progressLine(update(500), 100, 490)).toBe('prune delete-snapshot 500/49,783 (1.0 %) · 4.9/s of 5/s (98 %) · ETA 2h 47m');
    expect(progressLine(update(49_783, { failed: 3 }), 10_000, 49_783)).toBe('prune delete-snapshot 49,783/49,783 (100.0 %) · 5.0/s of 5/s (100 %) · 3 failed · done');
    expect(progressLine(update(10, { planned: 40 }), 0, 0, 8)).toBe('prune delete-snapshot [##------] 10/40 (25.0 %)');
  });
});

describe('progress line of a copy run', () => {
  it('shows the copies in flight against the destination limit and how many wait for a slot', () => {
    const u = update(12, { job: 'snapshot', action: 'copy-snapshot to eu-west-1', planned: 20, limitPerSecond: undefined, inFlight: { now: 12, limit: 20, waiting: 180 } });
    expect(progressLine(u, 4, 12)).toBe('snapshot copy-snapshot to eu-west-1 12/20 (60.0 %) · 3.0/s · 12/20 in flight, 180 waiting for a slot · ETA 3s');
    expect(progressLine({ ...u, done: 20, inFlight: { now: 20, limit: 20, waiting: 0 } }, 8, 20)).toBe('snapshot copy-snapshot to eu-west-1 20/20 (100.0 %) · 2.5/s · 20/20 in flight · done');
  });

  it('a copy run on the sandbox reports every copy started, with the copies in flight there never above 20', async () => {
    const w = copyWorld();
    for (let i = 0; i < 30; i++) w.source(w.fleet.volume({ sizeGiB: 8 }).VolumeId!, 3_600_000 - i * 1000);
    const updates: ProgressUpdate[] = [];
    await runCopies(w.ctx({ progress: (u) => void (typeof u !== 'string' && updates.push(u)) }), w.policyOf());
    expect(updates).toHaveLength(20);
    expect(updates.at(-1)).toMatchObject({ job: 'snapshot', action: 'copy-snapshot to eu-west-1', done: 20, planned: 20, failed: 0, inFlight: { now: 20, limit: 20, waiting: 10 } });
    expect(updates.map((u) => u.inFlight!.now)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});

describe('progress meter', () => {
  it('prints plain lines at most every 10 s when nobody watches (CI, logs), and always the last one', () => {
    const out: string[] = [];
    let now = 0;
    const show = progressMeter({ tty: false, write: (t) => out.push(t), nowMs: () => now });
    for (let done = 1; done <= 100; done++) {
      now = done * 1000;
      show(update(done, { planned: 100 }));
    }
    expect(out).toHaveLength(11);
    expect(out.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
    expect(out.at(-1)).toBe('prune delete-snapshot 100/100 (100.0 %) · 1.0/s of 5/s (20 %) · done\n');
  });

  it('redraws one line on a terminal, and ends it before any other message', () => {
    const out: string[] = [];
    let now = 0;
    const show = progressMeter({ tty: true, write: (t) => out.push(t), nowMs: () => now, width: 4 });
    show(update(1, { planned: 4 }));
    now = 1000;
    show(update(2, { planned: 4 }));
    show('a message');
    now = 2000;
    show(update(4, { planned: 4 }));
    expect(out).toEqual([
      '\r\x1b[2Kprune delete-snapshot [#---] 1/4 (25.0 %)',
      '\r\x1b[2Kprune delete-snapshot [##--] 2/4 (50.0 %) · 1.0/s of 5/s (20 %) · ETA 2s',
      '\n',
      '… a message\n',
      '\r\x1b[2Kprune delete-snapshot [####] 4/4 (100.0 %) · 1.5/s of 5/s (30 %) · done',
      '\n',
    ]);
  });

  it('a prune run on the sandbox reports every deletion to ctx.progress, against DeleteSnapshot\'s 5/s', async () => {
    const { sandbox, config } = buildDemoAccount();
    const updates: ProgressUpdate[] = [];
    await runPrune(sandboxJobContext(sandbox, { now: sandbox.clock.now(), progress: (u) => void (typeof u !== 'string' && updates.push(u)) }), config);
    expect(updates.filter((u) => u.action === 'delete-snapshot')).toHaveLength(96);
    expect(updates.filter((u) => u.action === 'delete-snapshot').at(-1)).toMatchObject({ job: 'prune', action: 'delete-snapshot', done: 96, planned: 96, failed: 0, limitPerSecond: 5 });
  });
});

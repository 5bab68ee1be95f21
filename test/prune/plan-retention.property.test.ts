import { describe, expect, it } from 'vitest';
import type { Retain } from '../../shared/prune/config';
import { DELETE_ACTION, planRetention, type RetentionContext, type SnapshotRow } from '../../shared/prune/plan-retention';
import { seededRandom } from '../../sandbox/faults';
import { GRAINS, resticKept } from './oracle';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Every zone the runtime's IANA database knows, not a sample. */
const ZONES = Intl.supportedValuesOf('timeZone');

/**
 * Random volumes: regular schedules (hourly to weekly) that may have stopped long before `now`,
 * bursts, gaps, snapshots straddling DST changes (now anywhere 1999-2040), pending, error,
 * keep-tagged, AMI-held and future-dated snapshots.
 */
function randomCase(random: () => number, index: number) {
  const int = (max: number) => Math.floor(random() * max);
  const now = Date.UTC(1999, 0, 1) + int(41 * 365) * DAY + int(DAY);
  const period = [HOUR, 6 * HOUR, DAY, 7 * DAY][int(4)]!;
  const stoppedFor = random() < 0.5 ? 0 : int(400) * DAY; // a schedule that stopped
  const count = 1 + int(60);
  const rows: SnapshotRow[] = [];
  let t = now - stoppedFor - int(period);
  for (let i = 0; i < count; i++) {
    const roll = random();
    rows.push({
      id: `snap-${index}-${String(i).padStart(3, '0')}`,
      volumeId: 'vol-0000000000000001a',
      startMs: roll < 0.02 ? now + int(30) * DAY + 1 : t,
      state: roll < 0.06 ? 'pending' : roll < 0.12 ? 'error' : 'completed',
      sizeGiB: 8,
      keepTag: random() < 0.04,
      unmanaged: false,
    });
    // Mostly on schedule with jitter; sometimes a burst (minutes apart) or a gap (weeks).
    const step = random() < 0.1 ? int(30) * 60_000 : random() < 0.1 ? int(60) * DAY : period + int(HOUR / 2) - HOUR / 4;
    t -= step;
  }
  const retain: Retain = { minKeep: 1 + int(3), timeZone: ZONES[int(ZONES.length)]! };
  const maybe = (p: number, max: number) => (random() < p ? 1 + int(max) : undefined);
  retain.olderThanDays = maybe(0.3, 30);
  retain.keepWithinDays = maybe(0.2, 20);
  retain.keepLast = maybe(0.3, 10);
  retain.hourly = maybe(0.3, 48);
  retain.daily = maybe(0.5, 14);
  retain.weekly = maybe(0.4, 8);
  retain.monthly = maybe(0.4, 12);
  retain.yearly = maybe(0.2, 3);
  const ami = new Set(rows.filter(() => random() < 0.04).map((r) => r.id));
  const ctx: RetentionContext = {
    now: new Date(now),
    minAgeHours: int(48),
    amiSnapshotIds: ami,
    staleAfterMs: random() < 0.7 ? period * 1.5 : undefined,
    errorMaxAgeMs: random() < 0.7 ? (1 + int(20)) * DAY : undefined,
  };
  return { rows, retain, ctx };
}

describe('planRetention against a restic-style oracle (property, seeded, every IANA zone)', () => {
  const random = seededRandom(20261127);
  const cases = Array.from({ length: 2500 }, (_, i) => randomCase(random, i));

  it('deletes exactly the snapshots the oracle does not keep', () => {
    for (const { rows, retain, ctx } of cases) {
      const kept = resticKept(rows, retain, ctx);
      const decisions = planRetention(rows, retain, ctx);
      const deleted = decisions.filter((d) => d.action === DELETE_ACTION).map((d) => d.target).sort();
      const expected = rows.map((r) => r.id).filter((id) => !kept.has(id)).sort();
      expect(deleted, JSON.stringify({ retain, now: ctx.now, staleAfterMs: ctx.staleAfterMs })).toEqual(expected);
    }
  });

  it('uses every zone of the IANA database at least once', () => {
    const used = new Set(cases.map((c) => c.retain.timeZone));
    expect(used.size).toBeGreaterThan(ZONES.length * 0.95);
  });

  it('never deletes the newest completed snapshot, nor a pending, keep-tagged, AMI-held, young or future one', () => {
    for (const { rows, retain, ctx } of cases) {
      const now = ctx.now.getTime();
      const deleted = new Set(planRetention(rows, retain, ctx).filter((d) => d.action === DELETE_ACTION).map((d) => d.target));
      const newest = rows.filter((r) => r.state === 'completed' && r.startMs <= now).sort((a, b) => b.startMs - a.startMs || (a.id < b.id ? 1 : -1))[0];
      if (newest) expect(deleted.has(newest.id)).toBe(false);
      for (const r of rows) {
        if (r.state === 'pending' || r.keepTag || ctx.amiSnapshotIds.has(r.id) || r.startMs > now || now - r.startMs < ctx.minAgeHours * HOUR) {
          expect(deleted.has(r.id), r.id).toBe(false);
        }
      }
    }
  });

  it('a stopped schedule never erodes: without olderThanDays, a year or five years later the same snapshots survive', () => {
    for (const { rows: all, retain, ctx } of cases) {
      // Future-dated ones are out: later they are real snapshots, newer than the rest.
      const rows = all.filter((r) => r.startMs <= ctx.now.getTime());
      const counting = { ...retain, olderThanDays: undefined };
      const survivorsAt = (years: number) =>
        planRetention(rows, counting, { ...ctx, errorMaxAgeMs: undefined, now: new Date(ctx.now.getTime() + years * 365 * DAY) })
          .filter((d) => d.action !== DELETE_ACTION)
          .map((d) => d.target)
          .sort();
      expect(survivorsAt(5)).toEqual(survivorsAt(1));
    }
  });

  it('is idempotent: planning the survivors deletes nothing more', () => {
    for (const { rows, retain, ctx } of cases) {
      const survivors = new Set(planRetention(rows, retain, ctx).filter((d) => d.action !== DELETE_ACTION).map((d) => d.target));
      const again = planRetention(rows.filter((r) => survivors.has(r.id)), retain, ctx);
      expect(again.filter((d) => d.action === DELETE_ACTION)).toEqual([]);
    }
  });

  it('does not depend on the order snapshots were listed in', () => {
    for (const { rows, retain, ctx } of cases.slice(0, 200)) {
      const forward = planRetention(rows, retain, ctx).map((d) => `${d.target}:${d.action}`).sort();
      const backward = planRetention([...rows].reverse(), retain, ctx).map((d) => `${d.target}:${d.action}`).sort();
      expect(backward).toEqual(forward);
    }
  });

  it('covers every rule kind in the sample', () => {
    const grains = new Set(cases.flatMap((c) => GRAINS.filter((g) => c.retain[g] !== undefined)));
    expect([...grains].sort()).toEqual([...GRAINS].sort());
  });
});

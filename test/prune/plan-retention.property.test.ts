import { describe, expect, it } from 'vitest';
import type { Retain } from '../../shared/prune/config';
import { DELETE_ACTION, planRetention, type RetentionContext, type SnapshotRow } from '../../shared/prune/plan-retention';
import { seededRandom } from '../../sandbox/faults';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Pacific/Chatham'];
const GRAINS = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
type Grain = (typeof GRAINS)[number];

/**
 * An independent model of "which rules keep a snapshot", written from the definitions with
 * Intl-formatted calendar labels (not the planner's numeric bucket keys).
 */
function labeller(timeZone: string): (ms: number, grain: Grain) => string {
  const fmt = new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit' });
  return (ms, grain) => {
    const p = Object.fromEntries(fmt.formatToParts(ms).map((x) => [x.type, x.value]));
    const date = `${p.year}-${p.month}-${p.day}`;
    if (grain === 'hourly') return `${date} ${p.hour}`;
    if (grain === 'daily') return date;
    if (grain === 'monthly') return `${p.year}-${p.month}`;
    if (grain === 'yearly') return String(p.year);
    // ISO week: the Thursday of the local date's week decides the week-year.
    const d = new Date(`${date}T00:00:00Z`);
    const weekday = (d.getUTCDay() + 6) % 7; // Monday 0
    const thursday = new Date(d.getTime() + (3 - weekday) * DAY);
    const year = thursday.getUTCFullYear();
    const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / DAY / 7) + 1;
    return `${year}-W${week}`;
  };
}

/** The N most recent calendar labels up to `now`, found by walking back in steps shorter than any bucket. */
function lastLabels(now: number, count: number, grain: Grain, label: (ms: number, g: Grain) => string): Set<string> {
  const step = grain === 'hourly' ? 15 * 60_000 : grain === 'daily' || grain === 'weekly' ? HOUR : 12 * HOUR;
  const out = new Set<string>();
  for (let t = now; out.size < count; t -= step) out.add(label(t, grain));
  return out;
}

function referenceKept(rows: SnapshotRow[], retain: Retain, ctx: RetentionContext): Set<string> {
  const now = ctx.now.getTime();
  const kept = new Set<string>();
  const completed = rows.filter((r) => r.state === 'completed').sort((a, b) => b.startMs - a.startMs || (a.id < b.id ? 1 : -1));
  for (const r of rows) {
    if (r.state !== 'completed' || r.keepTag || ctx.amiSnapshotIds.has(r.id) || now - r.startMs < ctx.minAgeHours * HOUR) kept.add(r.id);
    if (retain.olderThanDays !== undefined && r.state === 'completed' && now - r.startMs <= retain.olderThanDays * DAY) kept.add(r.id);
  }
  completed.slice(0, Math.max(retain.minKeep, retain.keepLast ?? 0)).forEach((r) => kept.add(r.id));
  const label = labeller(retain.timeZone);
  for (const grain of GRAINS) {
    const n = retain[grain];
    if (n === undefined) continue;
    const window = lastLabels(now, n, grain, label);
    const seen = new Set<string>();
    for (const r of completed) {
      const l = label(r.startMs, grain);
      if (window.has(l) && !seen.has(l)) kept.add(r.id);
      seen.add(l);
    }
  }
  return kept;
}

function randomCase(random: () => number, index: number) {
  const int = (max: number) => Math.floor(random() * max);
  const now = Date.UTC(2024, 0, 1) + int(3 * 365) * DAY + int(DAY);
  const ageSpan = [2 * DAY, 60 * DAY, 800 * DAY][int(3)]!;
  const rows: SnapshotRow[] = Array.from({ length: 1 + int(40) }, (_, i) => ({
    id: `snap-${index}-${String(i).padStart(3, '0')}`,
    volumeId: 'vol-0000000000000001a',
    startMs: now - int(ageSpan) - (random() < 0.1 ? 0 : int(HOUR)),
    state: random() < 0.08 ? 'pending' : 'completed',
    sizeGiB: 8,
    keepTag: random() < 0.05,
    unmanaged: false,
  }));
  const retain: Retain = { minKeep: 1 + int(3), timeZone: ZONES[int(ZONES.length)]! };
  const maybe = (p: number, max: number) => (random() < p ? 1 + int(max) : undefined);
  retain.olderThanDays = maybe(0.4, 30);
  retain.keepLast = maybe(0.4, 10);
  retain.hourly = maybe(0.3, 48);
  retain.daily = maybe(0.4, 14);
  retain.weekly = maybe(0.3, 8);
  retain.monthly = maybe(0.3, 12);
  retain.yearly = maybe(0.2, 3);
  if (GRAINS.every((g) => retain[g] === undefined) && retain.keepLast === undefined && retain.olderThanDays === undefined) retain.daily = 7;
  const ami = new Set(rows.filter(() => random() < 0.05).map((r) => r.id));
  const ctx: RetentionContext = { now: new Date(now), minAgeHours: int(48), amiSnapshotIds: ami };
  return { rows, retain, ctx };
}

describe('planRetention (property, seeded)', () => {
  const random = seededRandom(20261122);
  const cases = Array.from({ length: 300 }, (_, i) => randomCase(random, i));

  it('deletes exactly the snapshots no rule keeps, in any time zone', () => {
    for (const { rows, retain, ctx } of cases) {
      const kept = referenceKept(rows, retain, ctx);
      const deleted = planRetention(rows, retain, ctx).filter((d) => d.action === DELETE_ACTION).map((d) => d.target);
      expect(deleted.filter((id) => kept.has(id)), JSON.stringify({ retain, now: ctx.now })).toEqual([]);
      expect(deleted.length + kept.size).toBe(rows.length);
    }
  });

  it('never deletes the newest snapshot of a volume', () => {
    for (const { rows, retain, ctx } of cases) {
      const newest = [...rows].sort((a, b) => b.startMs - a.startMs || (a.id < b.id ? 1 : -1))[0]!;
      const decision = planRetention(rows, retain, ctx).find((d) => d.target === newest.id);
      expect(decision?.action).toBe('skip');
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
    for (const { rows, retain, ctx } of cases.slice(0, 50)) {
      const forward = planRetention(rows, retain, ctx).map((d) => `${d.target}:${d.action}`).sort();
      const backward = planRetention([...rows].reverse(), retain, ctx).map((d) => `${d.target}:${d.action}`).sort();
      expect(backward).toEqual(forward);
    }
  });
});

import type { Retain } from '../../shared/prune/config';
import type { RetentionContext, SnapshotRow } from '../../shared/prune/plan-retention';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const GRAINS = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
export type Grain = (typeof GRAINS)[number];

/**
 * Calendar labels straight from Intl's formatted parts (not the planner's offset arithmetic):
 * `2026-03-29 02`, `2026-03-29`, `2026-W13`, `2026-03`, `2026`.
 */
export function labeller(timeZone: string): (ms: number, grain: Grain) => string {
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

/**
 * An independent restic-style model of which snapshots survive, written from restic's `forget`
 * documentation and sanoid's: keep-last N; keep-hourly/daily/... N = for the last N periods that
 * have a snapshot, the newest of each; keep-within relative to the newest snapshot; plus the
 * suite's rails (pending/keep tag/AMI/young/future, minKeep), the seed's olderThanDays from now
 * unless the volume is stale, and error snapshots past their age.
 */
export function resticKept(rows: readonly SnapshotRow[], retain: Retain, ctx: RetentionContext): Set<string> {
  const now = ctx.now.getTime();
  const kept = new Set<string>();
  const byAge = [...rows].sort((a, b) => b.startMs - a.startMs || (a.id < b.id ? 1 : -1));
  const good = byAge.filter((r) => r.state === 'completed' && r.startMs <= now);
  for (const r of rows) {
    const errorExpired = r.state === 'error' && ctx.errorMaxAgeMs !== undefined && now - r.startMs > ctx.errorMaxAgeMs;
    if ((r.state !== 'completed' && !errorExpired) || r.keepTag || ctx.amiSnapshotIds.has(r.id) || r.startMs > now || now - r.startMs < ctx.minAgeHours * HOUR) kept.add(r.id);
  }
  good.slice(0, Math.max(retain.minKeep, retain.keepLast ?? 0)).forEach((r) => kept.add(r.id));
  const label = labeller(retain.timeZone);
  for (const grain of GRAINS) {
    const n = retain[grain];
    if (n === undefined) continue;
    const periods: string[] = [];
    for (const r of good) {
      const l = label(r.startMs, grain);
      if (periods.includes(l)) continue;
      if (periods.length === n) break;
      periods.push(l);
      kept.add(r.id);
    }
  }
  const newest = good[0];
  if (retain.keepWithinDays !== undefined && newest) {
    for (const r of good) if (newest.startMs - r.startMs <= retain.keepWithinDays * DAY) kept.add(r.id);
  }
  if (retain.olderThanDays !== undefined) {
    const attempts = rows.filter((r) => r.startMs <= now);
    const since = newest ? newest.startMs : Math.min(...attempts.map((r) => r.startMs));
    const stale = ctx.staleAfterMs !== undefined && attempts.length > 0 && now - since > ctx.staleAfterMs;
    for (const r of good) if (stale || now - r.startMs <= retain.olderThanDays * DAY) kept.add(r.id);
  }
  return kept;
}

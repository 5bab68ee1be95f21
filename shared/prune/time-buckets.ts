/**
 * Calendar buckets for grandfather-father-son retention, in any IANA time zone (Intl only).
 * Every bucket is a whole number on a continuous scale (local hours, days, ISO weeks, months,
 * years since the epoch), so "the last N days" is simply the keys in (today − N, today].
 */

export type Granularity = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly';

export const GRANULARITIES: readonly Granularity[] = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'];

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Offsets only change on whole quarter-hours, so one lookup per quarter-hour is exact. */
const QUARTER = 900_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, Map<number, number>>();

/** Local time minus UTC at `ms`, in ms (Europe/Berlin in summer: +7,200,000). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 0;
  let cache = offsets.get(timeZone);
  if (!cache) offsets.set(timeZone, (cache = new Map()));
  const slot = Math.floor(ms / QUARTER);
  const hit = cache.get(slot);
  if (hit !== undefined) return hit;
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, fmt);
  }
  const at = slot * QUARTER;
  const p: Record<string, number> = {};
  for (const part of fmt.formatToParts(at)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const local = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  const offset = local - at;
  if (cache.size > 100_000) cache.clear();
  cache.set(slot, offset);
  return offset;
}

/**
 * The bucket of `ms` at a granularity. Hours are local wall-clock hours: when clocks go back, the
 * repeated hour is one bucket; when they go forward, the skipped hour simply has no snapshots.
 */
export function bucketKey(ms: number, granularity: Granularity, timeZone: string): number {
  const local = ms + zoneOffsetMs(ms, timeZone);
  switch (granularity) {
    case 'hourly':
      return Math.floor(local / HOUR);
    case 'daily':
      return Math.floor(local / DAY);
    case 'weekly':
      // Day 0 (1970-01-01) was a Thursday; shifting by 3 days makes weeks start on Monday (ISO 8601).
      return Math.floor((Math.floor(local / DAY) + 3) / 7);
    case 'monthly': {
      const d = new Date(local);
      return d.getUTCFullYear() * 12 + d.getUTCMonth();
    }
    case 'yearly':
      return new Date(local).getUTCFullYear();
  }
}

/** A readable name of a bucket: `2026-03-29T02h`, `2026-03-29`, `2026-W13`, `2026-03`, `2026`. */
export function bucketLabel(key: number, granularity: Granularity): string {
  switch (granularity) {
    case 'hourly':
      return `${new Date(key * HOUR).toISOString().slice(0, 13)}h`;
    case 'daily':
      return new Date(key * DAY).toISOString().slice(0, 10);
    case 'weekly': {
      // The ISO week-year is the year of the week's Thursday.
      const thursday = new Date((key * 7 - 3 + 3) * DAY);
      const year = thursday.getUTCFullYear();
      const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / DAY / 7) + 1;
      return `${year}-W${String(week).padStart(2, '0')}`;
    }
    case 'monthly':
      return `${Math.floor(key / 12)}-${String((key % 12) + 1).padStart(2, '0')}`;
    case 'yearly':
      return String(key);
  }
}

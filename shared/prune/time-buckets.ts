/**
 * Calendar buckets for grandfather-father-son retention, in any IANA time zone (Intl only).
 * Every bucket is a whole number on a continuous scale (local hours, days, ISO weeks, months,
 * years since the epoch), so consecutive periods are consecutive numbers.
 *
 * Offsets are exact to the second: tzdb changes offsets at any second (America/Goose_Bay and
 * America/St_Johns changed at 00:01 local, LMT offsets have seconds), so nothing here assumes a
 * quarter-hour grid. The only assumption is that a zone changes its offset at most once within
 * one UTC hour, which every zone in the IANA database satisfies (test/prune/time-buckets.test.ts
 * checks every zone the runtime knows against Intl directly).
 */

export type Granularity = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly';

export const GRANULARITIES: readonly Granularity[] = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'];

const SECOND = 1000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Per zone and UTC hour: the offset at its start, and where (if anywhere) it changes within the hour. */
const hours = new Map<string, Map<number, { before: number; changeAt: number; after: number }>>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, fmt);
  }
  return fmt;
}

/** The offset at a whole second, straight from Intl (slow: one formatToParts). */
export function intlOffsetMs(secondMs: number, timeZone: string): number {
  const p: Record<string, string> = {};
  for (const part of formatter(timeZone).formatToParts(secondMs)) if (part.type !== 'literal') p[part.type] = part.value;
  const year = p.era === 'BC' || p.era === 'B' ? 1 - Number(p.year) : Number(p.year);
  const local = Date.UTC(2000, Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  // Date.UTC maps years 0-99 to 1900-1999: set the year separately.
  const d = new Date(local);
  d.setUTCFullYear(year);
  return d.getTime() - secondMs;
}

/** Local time minus UTC at `ms`, in ms (Europe/Berlin in summer: +7,200,000). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 0;
  let cache = hours.get(timeZone);
  if (!cache) hours.set(timeZone, (cache = new Map()));
  const hour = Math.floor(ms / HOUR);
  let h = cache.get(hour);
  if (!h) {
    const start = hour * HOUR;
    const before = intlOffsetMs(start, timeZone);
    const after = intlOffsetMs(start + HOUR - SECOND, timeZone);
    let changeAt = start + HOUR;
    if (after !== before) {
      // Binary search for the first second with the new offset (tzdb changes on whole seconds).
      let lo = 0; // seconds into the hour known to have `before`
      let hi = 3599; // known to have `after`
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (intlOffsetMs(start + mid * SECOND, timeZone) === before) lo = mid;
        else hi = mid;
      }
      changeAt = start + hi * SECOND;
    }
    h = { before, changeAt, after };
    if (cache.size > 200_000) cache.clear();
    cache.set(hour, h);
  }
  return ms < h.changeAt ? h.before : h.after;
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

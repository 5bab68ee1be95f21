import { localToUtc, offsetMs, wallClock } from '../config/zoned-time';

/**
 * The schedule slot of a run: the instant the schedule fired. Snapshots are tagged with it, so a
 * duplicate delivery of the same scheduled event (EventBridge delivers at least once) finds the
 * slot already done. A scheduled event carries its own time; a manual run uses the last time the
 * schedule fired before `now`.
 */
export function scheduleSlot(schedule: string, now: Date, eventTime?: Date, timeZone?: string): string {
  const at = eventTime ?? previousFire(schedule, now, timeZone);
  return new Date(Math.floor(at.getTime() / MINUTE) * MINUTE).toISOString().replace('.000Z', 'Z');
}

const MINUTE = 60_000;
const UNIT_MS: Record<string, number> = { minute: MINUTE, hour: 60 * MINUTE, day: 1440 * MINUTE };

/**
 * The window the first run of a schedule's history counts snapshot completions in, when the
 * account shows no earlier counted slot (see `CompletionCount`): after the schedule's previous
 * firing, up to this slot. A `rate()` fires every period from whenever the rule was created, so
 * its previous firing is one period back.
 */
export function completionWindow(schedule: string, slot: string, timeZone?: string): { fromMs: number; toMs: number } | undefined {
  const toMs = Date.parse(slot);
  if (!Number.isFinite(toMs)) return undefined;
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(schedule);
  if (rate) return { fromMs: toMs - Number(rate[1]) * UNIT_MS[rate[2]!]!, toMs };
  return { fromMs: previousFire(schedule, new Date(toMs - MINUTE), timeZone).getTime(), toMs };
}

/**
 * The last firing time ≤ `now` of a `rate()` or `cron()` expression: in UTC (EventBridge rules),
 * or in `timeZone`'s wall clock (EventBridge Scheduler with `ScheduleExpressionTimezone`).
 */
export function previousFire(schedule: string, now: Date, timeZone?: string): Date {
  return lastFire(schedule, now, timeZone) ?? new Date(Math.floor(now.getTime() / MINUTE) * MINUTE);
}

/** Like `previousFire`, but undefined when a cron has no firing in the search (a year long past). */
export function lastFire(schedule: string, now: Date, timeZone?: string): Date | undefined {
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(schedule);
  if (rate) {
    // A rate counts elapsed time in any time zone (Scheduler: a "day" is 24 hours, DST or not).
    const period = Number(rate[1]) * UNIT_MS[rate[2]!]!;
    return new Date(Math.floor(now.getTime() / period) * period);
  }
  const matchers = cronMatchers(schedule);
  if (timeZone && timeZone !== 'UTC') return previousLocalFire(matchers, now, timeZone);
  const t = new Date(Math.floor(now.getTime() / MINUTE) * MINUTE);
  for (let i = 0; i < 366 * 1440; i++) {
    if (!matchers.month(t.getUTCMonth() + 1) || !matchers.year(t.getUTCFullYear()) || !matchers.day(t)) {
      t.setUTCHours(0, 0, 0, 0);
      t.setTime(t.getTime() - MINUTE);
      continue;
    }
    if (!matchers.hour(t.getUTCHours())) {
      t.setUTCMinutes(0, 0, 0);
      t.setTime(t.getTime() - MINUTE);
      continue;
    }
    if (matchers.minute(t.getUTCMinutes())) return t;
    t.setTime(t.getTime() - MINUTE);
  }
  return undefined;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** The field matchers of a `cron()` expression; throws on anything else. */
export function cronMatchers(schedule: string): CronMatchers {
  const cron = /^cron\((.+)\)$/.exec(schedule);
  const fields = cron?.[1]!.trim().split(/\s+/);
  if (!fields || fields.length !== 6) throw new Error(`not a schedule expression: ${schedule}`);
  return parseCron(fields);
}

export type CronMatchers = ReturnType<typeof parseCron>;

function parseCron(fields: string[]) {
  const [min, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  const monthDay = dom === '?' ? undefined : dayOfMonth(dom);
  const weekDay = dow === '?' ? undefined : dayOfWeek(dow);
  return {
    minute: field(min, 0, 59),
    hour: field(hour, 0, 23),
    month: field(month, 1, 12, MONTHS, 1),
    year: field(year, 1970, 2199),
    // EventBridge: one of day-of-month and day-of-week is '?'. `t` is a day (its UTC fields).
    day: (t: Date) => (monthDay?.(t) ?? true) && (weekDay?.(t) ?? true),
  };
}

/**
 * Day-of-month with EventBridge's calendar wildcards
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html): `L` is the
 * month's last day; `3W` the weekday closest to the 3rd, within the month (the 1st on a Saturday
 * moves to Monday the 3rd, the last day on a Sunday to Friday; a day the month lacks never fires).
 */
function dayOfMonth(expr: string): (t: Date) => boolean {
  const items = expr.split(',');
  const nearest = items.filter((i) => /^\d+W$/.test(i)).map((i) => Number(i.slice(0, -1)));
  const plain = items.filter((i) => i !== 'L' && !/^\d+W$/.test(i));
  const days = plain.length ? field(plain.join(','), 1, 31) : () => false;
  const last = items.includes('L');
  return (t) => {
    const d = t.getUTCDate();
    const end = daysInMonth(t);
    return days(d) || (last && d === end) || nearest.some((n) => nearestWeekday(t, n, end) === d);
  };
}

/**
 * Day-of-week with EventBridge's wildcards (same page): `L` alone is the week's last day (7,
 * Saturday); `2#1` the first Monday of the month (the field then holds that one expression; a
 * fifth one the month lacks never fires).
 */
function dayOfWeek(expr: string): (t: Date) => boolean {
  if (expr === 'L') return (t) => t.getUTCDay() === 6;
  const nth = /^(\w+)#([1-5])$/.exec(expr);
  if (nth) {
    const weekday = fieldValue(nth[1]!, DAYS, 1);
    const n = Number(nth[2]);
    return (t) => t.getUTCDay() + 1 === weekday && Math.ceil(t.getUTCDate() / 7) === n;
  }
  const weekdays = field(expr, 1, 7, DAYS, 1);
  return (t) => weekdays(t.getUTCDay() + 1);
}

function daysInMonth(t: Date): number {
  return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 0)).getUTCDate();
}

function nearestWeekday(t: Date, n: number, end: number): number | undefined {
  if (n > end) return undefined;
  const weekday = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), n)).getUTCDay();
  if (weekday === 6) return n === 1 ? 3 : n - 1;
  if (weekday === 0) return n === end ? n - 2 : n + 1;
  return n;
}

function fieldValue(s: string, names: string[], nameBase: number): number {
  const i = names.indexOf(s.toUpperCase());
  return i >= 0 ? i + nameBase : Number(s);
}

function field(expr: string, lo: number, hi: number, names: string[] = [], nameBase = 0): (v: number) => boolean {
  if (expr === '*' || expr === '?') return () => true;
  const value = (s: string) => fieldValue(s, names, nameBase);
  const allowed = new Set<number>();
  for (const part of expr.split(',')) {
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText ? Number(stepText) : 1;
    let [from, to] = range === '*' ? [lo, hi] : (range.split('-').map(value) as [number, number?]);
    if (to === undefined) to = stepText ? hi : from;
    for (let v = from; v <= to; v += step) allowed.add(v);
  }
  return (v) => allowed.has(v);
}

/**
 * The last local firing ≤ `now`, walking the time zone's calendar back day by day. A local time in
 * the spring-forward gap does not exist and EventBridge Scheduler skips it; one in the fall-back
 * overlap fires once (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#daylist-savings-time),
 * which we slot at its first occurrence. So every firing has one slot, and no slot is doubled.
 */
function previousLocalFire(m: CronMatchers, now: Date, timeZone: string): Date | undefined {
  const today = wallClock(now.getTime(), timeZone);
  for (let back = 0; back <= 366; back++) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day - back));
    if (!m.month(date.getUTCMonth() + 1) || !m.year(date.getUTCFullYear()) || !m.day(date)) continue;
    for (let hour = 23; hour >= 0; hour--) {
      if (!m.hour(hour)) continue;
      for (let minute = 59; minute >= 0; minute--) {
        if (!m.minute(minute)) continue;
        const [first] = localToUtc({ year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), hour, minute }, timeZone);
        if (first !== undefined && first <= now.getTime()) return new Date(first);
      }
    }
  }
  return undefined;
}

/**
 * Local firings of a cron schedule that a DST change makes EventBridge Scheduler skip, in the
 * `days` after `from` (the spring-forward gap); `validate-config` refuses such a schedule.
 */
export function skippedLocalFirings(schedule: string, timeZone: string, from: Date, days = 366): string[] {
  const m = cronMatchers(schedule);
  const skipped: string[] = [];
  const start = wallClock(from.getTime(), timeZone);
  for (let ahead = 0; ahead < days; ahead++) {
    const date = new Date(Date.UTC(start.year, start.month - 1, start.day + ahead));
    // Only days whose offset changes can have a gap (the window covers the local day at any offset).
    if (offsetMs(date.getTime() - 43_200_000, timeZone) === offsetMs(date.getTime() + 129_600_000, timeZone)) continue;
    if (!m.month(date.getUTCMonth() + 1) || !m.year(date.getUTCFullYear()) || !m.day(date)) continue;
    for (let hour = 0; hour < 24; hour++) {
      if (!m.hour(hour)) continue;
      for (let minute = 0; minute < 60; minute++) {
        if (!m.minute(minute)) continue;
        const w = { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), hour, minute };
        if (localToUtc(w, timeZone).length === 0) skipped.push(`${date.toISOString().slice(0, 10)} ${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`);
      }
    }
  }
  return skipped;
}

/**
 * The schedule slot of a run: the instant the schedule fired. Snapshots are tagged with it, so a
 * duplicate delivery of the same scheduled event (EventBridge delivers at least once) finds the
 * slot already done. A scheduled event carries its own time; a manual run uses the last time the
 * schedule fired before `now`.
 */
export function scheduleSlot(schedule: string, now: Date, eventTime?: Date): string {
  const at = eventTime ?? previousFire(schedule, now);
  return new Date(Math.floor(at.getTime() / MINUTE) * MINUTE).toISOString().replace('.000Z', 'Z');
}

const MINUTE = 60_000;
const UNIT_MS: Record<string, number> = { minute: MINUTE, hour: 60 * MINUTE, day: 1440 * MINUTE };

/** The last firing time ≤ `now` of a `rate()` or `cron()` expression (UTC, as EventBridge). */
export function previousFire(schedule: string, now: Date): Date {
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(schedule);
  if (rate) {
    const period = Number(rate[1]) * UNIT_MS[rate[2]!]!;
    return new Date(Math.floor(now.getTime() / period) * period);
  }
  const cron = /^cron\((.+)\)$/.exec(schedule);
  const fields = cron?.[1]!.trim().split(/\s+/);
  if (!fields || fields.length !== 6) throw new Error(`not a schedule expression: ${schedule}`);
  const matchers = parseCron(fields);
  // L, W and # need calendar logic we do not carry; such schedules slot by the minute.
  if (!matchers) return new Date(Math.floor(now.getTime() / MINUTE) * MINUTE);
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
  return new Date(Math.floor(now.getTime() / MINUTE) * MINUTE);
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function parseCron(fields: string[]) {
  const [min, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if (fields.some((f) => /[LW#]/.test(f.replace(/(JUL|WED)/g, '')))) return undefined;
  const minute = field(min, 0, 59);
  const hours = field(hour, 0, 23);
  const days = field(dom, 1, 31);
  const months = field(month, 1, 12, MONTHS, 1);
  const weekdays = field(dow, 1, 7, DAYS, 1);
  const years = field(year, 1970, 2199);
  return {
    minute,
    hour: hours,
    month: months,
    year: years,
    // EventBridge: one of day-of-month and day-of-week is '?'.
    day: (t: Date) => (dom === '?' ? weekdays(t.getUTCDay() + 1) : days(t.getUTCDate()) && (dow === '?' || weekdays(t.getUTCDay() + 1))),
  };
}

function field(expr: string, lo: number, hi: number, names: string[] = [], nameBase = 0): (v: number) => boolean {
  if (expr === '*' || expr === '?') return () => true;
  const value = (s: string) => {
    const i = names.indexOf(s.toUpperCase());
    return i >= 0 ? i + nameBase : Number(s);
  };
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

import { previousFire } from './slot';

const MINUTE = 60_000;
const UNIT_MS: Record<string, number> = { minute: MINUTE, hour: 60 * MINUTE, day: 1440 * MINUTE };
/** A fixed reference, so the answer for a cron does not depend on when the config is read. */
const REFERENCE = Date.UTC(2026, 0, 1);
const FIRINGS = 40;

/**
 * The longest gap between two firings of a schedule expression: how long a volume may go without
 * a new snapshot when everything works (`cron(0 3 ? * MON-FRI *)` → 3 days, over the weekend).
 * Undefined for crons with `L`, `W` or `#`, whose calendar the slot logic does not model.
 */
export function scheduleIntervalMs(schedule: string): number | undefined {
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(schedule);
  if (rate) return Number(rate[1]) * UNIT_MS[rate[2]!]!;
  const cron = /^cron\((.+)\)$/.exec(schedule);
  if (!cron || /[LW#]/.test(cron[1]!.replace(/(JUL|WED)/g, ''))) return undefined;
  let t = previousFire(schedule, new Date(REFERENCE));
  let longest = 0;
  for (let i = 0; i < FIRINGS; i++) {
    const before = previousFire(schedule, new Date(t.getTime() - MINUTE));
    if (before.getTime() >= t.getTime()) break;
    longest = Math.max(longest, t.getTime() - before.getTime());
    t = before;
  }
  return longest > 0 ? longest : undefined;
}

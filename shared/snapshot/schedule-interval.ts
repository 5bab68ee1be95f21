import { lastFire } from './slot';

const MINUTE = 60_000;
const UNIT_MS: Record<string, number> = { minute: MINUTE, hour: 60 * MINUTE, day: 1440 * MINUTE };
/** A fixed reference, so the answer for a cron does not depend on when the config is read. */
const REFERENCE = Date.UTC(2026, 0, 1);
const FIRINGS = 40;

/**
 * The longest gap between two firings of a schedule expression: how long a volume may go without
 * a new snapshot when everything works (`cron(0 3 ? * MON-FRI *)` → 3 days, over the weekend;
 * `cron(0 3 L * ? *)` → 31 days). Undefined for a cron that fires fewer than twice (its years are past).
 */
export function scheduleIntervalMs(schedule: string): number | undefined {
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(schedule);
  if (rate) return Number(rate[1]) * UNIT_MS[rate[2]!]!;
  const cron = /^cron\((.+)\)$/.exec(schedule);
  if (!cron) return undefined;
  let t = lastFire(schedule, new Date(REFERENCE));
  let longest = 0;
  for (let i = 0; t && i < FIRINGS; i++) {
    const before = lastFire(schedule, new Date(t.getTime() - MINUTE));
    if (!before) break;
    longest = Math.max(longest, t.getTime() - before.getTime());
    t = before;
  }
  return longest > 0 ? longest : undefined;
}

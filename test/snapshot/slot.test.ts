import { describe, expect, it } from 'vitest';
import { scheduleIntervalMs } from '../../shared/snapshot/schedule-interval';
import { previousFire, scheduleSlot, skippedLocalFirings } from '../../shared/snapshot/slot';

describe('scheduleSlot', () => {
  it.each([
    ['rate(1 day)', '2026-03-05T17:42:10Z', '2026-03-05T00:00:00.000Z'],
    ['rate(6 hours)', '2026-03-05T17:42:10Z', '2026-03-05T12:00:00.000Z'],
    ['rate(15 minutes)', '2026-03-05T17:42:10Z', '2026-03-05T17:30:00.000Z'],
    ['cron(0 3 * * ? *)', '2026-03-05T17:42:10Z', '2026-03-05T03:00:00.000Z'],
    ['cron(0 3 * * ? *)', '2026-03-05T02:59:00Z', '2026-03-04T03:00:00.000Z'],
    ['cron(30 1 ? * SUN *)', '2026-03-05T17:42:10Z', '2026-03-01T01:30:00.000Z'],
    ['cron(0 0 1 * ? *)', '2026-03-05T17:42:10Z', '2026-03-01T00:00:00.000Z'],
    ['cron(0/20 8-17 ? * MON-FRI *)', '2026-03-07T12:00:00Z', '2026-03-06T17:40:00.000Z'],
  ])('%s fired last at the right time before %s', (schedule, now, expected) => {
    expect(previousFire(schedule, new Date(now)).toISOString()).toBe(expected);
  });

  it('uses the scheduled event time, to the minute, when there is one', () => {
    expect(scheduleSlot('rate(1 day)', new Date('2026-03-05T17:42:10Z'), new Date('2026-03-05T03:00:27Z'))).toBe('2026-03-05T03:00:00Z');
  });
});

describe('scheduleSlot in a time zone (EventBridge Scheduler)', () => {
  it.each([
    // 03:00 Berlin is 02:00Z in winter (CET) and 01:00Z in summer (CEST).
    ['cron(0 3 * * ? *)', 'Europe/Berlin', '2026-01-15T12:00:00Z', '2026-01-15T02:00:00.000Z'],
    ['cron(0 3 * * ? *)', 'Europe/Berlin', '2026-07-15T12:00:00Z', '2026-07-15T01:00:00.000Z'],
    ['cron(0 3 * * ? *)', 'Europe/Berlin', '2026-07-15T00:59:00Z', '2026-07-14T01:00:00.000Z'],
    // Spring forward (29 March 2026, 02:00 → 03:00): the 03:00 firing exists, at 01:00Z.
    ['cron(0 3 * * ? *)', 'Europe/Berlin', '2026-03-29T01:30:00Z', '2026-03-29T01:00:00.000Z'],
    // 02:30 does not exist on 29 March: Scheduler skips it, so the last firing is the day before.
    ['cron(30 2 * * ? *)', 'Europe/Berlin', '2026-03-29T12:00:00Z', '2026-03-28T01:30:00.000Z'],
    // Fall back (25 October 2026, 03:00 → 02:00): 02:30 happens twice and fires once, the first time (00:30Z).
    ['cron(30 2 * * ? *)', 'Europe/Berlin', '2026-10-25T12:00:00Z', '2026-10-25T00:30:00.000Z'],
    ['cron(0 9 ? * MON *)', 'America/New_York', '2026-11-04T12:00:00Z', '2026-11-02T14:00:00.000Z'],
    ['cron(0 3 * * ? *)', 'UTC', '2026-03-05T17:42:10Z', '2026-03-05T03:00:00.000Z'],
  ])('%s in %s fired last before %s at %s', (schedule, tz, now, expected) => {
    expect(previousFire(schedule, new Date(now), tz).toISOString()).toBe(expected);
  });

  it('gives every local firing across a year with two DST changes its own slot, none skipped or doubled', () => {
    const slots = new Set<string>();
    const days: string[] = [];
    // Ask at 03:30 local every day of 2026 (the schedule fires at 03:00 local).
    for (let d = 0; d < 365; d++) {
      const noonUtc = Date.UTC(2026, 0, 1 + d, 12);
      const slot = scheduleSlot('cron(0 3 * * ? *)', new Date(noonUtc), undefined, 'Europe/Berlin');
      slots.add(slot);
      days.push(new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(slot)));
    }
    expect(slots.size).toBe(365);
    expect(new Set(days)).toEqual(new Set(['03:00']));
  });

  it('finds the firings a spring-forward gap skips, and none for times outside it', () => {
    expect(skippedLocalFirings('cron(30 2 * * ? *)', 'Europe/Berlin', new Date('2026-01-01T00:00:00Z'))).toEqual(['2026-03-29 02:30']);
    expect(skippedLocalFirings('cron(0/20 2 * * ? *)', 'America/New_York', new Date('2026-01-01T00:00:00Z'))).toEqual(['2026-03-08 02:00', '2026-03-08 02:20', '2026-03-08 02:40']);
    expect(skippedLocalFirings('cron(0 3 * * ? *)', 'Europe/Berlin', new Date('2026-01-01T00:00:00Z'))).toEqual([]);
    expect(skippedLocalFirings('cron(30 2 * * ? *)', 'Asia/Tokyo', new Date('2026-01-01T00:00:00Z'))).toEqual([]);
  });
});

describe('previousFire with EventBridge\'s calendar wildcards L, W and #', () => {
  // 2026: 1 March is a Sunday, 1 August a Saturday, 31 May a Sunday; February has 28 days, 2028's 29.
  it.each([
    ['cron(0 3 L * ? *)', '2026-03-05T12:00:00Z', '2026-02-28T03:00:00.000Z'],
    ['cron(0 3 L 2 ? *)', '2028-03-10T00:00:00Z', '2028-02-29T03:00:00.000Z'],
    ['cron(0 3 1,L * ? *)', '2026-03-05T12:00:00Z', '2026-03-01T03:00:00.000Z'],
    // 15W: Saturday 15 August → Friday the 14th; Sunday 15 March → Monday the 16th.
    ['cron(0 3 15W * ? *)', '2026-08-20T00:00:00Z', '2026-08-14T03:00:00.000Z'],
    ['cron(0 3 15W * ? *)', '2026-03-20T00:00:00Z', '2026-03-16T03:00:00.000Z'],
    ['cron(0 3 15W * ? *)', '2026-03-16T02:00:00Z', '2026-02-16T03:00:00.000Z'],
    // W stays inside the month: Saturday the 1st → Monday the 3rd; Sunday the 31st → Friday the 29th.
    ['cron(0 3 1W * ? *)', '2026-08-05T00:00:00Z', '2026-08-03T03:00:00.000Z'],
    ['cron(0 3 31W * ? *)', '2026-06-10T00:00:00Z', '2026-05-29T03:00:00.000Z'],
    // June has no 31st: 31W does not fire in it.
    ['cron(0 3 31W * ? *)', '2026-07-10T00:00:00Z', '2026-05-29T03:00:00.000Z'],
    // L in day-of-week: the week's last day, Saturday.
    ['cron(0 3 ? * L *)', '2026-03-05T12:00:00Z', '2026-02-28T03:00:00.000Z'],
    ['cron(0 3 ? * 2#1 *)', '2026-03-05T12:00:00Z', '2026-03-02T03:00:00.000Z'],
    ['cron(0 3 ? * MON#1 *)', '2026-03-02T02:00:00Z', '2026-02-02T03:00:00.000Z'],
    // A fifth Friday: January 30 and May 29 2026 (none in between).
    ['cron(0 3 ? * 6#5 *)', '2026-05-20T00:00:00Z', '2026-01-30T03:00:00.000Z'],
  ])('%s fired last before %s at %s', (schedule, now, expected) => {
    expect(previousFire(schedule, new Date(now)).toISOString()).toBe(expected);
  });

  it('follows the wall clock in a time zone: the last day of March at 03:00 Berlin is after the change to summer time', () => {
    expect(previousFire('cron(0 3 L * ? *)', new Date('2026-04-15T00:00:00Z'), 'Europe/Berlin').toISOString()).toBe('2026-03-31T01:00:00.000Z');
    expect(previousFire('cron(0 3 L * ? *)', new Date('2026-03-15T00:00:00Z'), 'Europe/Berlin').toISOString()).toBe('2026-02-28T02:00:00.000Z');
  });

  it('gives such schedules an interval, so the freshness guard and the alarm period follow them', () => {
    const DAY = 86_400_000;
    expect(scheduleIntervalMs('cron(0 3 L * ? *)')).toBe(31 * DAY);
    // First Mondays are 28 or 35 days apart.
    expect(scheduleIntervalMs('cron(0 3 ? * 2#1 *)')).toBe(35 * DAY);
    expect(scheduleIntervalMs('cron(0 3 ? * L *)')).toBe(7 * DAY);
    // A cron whose only year is past fires once: no interval.
    expect(scheduleIntervalMs('cron(0 3 1 1 ? 2020)')).toBeUndefined();
  });
});

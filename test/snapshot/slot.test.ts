import { describe, expect, it } from 'vitest';
import { previousFire, scheduleSlot } from '../../shared/snapshot/slot';

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

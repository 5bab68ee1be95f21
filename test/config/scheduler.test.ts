import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/load';

const policy = (over: Record<string, unknown>) => ({ snapshot: { policies: [{ name: 'daily', schedule: 'cron(0 3 * * ? *)', selector: { tags: { backup: ['daily'] } }, ...over }] } });

describe('schedules in local time (EventBridge Scheduler)', () => {
  it('accepts a time zone and a flexible window on snapshot, prune and scan schedules', () => {
    const config = parseConfig({
      ...policy({ timeZone: 'Europe/Berlin' }),
      prune: { schedule: 'cron(0 4 * * ? *)', timeZone: 'America/New_York', flexibleWindowMinutes: 30 },
      degraded: { schedule: 'rate(15 minutes)', timeZone: 'UTC', flexibleWindowMinutes: 5 },
    });
    expect(config.snapshot.policies[0]!.timeZone).toBe('Europe/Berlin');
    expect(config.prune).toMatchObject({ timeZone: 'America/New_York', flexibleWindowMinutes: 30 });
    expect(config.degraded.timeZone).toBe('UTC');
  });

  it('keeps UTC rules valid: no time zone, no Scheduler', () => {
    expect(parseConfig(policy({})).snapshot.policies[0]!.timeZone).toBeUndefined();
  });

  it.each([
    [policy({ timeZone: 'Europe/Berlinn' }), "snapshot.policies[0].timeZone: unknown time zone 'Europe/Berlinn'"],
    [policy({ timeZone: 'europe/berlin' }), "snapshot.policies[0].timeZone: time zone names are case-sensitive: did you mean 'Europe/Berlin'?"],
    [{ prune: { flexibleWindowMinutes: 10 } }, 'prune.flexibleWindowMinutes: a flexible window needs an EventBridge Scheduler schedule: set timeZone too'],
    [{ prune: { timeZone: 'UTC', flexibleWindowMinutes: 1441 } }, "prune.flexibleWindowMinutes: expected minutes from 1 to 1440 (EventBridge Scheduler's maximum window)"],
    [{ degraded: { timeZone: 'UTC', flexibleWindowMinutes: 15 } }, "degraded.flexibleWindowMinutes: must be shorter than the schedule's period (15 minutes)"],
    [policy({ schedule: 'cron(30 2 * * ? *)', timeZone: 'Europe/Berlin' }), 'snapshot.policies[0].schedule: in Europe/Berlin, '],
  ])('rejects %j naming the field', (value, message) => {
    expect(() => parseConfig(value)).toThrow(message);
  });

  it('says which local time a DST change skips', () => {
    expect(() => parseConfig(policy({ schedule: 'cron(30 2 * * ? *)', timeZone: 'Europe/Berlin' }))).toThrow(
      /\d{4}-03-\d\d 02:30 does not exist \(clocks spring forward\) and EventBridge Scheduler skips that run/,
    );
  });
});

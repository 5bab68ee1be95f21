import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../shared/config/load';
import { InputError } from '../../shared/engine/errors';

function problems(text: string): string[] {
  let caught: unknown;
  try {
    parseConfigText(text);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InputError);
  return (caught as InputError).problems.map((p) => `${p.path}: ${p.message}`);
}

const policy = (retain: string) => `
snapshot:
  policies:
    - name: daily
      schedule: cron(0 3 * * ? *)
      selector: { tags: { team: [web] } }
      retain: ${retain}
`;

describe('prune config', () => {
  it('accepts the seed tool\'s volume rule and fills defaults', () => {
    const config = parseConfigText('prune:\n  volumes:\n    - { volumeId: vol-0123456789abcdef0, olderThanDays: 7 }\n');
    expect(config.prune).toMatchObject({ schedule: 'rate(1 day)', maxDeletesPerRun: 1000, minAgeHours: 24 });
    expect(config.prune.volumes[0]).toEqual({ volumeId: 'vol-0123456789abcdef0', olderThanDays: 7, minKeep: 1, timeZone: 'UTC' });
  });

  it('accepts grandfather-father-son retention in a time zone', () => {
    const config = parseConfigText(policy('{ keepLast: 3, daily: 7, weekly: 4, monthly: 12, yearly: 2, timeZone: Europe/Berlin }'));
    expect(config.snapshot.policies[0]!.retain).toMatchObject({ daily: 7, minKeep: 1, timeZone: 'Europe/Berlin' });
  });

  it('rejects a staleAfter shorter than the schedule, naming the field', () => {
    expect(problems(policy('{ daily: 7, staleAfter: 12h }'))).toEqual([
      'snapshot.policies[0].retain.staleAfter: 12h is shorter than the schedule interval (1d for cron(0 3 * * ? *)): every volume would be stale between two runs',
    ]);
    expect(problems(policy('{ daily: 7, staleAfter: soon }'))).toEqual(['snapshot.policies[0].retain.staleAfter: expected a duration such as 36h, 2d or 90m']);
    expect(parseConfigText(policy('{ daily: 7, staleAfter: 2d }')).snapshot.policies[0]!.retain!.staleAfter).toBe('2d');
  });

  it('rejects age windows shorter than the schedule as the only rules: they would keep nothing beyond minKeep', () => {
    const weekly = policy('{ olderThanDays: 3 }').replace('cron(0 3 * * ? *)', 'rate(7 days)');
    expect(problems(weekly)).toEqual([
      'snapshot.policies[0].retain.olderThanDays: olderThanDays 3 is shorter than the schedule interval (7d): it would keep nothing beyond minKeep; lengthen it or add keepLast',
    ]);
    expect(() => parseConfigText(policy('{ olderThanDays: 3, keepLast: 2 }').replace('cron(0 3 * * ? *)', 'rate(7 days)'))).not.toThrow();
  });

  it('rejects an unknown time zone and asks for staleAfter when the cron interval cannot be derived', () => {
    expect(problems(policy('{ daily: 7, timeZone: Mars/Olympus }'))).toEqual(['snapshot.policies[0].retain.timeZone: expected an IANA time zone such as UTC or Europe/Berlin']);
    expect(problems(policy('{ daily: 7 }').replace('cron(0 3 * * ? *)', 'cron(0 3 1 1 ? 2020)'))).toEqual([
      'snapshot.policies[0].retain.staleAfter: set staleAfter: the interval of cron(0 3 1 1 ? 2020) cannot be derived for the freshness guard (it fires fewer than twice)',
    ]);
    // L, W and # have a calendar: the guard follows it (31 days between two month ends, × 1.5).
    expect(() => parseConfigText(policy('{ daily: 7 }').replace('cron(0 3 * * ? *)', 'cron(0 3 L * ? *)'))).not.toThrow();
  });

  it('rejects keepLast: 0 with nothing else, naming the field', () => {
    expect(problems(policy('{ keepLast: 0 }'))).toEqual(['snapshot.policies[0].retain.keepLast: expected a positive integer']);
  });

  it('rejects a retention with no rule at all', () => {
    expect(problems(policy('{ minKeep: 2 }'))).toEqual([
      'snapshot.policies[0].retain: set at least one of olderThanDays, keepWithinDays, keepLast, hourly, daily, weekly, monthly, yearly',
    ]);
  });

  it('rejects negative numbers and an unknown time zone with their paths', () => {
    expect(problems('prune:\n  minAgeHours: -1\n  volumes:\n    - { volumeId: vol-0123456789abcdef0, olderThanDays: -7, timeZone: Mars/Olympus }\n')).toEqual([
      'prune.minAgeHours: expected a whole number ≥ 0',
      'prune.volumes[0].olderThanDays: expected a positive integer',
      'prune.volumes[0].timeZone: expected an IANA time zone such as UTC or Europe/Berlin',
    ]);
  });

  it('rejects unknown keys with a suggestion, a bad volume id and a bad schedule', () => {
    expect(problems('prune:\n  schedule: every day\n  volumes:\n    - { volumeId: vol-xyz, olderThanDay: 7 }\n')).toEqual([
      'prune.schedule: expected rate(value unit) or cron(6 fields), e.g. rate(1 day) or cron(0 3 * * ? *)',
      'prune.volumes[0].volumeId: expected a volume id like vol-0123456789abcdef0',
      "prune.volumes[0].olderThanDay: unknown key (did you mean 'olderThanDays'?)",
      // The typo also leaves the rule without any retention, which is said too.
      'prune.volumes[0]: set at least one of olderThanDays, keepWithinDays, keepLast, hourly, daily, weekly, monthly, yearly',
    ]);
  });

  it('rejects a duplicate volume and an includeUnmanaged volume without a rule', () => {
    const text = `prune:
  volumes:
    - { volumeId: vol-0123456789abcdef0, olderThanDays: 7 }
    - { volumeId: vol-0123456789abcdef0, keepLast: 2 }
  includeUnmanaged:
    volumeIds: [vol-0123456789abcdef1]
`;
    expect(problems(text)).toEqual([
      'prune.volumes[1].volumeId: duplicate volume vol-0123456789abcdef0 (also at prune.volumes[0])',
      'prune.includeUnmanaged.volumeIds[0]: vol-0123456789abcdef1 has no rule in prune.volumes, so its unmanaged snapshots would have no retention; add it there',
    ]);
  });

  it('rejects an empty includeUnmanaged selector', () => {
    expect(problems('prune:\n  includeUnmanaged: {}\n')).toEqual([
      'prune.includeUnmanaged: includeUnmanaged needs tags or volumeIds; leave it out to prune caretaker snapshots only',
    ]);
  });
});

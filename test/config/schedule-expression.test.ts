import { describe, expect, it } from 'vitest';
import { InputError } from '../../shared/engine/errors';
import { scheduleExpressionProblem } from '../../shared/config/schedule-expression';
import { config } from '../helpers';

// Accepted and refused as documented in "Using cron and rate expressions to schedule rules"
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html) and,
// for at(), "Schedule types in EventBridge Scheduler" (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html).
const ACCEPTED = [
  'rate(1 minute)',
  'rate(1 hour)',
  'rate(1 day)',
  'rate(5 minutes)',
  'rate(12 hours)',
  'rate(7 days)',
  'cron(0 3 * * ? *)',
  'cron(0 10 * * ? *)', // docs: 10:00 every day
  'cron(15 12 * * ? *)', // docs: 12:15 every day
  'cron(0 18 ? * MON-FRI *)', // docs: 6 PM Monday to Friday
  'cron(0 8 1 * ? *)', // docs: 8 AM on the first day of the month
  'cron(0/15 * * * ? *)', // docs: every 15 minutes
  'cron(0/10 * ? * MON-FRI *)', // docs: every 10 minutes Monday to Friday
  'cron(0/5 8-17 ? * MON-FRI *)', // docs: every 5 minutes, 8 AM to 5:55 PM weekdays
  'cron(0 9 ? * 2#1 *)', // docs: 9 AM on the first Monday of each month
  'cron(0 3 L * ? *)',
  'cron(0 3 15W * ? *)',
  'cron(0 3 ? * L *)',
  'cron(0 3 ? * 6#3 *)',
  'cron(*/5 * * * ? *)',
  'cron(0 0,12 1,15 JAN,jul ? 2026-2030)',
  'cron(59 23 31 12 ? 2199)',
  'cron(0 0 ? * SUN,SAT 1970)',
  'cron(10-50/10 * * * ? *)',
];

const REFUSED: Array<[string, RegExp]> = [
  ['cron(0 3 * * * *)', /exactly one of day-of-month and day-of-week must be \?/],
  ['cron(0 3 ? * ? *)', /exactly one of day-of-month and day-of-week must be \?/],
  ['cron(0 3 1 * MON *)', /exactly one of day-of-month and day-of-week must be \?/],
  ['cron(0 25 * * ? *)', /hours must be 0-23 \(got '25'\)/],
  ['cron(60 3 * * ? *)', /minutes must be 0-59/],
  ['cron(0 3 0 * ? *)', /day-of-month must be 1-31/],
  ['cron(0 3 32 * ? *)', /day-of-month must be 1-31/],
  ['cron(0 3 * 13 ? *)', /month must be 1-12 or JAN-DEC/],
  ['cron(0 3 * FOO ? *)', /month must be 1-12 or JAN-DEC/],
  ['cron(0 3 ? * 0 *)', /day-of-week must be 1-7 or SUN-SAT/],
  ['cron(0 3 ? * 8 *)', /day-of-week must be 1-7 or SUN-SAT/],
  ['cron(0 3 * * ? 1969)', /year must be 1970-2199/],
  ['cron(0 3 * * ? 2200)', /year must be 1970-2199/],
  ['cron(0 3 * * ?)', /expected 6 fields/],
  ['cron(0 3 * * ? * *)', /expected 6 fields/],
  ['cron()', /expected 6 fields/],
  ['cron(0 ? * * ? *)', /hours cannot be '\?'/],
  ['cron(L 3 * * ? *)', /minutes cannot use 'L'/],
  ['cron(0 3 15W * ? *)'.replace('15W', 'W'), /W follows a day number/],
  ['cron(0 3 ? * 3#1,6#3 *)', /with # the field takes one expression only/],
  ['cron(0 3 ? * 3#6 *)', /the n in day#n is 1-5/],
  ['cron(0 3 1#1 * ? *)', /day-of-month cannot use '#'/],
  ['cron(0 3 ? * MON/2 *)', /day-of-week cannot use '\/'/],
  ['cron(0/0 3 * * ? *)', /the increment must be 1-59/],
  ['cron(0 3 * 5-2 ? *)', /must not run backwards/],
  ['cron(0 3 1,,2 * ? *)', /empty list item/],
  ['cron(0 3 ? * 6L *)', /day-of-week must be 1-7/],
  ['rate(1 minutes)', /with 1 the unit is singular.*rate\(1 minute\)/],
  ['rate(5 minute)', /with 5 the unit is plural.*rate\(5 minutes\)/],
  ['rate(0 minutes)', /positive integer/],
  ['rate(05 minutes)', /positive integer/],
  ['rate(-1 minutes)', /expected rate\(value unit\)/],
  ['rate(1.5 hours)', /expected rate\(value unit\)/],
  ['rate(2 weeks)', /with 2 the unit is plural \(minutes, hours or days\)$/],
  ['rate(1 Day)', /expected rate\(value unit\)/],
  ['rate(1  day)', /expected rate\(value unit\)/],
  ['rate(1day)', /expected rate\(value unit\)/],
  ['every 5 minutes', /expected rate\(value unit\) or cron\(6 fields\)/],
  [' rate(1 day)', /expected rate/],
  ['at(2026-03-05T03:00:00)', /only for EventBridge Scheduler/],
];

describe('scheduleExpressionProblem (EventBridge rules)', () => {
  it.each(ACCEPTED)('accepts %s', (expression) => {
    expect(scheduleExpressionProblem(expression)).toBeUndefined();
  });

  it.each(REFUSED)('refuses %s', (expression, message) => {
    expect(scheduleExpressionProblem(expression)).toMatch(message);
  });
});

describe('scheduleExpressionProblem (EventBridge Scheduler, allowAt)', () => {
  it.each(['at(2026-03-05T03:00:00)', 'at(2028-02-29T23:59:59)', 'rate(1 day)', 'cron(0 3 * * ? *)'])('accepts %s', (expression) => {
    expect(scheduleExpressionProblem(expression, { allowAt: true })).toBeUndefined();
  });

  it.each([
    ['at(2026-02-29T03:00:00)', /not a real date/],
    ['at(2026-03-05T24:00:00)', /not a real date/],
    ['at(2026-03-05 03:00:00)', /expected at\(yyyy-mm-ddThh:mm:ss\)/],
    ['at(2026-03-05T03:00:00Z)', /expected at\(yyyy-mm-ddThh:mm:ss\)/],
    ['cron(0 3 * * * *)', /exactly one of/],
  ])('refuses %s', (expression, message) => {
    expect(scheduleExpressionProblem(expression, { allowAt: true })).toMatch(message);
  });
});

/** The problems of the InputError a config raises (fails the test if it raises nothing else). */
function problemsOf(value: unknown) {
  let thrown: unknown;
  try {
    config(value);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InputError);
  return (thrown as InputError).problems;
}

describe('every schedule key of the config', () => {
  const policy = { name: 'daily', selector: { tags: { backup: [] } } };
  const bad = 'cron(0 3 * * * *)';
  it.each([
    [{ snapshot: { policies: [{ ...policy, schedule: bad }] } }, 'snapshot.policies[0].schedule'],
    [{ prune: { schedule: bad } }, 'prune.schedule'],
    [{ degraded: { schedule: bad } }, 'degraded.schedule'],
    [{ failover: { schedule: bad } }, 'failover.schedule'],
  ])('names the field of a refused expression: %j', (value, path) => {
    expect(problemsOf(value)).toContainEqual({ path, message: expect.stringMatching(/^cron\(0 3 \* \* \* \*\): exactly one of/) });
  });

  it('accepts the documented examples in every key', () => {
    const parsed = config({
      snapshot: { policies: [{ ...policy, schedule: 'cron(0 9 ? * 2#1 *)' }] },
      prune: { schedule: 'rate(1 day)' },
      degraded: { schedule: 'rate(15 minutes)' },
      failover: { schedule: 'rate(1 minute)' },
    });
    expect([parsed.snapshot.policies[0]!.schedule, parsed.prune.schedule, parsed.degraded.schedule, parsed.failover.schedule]).toEqual([
      'cron(0 9 ? * 2#1 *)',
      'rate(1 day)',
      'rate(15 minutes)',
      'rate(1 minute)',
    ]);
  });
});

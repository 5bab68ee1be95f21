/**
 * Schedule expressions checked exactly as EventBridge checks them, so a config that passes
 * `validate-config` cannot fail the stack at deploy (a rejected expression rolls back everything).
 *
 * Rules (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html):
 * - `rate(value unit)`: value a positive integer; unit `minute|hour|day` for 1, `minutes|hours|days` otherwise.
 * - `cron(minutes hours day-of-month month day-of-week year)`: six fields;
 *   minutes 0-59 `, - * /`; hours 0-23 `, - * /`; day-of-month 1-31 `, - * ? / L W`;
 *   month 1-12 or JAN-DEC `, - * /`; day-of-week 1-7 or SUN-SAT `, - * ? L #`; year 1970-2199 `, - * /`.
 *   Exactly one of day-of-month / day-of-week is `?` ("You can't specify the Day-of-month and
 *   Day-of-week fields in the same cron expression"); with `#` the day-of-week field holds one
 *   expression only (`3#1,6#3` is invalid).
 * EventBridge Scheduler also takes one-time `at(yyyy-mm-ddThh:mm:ss)`
 * (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html).
 *
 * Where the docs are silent (`LW`, `6L`, `L-3`, wrap-around ranges such as `FRI-MON`), the
 * expression is refused: the sandbox rule, never kinder than AWS.
 */

export interface ScheduleOptions {
  /** Accept EventBridge Scheduler's one-time `at(...)` (rules do not have it). */
  allowAt?: boolean;
}

/** Why EventBridge would refuse `expression`, or undefined when it accepts it. */
export function scheduleExpressionProblem(expression: string, options: ScheduleOptions = {}): string | undefined {
  if (typeof expression !== 'string') return 'expected a schedule expression string';
  const rate = /^rate\((.*)\)$/.exec(expression);
  if (rate) return rateProblem(rate[1]!);
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron) return cronProblem(cron[1]!);
  const at = /^at\((.*)\)$/.exec(expression);
  if (at && options.allowAt) return atProblem(at[1]!);
  const kinds = `${options.allowAt ? 'rate(value unit), cron(6 fields) or at(yyyy-mm-ddThh:mm:ss)' : 'rate(value unit) or cron(6 fields)'}, e.g. rate(1 day) or cron(0 3 * * ? *)`;
  return at ? 'at(...) is only for EventBridge Scheduler one-time schedules, not rules' : `expected ${kinds}`;
}

function rateProblem(body: string): string | undefined {
  const m = /^(\d+) ([a-z]+)$/.exec(body);
  if (!m) return `rate(${body}): expected rate(value unit), e.g. rate(5 minutes)`;
  const value = m[1]!;
  const unit = m[2]!;
  if (!/^[1-9]\d*$/.test(value)) return `rate(${body}): the value must be a positive integer`;
  const singular = ['minute', 'hour', 'day'];
  const plural = ['minutes', 'hours', 'days'];
  if (value === '1' && !singular.includes(unit)) {
    return `rate(${body}): with 1 the unit is singular (minute, hour or day)${plural.includes(unit) ? `: rate(1 ${unit.slice(0, -1)})` : ''}`;
  }
  if (value !== '1' && !plural.includes(unit)) {
    return `rate(${body}): with ${value} the unit is plural (minutes, hours or days)${singular.includes(unit) ? `: rate(${value} ${unit}s)` : ''}`;
  }
  return undefined;
}

interface CronField {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Special characters the docs allow beyond `, - *`. */
  slash: boolean;
  question: boolean;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: CronField[] = [
  { name: 'minutes', min: 0, max: 59, slash: true, question: false },
  { name: 'hours', min: 0, max: 23, slash: true, question: false },
  { name: 'day-of-month', min: 1, max: 31, slash: true, question: true },
  { name: 'month', min: 1, max: 12, names: MONTHS, slash: true, question: false },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS, slash: false, question: true },
  { name: 'year', min: 1970, max: 2199, slash: true, question: false },
];

function cronProblem(body: string): string | undefined {
  const parts = body.trim().split(/\s+/);
  if (body.trim() === '' || parts.length !== 6) {
    return `cron(${body}): expected 6 fields (minutes hours day-of-month month day-of-week year), got ${body.trim() === '' ? 0 : parts.length}`;
  }
  for (let i = 0; i < 6; i++) {
    const problem = fieldProblem(parts[i]!, FIELDS[i]!);
    if (problem) return `cron(${body}): ${FIELDS[i]!.name} ${problem}`;
  }
  const dom = parts[2]!;
  const dow = parts[4]!;
  if ((dom === '?') === (dow === '?')) {
    return `cron(${body}): exactly one of day-of-month and day-of-week must be ?, e.g. cron(0 3 * * ? *) or cron(0 3 ? * MON *)`;
  }
  return undefined;
}

function fieldProblem(text: string, field: CronField): string | undefined {
  const range = `${field.min}-${field.max}${field.names ? ` or ${field.names[0]}-${field.names[field.names.length - 1]}` : ''}`;
  if (text === '?') return field.question ? undefined : "cannot be '?' (only day-of-month and day-of-week can)";
  const items = text.split(',');
  if (field.name === 'day-of-week' && text.includes('#') && items.length > 1) return `'${text}': with # the field takes one expression only`;
  for (const item of items) {
    const problem = itemProblem(item, field, range);
    if (problem) return problem;
  }
  return undefined;
}

function itemProblem(item: string, field: CronField, range: string): string | undefined {
  if (item === '') return 'has an empty list item';
  if (item === '?') return "'?' must stand alone";
  if (item === '*') return undefined;
  if (item === 'L') return field.name === 'day-of-month' || field.name === 'day-of-week' ? undefined : "cannot use 'L'";
  if (field.name === 'day-of-month' && /W$/.test(item)) {
    const day = item.slice(0, -1);
    if (!/^\d+$/.test(day)) return `'${item}': W follows a day number, e.g. 15W`;
    return valueProblem(day, field, range);
  }
  if (item.includes('#')) {
    if (field.name !== 'day-of-week') return `cannot use '#'`;
    const [day, nth, extra] = item.split('#');
    if (extra !== undefined || !day || !nth) return `'${item}': expected day#n, e.g. MON#1`;
    if (!/^[1-5]$/.test(nth)) return `'${item}': the n in day#n is 1-5`;
    return valueProblem(day, field, range);
  }
  if (item.includes('/')) {
    if (!field.slash) return `cannot use '/'`;
    const [start, step, extra] = item.split('/');
    if (extra !== undefined || !start || !step) return `'${item}': expected start/increment, e.g. 0/15`;
    if (!/^[1-9]\d*$/.test(step) || Number(step) > field.max) return `'${item}': the increment must be 1-${field.max}`;
    if (start === '*') return undefined;
    return start.includes('-') ? rangeProblem(start, field, range) : valueProblem(start, field, range);
  }
  if (item.includes('-')) return rangeProblem(item, field, range);
  return valueProblem(item, field, range);
}

function rangeProblem(item: string, field: CronField, range: string): string | undefined {
  const [from, to, extra] = item.split('-');
  if (extra !== undefined || !from || !to) return `'${item}': expected a range a-b`;
  const problem = valueProblem(from, field, range) ?? valueProblem(to, field, range);
  if (problem) return problem;
  if (toNumber(from, field)! > toNumber(to, field)!) return `'${item}': a range must not run backwards`;
  return undefined;
}

function valueProblem(text: string, field: CronField, range: string): string | undefined {
  const n = toNumber(text, field);
  if (n === undefined || n < field.min || n > field.max) return `must be ${range} (got '${text}')`;
  return undefined;
}

function toNumber(text: string, field: CronField): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const index = field.names?.indexOf(text.toUpperCase()) ?? -1;
  return index >= 0 ? index + 1 : undefined;
}

function atProblem(body: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body);
  if (!m) return `at(${body}): expected at(yyyy-mm-ddThh:mm:ss), e.g. at(2026-03-05T03:00:00)`;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    return `at(${body}): not a real date and time`;
  }
  return undefined;
}

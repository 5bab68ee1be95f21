import { z } from 'zod';
import { scheduleExpressionProblem } from './schedule-expression';

/** Field types shared by every section, each with a message that says what was expected. */
export const positiveInt = z
  .number({ error: 'expected a positive integer' })
  .int({ error: 'expected a positive integer' })
  .positive({ error: 'expected a positive integer' });

export const nonNegativeInt = z
  .number({ error: 'expected a whole number ≥ 0' })
  .int({ error: 'expected a whole number ≥ 0' })
  .min(0, { error: 'expected a whole number ≥ 0' });

export const instanceId = z.string().regex(/^i-[0-9a-f]{8,17}$/, { error: 'expected an instance id like i-0123456789abcdef0' });
export const volumeId = z.string().regex(/^vol-[0-9a-f]{8,17}$/, { error: 'expected a volume id like vol-0123456789abcdef0' });

/**
 * An EventBridge schedule expression (`rate(1 day)`, `rate(15 minutes)`, `cron(0 3 * * ? *)`),
 * checked as EventBridge checks it (see schedule-expression.ts): every schedule key of the config uses it.
 */
export const scheduleExpression = z.string({ error: 'expected a schedule expression such as rate(1 day) or cron(0 3 * * ? *)' }).superRefine((s, ctx) => {
  const problem = scheduleExpressionProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Tag key → accepted values (any of them); `[]` means "the key is present". */
export const tagMatch = z.record(
  z.string().min(1, { error: 'tag keys cannot be empty' }).max(128),
  z.array(z.string().max(256)),
);

/** Tags to write: key → value. `aws:` keys are reserved by AWS. */
export const tagSet = z.record(
  z
    .string()
    .min(1)
    .max(128)
    .refine((k) => !k.toLowerCase().startsWith('aws:'), { error: 'tag keys starting with aws: are reserved' }),
  z.string().max(256),
);

/** IANA time zone, checked against the runtime's Intl data. */
export const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { error: 'expected an IANA time zone such as UTC or Europe/Berlin' },
);

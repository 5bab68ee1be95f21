import { z } from 'zod';
import { type CompletionEvent, completionEventSchema } from './completion-event';

/**
 * What the schedule sends the snapshot function: serverless.yml's input transformer passes the
 * policy name and the scheduled time (`$.time`), so duplicate deliveries share one slot.
 */
export const scheduledSnapshotEventSchema = z.strictObject({
  policy: z.string().min(1, { error: 'expected the name of a snapshot policy' }),
  time: z.iso.datetime({ offset: true, error: 'expected the ISO 8601 time of the scheduled event' }).optional(),
  dryRun: z.boolean({ error: 'expected true or false' }).optional(),
});

export type ScheduledSnapshotEvent = z.infer<typeof scheduledSnapshotEventSchema>;
export type SnapshotEvent = ScheduledSnapshotEvent | CompletionEvent;

/** An EventBridge event from EBS carries `source`; a schedule's input does not. */
const fromEbs = (raw: unknown) => typeof raw === 'object' && raw !== null && 'source' in raw;

/**
 * A scheduled (or manual) run, or an EBS snapshot completion event (see completion-event.ts).
 * Dispatched on `source` rather than a plain union, so a bad field is named, not "invalid input".
 */
export const snapshotEventSchema: z.ZodType<SnapshotEvent> = z.unknown().transform((raw, ctx) => {
  const schema: z.ZodType<SnapshotEvent> = fromEbs(raw) ? completionEventSchema : scheduledSnapshotEventSchema;
  const parsed = schema.safeParse(raw, { error: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'required' : undefined) });
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue(issue as unknown as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
});

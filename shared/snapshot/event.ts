import { z } from 'zod';
import { pickSchema } from '../config/load';
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

/** An EventBridge event from EBS says `source: aws.ec2`; a schedule's input has no source. */
const fromEbs = (raw: unknown) => typeof raw === 'object' && raw !== null && (raw as { source?: unknown }).source === 'aws.ec2';

/**
 * A scheduled (or manual) run, or an EBS snapshot completion event (see completion-event.ts).
 * Dispatched on `source` rather than a plain union, so a bad field is named, not "invalid input".
 */
export const snapshotEventSchema: z.ZodType<SnapshotEvent> = pickSchema<SnapshotEvent>((raw) => (fromEbs(raw) ? completionEventSchema : scheduledSnapshotEventSchema));

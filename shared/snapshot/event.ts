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

/**
 * What a copy sweep's continuation sends (shared/copy/continuation.ts): sweep the policy's copies
 * again; `run` counts the sweeps since the last fresh trigger (`snapshot.maxCopyContinuationRuns`).
 */
export const copySweepEventSchema = z.strictObject({
  copies: z.strictObject({
    policy: z.string().min(1, { error: 'expected the name of a snapshot policy' }),
    run: z.int({ error: 'expected a positive integer' }).positive({ error: 'expected a positive integer' }),
  }),
  dryRun: z.boolean({ error: 'expected true or false' }).optional(),
});

export type CopySweepEvent = z.infer<typeof copySweepEventSchema>;
export type SnapshotEvent = ScheduledSnapshotEvent | CompletionEvent | CopySweepEvent;

/** An EventBridge event from EBS says `source: aws.ec2`; a schedule's input has no source. */
const fromEbs = (raw: unknown) => typeof raw === 'object' && raw !== null && (raw as { source?: unknown }).source === 'aws.ec2';

/**
 * A scheduled (or manual) run, an EBS snapshot completion event (see completion-event.ts), or a
 * copy sweep's continuation.
 * Dispatched on `source` rather than a plain union, so a bad field is named, not "invalid input".
 */
export const snapshotEventSchema: z.ZodType<SnapshotEvent> = pickSchema<SnapshotEvent>((raw) =>
  fromEbs(raw) ? completionEventSchema : typeof raw === 'object' && raw !== null && 'copies' in raw ? copySweepEventSchema : scheduledSnapshotEventSchema,
);

import { z } from 'zod';

/**
 * What the schedule sends the snapshot function: serverless.yml's input transformer passes the
 * policy name and the scheduled time (`$.time`), so duplicate deliveries share one slot.
 */
export const snapshotEventSchema = z.strictObject({
  policy: z.string().min(1, { error: 'expected the name of a snapshot policy' }),
  time: z.iso.datetime({ offset: true, error: 'expected the ISO 8601 time of the scheduled event' }).optional(),
  dryRun: z.boolean({ error: 'expected true or false' }).optional(),
});

export type SnapshotEvent = z.infer<typeof snapshotEventSchema>;

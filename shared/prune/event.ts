import { z } from 'zod';

/**
 * What the prune schedule sends (serverless.yml's input transformer passes the scheduled time),
 * or what an operator passes by hand: `{ "dryRun": true }` to see the plan.
 */
export const pruneEventSchema = z.strictObject({
  time: z.iso.datetime({ offset: true, error: 'expected the ISO 8601 time of the scheduled event' }).optional(),
  dryRun: z.boolean({ error: 'expected true or false' }).optional(),
});

export type PruneEvent = z.infer<typeof pruneEventSchema>;

import { z } from 'zod';

/**
 * What the prune schedule sends (serverless.yml's input transformer passes the scheduled time),
 * or what an operator passes by hand: `{ "dryRun": true }` to see the plan.
 */
export const pruneEventSchema = z.strictObject({
  time: z.iso.datetime({ offset: true, error: 'expected the ISO 8601 time of the scheduled event' }).optional(),
  dryRun: z.boolean({ error: 'expected true or false' }).optional(),
  /** Set by a continuation schedule (see continuation.ts): which chain, which run of it. */
  continuation: z
    .strictObject({
      origin: z.string().min(1).max(64),
      run: z.number().int().min(2, { error: 'expected a run number ≥ 2' }).max(1000),
      approved: z.record(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { error: 'expected a Region name' }), z.number().int().min(0, { error: 'expected a count of deletions ≥ 0' })).optional(),
      rules: z.string().regex(/^[0-9a-f]{16}$/, { error: 'expected the 16-hex-digit rules fingerprint' }).optional(),
    })
    .optional(),
});

export type PruneEvent = z.infer<typeof pruneEventSchema>;

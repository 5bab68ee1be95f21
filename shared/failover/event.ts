import { z } from 'zod';
import { pickSchema } from '../config/load';

/**
 * What EventBridge's schedule delivers every minute: the standard Scheduled Event. Only its shape
 * is checked; the failover job needs nothing from it (the record is the state).
 */
const scheduledEventSchema = z.looseObject({
  'detail-type': z.literal('Scheduled Event'),
  source: z.literal('aws.events'),
  time: z.iso.datetime({ offset: true, error: 'expected the ISO 8601 time of the scheduled event' }),
});

/** A manual invocation (`aws lambda invoke`, the CLI): dry run, a single decision, or some groups only. */
const manualEventSchema = z.strictObject({
  dryRun: z.boolean({ error: 'expected true or false' }).optional(),
  once: z.boolean({ error: 'expected true or false' }).optional(),
  groups: z.array(z.string().min(1)).min(1, { error: 'expected at least one group name' }).optional(),
});

export type FailoverEvent = z.infer<typeof scheduledEventSchema> | z.infer<typeof manualEventSchema>;

/** An event with `source` or `detail-type` claims to be EventBridge's and is checked as one (`time: required`). */
export const failoverEventSchema = pickSchema<FailoverEvent>((raw) =>
  raw && typeof raw === 'object' && ('source' in raw || 'detail-type' in raw) ? scheduledEventSchema : manualEventSchema,
);

export function manualOptions(event: FailoverEvent): { dryRun?: boolean; once?: boolean; groups?: string[] } {
  return 'source' in event ? {} : (event as z.infer<typeof manualEventSchema>);
}

import { z } from 'zod';
import { failoverSchema } from '../failover/config';
import { degradedSchema } from '../degraded/config';
import { pruneSchema } from '../prune/config';
import { snapshotSchema } from '../snapshot/config';
import { checkRegionScopes } from './region-scopes';
import { regionsSetting } from './regions';

/**
 * The one config document (`caretaker.config.yml`). Every object is strict: an unknown key is an
 * error naming its path, so a typo can never silently turn a rule off.
 */
export const configSchema = z
  .strictObject({
    /** Optional Region for the CLI; Lambda uses its own. */
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: 'expected a Region such as eu-west-1' }).optional(),
    /**
     * The Regions the suite covers: a list, or `all` (every Region enabled for the account, re-read
     * each run). Default: the deployment's Region only. Sections may narrow it (`regions:` of a
     * policy, prune, degraded; `region:` of a failover group).
     */
    regions: regionsSetting.optional(),
    alerts: z
      .strictObject({
        /** Prefix of every e-mail subject, to filter on. */
        subjectPrefix: z.string().max(30).default('[caretaker]'),
      })
      .prefault({}),
    snapshot: snapshotSchema.prefault({}),
    prune: pruneSchema.prefault({}),
    failover: failoverSchema.prefault({}),
    degraded: degradedSchema.prefault({}),
  })
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.snapshot.policies.forEach((p, i) => {
      if (seen.has(p.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['snapshot', 'policies', i, 'name'],
          message: `duplicate policy name '${p.name}' (also at snapshot.policies[${seen.get(p.name)}])`,
        });
      }
      seen.set(p.name, i);
    });
    checkRegionScopes(config, ctx);
  });

export type Config = z.infer<typeof configSchema>;

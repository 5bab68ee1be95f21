import { paginateDescribeSnapshots } from '@aws-sdk/client-ec2';
import type { Config } from '../config/schema';
import type { JobContext } from '../engine/types';
import { TAG } from '../tags';
import type { Retain } from './config';
import { policyStaleAfterMs } from './freshness';
import { DELETE_ACTION, type PruneDecision } from './plan-retention';

/** A copy rule that applies in the Region being pruned: `copyTo[].retain` of a policy that copies here. */
export interface CopyRule {
  policy: string;
  retain: Retain;
  staleAfterMs?: number;
}

/** The copy rules of the Region being pruned (copies are pruned where they live, by their own rule). */
export function copyRulesIn(config: Pick<Config, 'snapshot'>, region: string): CopyRule[] {
  return config.snapshot.policies.flatMap((p) => {
    const target = p.copyTo.find((t) => t.region === region);
    // A copy is expected as often as its source: the policy's guard applies to its copies too.
    return target ? [{ policy: p.name, retain: target.retain, staleAfterMs: policyStaleAfterMs({ schedule: p.schedule, retain: target.retain }) }] : [];
  });
}

/**
 * Source snapshots of this Region whose copy is still `pending` in a destination Region: a source
 * is never deleted before its copy completes (issue 15). Read from each destination the policies
 * in scope copy to (`ctx.clientsIn`), one filtered query per Region. A destination that cannot be
 * read fails the describe stage, so the run deletes nothing rather than guess.
 *
 * @returns source snapshot id → the Region its pending copy is in
 */
export async function describePendingCopies(ctx: Pick<JobContext, 'clientsIn'>, config: Pick<Config, 'snapshot'>, policies: readonly string[], region: string): Promise<Map<string, string>> {
  const names = new Set(policies);
  const destinations = new Set(config.snapshot.policies.filter((p) => names.has(p.name)).flatMap((p) => p.copyTo.map((t) => t.region)));
  const pending = new Map<string, string>();
  for (const dest of destinations) {
    const clients = ctx.clientsIn?.(dest);
    if (!clients) throw new Error(`cannot check the copies in ${dest} (no clients for that Region): a source is never deleted while its copy may be pending`);
    const filters = [
      { Name: 'status', Values: ['pending'] },
      { Name: `tag:${TAG.sourceRegion}`, Values: [region] },
    ];
    for await (const page of paginateDescribeSnapshots({ client: clients.ec2, pageSize: 1000 }, { OwnerIds: ['self'], Filters: filters, MaxResults: 1000 })) {
      for (const s of page.Snapshots ?? []) {
        const copyOf = s.Tags?.find((t) => t.Key === TAG.copyOf)?.Value ?? '';
        if (copyOf.startsWith(`${region}:`)) pending.set(copyOf.slice(region.length + 1), dest);
      }
    }
  }
  return pending;
}

/** Turns a deletion of a source whose copy is pending into a keep (pure; mutates the decision in place). */
export function holdForPendingCopy(d: PruneDecision, pending: ReadonlyMap<string, string>): void {
  const dest = d.action === DELETE_ACTION ? pending.get(d.target) : undefined;
  if (dest === undefined) return;
  d.action = 'skip';
  d.reason = `kept: its copy in ${dest} is still pending`;
  d.payload.rules = ['copy-pending'];
}

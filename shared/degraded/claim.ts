import { CreateTagsCommand, DeleteTagsCommand, type Instance } from '@aws-sdk/client-ec2';
import { tagRecord } from '../aws/filters';
import type { JobContext } from '../engine/types';
import { type ApplyEnv, stepTime } from './apply-env';
import { describeInstance } from './describe-degraded';
import { TAG_STATE, TAG_STATE_AT } from './tags';

/** One tag per run that wants to act on the instance: `caretaker:remediation-claim-<runId>` = when it claimed. */
export const TAG_CLAIM_PREFIX = 'caretaker:remediation-claim-';

const MINUTE = 60_000;

export type ClaimOutcome = { won: true } | { won: false; reason: string };

interface Claim {
  runId: string;
  at: number;
}

/** The claims on an instance's tags, oldest first (ties by run id, so every reader orders them alike). */
export function claimsOf(tags: Record<string, string>): Claim[] {
  return Object.entries(tags)
    .filter(([k]) => k.startsWith(TAG_CLAIM_PREFIX))
    .map(([k, v]) => ({ runId: k.slice(TAG_CLAIM_PREFIX.length), at: Date.parse(v) }))
    .filter((c) => !Number.isNaN(c.at))
    .sort((a, b) => a.at - b.at || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
}

/**
 * PURE: does this run go ahead, given what a fresh read of the instance shows after its claim settled?
 * - Another run's claim made after the state this run planned from, and before this run's own, wins:
 *   first come, first served (the same order for every reader). Claims older than the state this run
 *   saw belong to runs that already finished; claims older than the lease, to runs that died.
 * - The state tags changed since this run read them: another run has acted meanwhile.
 */
export function judgeClaim(fresh: Record<string, string>, planned: Record<string, string>, runId: string, now: number, leaseMinutes: number): ClaimOutcome {
  if ((fresh[TAG_STATE] ?? '') !== (planned[TAG_STATE] ?? '') || (fresh[TAG_STATE_AT] ?? '') !== (planned[TAG_STATE_AT] ?? '')) {
    return { won: false, reason: `another run acted meanwhile (now ${fresh[TAG_STATE] ?? 'no state'}${fresh[TAG_STATE_AT] ? ` at ${fresh[TAG_STATE_AT]}` : ''}); leaving it to that run` };
  }
  const seenAt = Date.parse(planned[TAG_STATE_AT] ?? '');
  const since = Math.max(Number.isNaN(seenAt) ? -Infinity : seenAt, now - leaseMinutes * MINUTE);
  const live = claimsOf(fresh).filter((c) => c.at > since);
  const first = live[0];
  if (!first || first.runId === runId) return { won: true };
  return { won: false, reason: `claimed first by run ${first.runId} at ${new Date(first.at).toISOString()}; leaving it to that run` };
}

/**
 * Makes sure exactly one run acts on an instance when several (the Health event and the scan, a
 * duplicate delivery, two Regions' copies) planned to at the same moment. EC2 has no conditional
 * tag write and StopInstances no client token
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StopInstances.html; RunInstances has one),
 * so each run writes its own claim tag, waits `claimSettleSeconds` for the writes of the others to
 * become visible (the EC2 API is eventually consistent:
 * https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html), reads the instance
 * again and goes ahead only if its claim is the first one and the state is still the one it planned
 * from ({@link judgeClaim}). Two runs that claim within the settle time both see both claims and
 * agree; a run that claims later sees the earlier one. Safe as long as a tag write becomes visible
 * within the settle time. Stale claims (older than the lease) are removed on the way (50 tags per resource).
 */
export async function claimInstance(instance: Instance, ctx: JobContext, env: ApplyEnv): Promise<ClaimOutcome> {
  const { ec2 } = ctx.clients;
  const id = instance.InstanceId!;
  const planned = tagRecord(instance.Tags);
  const at = stepTime(ctx);
  await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: `${TAG_CLAIM_PREFIX}${ctx.runId}`, Value: at.toISOString() }] }));
  const stale = claimsOf(planned).filter((c) => c.at <= at.getTime() - env.config.leaseMinutes * MINUTE);
  if (stale.length > 0) {
    await ec2
      .send(new DeleteTagsCommand({ Resources: [id], Tags: stale.map((c) => ({ Key: `${TAG_CLAIM_PREFIX}${c.runId}` })) }))
      .catch((error) => ctx.log.warn('could not remove stale claims', { instanceId: id, error: String(error) }));
  }
  await ctx.sleep(env.waiters.claimSettleSeconds * 1000);
  const fresh = await describeInstance(ec2, id);
  if (!fresh) return { won: false, reason: 'gone since this run read it' };
  return judgeClaim(tagRecord(fresh.Tags), planned, ctx.runId, at.getTime(), env.config.leaseMinutes);
}

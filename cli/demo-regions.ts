import type { EbsSnapshotEvent } from '../sandbox/ec2-snapshot-outcomes';
import type { SandboxAccount } from '../sandbox/account';
import { sandboxJobContext } from '../sandbox/job-context';
import type { Config } from '../shared/config/schema';
import { resolveRegions } from '../shared/engine/regions';
import { describeStatus } from '../shared/status/describe-status';
import { planStatus } from '../shared/status/plan-status';
import { statusScopes } from '../shared/status/status-scopes';
import { TAG } from '../shared/tags';

/**
 * The completion event EBS sends once a policy's snapshots have all ended, after letting sandbox
 * time pass until they have (the demo's copy step delivers it to snapshot-volumes).
 */
export function completionEventOf(sandbox: SandboxAccount, policy: string): EbsSnapshotEvent {
  sandbox.clock.advance(120_000);
  const policyOf = (id: string) => sandbox.ec2.snapshots.get(id)?.data.Tags?.find((t) => t.Key === TAG.policy)?.Value;
  const ids = (e: EbsSnapshotEvent) => ((e.detail.snapshots as Array<{ snapshot_id: string }> | undefined) ?? []).map((s) => s.snapshot_id.split('/').pop()!);
  const event = sandbox.ec2
    .settleSnapshots()
    .filter((e) => e['detail-type'] === 'EBS Multi-Volume Snapshots Completion Status' && ids(e).some((id) => policyOf(id) === policy))
    .pop();
  if (!event) throw new Error(`no completion event for a snapshot of policy ${policy}: did its snapshot step run?`);
  return event;
}

/** One line per Region of the run, as `caretaker status` reads it: volumes, stale ones, copies landed and pending. */
export async function regionLines(sandbox: SandboxAccount, config: Config): Promise<string[]> {
  const ctx = sandboxJobContext(sandbox, { now: sandbox.clock.now() });
  const scopes = statusScopes(config, await resolveRegions(ctx, config), sandbox.region);
  const statuses = await Promise.all(scopes.map(async (scope) => planStatus(await describeStatus(ctx, config, scope), config, ctx.now)));
  return statuses.map((s) => {
    const copies = s.copies.map((c) => `${c.policy} ${c.completed} completed, ${c.pending.length} pending`).join('; ') || 'none';
    const snapshots = sandbox.inRegion(s.region).ec2.snapshots.size;
    const archiving = sandbox.calls.filter((c) => c.region === s.region && c.operation === 'ModifySnapshotTier' && !c.error).length;
    return `${s.region}: ${s.volumes.length} volume(s) selected, ${s.volumes.filter((v) => v.stale).length} stale; ${snapshots} snapshot(s), ${archiving} moved to the archive tier; copies from other Regions: ${copies}`;
  });
}

import { describeStatus } from '../shared/status/describe-status';
import { formatStatus } from '../shared/status/format-status';
import { planStatus, type RegionStatus } from '../shared/status/plan-status';
import { statusScopes } from '../shared/status/status-scopes';
import { homeRegion, resolveRegions } from '../shared/engine/regions';
import { cliRun, type CommonFlags } from './context';

/** A Region the status view could not read (not enabled, no permission, ...): shown, never hidden. */
interface UnreadableRegion {
  region: string;
  error: string;
}

/**
 * `caretaker status`: one table per Region the config covers (or the one `--region` names), read
 * from the account itself (tags and describes, one probe per failover member), no state store. The
 * Regions are read in parallel, each with its own clients and rate buckets. `--json` prints
 * `{ regions: [...] }`, one entry per Region, for scripts. Exit 1 when a Region could not be read.
 */
export async function runStatus(flags: CommonFlags & { json?: boolean }): Promise<number> {
  const run = await cliRun('snapshot', { ...flags, 'dry-run': true });
  const scopes = statusScopes(run.config, await resolveRegions(run.ctx, run.config), await homeRegion(run.ctx));
  const regions: Array<RegionStatus | UnreadableRegion> = await Promise.all(
    scopes.map((scope) =>
      describeStatus(run.ctx, run.config, scope).then(
        (state) => planStatus(state, run.config, run.ctx.now),
        (error: Error) => ({ region: scope.region, error: `${error.name}: ${error.message}` }),
      ),
    ),
  );
  if (flags.json) console.log(JSON.stringify({ regions }, null, 2));
  else {
    const text = regions.map((r) => ('error' in r ? [`Region ${r.region}: could not be read (${r.error})`] : formatStatus(r)).join('\n'));
    console.log(text.join('\n\n'));
  }
  return regions.some((r) => 'error' in r) ? 1 : 0;
}

import { describeStatus } from '../shared/status/describe-status';
import { formatStatus } from '../shared/status/format-status';
import { planStatus, type RegionStatus } from '../shared/status/plan-status';
import { copyOnlyScope, type StatusScope, statusScopes } from '../shared/status/status-scopes';
import { copyOnlyRegions, homeRegion, resolveRegions } from '../shared/engine/regions';
import { cliRun, type CommonFlags } from './context';

/** A Region the status view could not read (not enabled, no permission, ...): shown, never hidden. */
interface UnreadableRegion {
  region: string;
  error: string;
}

/**
 * `caretaker status`: one table per Region the config covers, then one per copy-only Region (a
 * `copyTo` destination outside `regions`: its copies alone, `copyOnly: true`), or the one Region
 * `--region` names, read from the account itself (tags and describes, one probe per failover
 * member), no state store. The Regions are read in parallel, each with its own clients and rate
 * buckets. `--json` prints `{ regions: [...] }`, one entry per Region, for scripts. Exit 1 when a
 * Region could not be read.
 */
export async function runStatus(flags: CommonFlags & { json?: boolean }): Promise<number> {
  const whole = await cliRun('snapshot', { ...flags, region: undefined, 'dry-run': true });
  const home = await homeRegion(whole.ctx);
  const copyOnly = copyOnlyRegions(whole.config, home);
  let run = whole;
  let scopes: StatusScope[];
  if (flags.region !== undefined && copyOnly.includes(flags.region)) {
    // `--region` may name a copy-only Region, as prune's does (cli/context.ts): its copies alone.
    scopes = [copyOnlyScope(flags.region)];
  } else {
    if (flags.region !== undefined) run = await cliRun('snapshot', { ...flags, 'dry-run': true });
    scopes = statusScopes(run.config, await resolveRegions(run.ctx, run.config), home, flags.region === undefined ? copyOnly : []);
  }
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

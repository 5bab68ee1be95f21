import { describeStatus } from '../shared/status/describe-status';
import { formatStatus } from '../shared/status/format-status';
import { planStatus } from '../shared/status/plan-status';
import { cliRun, type CommonFlags } from './context';

/**
 * `caretaker status`: one table per Region, read from the account itself (tags and describes, one
 * probe per failover member), no state store. `--json` prints the same data for scripts.
 * Multi-Region is not there yet: the one Region is the config's (or `--region`, or the SDK's).
 */
export async function runStatus(flags: CommonFlags & { json?: boolean }): Promise<number> {
  const run = await cliRun('snapshot', { ...flags, 'dry-run': true });
  const regions = [planStatus(await describeStatus(run.ctx, run.config), run.config, run.ctx.now)];
  if (flags.json) console.log(JSON.stringify({ regions }, null, 2));
  else for (const r of regions) console.log(formatStatus(r).join('\n'));
  return 0;
}

import { DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import type { Config } from '../shared/config/schema';
import type { JobContext } from '../shared/engine/types';
import { regionName } from '../shared/config/regions';
import { InputError } from '../shared/engine/errors';

const flagError = (message: string) => new InputError('command line', [{ path: '--region', message }]);

/** `--region X` must name a Region the SDK knows before anything is read or built with it. */
export function checkRegionName(region: string): void {
  const parsed = regionName.safeParse(region);
  if (!parsed.success) throw flagError(parsed.error.issues[0]?.message ?? `unknown Region '${region}'`);
}

/**
 * `--region X` must be one of the Regions the config covers (the list, or every enabled Region for
 * `regions: all`): a run narrowed to a Region the deployment never covers would act where the
 * Lambda functions never do.
 */
export function checkRegionFlag(region: string, configured: readonly string[], setting: Config['regions']): void {
  if (configured.includes(region)) return;
  const where = setting === 'all' ? `the Regions enabled for this account (${configured.join(', ')})` : `the configured Regions (${configured.join(', ')})`;
  throw flagError(`${region} is not one of ${where}; add it to the config's regions or leave --region out`);
}

/**
 * The config of a run narrowed to one Region: the top-level Regions become `[region]`, and every
 * section's own narrowing keeps only that Region. A policy, prune scope or degraded setting that
 * does not cover the Region keeps an empty list (it runs nowhere in this run) rather than
 * disappearing: prune still needs every policy's retention to know which snapshots are managed.
 * Failover groups of other Regions (a group without `region` is the home Region's) are left out. Copy targets stay: a copy made from this Region
 * lands wherever its policy says.
 */
export function narrowToRegion(config: Config, region: string, home: string): Config {
  const only = (list: string[] | undefined) => (list === undefined ? undefined : list.filter((r) => r === region));
  return {
    ...config,
    regions: [region],
    snapshot: { ...config.snapshot, policies: config.snapshot.policies.map((p) => (p.regions ? { ...p, regions: only(p.regions) } : p)) },
    prune: config.prune.regions ? { ...config.prune, regions: only(config.prune.regions) } : config.prune,
    degraded: config.degraded.regions ? { ...config.degraded, regions: only(config.degraded.regions) } : config.degraded,
    failover: { ...config.failover, groups: config.failover.groups.filter((g) => (g.region ?? home) === region) },
  };
}

/** The Regions the config covers: its list, every enabled Region for `all`, or the home Region. */
export async function configuredRegions(ctx: JobContext, config: Config): Promise<string[]> {
  if (Array.isArray(config.regions)) return config.regions;
  if (config.regions === undefined) return [await ctx.clients.ec2.config.region()];
  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRegions.html: without
  // AllRegions it lists only the Regions enabled for the account.
  const { Regions } = await ctx.clients.ec2.send(new DescribeRegionsCommand({}));
  return (Regions ?? []).map((r) => r.RegionName!).sort();
}

import type { Config } from '../shared/config/schema';
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
 * section keeps only that Region of the ones it covered (`configured`: the run's Regions before
 * narrowing). A policy, prune scope or degraded setting that does not cover the Region keeps an
 * empty list (it runs nowhere in this run) rather than disappearing: prune still needs every
 * policy's retention to know which snapshots are managed. A policy that only copies *to* the
 * Region does not run there (its copies are made from its source Regions). Failover groups of
 * other Regions (a group without `region` is the home Region's) are left out.
 */
export function narrowToRegion(config: Config, region: string, home: string, configured: readonly string[]): Config {
  const only = (list: readonly string[] | undefined) => (list === undefined ? undefined : list.filter((r) => r === region));
  return {
    ...config,
    regions: [region],
    // Every policy gets an explicit list: left unnarrowed it would cover `[region]`, copy targets included.
    snapshot: { ...config.snapshot, policies: config.snapshot.policies.map((p) => ({ ...p, regions: only(p.regions ?? configured) })) },
    // Explicit even when unset: prune would otherwise also visit the copy destinations outside `[region]`.
    prune: { ...config.prune, regions: only(config.prune.regions ?? [region]) },
    degraded: config.degraded.regions ? { ...config.degraded, regions: only(config.degraded.regions) } : config.degraded,
    failover: { ...config.failover, groups: config.failover.groups.filter((g) => (g.region ?? home) === region) },
  };
}

/**
 * The config of a prune run narrowed to a copy destination outside the configured Regions: the
 * Regions stay as they are and `prune.regions` names only that one, so the run visits it alone,
 * for its copies alone (shared/engine/regions.ts, copyOnlyRegions).
 */
export function narrowToCopyRegion(config: Config, region: string): Config {
  return { ...config, prune: { ...config.prune, regions: [region] } };
}

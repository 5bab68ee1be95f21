import type { Config } from '../config/schema';
import type { FailoverGroup } from '../failover/config';
import type { SnapshotPolicy } from '../snapshot/config';

/** What the status view reads in one Region: the parts of the config that cover it. */
export interface StatusScope {
  region: string;
  policies: SnapshotPolicy[];
  /** Whether the degraded job covers the Region (remediation tags and the status scan are read). */
  degraded: boolean;
  groups: FailoverGroup[];
  /**
   * A copy destination outside the config's Regions (shared/engine/regions.ts, copyOnlyRegions):
   * only the copies that landed there are read, nothing else of the Region.
   */
  copyOnly: boolean;
}

/**
 * Pure: one scope per Region of the run, in the order given, then one per copy-only Region
 * (`copyOnly`: copy destinations outside the config's Regions, where only copies are read). A
 * policy, the degraded setting or a failover group shows in the Regions it covers: its own
 * narrowing, else every Region of the run; a failover group without `region` lives in the home
 * Region. Every Region of the run gets a scope, even with nothing selected there: copies may land
 * in it, and an empty table says so plainly.
 */
export function statusScopes(config: Config, regions: readonly string[], home: string, copyOnly: readonly string[] = []): StatusScope[] {
  const covers = (narrowing: string[] | undefined, region: string) => (narrowing ?? regions).includes(region);
  const covered = regions.map((region) => ({
    region,
    policies: config.snapshot.policies.filter((p) => covers(p.regions, region)),
    degraded: covers(config.degraded.regions, region),
    groups: config.failover.groups.filter((g) => (g.region ?? home) === region),
    copyOnly: false,
  }));
  return [...covered, ...copyOnly.filter((r) => !regions.includes(r)).map((region) => copyOnlyScope(region))];
}

/** A copy-only Region's scope: no policy, no degraded scan, no failover group; its copies alone. */
export function copyOnlyScope(region: string): StatusScope {
  return { region, policies: [], degraded: false, groups: [], copyOnly: true };
}

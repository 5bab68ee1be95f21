import type { z } from 'zod';
import { InputError, type FieldProblem } from '../engine/errors';
import { partitionOf, type RegionsSetting } from './regions';

/** The parts of the config that name Regions. */
export interface RegionScoped {
  regions?: RegionsSetting;
  snapshot: { policies: Array<{ regions?: string[]; copyTo: Array<{ region: string }> }> };
  prune: { regions?: string[] };
  degraded: { regions?: string[] };
  failover: { groups: Array<{ region?: string }> };
}

/**
 * Problems of the Regions a config names, given what is known: `home` is the deployment's Region
 * (unknown while validating a file offline), `enabled` the Regions DescribeRegions lists for the
 * account (known only at run time). Every narrowing must stay inside the top-level `regions`, all
 * Regions must share one partition, and a copy must leave the Regions its policy snapshots in.
 */
export function regionScopeProblems(config: RegionScoped, home?: string, enabled?: ReadonlySet<string>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const top = config.regions === 'all' ? undefined : (config.regions ?? (home ? [home] : undefined));
  const topText = config.regions === undefined ? `the deployment's Region (${home})` : `regions: [${top?.join(', ')}]`;
  const inside = (path: string, region: string) => {
    if (top && !top.includes(region)) problems.push({ path, message: `${region} is not one of ${topText}; add it there first` });
  };
  const named: Array<[string, string]> = [];
  if (Array.isArray(config.regions)) config.regions.forEach((r, i) => named.push([`regions[${i}]`, r]));
  config.snapshot.policies.forEach((p, i) => {
    p.regions?.forEach((r, j) => {
      inside(`snapshot.policies[${i}].regions[${j}]`, r);
      named.push([`snapshot.policies[${i}].regions[${j}]`, r]);
    });
    const sources = p.regions ?? top;
    p.copyTo.forEach((t, j) => {
      const path = `snapshot.policies[${i}].copyTo[${j}].region`;
      named.push([path, t.region]);
      if (sources?.includes(t.region)) {
        problems.push({ path, message: `the policy snapshots in ${t.region} itself: a copy in the same Region is no backup against losing it; copy to another Region or narrow the policy's regions` });
      }
    });
  });
  // Prune also visits copy destinations outside `regions` (for the copies alone): prune.regions may name them.
  const copyDestinations = new Set(config.snapshot.policies.flatMap((p) => p.copyTo.map((t) => t.region)));
  config.prune.regions?.forEach((r, i) => {
    if (!copyDestinations.has(r)) inside(`prune.regions[${i}]`, r);
    named.push([`prune.regions[${i}]`, r]);
  });
  config.degraded.regions?.forEach((r, i) => {
    inside(`degraded.regions[${i}]`, r);
    named.push([`degraded.regions[${i}]`, r]);
  });
  config.failover.groups.forEach((g, i) => {
    if (g.region === undefined) return;
    inside(`failover.groups[${i}].region`, g.region);
    named.push([`failover.groups[${i}].region`, g.region]);
  });
  const partition = partitionOf(home ?? named[0]?.[1] ?? '');
  for (const [path, region] of named) {
    if (partitionOf(region) === undefined) continue; // already refused by the field's own schema
    if (partition && partitionOf(region) !== partition) {
      problems.push({ path, message: `${region} is in the ${partitionOf(region)} partition, the others in ${partition}: one deployment covers one partition` });
    } else if (enabled && !enabled.has(region)) {
      problems.push({ path, message: `${region} is not enabled for this account (DescribeRegions); enable it or remove it` });
    }
  }
  return problems;
}

/** The offline part of {@link regionScopeProblems}, as zod issues of the config schema. */
export function checkRegionScopes(config: RegionScoped, ctx: z.RefinementCtx): void {
  for (const p of regionScopeProblems(config)) ctx.addIssue({ code: 'custom', path: pathParts(p.path), message: p.message });
}

/** Throws an {@link InputError} naming every field whose Region the run cannot cover. */
export function assertRegionScopes(config: RegionScoped, home: string, enabled?: ReadonlySet<string>, source = 'config'): void {
  const problems = regionScopeProblems(config, home, enabled);
  if (problems.length > 0) throw new InputError(source, problems);
}

function pathParts(path: string): Array<string | number> {
  return path.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== '').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

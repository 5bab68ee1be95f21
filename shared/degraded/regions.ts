import { DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import type { Config } from '../config/schema';
import type { JobContext } from '../engine/types';

// Health events of other Regions: EventBridge delivers an AWS Health event only in the Region it
// happens in (https://docs.aws.amazon.com/health/latest/ug/choosing-a-region.html) and our one stack
// lives in one Region, so we do not forward them (that would take a rule per Region outside the
// stack: a StackSet or a custom resource). The scan covers those Regions instead: retirements, stops,
// reboots and maintenance are also DescribeInstanceStatus scheduled events, seen at most one
// degraded.schedule later; a degraded instance-store drive is a Health-only notice and is missed there.
// A Health event that does reach us for another covered Region (a backup-Region copy, a rule the user
// added) is acted on with that Region's clients. README: "Degraded notices from every Region".

/**
 * The Regions the degraded-host job covers: `degraded.regions`, else the top-level `regions`
 * (`all`: every Region DescribeRegions lists as enabled for the account, read each run), else the
 * deployment's Region. The home Region comes first.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRegions.html
 */
export async function degradedRegions(ctx: JobContext, config: Config, home: string): Promise<string[]> {
  const setting = config.degraded.regions ?? config.regions ?? [home];
  let regions: string[];
  if (setting === 'all') {
    // Without AllRegions, DescribeRegions lists only the Regions enabled for the account.
    const out = await ctx.clients.ec2.send(new DescribeRegionsCommand({}));
    regions = (out.Regions ?? []).map((r) => r.RegionName!).filter(Boolean);
  } else {
    regions = [...setting];
  }
  return [...new Set(regions)].sort((a, b) => (a === home ? -1 : b === home ? 1 : a.localeCompare(b)));
}

/** The job context of one Region: that Region's clients, everything else shared (clock, alerts, deadline). */
export function contextIn(ctx: JobContext, region: string, home: string): JobContext {
  if (region === home) return ctx;
  if (!ctx.clientsIn) throw new Error(`no clients for Region ${region}: this caller reaches only ${home}`);
  return { ...ctx, clients: ctx.clientsIn(region) };
}

import { z } from 'zod';
import partitions from './regions.json';

/**
 * Every Region the SDK knows, with its partition (`aws`, `aws-cn`, `aws-us-gov`, ...). The list is
 * the SDK's own endpoint data (`@aws-sdk/core` partitions, copied here so no bundle carries the
 * endpoint tables; test/config/regions.test.ts fails when the two drift apart). Whether a known
 * Region is *enabled* for the account is only known at run time (DescribeRegions:
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRegions.html).
 */
export const KNOWN_REGIONS: Readonly<Record<string, string>> = partitions;

export function partitionOf(region: string): string | undefined {
  return KNOWN_REGIONS[region];
}

/** A Region name the SDK knows (a typo such as `eu-west-9` or `eu-wset-1` is refused here). */
export const regionName = z.string({ error: 'expected a Region such as eu-west-1' }).refine((r) => partitionOf(r) !== undefined, {
  error: (issue) => `unknown Region '${String(issue.input)}' (expected a Region such as eu-west-1)`,
});

/** A list of distinct Regions. */
export const regionList = z
  .array(regionName)
  .min(1, { error: 'list at least one Region, or leave the key out' })
  .superRefine((list, ctx) => {
    list.forEach((r, i) => {
      if (list.indexOf(r) !== i) ctx.addIssue({ code: 'custom', path: [i], message: `duplicate Region ${r}` });
    });
  });

/**
 * The top-level `regions:` setting: a list, or `all` (every Region enabled for the account,
 * re-read from DescribeRegions at the start of each run). Left out: the deployment's Region only.
 */
export const regionsSetting = z.union([z.literal('all'), regionList], { error: "expected a list of Regions or 'all'" });

export type RegionsSetting = z.infer<typeof regionsSetting>;

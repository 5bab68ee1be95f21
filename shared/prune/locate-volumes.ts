import { type EC2Client, paginateDescribeSnapshots, paginateDescribeVolumes } from '@aws-sdk/client-ec2';
import { filterChunks } from '../aws/filters';
import { type FieldProblem, InputError } from '../engine/errors';

/**
 * In a run over several Regions, where each listed volume is (a volume id lives in one Region): the
 * Regions where it exists or still has snapshots (the seed tool's use: clean up after a deleted
 * volume). A volume found in none is a typo: the run is refused, naming the field, before any
 * Region deletes anything, as {@link import('./describe-listed-volumes').checkListedVolumes}
 * refuses it in a single-Region run. A Region that cannot be read here keeps the volumes found
 * nowhere else: its own run then fails and reports it, so no typo check hides behind it.
 * Uses `volume-id` filters, which answer for the volumes that exist instead of failing the call
 * on the first unknown one (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVolumes.html).
 */
export async function locateListedVolumes(
  ec2In: (region: string) => EC2Client,
  regions: readonly string[],
  listed: ReadonlyArray<{ volumeId: string; path: string }>,
): Promise<Map<string, Set<string>>> {
  const found = new Map<string, Set<string>>(regions.map((r) => [r, new Set()]));
  if (listed.length === 0) return found;
  const ids = listed.map((v) => v.volumeId);
  const failed: string[] = [];
  await Promise.all(
    regions.map(async (region) => {
      try {
        const here = found.get(region)!;
        for (const Values of filterChunks(ids)) {
          const Filters = [{ Name: 'volume-id', Values }];
          for await (const page of paginateDescribeVolumes({ client: ec2In(region), pageSize: 500 }, { Filters, MaxResults: 500 })) {
            for (const v of page.Volumes ?? []) if (v.VolumeId) here.add(v.VolumeId);
          }
          for await (const page of paginateDescribeSnapshots({ client: ec2In(region), pageSize: 1000 }, { OwnerIds: ['self'], Filters, MaxResults: 1000 })) {
            for (const s of page.Snapshots ?? []) if (s.VolumeId) here.add(s.VolumeId);
          }
        }
      } catch {
        failed.push(region);
      }
    }),
  );
  const anywhere = new Set([...found.values()].flatMap((s) => [...s]));
  const nowhere = listed.filter((v) => !anywhere.has(v.volumeId));
  if (failed.length > 0) {
    for (const r of failed) nowhere.forEach((v) => found.get(r)!.add(v.volumeId));
    return found;
  }
  const problems: FieldProblem[] = nowhere.map((v) => ({ path: v.path, message: `volume ${v.volumeId} does not exist and has no snapshots in this account in any of the run's Regions (${regions.join(', ')})` }));
  if (problems.length > 0) throw new InputError('prune volumes', problems);
  return found;
}

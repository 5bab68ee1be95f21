import { type EC2Client, paginateDescribeVolumes } from '@aws-sdk/client-ec2';
import { type FieldProblem, InputError } from '../engine/errors';
import { filterChunks } from '../aws/filters';

/**
 * A listed volume must exist or still have snapshots (the seed tool's use: clean up after a
 * deleted volume). Neither means a typo: refuse the run, naming the field, before anything is deleted.
 * Uses a `volume-id` filter, which (unlike `VolumeIds`) answers for the volumes that exist
 * instead of failing the whole call on the first unknown one.
 */
export async function checkListedVolumes(
  ec2: EC2Client,
  listed: ReadonlyArray<{ volumeId: string; path: string }>,
  snapshotsSeen: ReadonlyMap<string, number>,
): Promise<void> {
  const unseen = listed.filter((v) => !snapshotsSeen.get(v.volumeId));
  if (unseen.length === 0) return;
  const existing = new Set<string>();
  for (const chunk of filterChunks(unseen)) {
    const Values = chunk.map((v) => v.volumeId);
    for await (const page of paginateDescribeVolumes({ client: ec2, pageSize: 500 }, { Filters: [{ Name: 'volume-id', Values }], MaxResults: 500 })) {
      for (const v of page.Volumes ?? []) if (v.VolumeId) existing.add(v.VolumeId);
    }
  }
  const problems: FieldProblem[] = unseen
    .filter((v) => !existing.has(v.volumeId))
    .map((v) => ({ path: v.path, message: `volume ${v.volumeId} does not exist and has no snapshots in this account and Region` }));
  if (problems.length > 0) throw new InputError('prune volumes', problems);
}

import { type EC2Client, paginateDescribeImages } from '@aws-sdk/client-ec2';

/**
 * Every snapshot an AMI of this account references (block device mappings), read once per run.
 * DeleteSnapshot would refuse these with `InvalidSnapshot.InUse`; knowing them up front keeps them
 * out of the plan, so a dry run is truthful and no call is spent on them. Disabled AMIs hold
 * their snapshots too, hence `IncludeDisabled`.
 */
export async function describeAmiSnapshotIds(ec2: EC2Client): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const page of paginateDescribeImages({ client: ec2, pageSize: 1000 }, { Owners: ['self'], IncludeDisabled: true, MaxResults: 1000 })) {
    for (const image of page.Images ?? []) {
      if (image.State === 'deregistered') continue;
      for (const mapping of image.BlockDeviceMappings ?? []) {
        if (mapping.Ebs?.SnapshotId) ids.add(mapping.Ebs.SnapshotId);
      }
    }
  }
  return ids;
}

import { DeleteSnapshotCommand, DeregisterImageCommand, paginateDescribeImages } from '@aws-sdk/client-ec2';
import { errorCode } from '../../aws/errors';
import type { JobContext } from '../../engine/types';
import { TAG_REPLACES } from '../tags';

const DAY_MS = 86_400_000;

/**
 * Deregisters the images a relaunch made (tagged `caretaker:replaces` at creation) once they are
 * `retentionDays` old, then deletes their snapshots (a snapshot an image still uses cannot be
 * deleted: InvalidSnapshot.InUse, hence this order). Only images this job tagged are touched; a
 * failure is reported, never fatal to the run.
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/deregister-ami.html
 */
export async function cleanupImages(ctx: JobContext, retentionDays: number): Promise<{ removed: string[]; failed: string[] }> {
  const removed: string[] = [];
  const failed: string[] = [];
  if (retentionDays <= 0) return { removed, failed };
  const cutoff = ctx.now.getTime() - retentionDays * DAY_MS;
  const input = { Owners: ['self'], Filters: [{ Name: 'tag-key', Values: [TAG_REPLACES] }] };
  for await (const page of paginateDescribeImages({ client: ctx.clients.ec2 }, input)) {
    for (const image of page.Images ?? []) {
      const made = Date.parse(image.CreationDate ?? '');
      if (!(made < cutoff)) continue;
      try {
        await ctx.clients.ec2.send(new DeregisterImageCommand({ ImageId: image.ImageId }));
        for (const m of image.BlockDeviceMappings ?? []) {
          if (m.Ebs?.SnapshotId) await ctx.clients.ec2.send(new DeleteSnapshotCommand({ SnapshotId: m.Ebs.SnapshotId }));
        }
        removed.push(image.ImageId!);
      } catch (error) {
        failed.push(`${image.ImageId} (${errorCode(error)})`);
      }
    }
  }
  return { removed, failed };
}

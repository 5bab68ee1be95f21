import {
  CreateImageCommand,
  DescribeHostsCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  type EC2Client,
  type Instance,
  RunInstancesCommand,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { errorCode } from '../../aws/errors';
import type { JobContext } from '../../engine/types';
import { type ApplyEnv, stepError } from '../apply-env';
import type { ServerIdentity } from '../identity/read-identity';
import { TAG_REPLACES } from '../tags';
import type { LaunchSource } from './launch-request';

/** The launch template the instance came from, if it still exists: it supplies launch settings only. */
export async function templateOf(ec2: EC2Client, tags: Record<string, string>): Promise<LaunchSource['template']> {
  const id = tags['aws:ec2launchtemplate:id'];
  if (!id) return undefined;
  const version = tags['aws:ec2launchtemplate:version'] ?? '$Default';
  try {
    const res = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: [version] }));
    const data = res.LaunchTemplateVersions?.[0]?.LaunchTemplateData;
    return { id, version, definesInterfaces: (data?.NetworkInterfaces?.length ?? 0) > 0, mappings: data?.BlockDeviceMappings ?? [] };
  } catch (error) {
    if (/^InvalidLaunchTemplate/.test(errorCode(error))) return undefined;
    throw stepError('DescribeLaunchTemplateVersions', error);
  }
}

/** Whether the dedicated host the instance sat on can still take it (a released host cannot). */
export async function hostAvailable(ec2: EC2Client, old: Instance): Promise<boolean> {
  const hostId = old.Placement?.HostId;
  if (old.Placement?.Tenancy !== 'host' || !hostId) return false;
  try {
    const res = await ec2.send(new DescribeHostsCommand({ HostIds: [hostId] }));
    return res.Hosts?.[0]?.State === 'available';
  } catch {
    return false;
  }
}

/** Another run (a duplicate delivery of the same event) made the image first: it owns this relaunch. */
export class ClaimedElsewhereError extends Error {
  constructor(readonly imageName: string) {
    super(`another run is relaunching this instance (image ${imageName} exists)`);
    this.name = 'ClaimedElsewhere';
  }
}

/**
 * An image of the stopped instance's root only (data volumes are `NoDevice`: they move as they
 * are). Taken after the stop, so no write is lost. Its name is made of the token, and EC2 refuses
 * a second image of that name (InvalidAMIName.Duplicate) atomically: the one run whose
 * CreateImage succeeds owns the relaunch; a concurrent duplicate stops there, having only stopped
 * an instance that the owner stops too.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateImage.html
 */
export async function imageOfRoot(ec2: EC2Client, identity: ServerIdentity, token: string): Promise<string> {
  const oldId = identity.instance.InstanceId!;
  const name = `${token}-${oldId}`;
  const tags = [{ Key: TAG_REPLACES, Value: oldId }];
  try {
    const res = await ec2.send(
      new CreateImageCommand({
        InstanceId: oldId,
        Name: name,
        // The instance is stopped: nothing to reboot, and the image is consistent.
        NoReboot: true,
        Description: `caretaker: root of ${oldId} after its stop (degraded host)`,
        BlockDeviceMappings: identity.dataVolumes.map((d) => ({ DeviceName: d.device, NoDevice: '' })),
        TagSpecifications: [
          { ResourceType: 'image', Tags: tags },
          { ResourceType: 'snapshot', Tags: tags },
        ],
      }),
    );
    return res.ImageId!;
  } catch (error) {
    if (errorCode(error) === 'InvalidAMIName.Duplicate') throw new ClaimedElsewhereError(name);
    throw stepError('CreateImage', error);
  }
}

/**
 * RunInstances paced to its bucket. `IdempotentParameterMismatch` means this token already
 * launched a replacement with other parameters (an earlier, interrupted run): that replacement is
 * found by its `caretaker:replaces` tag and used, never a second one launched.
 * https://docs.aws.amazon.com/AWSEC2/latest/devguide/ec2-api-idempotency.html
 */
export async function launch(request: RunInstancesCommandInput, oldId: string, ctx: JobContext, env: ApplyEnv): Promise<{ instanceId: string; adopted: boolean }> {
  const { ec2 } = ctx.clients;
  await env.runPacer.acquire();
  try {
    const res = await ec2.send(new RunInstancesCommand(request));
    env.runPacer.succeeded();
    const id = res.Instances?.[0]?.InstanceId;
    if (!id) throw new Error('no instance in the reservation');
    return { instanceId: id, adopted: false };
  } catch (error) {
    const code = errorCode(error);
    if (code === 'RequestLimitExceeded') env.runPacer.throttled();
    if (code !== 'IdempotentParameterMismatch') throw stepError('RunInstances', error);
    const found = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: `tag:${TAG_REPLACES}`, Values: [oldId] },
          { Name: 'instance-state-name', Values: ['pending', 'running'] },
        ],
      }),
    );
    const existing = found.Reservations?.flatMap((r) => r.Instances ?? [])[0]?.InstanceId;
    if (!existing) throw stepError('RunInstances', error);
    return { instanceId: existing, adopted: true };
  }
}

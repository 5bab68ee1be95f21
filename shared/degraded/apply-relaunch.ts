import {
  CreateImageCommand,
  CreateTagsCommand,
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeLaunchTemplateVersionsCommand,
  type EC2Client,
  type Instance,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { errorCode } from '../aws/errors';
import type { WorkerResult } from '../engine/apply';
import type { JobContext } from '../engine/types';
import { type ApplyEnv, stepError, stepTime } from './apply-env';
import { describeInstance } from './describe-degraded';
import { addressesOf, associateAll, pointRecordsAt, recordsFor } from './move-identity';
import type { DegradedPayload } from './plan-degraded';
import { inheritedTags, TAG_EVENT, TAG_FAILURES, TAG_LAST_ERROR, TAG_REPLACED_BY, TAG_REPLACES, TAG_STARTED, TAG_TOKEN, writeState } from './tags';
import { CutOffError, waitFor } from './wait';
import { tagRecord } from '../aws/filters';

/**
 * Replaces an instance: launch (launch template, else an AMI made of it, else its own AMI for
 * instance store) with its settings and a ClientToken, wait running + status ok, move its Elastic
 * IPs and DNS records, tag both, then stop or terminate the old one. Until the identity has moved,
 * the old instance is only tagged; any failure before then leaves it running and undoes the rest.
 */
export async function relaunch(p: DegradedPayload, ctx: JobContext, env: ApplyEnv): Promise<WorkerResult> {
  const { ec2 } = ctx.clients;
  const old = p.instance;
  const oldId = old.InstanceId!;
  const tags = tagRecord(old.Tags);
  // Renews the lease on every (re)start; the token is what makes a resumed run find its replacement.
  await writeState(ec2, oldId, { action: 'relaunch', phase: 'in-progress', at: stepTime(ctx) }, {
    [TAG_TOKEN]: p.token,
    [TAG_STARTED]: tags[TAG_STARTED] ?? stepTime(ctx).toISOString(),
    ...(p.notice ? { [TAG_EVENT]: p.notice.code } : {}),
  });

  let newId: string | undefined;
  let addresses: Awaited<ReturnType<typeof addressesOf>> = [];
  const records = recordsFor(env.config.records, old);
  // What has moved so far: only that is given back if a later step fails.
  const moved = { addresses: [] as typeof addresses, records: [] as typeof records };
  try {
    const request = await launchRequest(old, tags, p.token, ctx, env);
    await env.runPacer.acquire();
    const launched = await ec2.send(new RunInstancesCommand(request)).catch((e) => {
      if (errorCode(e) === 'RequestLimitExceeded') env.runPacer.throttled();
      throw stepError('RunInstances', e);
    });
    env.runPacer.succeeded();
    newId = launched.Instances?.[0]?.InstanceId;
    if (!newId) throw stepError('RunInstances', new Error('no instance in the reservation'));
    await waitFor('running', newId, ec2, env.waiters, ctx.deadline);
    await waitFor('status-ok', newId, ec2, env.waiters, ctx.deadline);
    // Identity moves only once the replacement is healthy. On resume the EIP may already be on it.
    addresses = [...(await addressesOf(ec2, oldId)), ...(await addressesOf(ec2, newId))];
    moved.addresses = addresses;
    await associateAll(ec2, addresses, newId);
    const current = await describeInstance(ec2, newId);
    moved.records = records;
    if (records.length > 0 && current) await pointRecordsAt(ctx.clients.route53, records, current, `caretaker ${ctx.runId}: ${oldId} replaced by ${newId}`);
  } catch (error) {
    if (error instanceof CutOffError) throw error;
    await undo(ctx, old, newId, moved, tags, errorCode(error));
    throw stepError('relaunch', error, `; ${oldId} left running${newId ? `, replacement ${newId} terminated` : ''}`);
  }

  await ec2.send(new CreateTagsCommand({ Resources: [oldId], Tags: [{ Key: TAG_REPLACED_BY, Value: newId }] }));
  let fate: string;
  if (env.config.afterRelaunch === 'terminate') {
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [oldId] }));
    fate = 'terminating';
  } else if (old.RootDeviceType === 'ebs') {
    await ec2.send(new StopInstancesCommand({ InstanceIds: [oldId] }));
    fate = 'stopping';
  } else {
    // An instance-store instance cannot be stopped; terminating was not asked for, so a person decides.
    fate = 'left running (instance store cannot be stopped; terminate it once the replacement is confirmed)';
  }
  await writeState(ec2, oldId, { action: 'relaunch', phase: 'done', at: stepTime(ctx) });
  return {
    outcome: 'done',
    reason: `replaced by ${newId}; ${addresses.length} Elastic IP(s) and ${records.length} DNS record(s) moved; old instance ${fate}`,
    details: { replacement: newId, elasticIps: addresses.map((a) => a.PublicIp).join(' ') || 'none', records: records.map((r) => r.name).join(' ') || 'none' },
  };
}

/** RunInstances input; deterministic for a given instance and token, so a retry matches EC2's idempotency check. */
async function launchRequest(old: Instance, tags: Record<string, string>, token: string, ctx: JobContext, env: ApplyEnv): Promise<RunInstancesCommandInput> {
  const { ec2 } = ctx.clients;
  const oldId = old.InstanceId!;
  const userData = await ec2
    .send(new DescribeInstanceAttributeCommand({ InstanceId: oldId, Attribute: 'userData' }))
    .then((r) => r.UserData?.Value)
    .catch((e) => Promise.reject(stepError('DescribeInstanceAttribute userData', e)));
  const source = await launchSource(ec2, old, tags, token, ctx, env);
  return {
    ...source,
    InstanceType: old.InstanceType,
    SubnetId: old.SubnetId,
    SecurityGroupIds: (old.SecurityGroups ?? []).map((g) => g.GroupId!).filter(Boolean),
    ...(old.IamInstanceProfile?.Arn ? { IamInstanceProfile: { Arn: old.IamInstanceProfile.Arn } } : {}),
    ...(old.KeyName ? { KeyName: old.KeyName } : {}),
    ...(userData ? { UserData: userData } : {}),
    MinCount: 1,
    MaxCount: 1,
    ClientToken: token,
    TagSpecifications: [{ ResourceType: 'instance', Tags: [...inheritedTags(tags), { Key: TAG_REPLACES, Value: oldId }] }],
  };
}

/** Launch template if the instance came from one that still exists; else an AMI of it (EBS) or its own AMI (instance store). */
async function launchSource(ec2: EC2Client, old: Instance, tags: Record<string, string>, token: string, ctx: JobContext, env: ApplyEnv) {
  const templateId = tags['aws:ec2launchtemplate:id'];
  if (templateId) {
    const version = tags['aws:ec2launchtemplate:version'] ?? '$Default';
    const found = await ec2
      .send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: templateId, Versions: [version] }))
      .then(() => true)
      .catch((e) => (/^InvalidLaunchTemplate/.test(errorCode(e)) ? false : Promise.reject(stepError('DescribeLaunchTemplateVersions', e))));
    if (found) return { LaunchTemplate: { LaunchTemplateId: templateId, Version: version } };
  }
  if (old.RootDeviceType !== 'ebs') return { ImageId: old.ImageId };
  const imageId = await imageOf(ec2, old, token, env).catch((e) => Promise.reject(stepError('CreateImage', e)));
  await waitFor('image-available', imageId, ec2, env.waiters, ctx.deadline);
  return { ImageId: imageId };
}

/** CreateImage named after the token: a resumed or duplicate run finds the same image (names are unique). */
async function imageOf(ec2: EC2Client, old: Instance, token: string, env: ApplyEnv): Promise<string> {
  const name = `${token}-${old.InstanceId}`;
  try {
    const res = await ec2.send(
      new CreateImageCommand({
        InstanceId: old.InstanceId,
        Name: name,
        NoReboot: env.config.noReboot,
        Description: `caretaker: replacement image of ${old.InstanceId} (degraded host)`,
        TagSpecifications: [
          { ResourceType: 'image', Tags: [{ Key: TAG_REPLACES, Value: old.InstanceId }] },
          { ResourceType: 'snapshot', Tags: [{ Key: TAG_REPLACES, Value: old.InstanceId }] },
        ],
      }),
    );
    return res.ImageId!;
  } catch (error) {
    if (errorCode(error) !== 'InvalidAMIName.Duplicate') throw error;
    const found = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [name] }] }));
    const image = found.Images?.[0]?.ImageId;
    if (!image) throw error;
    return image;
  }
}

/** Best effort: give the identity back to the old instance, remove the replacement, record the failure. */
async function undo(
  ctx: JobContext,
  old: Instance,
  newId: string | undefined,
  moved: { addresses: Awaited<ReturnType<typeof addressesOf>>; records: ReturnType<typeof recordsFor> },
  tags: Record<string, string>,
  code: string,
): Promise<void> {
  const { ec2 } = ctx.clients;
  const oldId = old.InstanceId!;
  const attempt = async (what: string, call: () => Promise<unknown>) => {
    try {
      await call();
    } catch (error) {
      ctx.log.error(`undo: ${what} failed`, { instanceId: oldId, error: String(error) });
    }
  };
  // A duplicate run with the same ClientToken shares this replacement: if it already finished,
  // the replacement is in service and must not be taken down by our failure.
  const now = await describeInstance(ec2, oldId).catch(() => undefined);
  if (now?.Tags?.some((t) => t.Key === TAG_REPLACED_BY && t.Value === newId)) return;
  if (newId) {
    if (moved.addresses.length) await attempt('re-associate Elastic IPs', () => associateAll(ec2, moved.addresses, oldId));
    if (moved.records.length) await attempt('restore DNS', () => pointRecordsAt(ctx.clients.route53, moved.records, old, `caretaker ${ctx.runId}: relaunch of ${oldId} undone`));
    await attempt('terminate replacement', () => ec2.send(new TerminateInstancesCommand({ InstanceIds: [newId] })));
  }
  const failures = String(Number(tags[TAG_FAILURES] ?? 0) + 1);
  await attempt('record failure', () =>
    writeState(ec2, oldId, { action: 'relaunch', phase: 'failed', at: stepTime(ctx) }, { [TAG_FAILURES]: failures, [TAG_LAST_ERROR]: code.slice(0, 256) }),
  );
}

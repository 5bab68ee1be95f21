import type { NetworkInterface, Tag } from '@aws-sdk/client-ec2';
import type { Ec2Model } from './ec2';
import type { KmsKeys } from './kms-keys';
import type { ServiceName } from './errors';

/**
 * One authorization AWS makes for an API call: an IAM action on one resource ARN with the
 * request's condition keys. A call can need several (CreateSnapshots: the instance, each volume,
 * the new snapshots, and `ec2:CreateTags` for tagging them at creation).
 *
 * Source: the Service Authorization Reference, which lists per action the resource types and
 * condition keys AWS evaluates (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html,
 * .../list_amazonroute53.html, .../list_awssystemsmanager.html, .../list_amazonsns.html); tagging at
 * creation needs `ec2:CreateTags` with `ec2:CreateAction`
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html).
 */
export interface IamRequest {
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
  /** The resource did not exist when the call was made (a snapshot already gone): its tags are unknown. */
  missing?: true;
}

/** The account state a mapping reads: EC2 resources (tags, volumes of an instance, ...). */
export interface IamState {
  accountId: string;
  region: string;
  ec2: Ec2Model;
  /** The alert topic's key (SNS encrypts with it; publishers need GenerateDataKey and Decrypt). */
  alertKeyArn?: string;
  /** Another Region's EC2 and KMS (a cross-Region call such as CopySnapshot reads its source there). */
  regionState?(name: string): { ec2: Ec2Model; kms: KmsKeys } | undefined;
}

/** Thrown for an operation without a mapping: the IAM test names it so one is added here. */
export class UnmappedOperationError extends Error {
  constructor(readonly operation: string) {
    super(`no IAM mapping for ${operation}: add it to sandbox/iam-requests.ts (Service Authorization Reference)`);
  }
}

const tagRecord = (tags: Tag[] | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

/** `aws:ResourceTag/K` and the service's own `<prefix>:ResourceTag/K` for every tag of the resource. */
function resourceTags(tags: Record<string, string>, prefix: 'ec2' | 'ssm'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) {
    out[`aws:ResourceTag/${k}`] = v;
    out[`${prefix}:${prefix === 'ssm' ? 'resourceTag' : 'ResourceTag'}/${k}`] = v;
  }
  return out;
}

/** `aws:RequestTag/K` per tag and `aws:TagKeys`, as for a tagged create. */
function requestTags(tags: Tag[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const t of tags) out[`aws:RequestTag/${t.Key}`] = t.Value ?? '';
  if (tags.length > 0) out['aws:TagKeys'] = tags.map((t) => t.Key ?? '');
  return out;
}

const specTags = (specs: Array<{ ResourceType?: string; Tags?: Tag[] }> | undefined, type: string) =>
  (specs ?? []).filter((s) => s.ResourceType === type).flatMap((s) => s.Tags ?? []);

type Input = Record<string, any>;

/**
 * Route 53 is a global service whose one endpoint is in us-east-1: its requests carry
 * aws:RequestedRegion us-east-1 whatever Region the caller runs in.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_deny-requested-region.html
 */
const GLOBAL_ENDPOINT_REGION: Partial<Record<ServiceName, string>> = { route53: 'us-east-1' };

/**
 * The IAM requests AWS evaluates for one call, read from the account *before* the call runs
 * (DeleteSnapshot is authorized against the tags the snapshot had). Every request carries
 * `aws:RequestedRegion`, the Region the call was sent to (roles are limited to the configured Regions by it).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-requestedregion
 */
export function iamRequests(service: ServiceName, operation: string, input: Input, state: IamState): IamRequest[] {
  const requested = GLOBAL_ENDPOINT_REGION[service] ?? state.region;
  return requestsOf(service, operation, input, state).map((r) => ({ ...r, context: { ...r.context, 'aws:RequestedRegion': requested } }));
}

function requestsOf(service: ServiceName, operation: string, input: Input, state: IamState): IamRequest[] {
  const { accountId, region, ec2 } = state;
  const arn = (type: string, id: string, owned = true) => `arn:aws:ec2:${region}:${owned ? accountId : ''}:${type}/${id}`;
  const instance = (id: string) => {
    const data = ec2.instances.get(id)?.data;
    // ec2:RootDeviceType is evaluated on every instance resource (the role lets auto stop only EBS-root instances).
    return { resource: arn('instance', id), context: { ...resourceTags(tagRecord(data?.Tags), 'ec2'), ...(data?.RootDeviceType ? { 'ec2:RootDeviceType': data.RootDeviceType } : {}) } };
  };
  const volume = (id: string) => ({ resource: arn('volume', id), context: resourceTags(tagRecord(ec2.volumes.get(id)?.data.Tags), 'ec2') });
  const eniData = (id: string) => ec2.taggable.eni?.get(id)?.data as (NetworkInterface & { Tags?: Tag[] }) | undefined;
  const eni = (id: string) => ({ resource: arn('network-interface', id), context: resourceTags(tagRecord(eniData(id)?.Tags), 'ec2') });
  /**
   * Using a volume under a customer managed key through EC2 (start, launch, attach): EC2 creates a
   * grant and decrypts the data key on the caller's behalf, so the caller needs those KMS actions,
   * evaluated with kms:ViaService = ec2.<region>.amazonaws.com.
   * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html
   */
  const kmsFor = (keys: Array<string | undefined>): IamRequest[] =>
    [...new Set(keys.filter((k): k is string => Boolean(k) && !/alias\/aws\//.test(k!)))].flatMap((key) =>
      ['kms:CreateGrant', 'kms:Decrypt', 'kms:GenerateDataKeyWithoutPlaintext'].map((action) => ({
        action,
        resource: key,
        context: { 'kms:ViaService': `ec2.${region}.amazonaws.com`, 'kms:CallerAccount': accountId, ...(action === 'kms:CreateGrant' ? { 'kms:GrantIsForAWSResource': 'true' } : {}) },
      })),
    );
  const volumeKeys = (instanceId: string) => (ec2.instances.get(instanceId)?.data.BlockDeviceMappings ?? []).map((m) => ec2.volumes.get(m.Ebs?.VolumeId ?? '')?.data.KmsKeyId);
  const snapshot = (id: string) => {
    const data = ec2.snapshots.get(id)?.data;
    const context: Record<string, string> = resourceTags(tagRecord(data?.Tags), 'ec2');
    if (data?.VolumeId) context['ec2:ParentVolume'] = arn('volume', data.VolumeId);
    return { resource: arn('snapshot', id, false), context, ...(data ? {} : { missing: true as const }) };
  };
  const image = (id: string) => ({ resource: arn('image', id, false), context: resourceTags(tagRecord(ec2.images.get(id)?.data.Tags), 'ec2') });
  const on = (action: string, r: { resource: string; context: Record<string, string | string[]>; missing?: true }): IamRequest => ({ action, ...r });
  /** Tagging at creation: `ec2:CreateTags` on the new resource with `ec2:CreateAction`. */
  const tagOnCreate = (createAction: string, resource: string, tags: Tag[]): IamRequest[] =>
    tags.length === 0 ? [] : [{ action: 'ec2:CreateTags', resource, context: { ...requestTags(tags), 'ec2:CreateAction': createAction } }];

  // The one Describe call we make that AWS authorizes per resource: the instance.
  if (service === 'ec2' && operation === 'DescribeInstanceAttribute') return [on('ec2:DescribeInstanceAttribute', instance(input.InstanceId))];
  if (service === 'ec2' && /^Describe/.test(operation)) return [{ action: `ec2:${operation}`, resource: '*', context: {} }];
  // ELB describes support no resource-level permissions (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html).
  if ((service === 'elbv2' || service === 'elb') && /^Describe/.test(operation)) return [{ action: `elasticloadbalancing:${operation}`, resource: '*', context: {} }];
  if (service === 'ssm' && operation === 'GetCommandInvocation') return [{ action: 'ssm:GetCommandInvocation', resource: '*', context: {} }];
  if (service === 'route53' && operation === 'ListHostedZonesByName') return [{ action: 'route53:ListHostedZonesByName', resource: '*', context: {} }];
  // AWS Health: DescribeEvents has no resource-level permissions; DescribeAffectedEntities is authorized
  // on each event's type, `arn:${Partition}:health:*::event/${Service}/${EventTypeCode}/*` (any Region,
  // any event of that type: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awshealthapisandnotifications.html).
  if (service === 'health' && operation === 'DescribeEvents') return [{ action: 'health:DescribeEvents', resource: '*', context: {} }];
  if (service === 'health' && operation === 'DescribeAffectedEntities') {
    return ((input.filter?.eventArns ?? []) as string[]).map((eventArn) => {
      const [, eventService, code] = /:event\/([^/]+)\/([^/]+)\//.exec(eventArn) ?? [];
      return { action: 'health:DescribeAffectedEntities', resource: `arn:aws:health:*::event/${eventService}/${code}/*`, context: {} };
    });
  }

  const key = `${service}:${operation}`;
  switch (key) {
    case 'ec2:CreateSnapshots': {
      const id = input.InstanceSpecification?.InstanceId as string;
      const data = ec2.instances.get(id)?.data;
      const excluded = new Set<string>(input.InstanceSpecification?.ExcludeDataVolumeIds ?? []);
      const volumes = (data?.BlockDeviceMappings ?? [])
        .filter((m) => !(input.InstanceSpecification?.ExcludeBootVolume && m.DeviceName === data?.RootDeviceName))
        .map((m) => m.Ebs?.VolumeId)
        .filter((v): v is string => Boolean(v) && !excluded.has(v!));
      const tags = specTags(input.TagSpecifications, 'snapshot');
      const created = arn('snapshot', 'snap-0new0000000000000', false);
      return [
        on('ec2:CreateSnapshots', instance(id)),
        ...volumes.map((v) => on('ec2:CreateSnapshots', volume(v))),
        { action: 'ec2:CreateSnapshots', resource: created, context: requestTags(tags) },
        ...tagOnCreate('CreateSnapshots', created, tags),
      ];
    }
    case 'ec2:CreateSnapshot': {
      const tags = specTags(input.TagSpecifications, 'snapshot');
      const created = arn('snapshot', 'snap-0new0000000000000', false);
      return [on('ec2:CreateSnapshot', volume(input.VolumeId)), { action: 'ec2:CreateSnapshot', resource: created, context: requestTags(tags) }, ...tagOnCreate('CreateSnapshot', created, tags)];
    }
    case 'ec2:DeleteSnapshot':
      return [on('ec2:DeleteSnapshot', snapshot(input.SnapshotId))];
    case 'ec2:CopySnapshot':
      return copySnapshotRequests(input, state);
    // The archive tier: authorized on the snapshot with its tags and ec2:ParentVolume
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html);
    // DescribeSnapshotTierStatus is a Describe (no resource-level permissions, above).
    case 'ec2:ModifySnapshotTier':
    case 'ec2:RestoreSnapshotTier':
      return [on(key, snapshot(input.SnapshotId))];
    case 'ec2:CreateTags':
    case 'ec2:DeleteTags':
      return (input.Resources as string[]).map((id) => {
        const target = id.startsWith('i-') ? instance(id) : id.startsWith('vol-') ? volume(id) : id.startsWith('snap-') ? snapshot(id) : id.startsWith('ami-') ? image(id) : { resource: arn('unknown', id), context: {} };
        return { action: `ec2:${operation}`, resource: target.resource, context: { ...target.context, ...requestTags(input.Tags ?? []) } };
      });
    case 'ec2:StartInstances':
      return (input.InstanceIds as string[]).flatMap((id) => [on('ec2:StartInstances', instance(id)), ...kmsFor(volumeKeys(id))]);
    case 'ec2:StopInstances':
    case 'ec2:TerminateInstances':
    case 'ec2:RebootInstances':
      return (input.InstanceIds as string[]).map((id) => on(`ec2:${operation}`, instance(id)));
    case 'ec2:AttachVolume':
      return [on(key, instance(input.InstanceId)), on(key, volume(input.VolumeId)), ...kmsFor([ec2.volumes.get(input.VolumeId)?.data.KmsKeyId])];
    case 'ec2:DetachVolume': {
      const attachedTo = input.InstanceId ?? ec2.volumes.get(input.VolumeId)?.data.Attachments?.[0]?.InstanceId;
      return [on(key, volume(input.VolumeId)), ...(attachedTo ? [on(key, instance(attachedTo))] : [])];
    }
    case 'ec2:AttachNetworkInterface':
      return [on(key, instance(input.InstanceId)), on(key, eni(input.NetworkInterfaceId))];
    case 'ec2:DetachNetworkInterface': {
      const attached = [...(ec2.taggable.eni?.values() ?? [])].map((e) => e.data as NetworkInterface).find((e) => e.Attachment?.AttachmentId === input.AttachmentId);
      if (!attached) return [{ action: key, resource: arn('network-interface', 'eni-unknown'), context: {}, missing: true }];
      return [on(key, eni(attached.NetworkInterfaceId!)), on(key, instance(attached.Attachment!.InstanceId!))];
    }
    case 'ec2:AssignPrivateIpAddresses':
    case 'ec2:AssignIpv6Addresses':
    case 'ec2:UnassignIpv6Addresses':
    case 'ec2:UnassignPrivateIpAddresses':
      return [on(key, eni(input.NetworkInterfaceId))];
    case 'ec2:ModifyNetworkInterfaceAttribute':
      return [on(key, eni(input.NetworkInterfaceId)), ...((input.Groups ?? []) as string[]).map((g) => ({ action: key, resource: arn('security-group', g), context: {} }))];
    case 'ec2:ModifyInstanceAttribute':
      return [on(key, instance(input.InstanceId)), ...((input.Groups ?? []) as string[]).map((g) => ({ action: key, resource: arn('security-group', g), context: {} }))];
    case 'ec2:DeregisterImage':
      return [on(key, image(input.ImageId))];
    // ELB: authorized on the target group / load balancer, whose tags the sandbox does not model
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html).
    case 'elbv2:RegisterTargets':
    case 'elbv2:DeregisterTargets':
      return [{ action: `elasticloadbalancing:${operation}`, resource: String(input.TargetGroupArn), context: {} }];
    case 'elb:RegisterInstancesWithLoadBalancer':
    case 'elb:DeregisterInstancesFromLoadBalancer':
      return [{ action: `elasticloadbalancing:${operation}`, resource: `arn:aws:elasticloadbalancing:${region}:${accountId}:loadbalancer/${input.LoadBalancerName}`, context: {} }];
    // Scheduler authorizes the schedule and iam:PassRole of the target's role to itself
    // (https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role).
    case 'scheduler:CreateSchedule':
      return [
        { action: key, resource: `arn:aws:scheduler:${region}:${accountId}:schedule/${input.GroupName ?? 'default'}/${input.Name}`, context: {} },
        { action: 'iam:PassRole', resource: String(input.Target?.RoleArn), context: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      ];
    case 'ec2:CreateImage': {
      const imageTags = specTags(input.TagSpecifications, 'image');
      const snapshotTags = specTags(input.TagSpecifications, 'snapshot');
      const newImage = arn('image', 'ami-0new0000000000000', false);
      const newSnapshot = arn('snapshot', 'snap-0new0000000000000', false);
      return [
        on('ec2:CreateImage', instance(input.InstanceId)),
        { action: 'ec2:CreateImage', resource: newImage, context: requestTags(imageTags) },
        { action: 'ec2:CreateImage', resource: newSnapshot, context: requestTags(snapshotTags) },
        ...tagOnCreate('CreateImage', newImage, imageTags),
        ...tagOnCreate('CreateImage', newSnapshot, snapshotTags),
      ];
    }
    case 'ec2:RunInstances':
      return [...runInstances(input, state, { arn, image, on, tagOnCreate }), ...kmsFor((ec2.images.get(input.ImageId)?.data.BlockDeviceMappings ?? []).map((m) => m.Ebs?.KmsKeyId))];
    case 'ec2:AssociateAddress': {
      const address = [...ec2.addresses.values()].find((a) => a.data.AllocationId === input.AllocationId || (input.PublicIp && a.data.PublicIp === input.PublicIp))?.data;
      const out: IamRequest[] = [
        { action: 'ec2:AssociateAddress', resource: arn('elastic-ip', address?.AllocationId ?? input.AllocationId), context: resourceTags(tagRecord(address?.Tags), 'ec2') },
      ];
      if (input.InstanceId) out.push(on('ec2:AssociateAddress', instance(input.InstanceId)));
      if (input.NetworkInterfaceId) out.push(on('ec2:AssociateAddress', eni(input.NetworkInterfaceId)));
      return out;
    }
    case 'ssm:SendCommand': {
      const document = String(input.DocumentName);
      const documentArn = document.startsWith('arn:') ? document : document.startsWith('AWS-') ? `arn:aws:ssm:${region}::document/${document}` : `arn:aws:ssm:${region}:${accountId}:document/${document}`;
      return [
        { action: 'ssm:SendCommand', resource: documentArn, context: {} },
        ...(input.InstanceIds as string[]).map((id) => ({
          action: 'ssm:SendCommand',
          resource: arn('instance', id),
          context: resourceTags(tagRecord(ec2.instances.get(id)?.data.Tags), 'ssm'),
        })),
      ];
    }
    case 'route53:GetHostedZone':
    case 'route53:ListResourceRecordSets':
      return [{ action: key, resource: `arn:aws:route53:::hostedzone/${bareZone(input.Id ?? input.HostedZoneId)}`, context: {} }];
    case 'route53:GetChange':
      return [{ action: key, resource: `arn:aws:route53:::change/${String(input.Id).replace(/^\/change\//, '')}`, context: {} }];
    case 'route53:ChangeResourceRecordSets': {
      const changes = (input.ChangeBatch?.Changes ?? []) as Array<{ Action: string; ResourceRecordSet: { Name: string; Type: string } }>;
      return [
        {
          action: key,
          resource: `arn:aws:route53:::hostedzone/${bareZone(input.HostedZoneId)}`,
          // https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/specifying-rrset-conditions.html: lower case, no final dot.
          context: {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': changes.map((c) => c.ResourceRecordSet.Name.toLowerCase().replace(/\.$/, '')),
            'route53:ChangeResourceRecordSetsRecordTypes': changes.map((c) => c.ResourceRecordSet.Type),
            'route53:ChangeResourceRecordSetsActions': changes.map((c) => c.Action),
          },
        },
      ];
    }
    case 'sns:Publish': {
      // SNS under a customer managed key: the publisher needs kms:GenerateDataKey* and kms:Decrypt on it
      // (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
      const key = state.alertKeyArn ?? `arn:aws:kms:${region}:${accountId}:key/alert-key`;
      return [
        { action: 'sns:Publish', resource: String(input.TopicArn), context: {} },
        { action: 'kms:GenerateDataKey', resource: key, context: {} },
        { action: 'kms:Decrypt', resource: key, context: {} },
      ];
    }
  }
  throw new UnmappedOperationError(key);
}

const bareZone = (id: unknown) => String(id).replace(/^\/hostedzone\//, '');

/**
 * RunInstances is authorized against every resource it touches: the new instance (with its
 * request tags), the image, subnet, security groups, the new network interface and volumes, the
 * key pair, the launch template, and iam:PassRole for the instance profile's role.
 */
function runInstances(
  input: Input,
  state: IamState,
  h: {
    arn: (type: string, id: string, owned?: boolean) => string;
    image: (id: string) => { resource: string; context: Record<string, string> };
    on: (action: string, r: { resource: string; context: Record<string, string | string[]> }) => IamRequest;
    tagOnCreate: (createAction: string, resource: string, tags: Tag[]) => IamRequest[];
  },
): IamRequest[] {
  const action = 'ec2:RunInstances';
  const instanceTags = specTags(input.TagSpecifications, 'instance');
  const volumeTags = specTags(input.TagSpecifications, 'volume');
  const eniTags = specTags(input.TagSpecifications, 'network-interface');
  const newInstance = h.arn('instance', 'i-0new00000000000000');
  const newVolume = h.arn('volume', 'vol-0new0000000000000');
  const newEni = h.arn('network-interface', 'eni-0new0000000000000');
  const imageId = input.ImageId as string | undefined;
  const subnets = [input.SubnetId, ...(input.NetworkInterfaces ?? []).map((n: Input) => n.SubnetId)].filter(Boolean) as string[];
  const groups = [...(input.SecurityGroupIds ?? []), ...(input.NetworkInterfaces ?? []).flatMap((n: Input) => n.Groups ?? [])] as string[];
  const out: IamRequest[] = [
    { action, resource: newInstance, context: requestTags(instanceTags) },
    { action, resource: newVolume, context: requestTags(volumeTags) },
    { action, resource: newEni, context: requestTags(eniTags) },
    ...(imageId ? [h.on(action, h.image(imageId))] : []),
    ...(subnets.length ? subnets : ['subnet-0sandbox000000001']).map((s) => ({ action, resource: h.arn('subnet', s), context: {} })),
    ...groups.map((g) => ({ action, resource: h.arn('security-group', g), context: {} })),
    ...(input.KeyName ? [{ action, resource: h.arn('key-pair', input.KeyName), context: {} }] : []),
    ...(input.LaunchTemplate?.LaunchTemplateId ? [{ action, resource: h.arn('launch-template', input.LaunchTemplate.LaunchTemplateId), context: {} }] : []),
    ...h.tagOnCreate('RunInstances', newInstance, instanceTags),
    ...h.tagOnCreate('RunInstances', newVolume, volumeTags),
    ...h.tagOnCreate('RunInstances', newEni, eniTags),
  ];
  const profile = input.IamInstanceProfile as { Arn?: string; Name?: string } | undefined;
  if (profile) {
    // The sandbox has no IAM: an instance profile is taken to hold the role of the same name and path.
    const name = profile.Name ?? String(profile.Arn).replace(/^arn:[^:]+:iam::\d*:instance-profile\//, '');
    out.push({ action: 'iam:PassRole', resource: `arn:aws:iam::${state.accountId}:role/${name}`, context: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
  }
  return out;
}

/**
 * CopySnapshot, sent to the destination Region: authorized on the source snapshot in its own
 * Region (with its tags) and on the new snapshot here (with the request's tags), `ec2:CreateTags`
 * for tagging at creation, and for a customer managed key the key's grant and data-key actions
 * through EC2 here (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html,
 * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html). A source under
 * a customer managed key is decrypted through EC2 in the source Region.
 */
function copySnapshotRequests(input: Input, state: IamState): IamRequest[] {
  const { accountId, region } = state;
  const sourceRegion = String(input.SourceRegion);
  const source = state.regionState?.(sourceRegion);
  const sourceData = source?.ec2.snapshots.get(input.SourceSnapshotId)?.data;
  const tags = specTags(input.TagSpecifications, 'snapshot');
  const created = `arn:aws:ec2:${region}::snapshot/snap-0new0000000000000`;
  const kms = (key: string, via: string): IamRequest[] =>
    ['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'].map((action) => ({
      action,
      resource: key,
      context: { 'kms:ViaService': `ec2.${via}.amazonaws.com`, 'kms:CallerAccount': accountId, ...(action === 'kms:CreateGrant' ? { 'kms:GrantIsForAWSResource': 'true' } : {}) },
    }));
  const destKey = input.KmsKeyId ? (state.regionState?.(region)?.kms.resolve(String(input.KmsKeyId)) ?? `arn:aws:kms:${region}:${accountId}:${String(input.KmsKeyId).replace(/^arn:[^:]+:kms:[^:]+:\d+:/, '')}`) : undefined;
  const sourceKey = sourceData?.KmsKeyId && sourceData.KmsKeyId !== source?.kms.defaultEbsKeyArn ? sourceData.KmsKeyId : undefined;
  return [
    {
      action: 'ec2:CopySnapshot',
      resource: `arn:aws:ec2:${sourceRegion}::snapshot/${input.SourceSnapshotId}`,
      context: { ...resourceTags(tagRecord(sourceData?.Tags), 'ec2'), ...requestTags(tags) },
      ...(sourceData ? {} : { missing: true as const }),
    },
    { action: 'ec2:CopySnapshot', resource: created, context: requestTags(tags) },
    ...(tags.length ? [{ action: 'ec2:CreateTags', resource: created, context: { ...requestTags(tags), 'ec2:CreateAction': 'CopySnapshot' } }] : []),
    ...(destKey ? kms(destKey, region) : []),
    ...(sourceKey ? kms(sourceKey, sourceRegion).filter((r) => r.action === 'kms:Decrypt' || r.action === 'kms:DescribeKey' || r.action === 'kms:ReEncryptFrom') : []),
  ];
}

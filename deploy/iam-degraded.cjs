// The replace-degraded role's statements (deploy/iam.cjs builds every role).

const sub = (s) => ({ 'Fn::Sub': s });
const MOVE_DISKS = ['ec2:AttachVolume', 'ec2:DetachVolume', 'ec2:AttachNetworkInterface', 'ec2:DetachNetworkInterface'];

/** Allow `actions` on `resource` when the tag `key` is set (`ec2:ResourceTag/...`, or `aws:RequestTag/...` at creation). */
const tagged = (Sid, actions, resource, key = 'ec2:ResourceTag/caretaker:replaces') => ({ Sid, Effect: 'Allow', Action: actions, Resource: resource, Condition: { Null: { [key]: 'false' } } });

/**
 * replace-degraded: stop/start, relaunch (RunInstances, CreateImage, PassRole of the configured roles to EC2),
 * Elastic IP moves, and UPSERTs of only the configured records in only their zones. Terminate is
 * limited to instances the job itself marked (replaced, or a failed replacement it launched).
 */
function degradedStatements(config) {
  const ec2 = (type) => sub(`arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:${type}/*`);
  const imagesAndSnapshots = [sub('arn:${AWS::Partition}:ec2:${AWS::Region}::image/*'), sub('arn:${AWS::Partition}:ec2:${AWS::Region}::snapshot/*')];
  const instance = ec2('instance');
  /** Allow `actions` on instances whose caretaker:remediation state is `states` (StringEquals, or StringLike for patterns). */
  const remediating = (actions, states, op = 'StringEquals', extra = {}) => ({
    Effect: 'Allow',
    Action: actions,
    Resource: instance,
    Condition: { [op]: { 'ec2:ResourceTag/caretaker:remediation': states, ...extra } },
  });
  const ownerAllows = ownerOptIn((config.degraded || {}).defaultAction || 'auto');
  const statements = [
    {
      Sid: 'DescribeFleet',
      Effect: 'Allow',
      Action: [
        'ec2:DescribeInstances',
        'ec2:DescribeInstanceStatus',
        'ec2:DescribeAddresses',
        'ec2:DescribeImages',
        'ec2:DescribeInstanceAttribute',
        'ec2:DescribeLaunchTemplateVersions',
        'ec2:DescribeVolumes',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeInstanceTypes',
        'ec2:DescribeInstanceCreditSpecifications',
        'ec2:DescribeHosts',
        // regions: all (the Regions enabled for the account, read each run).
        'ec2:DescribeRegions',
      ],
      Resource: '*',
    },
    // The job writes caretaker:remediation=<action>:in-progress before it stops, starts or images an
    // instance, so these calls are limited to instances it is remediating right now. It may write
    // only its own bookkeeping keys: never caretaker:on-degraded, the owner's opt-in below.
    {
      Sid: 'TagRemediationState',
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: ec2('instance'),
      Condition: { 'ForAllValues:StringLike': { 'aws:TagKeys': ['caretaker:remediation', 'caretaker:remediation-*', 'caretaker:replaced-by'] } },
    },
    // Claims of runs long gone (caretaker:remediation-claim-<run>, shared/degraded/claim.ts) are removed, and
    // nothing else: the keys must be named (a DeleteTags naming none would remove every tag).
    {
      Sid: 'RemoveStaleClaims',
      Effect: 'Allow',
      Action: ['ec2:DeleteTags'],
      Resource: instance,
      Condition: { 'ForAllValues:StringLike': { 'aws:TagKeys': ['caretaker:remediation-claim-*'] }, Null: { 'aws:TagKeys': 'false' } },
    },
    // A replacement is tagged at launch with the old instance's tags (RunInstances' TagSpecifications).
    {
      Sid: 'TagReplacementsOnlyAtLaunch',
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: [ec2('instance'), ec2('volume'), ec2('network-interface')],
      Condition: { StringEquals: { 'ec2:CreateAction': ['RunInstances'] } },
    },
    // Stop-start: EBS-root instances only (an instance-store root cannot be stopped, so nothing legitimate needs more).
    ...ownerAllows('stop-start', 'StopStartRemediatedInstances', remediating(['ec2:StopInstances', 'ec2:StartInstances'], ['stop-start:in-progress'], 'StringEquals', { 'ec2:RootDeviceType': 'ebs' })),
    // Relaunch: the old instance is stopped (quiesced) first, and again once its replacement holds its identity (afterRelaunch: stop).
    ...ownerAllows('relaunch', 'StopStartRelaunchedInstances', remediating(['ec2:StopInstances', 'ec2:StartInstances'], ['relaunch:in-progress', 'relaunch:done'])),
    ...ownerAllows('relaunch', 'TerminateReplacedInstances', remediating(['ec2:TerminateInstances'], ['relaunch:*'], 'StringLike')),
    tagged('TerminateFailedReplacements', ['ec2:TerminateInstances'], instance),
    ...ownerAllows('relaunch', 'ImageOnlyOfInstancesBeingRelaunched', remediating(['ec2:CreateImage'], 'relaunch:in-progress')),
    tagged('ImagesTaggedAsReplacements', ['ec2:CreateImage'], imagesAndSnapshots, 'aws:RequestTag/caretaker:replaces'),
    {
      Sid: 'TagImagesOnlyAtCreation',
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: imagesAndSnapshots,
      Condition: { StringEquals: { 'ec2:CreateAction': ['CreateImage'] } },
    },
    tagged('LaunchOnlyTaggedReplacements', ['ec2:RunInstances'], instance, 'aws:RequestTag/caretaker:replaces'),
    {
      Sid: 'LaunchReplacementResources',
      Effect: 'Allow',
      Action: ['ec2:RunInstances'],
      Resource: [
        ec2('volume'),
        ec2('network-interface'),
        ec2('subnet'),
        ec2('security-group'),
        ec2('key-pair'),
        ec2('launch-template'),
        ec2('placement-group'),
        ec2('dedicated-host'),
        ec2('capacity-reservation'),
        sub('arn:${AWS::Partition}:ec2:${AWS::Region}::image/*'),
        sub('arn:${AWS::Partition}:ec2:${AWS::Region}::snapshot/*'),
      ],
    },
    // Elastic IPs (which carry no condition key naming where they sit) move only onto what the job
    // launched, or back onto the opted-in instance being relaunched when a failure rolls it back.
    { Sid: 'MoveElasticIps', Effect: 'Allow', Action: ['ec2:AssociateAddress'], Resource: ec2('elastic-ip') },
    tagged('MoveElasticIpsOntoReplacements', ['ec2:AssociateAddress'], instance),
    ...ownerAllows('relaunch', 'MoveElasticIpsBackOntoRelaunchedInstances', remediating(['ec2:AssociateAddress'], 'relaunch:in-progress')),
    // By NetworkInterfaceId + PrivateIpAddress (every Elastic IP to the private IP it sat on): only onto
    // the replacement's primary interface, tagged caretaker:replaces by RunInstances' TagSpecifications
    // (the role can write that key at launch only). AssociateAddress evaluates the interface's tags
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html#amazonec2-AssociateAddress).
    tagged('MoveElasticIpsOntoReplacementInterfaces', ['ec2:AssociateAddress'], ec2('network-interface')),
    // Disks and interfaces move only between an instance being relaunched and its tagged replacement.
    ...ownerAllows('relaunch', 'MoveDisksAndInterfacesOfRelaunchedInstances', remediating(MOVE_DISKS, 'relaunch:in-progress')),
    tagged('MoveDisksAndInterfacesOfReplacements', MOVE_DISKS, instance),
    { Sid: 'MovedDisksAndInterfaces', Effect: 'Allow', Action: MOVE_DISKS, Resource: [ec2('volume'), ec2('network-interface')] },
    // Secondary private IPs and IPv6 addresses leave the old primary interface and come back to it on an undo
    // (no condition key ties an interface to its instance, and the old one carries only its owner's tags).
    {
      Sid: 'MoveInterfaceAddresses',
      Effect: 'Allow',
      Action: ['ec2:AssignPrivateIpAddresses', 'ec2:AssignIpv6Addresses', 'ec2:UnassignIpv6Addresses'],
      Resource: ec2('network-interface'),
    },
    // Source/dest check is set only on the replacement's own primary interface (tagged at launch).
    tagged('SetSourceDestCheckOnReplacementInterfaces', ['ec2:ModifyNetworkInterfaceAttribute'], ec2('network-interface')),
    // Protections (termination / stop) are restored on the replacement once the identity moved.
    tagged('RestoreProtectionsOnReplacements', ['ec2:ModifyInstanceAttribute'], instance),
    // Images a relaunch made (tagged caretaker:replaces at creation) are retired after degraded.imageRetentionDays.
    tagged('RetireRelaunchImages', ['ec2:DeregisterImage', 'ec2:DeleteSnapshot'], imagesAndSnapshots),
    // ELB has no call listing an instance's groups: every group is read (no resource-level permissions on describes).
    {
      Sid: 'FindLoadBalancerMemberships',
      Effect: 'Allow',
      Action: [
        'elasticloadbalancing:DescribeTargetGroups',
        'elasticloadbalancing:DescribeTargetHealth',
        'elasticloadbalancing:DescribeLoadBalancers',
        'elasticloadbalancing:DescribeInstanceHealth',
      ],
      Resource: '*',
    },
    {
      Sid: 'MoveLoadBalancerMemberships',
      Effect: 'Allow',
      Action: [
        'elasticloadbalancing:RegisterTargets',
        'elasticloadbalancing:DeregisterTargets',
        'elasticloadbalancing:RegisterInstancesWithLoadBalancer',
        'elasticloadbalancing:DeregisterInstancesFromLoadBalancer',
      ],
      Resource: [
        sub('arn:${AWS::Partition}:elasticloadbalancing:${AWS::Region}:${AWS::AccountId}:targetgroup/*/*'),
        sub('arn:${AWS::Partition}:elasticloadbalancing:${AWS::Region}:${AWS::AccountId}:loadbalancer/*'),
      ],
    },
    kmsStatement(config),
  ];
  statements.push(...healthApiStatements(config));
  const instanceRoles = (config.degraded || {}).instanceRoles || [];
  if (instanceRoles.length > 0) {
    statements.push({
      Sid: 'PassConfiguredInstanceRolesToEc2',
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: instanceRoles.map((r) => sub(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${r}`)),
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    });
  }
  const records = (config.degraded || {}).records || [];
  if (records.length > 0) {
    const zones = [...new Set(records.map((r) => String(r.hostedZoneId).replace(/^\/hostedzone\//, '')))];
    const names = [...new Set(records.map((r) => String(r.name).toLowerCase().replace(/\.$/, '')))];
    statements.push({
      Sid: 'UpsertConfiguredRecords',
      Effect: 'Allow',
      Action: ['route53:ChangeResourceRecordSets'],
      Resource: zones.map((z) => sub(`arn:\${AWS::Partition}:route53:::hostedzone/${z}`)),
      Condition: {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': names,
          'route53:ChangeResourceRecordSetsRecordTypes': ['A'],
          'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
        },
      },
    });
  }
  return statements;
}

/**
 * The scan reads other Regions' Health events from the AWS Health API (shared/degraded/health-api.ts)
 * when the job covers a Region besides the deployment's: DescribeEvents (no resource-level
 * permissions) and DescribeAffectedEntities of EC2 events only. A config that covers only the
 * deployment's Region never calls it and gets neither.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awshealthapisandnotifications.html
 */
function healthApiStatements(config) {
  const degraded = config.degraded || {};
  const regions = degraded.regions || config.regions;
  if (regions === undefined) return [];
  return [
    { Sid: 'ReadHealthEventsOfOtherRegions', Effect: 'Allow', Action: ['health:DescribeEvents'], Resource: '*' },
    { Sid: 'ReadEntitiesOfEc2HealthEvents', Effect: 'Allow', Action: ['health:DescribeAffectedEntities'], Resource: sub('arn:${AWS::Partition}:health:*::event/EC2/*/*') },
  ];
}

/**
 * Who decides that an instance may be stopped, imaged or terminated. The role can write
 * caretaker:remediation on any instance, so that tag alone proves nothing; what proves intent is
 * the owner's tag caretaker:on-degraded (which the role cannot write) or, for an untagged instance,
 * the config's defaultAction. `auto` (the default) stop-starts untagged EBS-only instances and
 * never relaunches without the tag, so under `auto` (and `stop-start`) a stop-start needs either no
 * owner tag or `stop-start`; a relaunch always needs `relaunch`, unless defaultAction is `relaunch`.
 * An owner's `notify` (or any other value) is therefore enforced by IAM too.
 * Returns the statement once per way the action may be authorized.
 */
function ownerOptIn(defaultAction) {
  const byDefault = { auto: ['stop-start'], 'stop-start': ['stop-start'], relaunch: ['relaunch'], notify: [] }[defaultAction] || [];
  return (action, sid, statement) => {
    const withCondition = (suffix, extra) => {
      const condition = { ...statement.Condition };
      for (const [op, keys] of Object.entries(extra)) condition[op] = { ...condition[op], ...keys };
      return { Sid: `${sid}${suffix}`, ...statement, Condition: condition };
    };
    const tagged = withCondition('OwnerOptedIn', { StringEquals: { 'ec2:ResourceTag/caretaker:on-degraded': action } });
    if (!byDefault.includes(action)) return [tagged];
    return [withCondition('ByDefault', { Null: { 'ec2:ResourceTag/caretaker:on-degraded': 'true' } }), tagged];
  };
}

/**
 * Starting or launching an instance whose volumes use a customer managed key needs the caller to
 * use that key through EC2 (grants): on the keys listed in degraded.kmsKeyArns, else on any key of
 * the account, and always only via EC2 in this Region (kms:ViaService).
 * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html
 */
function kmsStatement(config) {
  const keys = (config.degraded || {}).kmsKeyArns || [];
  return {
    Sid: 'UseVolumeKeysThroughEc2',
    Effect: 'Allow',
    Action: ['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
    Resource: keys.length > 0 ? keys : sub('arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*'),
    Condition: { StringEquals: { 'kms:ViaService': sub('ec2.${AWS::Region}.amazonaws.com') } },
  };
}

module.exports = { degradedStatements };

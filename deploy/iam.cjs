// Least-privilege IAM: one role per function, each statement derived from caretaker.config.yml
// (SSM documents, hosted zones, record names) so the role grants what the config uses and no more.
// Tests assert the packaged template's statements exactly (test/deploy/template.test.ts).
const { readConfig, schedulerRole } = require('./schedules.cjs');
const { degradedStatements } = require('./iam-degraded.cjs');
const { copyStatements, copyPruneStatements, schedulesCopySweeps } = require('./iam-copy.cjs');
const { scopeToRegions } = require('./iam-regions.cjs');
const { deployment, roleName } = require('./names.cjs');
const { withDeployedDocuments } = require('./ssm-documents.cjs');

const sub = (s) => ({ 'Fn::Sub': s });
const ALERT_TOPIC = { Ref: 'AlertTopic' };

/** Logs for one function, the alert topic and its key, and the on-failure destination queue. */
function baseline(functionName) {
  return [
    {
      Sid: 'OwnLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: sub(`arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${functionName}:*`),
    },
    { Sid: 'PublishAlerts', Effect: 'Allow', Action: ['sns:Publish'], Resource: ALERT_TOPIC },
    { Sid: 'EncryptAlerts', Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: { 'Fn::GetAtt': ['AlertKey', 'Arn'] } },
    { Sid: 'ReportFailedInvocations', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': ['FailedInvocationsQueue', 'Arn'] } },
  ];
}

/**
 * DescribeRegions: a run reads the Regions enabled for the account when the config names Regions
 * (`regions: all`, or any Region it must check is enabled before acting there); a config that
 * names none runs in the deployment's Region only and never calls it (shared/engine/regions.ts).
 * Describe* calls support no resource-level permissions.
 */
function regionListing(config) {
  const policies = (config.snapshot || {}).policies || [];
  const names =
    config.regions !== undefined ||
    policies.some((p) => p.regions || (p.copyTo || []).length > 0) ||
    (config.prune || {}).regions ||
    (config.degraded || {}).regions ||
    ((config.failover || {}).groups || []).some((g) => g.region);
  return names ? [{ Sid: 'ListEnabledRegions', Effect: 'Allow', Action: ['ec2:DescribeRegions'], Resource: '*' }] : [];
}

/** snapshot-volumes: describe, CreateSnapshots tagged at creation only, SSM only for configured documents. */
function snapshotStatements(config, functionName = 'snapshot-volumes', continuationRoleName = `${functionName}-continue`) {
  const statements = [
    {
      Sid: 'DescribeFleet',
      Effect: 'Allow',
      // Describe* calls support no resource-level permissions.
      Action: ['ec2:DescribeInstances', 'ec2:DescribeVolumes', 'ec2:DescribeSnapshots'],
      Resource: '*',
    },
    {
      Sid: 'SnapshotFromInstancesAndVolumes',
      Effect: 'Allow',
      Action: ['ec2:CreateSnapshots'],
      Resource: [
        sub('arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/*'),
        sub('arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:volume/*'),
      ],
    },
    {
      Sid: 'CreateOnlyManagedSnapshots',
      Effect: 'Allow',
      Action: ['ec2:CreateSnapshots'],
      Resource: sub('arn:${AWS::Partition}:ec2:${AWS::Region}::snapshot/*'),
      Condition: { StringEquals: { 'aws:RequestTag/caretaker:managed': 'true' } },
    },
    {
      Sid: 'TagSnapshotsOnlyAtCreation',
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: sub('arn:${AWS::Partition}:ec2:${AWS::Region}::snapshot/*'),
      Condition: { StringEquals: { 'ec2:CreateAction': ['CreateSnapshots'] } },
    },
  ];
  const applicationPolicies = ((config.snapshot || {}).policies || []).filter((p) => p.consistency === 'application' && p.application);
  applicationPolicies.forEach((p, i) => {
    // SendCommand is authorized on the document and on each instance
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html): one
    // statement per policy, so a document runs only on the instances that policy selects.
    const document = sub(`arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:document/${p.application.document}`);
    const instance = (id) => sub(`arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:instance/${id}`);
    const selector = p.selector || {};
    statements.push({ Sid: `RunConsistencyDocument${i}Document`, Effect: 'Allow', Action: ['ssm:SendCommand'], Resource: document });
    const ids = selector.instanceIds || [];
    if (ids.length > 0) statements.push({ Sid: `RunConsistencyDocument${i}OnListedInstances`, Effect: 'Allow', Action: ['ssm:SendCommand'], Resource: ids.map(instance) });
    Object.entries(selector.tags || {}).forEach(([key, values], j) => {
      statements.push({
        Sid: `RunConsistencyDocument${i}OnTaggedInstances${j}`,
        Effect: 'Allow',
        Action: ['ssm:SendCommand'],
        Resource: instance('*'),
        Condition: values.length === 0 ? { Null: { [`ssm:resourceTag/${key}`]: 'false' } } : { StringLike: { [`ssm:resourceTag/${key}`]: commaListPatterns(values) } },
      });
    });
  });
  if (applicationPolicies.length > 0) {
    // GetCommandInvocation supports no resource-level permissions.
    statements.push({ Sid: 'ReadCommandResults', Effect: 'Allow', Action: ['ssm:GetCommandInvocation'], Resource: '*' });
  }
  // Cross-Region copies (copyTo): their own block, deploy/iam-copy.cjs.
  statements.push(...copyStatements(config, functionName, continuationRoleName));
  return [...statements, ...regionListing(config)];
}

/** IAM patterns for "the tag's comma list contains one of values" (`daily,weekly`, `weekly, daily`). */
function commaListPatterns(values) {
  return values.flatMap((v) => [v, `${v},*`, `*,${v}`, `*,${v},*`, `*, ${v}`, `*, ${v},*`]);
}

/**
 * prune-snapshots: read snapshots, AMIs and volumes; delete only snapshots tagged
 * caretaker:managed=true, unless the config opts into unmanaged ones (prune.includeUnmanaged).
 */
function pruneStatements(config, functionName = 'prune-snapshots', continuationRoleName = `${functionName}-continue`) {
  const snapshots = sub('arn:${AWS::Partition}:ec2:${AWS::Region}::snapshot/*');
  const prune = config.prune || {};
  const volume = (id) => sub(`arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:volume/${id}`);
  const statements = [
    {
      Sid: 'DescribeSnapshotsImagesVolumes',
      Effect: 'Allow',
      // Describe* calls support no resource-level permissions.
      Action: ['ec2:DescribeSnapshots', 'ec2:DescribeImages', 'ec2:DescribeVolumes'],
      Resource: '*',
    },
    {
      Sid: 'DeleteOnlyManagedSnapshots',
      Effect: 'Allow',
      Action: ['ec2:DeleteSnapshot'],
      Resource: snapshots,
      Condition: { StringEquals: { 'aws:ResourceTag/caretaker:managed': 'true' } },
    },
    // Whatever else allows it: a snapshot tagged caretaker:keep is never deleted.
    { Sid: 'NeverDeleteKeptSnapshots', Effect: 'Deny', Action: ['ec2:DeleteSnapshot'], Resource: snapshots, Condition: { Null: { 'aws:ResourceTag/caretaker:keep': 'false' } } },
    // Backlog continuation: one-time schedules named after this function, and nothing else;
    // the role passed to Scheduler may only invoke this function (continuationRole below).
    {
      Sid: 'ScheduleOwnContinuation',
      Effect: 'Allow',
      Action: ['scheduler:CreateSchedule'],
      Resource: sub(`arn:\${AWS::Partition}:scheduler:\${AWS::Region}:\${AWS::AccountId}:schedule/default/${functionName}-*`),
    },
    {
      Sid: 'PassContinuationRoleToScheduler',
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: sub(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${continuationRoleName}`),
      Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    },
  ];
  const unmanaged = prune.includeUnmanaged;
  if (unmanaged) {
    // Unmanaged snapshots only of the volumes the config names: ec2:ParentVolume is the source volume's ARN
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html#amazonec2-ec2_ParentVolume).
    const ids = unmanaged.volumeIds || [];
    if (ids.length > 0) {
      statements.push({
        Sid: 'DeleteUnmanagedSnapshotsOfListedVolumes',
        Effect: 'Allow',
        Action: ['ec2:DeleteSnapshot'],
        Resource: snapshots,
        Condition: { ArnEquals: { 'ec2:ParentVolume': ids.map(volume) } },
      });
    }
    const listed = (prune.volumes || []).map((v) => v.volumeId);
    Object.entries(unmanaged.tags || {}).forEach(([key, values], i) => {
      if (listed.length === 0) return;
      statements.push({
        Sid: `DeleteUnmanagedTaggedSnapshots${i}`,
        Effect: 'Allow',
        Action: ['ec2:DeleteSnapshot'],
        Resource: snapshots,
        Condition: {
          ArnEquals: { 'ec2:ParentVolume': listed.map(volume) },
          ...(values.length === 0 ? { Null: { [`aws:ResourceTag/${key}`]: 'false' } } : { StringEquals: { [`aws:ResourceTag/${key}`]: values } }),
        },
      });
    });
  }
  // Copies are pruned in their own Region (copyTo[].retain): their own block, deploy/iam-copy.cjs.
  statements.push(...copyPruneStatements(config));
  statements.push(...archiveTierStatements(config, snapshots));
  return [...statements, ...regionListing(config)];
}

// ----- archive tier (issue 15 deliverable 4) -----
// Prune reads the tiering status, and moves only caretaker's own snapshots to the archive tier, only
// when a retention has `archive`. It never restores (RestoreSnapshotTier is not prune's business).
/**
 * prune-snapshots and the archive tier: DescribeSnapshotTierStatus always (prune must know when an
 * archived snapshot went into the archive, whatever archived it, to respect the 90-day minimum; a
 * Describe has no resource-level permissions), ModifySnapshotTier on managed snapshots only when a
 * `retain.archive` (of a policy or a prune.volumes rule) asks for moves.
 * https://docs.aws.amazon.com/ebs/latest/userguide/snapshot-archiving-iam.html
 */
function archiveTierStatements(config, snapshots) {
  const retains = [...((config.snapshot || {}).policies || []).map((p) => p.retain), ...((config.prune || {}).volumes || [])];
  const statements = [{ Sid: 'ReadSnapshotTierStatus', Effect: 'Allow', Action: ['ec2:DescribeSnapshotTierStatus'], Resource: '*' }];
  if (retains.some((r) => r && r.archive)) {
    statements.push({
      Sid: 'ArchiveOnlyManagedSnapshots',
      Effect: 'Allow',
      Action: ['ec2:ModifySnapshotTier'],
      Resource: snapshots,
      Condition: { StringEquals: { 'aws:ResourceTag/caretaker:managed': 'true' } },
    });
  }
  return statements;
}

/**
 * dns-failover: read and change only the configured zones, and there only the service and self
 * names (CREATE/UPSERT, never DELETE); move only the configured Elastic IPs.
 */
function failoverStatements(config) {
  const groups = (config.failover || {}).groups || [];
  const dns = groups.filter((g) => (g.mode || 'dns') === 'dns' && g.hostedZoneId);
  const eips = groups.filter((g) => g.mode === 'elastic-ip' && g.allocationId);
  const bare = (name) => String(name).toLowerCase().replace(/\.$/, '');
  const zones = [...new Set(dns.map((g) => g.hostedZoneId.replace(/^\/hostedzone\//, '')))].map((id) => sub(`arn:\${AWS::Partition}:route53:::hostedzone/${id}`));
  const names = [...new Set(dns.flatMap((g) => [g.recordName, ...(g.members || []).map((m) => m.selfName)]).filter(Boolean).map(bare))];
  const types = [...new Set(dns.flatMap((g) => [g.type || 'A', ...(g.members || []).filter((m) => m.selfName).map((m) => (m.hostname ? 'CNAME' : 'A'))]))].sort();
  const statements = [];
  if (groups.some((g) => g.mode === 'elastic-ip' || (g.members || []).some((m) => m.instanceId))) {
    // Describe* calls support no resource-level permissions.
    statements.push({ Sid: 'DescribeMembers', Effect: 'Allow', Action: ['ec2:DescribeInstances', 'ec2:DescribeAddresses'], Resource: '*' });
  }
  if (zones.length > 0) {
    statements.push(
      { Sid: 'ReadFailoverZones', Effect: 'Allow', Action: ['route53:GetHostedZone', 'route53:ListResourceRecordSets'], Resource: zones },
      {
        Sid: 'ChangeOnlyFailoverRecords',
        Effect: 'Allow',
        Action: ['route53:ChangeResourceRecordSets'],
        Resource: zones,
        Condition: {
          'ForAllValues:StringEquals': {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': names,
            'route53:ChangeResourceRecordSetsRecordTypes': types,
            'route53:ChangeResourceRecordSetsActions': ['CREATE', 'UPSERT'],
          },
        },
      },
      { Sid: 'WaitForChanges', Effect: 'Allow', Action: ['route53:GetChange'], Resource: sub('arn:${AWS::Partition}:route53:::change/*') },
    );
  }
  if (eips.length > 0) {
    statements.push({
      Sid: 'MoveFailoverAddresses',
      Effect: 'Allow',
      Action: ['ec2:AssociateAddress'],
      Resource: [
        ...eips.map((g) => sub(`arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:elastic-ip/${g.allocationId}`)),
        // Only onto the groups' own member instances.
        ...[...new Set(eips.flatMap((g) => (g.members || []).map((m) => m.instanceId).filter(Boolean)))].map((id) =>
          sub(`arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:instance/${id}`),
        ),
      ],
    });
  }
  const vpc = (config.failover || {}).vpc;
  if (vpc) {
    // Lambda in a VPC manages its own network interfaces in the configured subnets and groups.
    const ec2 = (type, id) => sub(`arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:${type}/${id}`);
    statements.push(
      {
        Sid: 'VpcNetworkInterfaces',
        Effect: 'Allow',
        Action: ['ec2:CreateNetworkInterface'],
        Resource: [ec2('network-interface', '*'), ...vpc.subnetIds.map((id) => ec2('subnet', id)), ...vpc.securityGroupIds.map((id) => ec2('security-group', id))],
      },
      {
        Sid: 'VpcNetworkInterfaceLifecycle',
        Effect: 'Allow',
        Action: ['ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
        Resource: ec2('network-interface', '*'),
      },
      // What AWSLambdaVPCAccessExecutionRole grants for this; Describe* calls support no resource-level permissions.
      // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html
      { Sid: 'VpcDescribeNetwork', Effect: 'Allow', Action: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'], Resource: '*' },
    );
  }
  return [...statements, ...regionListing(config)];
}

/**
 * The role EventBridge Scheduler assumes to run a continuation (prune's backlog, the snapshot
 * function's copy sweep): it may invoke that one function and nothing else, and only Scheduler
 * acting for this account may assume it.
 */
function continuationRole(functionName, name, job) {
  const Job = job[0].toUpperCase() + job.slice(1);
  return schedulerRole({
    RoleName: name,
    policyName: `invoke-${job}-only`,
    statement: {
      Sid: `Invoke${Job}Function`,
      Effect: 'Allow',
      Action: ['lambda:InvokeFunction'],
      Resource: sub(`arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${functionName}`),
    },
  });
}

const FUNCTIONS = {
  'snapshot-volumes': { logicalId: 'SnapshotVolumesRole', statements: snapshotStatements },
  'prune-snapshots': { logicalId: 'PruneSnapshotsRole', statements: pruneStatements },
  'dns-failover': { logicalId: 'DnsFailoverRole', statements: failoverStatements },
  'replace-degraded': { logicalId: 'ReplaceDegradedRole', statements: degradedStatements },
};

/**
 * One function's role statements: its own log group, alerts and queue, then its job's statements
 * limited to the Regions the config makes it act in (deploy/iam-regions.cjs).
 */
function functionStatements(fn, config, functionName, continuationRoleName) {
  return [...baseline(functionName), ...scopeToRegions(FUNCTIONS[fn].statements(config, functionName, continuationRoleName), config, fn)];
}

/**
 * `resources` fragment: a role per function, named `<Function>Role` in serverless.yml. Role names
 * are global to the account: they carry stage and Region (deploy/names.cjs), so another stage or
 * another Region of the same stage deploys beside this one.
 */
function roles({ resolveVariable }) {
  return deployment(resolveVariable).then((d) => {
    // The caretaker SSM documents under the stage's own names, as the function sends them.
    const config = withDeployedDocuments(readConfig(), d);
    const Resources = {};
    for (const [fn, { logicalId }] of Object.entries(FUNCTIONS)) {
      const functionName = `${d.service}-${d.stage}-${fn}`;
      const continuation = roleName(d, fn, 'continue');
      Resources[logicalId] = {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: roleName(d, fn),
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
          },
          Policies: [
            {
              PolicyName: 'least-privilege',
              PolicyDocument: { Version: '2012-10-17', Statement: functionStatements(fn, config, functionName, continuation) },
            },
          ],
        },
      };
      if (fn === 'prune-snapshots') Resources.PruneContinuationRole = continuationRole(functionName, continuation, 'prune');
      if (fn === 'snapshot-volumes' && schedulesCopySweeps(config)) Resources.SnapshotContinuationRole = continuationRole(functionName, continuation, 'snapshot');
    }
    return { Resources };
  });
}

/**
 * The snapshot function's environment: the role its copy sweeps are scheduled with, when the
 * config copies (serverless.yml; without copies the role does not exist).
 */
/** The snapshot function's environment: the stage's SSM document names and, with copyTo, its copy-sweep role. */
async function snapshotEnvironment(args) {
  const { documentNamesEnv } = require('./ssm-documents.cjs');
  return {
    CARETAKER_SSM_DOCUMENTS: await documentNamesEnv(args),
    ...(schedulesCopySweeps(readConfig()) ? { COPY_CONTINUATION_ROLE_ARN: { 'Fn::GetAtt': ['SnapshotContinuationRole', 'Arn'] } } : {}),
  };
}

module.exports = { roles, snapshotEnvironment, baseline, functionStatements, snapshotStatements, pruneStatements, failoverStatements, degradedStatements };

// IAM for cross-Region snapshot copies (`snapshot.policies[].copyTo`), in one block per role so
// the Region conditions of the deployment (deploy/iam.cjs) stay separate from what copies need.
// Sources: CopySnapshot is authorized on the source snapshot (in its Region) and on the new
// snapshot (in the destination), tagging at creation needs ec2:CreateTags with ec2:CreateAction
// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html,
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html); a copy
// encrypted with a customer managed key needs that key's grant and data-key actions through EC2
// in the destination Region (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html).

const sub = (s) => ({ 'Fn::Sub': s });
/** Copy sweep schedules are named `<function name cut to 41>-copy-…` (shared/copy/continuation.ts, COPY_SWEEP_PREFIX_MAX). */
const COPY_SWEEP_PREFIX_MAX = 41;
const snapshotsIn = (region) => sub(`arn:\${AWS::Partition}:ec2:${region}::snapshot/*`);

/** The policies that copy, and each destination Region with the keys its copies use. */
function copyTargets(config) {
  const policies = ((config.snapshot || {}).policies || []).filter((p) => (p.copyTo || []).length > 0);
  const regions = new Map();
  for (const p of policies) {
    for (const t of p.copyTo) {
      const entry = regions.get(t.region) || { policies: [], keys: new Set() };
      entry.policies.push(p.name);
      if (t.kmsKeyId) entry.keys.add(t.kmsKeyId);
      regions.set(t.region, entry);
    }
  }
  return { policies: policies.map((p) => p.name), regions };
}

/** A configured key as IAM sees it: a key ARN as is; a key id, alias or alias ARN → the Region's keys (the alias is resolved by KMS). */
function keyResource(region, kmsKeyId) {
  if (/^arn:aws[\w-]*:kms:[^:]+:\d{12}:key\//.test(kmsKeyId)) return kmsKeyId;
  return sub(`arn:\${AWS::Partition}:kms:${region}:\${AWS::AccountId}:key/*`);
}

/**
 * snapshot-volumes: copy the policies' own snapshots, create and tag managed copies, remove a raced
 * duplicate copy, and schedule the next copy sweep while copies wait for a slot
 * (shared/copy/continuation.ts): one-time schedules named `<function>-copy-*` only, passing only
 * the role that may invoke this function (continuationRole in iam.cjs).
 */
function copyStatements(config, functionName = 'snapshot-volumes', continuationRoleName = `${functionName}-continue`) {
  const { policies, regions } = copyTargets(config);
  if (policies.length === 0) return [];
  const destinations = [...regions.keys()];
  const statements = [
    {
      Sid: 'CopyFromManagedSnapshots',
      Effect: 'Allow',
      Action: ['ec2:CopySnapshot'],
      // The source side: caretaker's snapshots of a copying policy, in whichever Region the policy snapshots.
      Resource: sub('arn:${AWS::Partition}:ec2:*::snapshot/*'),
      Condition: { StringEquals: { 'aws:ResourceTag/caretaker:managed': 'true', 'aws:ResourceTag/caretaker:policy': policies } },
    },
    {
      Sid: 'CreateOnlyManagedCopies',
      Effect: 'Allow',
      Action: ['ec2:CopySnapshot'],
      Resource: destinations.map(snapshotsIn),
      Condition: { StringEquals: { 'aws:RequestTag/caretaker:managed': 'true', 'aws:RequestTag/caretaker:policy': policies } },
    },
    {
      Sid: 'TagCopiesOnlyAtCreation',
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: destinations.map(snapshotsIn),
      Condition: { StringEquals: { 'ec2:CreateAction': ['CopySnapshot'] } },
    },
    {
      Sid: 'RemoveDuplicateCopies',
      Effect: 'Allow',
      Action: ['ec2:DeleteSnapshot'],
      Resource: destinations.map(snapshotsIn),
      Condition: { StringEquals: { 'aws:ResourceTag/caretaker:managed': 'true', 'aws:ResourceTag/caretaker:policy': policies }, Null: { 'aws:ResourceTag/caretaker:copy-of': 'false' } },
    },
  ];
  if (schedulesCopySweeps(config)) {
    statements.push(
      {
        Sid: 'ScheduleOwnCopySweeps',
        Effect: 'Allow',
        Action: ['scheduler:CreateSchedule'],
        Resource: sub(`arn:\${AWS::Partition}:scheduler:\${AWS::Region}:\${AWS::AccountId}:schedule/default/${functionName.slice(0, COPY_SWEEP_PREFIX_MAX)}-copy-*`),
      },
      {
        Sid: 'PassCopySweepRoleToScheduler',
        Effect: 'Allow',
        Action: ['iam:PassRole'],
        Resource: sub(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${continuationRoleName}`),
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      },
    );
  }
  for (const [region, { keys }] of regions) {
    if (keys.size === 0) continue;
    statements.push({
      Sid: `EncryptCopiesIn${region.replace(/-/g, '')}`,
      Effect: 'Allow',
      Action: ['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
      Resource: [...new Set([...keys].map((k) => JSON.stringify(keyResource(region, k))))].map((k) => JSON.parse(k)),
      Condition: { StringEquals: { 'kms:ViaService': `ec2.${region}.amazonaws.com` } },
    });
  }
  return statements;
}

/** prune-snapshots: delete copies in their Region (by the copy rule), never one tagged caretaker:keep. */
function copyPruneStatements(config) {
  const { policies, regions } = copyTargets(config);
  if (policies.length === 0) return [];
  const resources = [...regions.keys()].map(snapshotsIn);
  return [
    {
      Sid: 'DeleteManagedCopies',
      Effect: 'Allow',
      Action: ['ec2:DeleteSnapshot'],
      Resource: resources,
      Condition: { StringEquals: { 'aws:ResourceTag/caretaker:managed': 'true' }, Null: { 'aws:ResourceTag/caretaker:copy-of': 'false' } },
    },
    { Sid: 'NeverDeleteKeptCopies', Effect: 'Deny', Action: ['ec2:DeleteSnapshot'], Resource: resources, Condition: { Null: { 'aws:ResourceTag/caretaker:keep': 'false' } } },
  ];
}

/** Whether the snapshot function schedules copy sweeps (it then gets a Scheduler role and its ARN). */
function schedulesCopySweeps(config) {
  return copyTargets(config).policies.length > 0 && (config.snapshot || {}).maxCopyContinuationRuns !== 0;
}

module.exports = { copyStatements, copyPruneStatements, schedulesCopySweeps };

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { healthEventPattern } from '../../shared/degraded/event-codes';
import { readZip } from './zip';
import { ensurePackaged } from '../bundle/build';
import { specVersion, validateAgainstSpec } from './cfn-spec';
import catalog from '../../shared/metrics/catalog.json';

/**
 * Packages the service offline (no credentials) exactly as a deploy would, then checks the
 * CloudFormation template and the zips. Widening a permission or leaking sandbox code fails here.
 */
const root = join(import.meta.dirname, '..', '..');
const out = join(root, '.serverless');
let template: { Resources: Record<string, { Type: string; Properties: Record<string, any>; Condition?: string }> };

type Statement = { Sid?: string; Effect: string; Action: string[] | string; Resource: unknown; Condition?: unknown };

function statementsOf(roleId: string): Statement[] {
  const role = template.Resources[roleId];
  expect(role, `role ${roleId}`).toBeDefined();
  return role!.Properties.Policies.flatMap((p: { PolicyDocument: { Statement: Statement[] } }) => p.PolicyDocument.Statement);
}

const sub = (s: string) => ({ 'Fn::Sub': s });
/** The shipped config leaves `regions` out: every fleet statement is limited to the deployment's Region (deploy/iam-regions.cjs). */
const HOME_ONLY = { 'aws:RequestedRegion': [sub('${AWS::Region}')] };

beforeAll(async () => {
  // One build for every test file that reads the package (test/bundle/build.ts).
  await ensurePackaged();
  template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
}, 600_000);

describe('packaged CloudFormation template', () => {
  it('has every function on nodejs22.x arm64 with its own role', () => {
    const fns = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(fns.map((f) => f.Properties.FunctionName).sort()).toEqual(['ec2-caretaker-test-dns-failover', 'ec2-caretaker-test-prune-snapshots', 'ec2-caretaker-test-replace-degraded', 'ec2-caretaker-test-snapshot-volumes']);
    for (const f of fns) {
      expect(f.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
      expect(f.Properties.Role['Fn::GetAtt'][0]).toMatch(/Role$/);
    }
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
  });

  it('schedules every UTC snapshot policy of the config as a rule, passing the policy and the scheduled time', () => {
    const rules = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Events::Rule' && r.Properties.Targets[0].InputTransformer);
    expect(rules.map((r) => [r.Properties.ScheduleExpression, r.Properties.Targets[0].InputTransformer])).toEqual([
      ['cron(0 3 * * ? *)', { InputPathsMap: { time: '$.time' }, InputTemplate: '{"policy":"daily","time":<time>}' }],
    ]);
  });

  it("routes EBS's failed-snapshot events (single and multi-volume) to snapshot-volumes, and no completed ones", () => {
    const rules = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Events::Rule' && JSON.stringify(r.Properties.Targets).includes('SnapshotDashvolumesLambdaFunction'));
    expect(rules.map((r) => r.Properties.EventPattern).filter(Boolean)).toEqual([
      {
        source: ['aws.ec2'],
        'detail-type': ['EBS Snapshot Notification', 'EBS Multi-Volume Snapshots Completion Status'],
        detail: { event: ['createSnapshot', 'createSnapshots'], result: ['failed'] },
      },
    ]);
  });

  it('triggers replace-degraded from the scan schedule and from AWS Health events with the one list of codes', () => {
    const rules = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Events::Rule' && JSON.stringify(r.Properties.Targets).includes('ReplaceDashdegradedLambdaFunction'));
    expect(rules.map((r) => r.Properties.ScheduleExpression ?? r.Properties.EventPattern)).toEqual([
      'rate(15 minutes)',
      healthEventPattern(),
    ]);
  });

  it('replace-degraded may stop, start, image and terminate only instances it marked, and launch only tagged replacements', () => {
    const byId = Object.fromEntries(statementsOf('ReplaceDegradedRole').map((s) => [s.Sid, s]));
    // The shipped config's default action is auto (issue 13): an untagged EBS-root instance may be
    // stop-started; anything that relaunches (image, terminate, detach, move addresses back) needs the
    // owner's caretaker:on-degraded=relaunch, a tag the role cannot write.
    const untagged = { Null: { 'ec2:ResourceTag/caretaker:on-degraded': 'true' } };
    const relaunchOptIn = { 'ec2:ResourceTag/caretaker:on-degraded': 'relaunch' };
    expect(byId.StopStartRemediatedInstancesByDefault!.Condition).toEqual({
      StringEquals: { 'ec2:ResourceTag/caretaker:remediation': ['stop-start:in-progress'], 'ec2:RootDeviceType': 'ebs', ...HOME_ONLY },
      ...untagged,
    });
    expect(byId.StopStartRemediatedInstancesOwnerOptedIn!.Condition).toEqual({
      StringEquals: { 'ec2:ResourceTag/caretaker:remediation': ['stop-start:in-progress'], 'ec2:RootDeviceType': 'ebs', 'ec2:ResourceTag/caretaker:on-degraded': 'stop-start', ...HOME_ONLY },
    });
    expect(byId.StopStartRelaunchedInstancesByDefault).toBeUndefined();
    expect(byId.StopStartRelaunchedInstancesOwnerOptedIn!.Condition).toEqual({
      StringEquals: { 'ec2:ResourceTag/caretaker:remediation': ['relaunch:in-progress', 'relaunch:done'], ...relaunchOptIn, ...HOME_ONLY },
    });
    expect(byId.TerminateReplacedInstancesOwnerOptedIn!.Condition).toEqual({ StringLike: { 'ec2:ResourceTag/caretaker:remediation': ['relaunch:*'] }, StringEquals: { ...relaunchOptIn, ...HOME_ONLY } });
    expect(byId.TerminateReplacedInstancesByDefault).toBeUndefined();
    expect(byId.TagRemediationState!.Condition).toEqual({ 'ForAllValues:StringLike': { 'aws:TagKeys': ['caretaker:remediation', 'caretaker:remediation-*', 'caretaker:replaced-by'] }, StringEquals: HOME_ONLY });
    expect(byId.TerminateFailedReplacements!.Condition).toEqual({ Null: { 'ec2:ResourceTag/caretaker:replaces': 'false' }, StringEquals: HOME_ONLY });
    // The shipped config names no instance roles, so the role may pass none.
    expect(byId.PassConfiguredInstanceRolesToEc2).toBeUndefined();
    expect(byId.TagImagesOnlyAtCreation!.Condition).toEqual({ StringEquals: { 'ec2:CreateAction': ['CreateImage'], ...HOME_ONLY } });
    expect(byId.ImageOnlyOfInstancesBeingRelaunchedOwnerOptedIn!.Condition).toEqual({ StringEquals: { 'ec2:ResourceTag/caretaker:remediation': 'relaunch:in-progress', ...relaunchOptIn, ...HOME_ONLY } });
    expect(byId.ImageOnlyOfInstancesBeingRelaunchedByDefault).toBeUndefined();
    // Elastic IPs by interface only onto the replacement's own (tagged caretaker:replaces at launch).
    expect(byId.MoveElasticIpsOntoReplacementInterfaces!.Condition).toEqual({ Null: { 'ec2:ResourceTag/caretaker:replaces': 'false' }, StringEquals: HOME_ONLY });
    // New instances only if tagged as the replacement of one.
    expect(byId.LaunchOnlyTaggedReplacements!.Condition).toEqual({ Null: { 'aws:RequestTag/caretaker:replaces': 'false' }, StringEquals: HOME_ONLY });
    expect(JSON.stringify(byId.LaunchReplacementResources!.Resource)).not.toContain(':instance/');
    // The shipped config moves no DNS records, so the role may change none.
    expect(byId.UpsertConfiguredRecords).toBeUndefined();
  });

  it('has no copy-sweep role nor its environment variable for the shipped config (no copyTo; the fixture has both, test/deploy/names.test.ts)', () => {
    expect(template.Resources.SnapshotContinuationRole).toBeUndefined();
    const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.FunctionName === 'ec2-caretaker-test-snapshot-volumes')!;
    expect(fn.Properties.Environment.Variables.COPY_CONTINUATION_ROLE_ARN).toBeUndefined();
    expect(JSON.stringify(statementsOf('SnapshotVolumesRole'))).not.toMatch(/CopySnapshot|scheduler:|iam:PassRole/);
  });

  it('deploys no SSM document for the shipped config (its only policy is crash-consistent)', () => {
    expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::SSM::Document')).toEqual([]);
  });

  it('encrypts the alert topic with a key CloudWatch alarms may use', () => {
    expect(template.Resources.AlertTopic!.Properties.KmsMasterKeyId).toEqual({ Ref: 'AlertKey' });
    expect(template.Resources.AlertKey!.Properties.EnableKeyRotation).toBe(true);
  });

  it('sends failed async invocations to an encrypted queue whose alarm alerts, without retrying the run', () => {
    const configs = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::EventInvokeConfig');
    expect(configs.length).toBe(Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function').length);
    for (const c of configs) {
      expect(c.Properties.MaximumRetryAttempts).toBe(0);
      expect(c.Properties.DestinationConfig.OnFailure.Destination).toEqual({ 'Fn::GetAtt': ['FailedInvocationsQueue', 'Arn'] });
    }
    expect(template.Resources.FailedInvocationsQueue!.Properties.SqsManagedSseEnabled).toBe(true);
    expect(template.Resources.FailedInvocationsAlarm!.Properties.AlarmActions).toEqual([{ Ref: 'AlertTopic' }]);
  });

  it('alarms on every new failed invocation (messages sent per period), not on the undrained queue depth', () => {
    // Alarms notify on state changes only: a depth alarm stays in ALARM and e-mails once.
    expect(template.Resources.FailedInvocationsAlarm!.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'NumberOfMessagesSent',
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      EvaluationPeriods: 1,
    });
    expect(template.Resources.FailedInvocationsQueue!.Properties.MessageRetentionPeriod).toBe(1_209_600);
  });

  it('snapshot-volumes may create only managed snapshots and tag only at creation', () => {
    expect(statementsOf('SnapshotVolumesRole')).toEqual([
      {
        Sid: 'OwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: sub('arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/ec2-caretaker-test-snapshot-volumes:*'),
      },
      { Sid: 'PublishAlerts', Effect: 'Allow', Action: ['sns:Publish'], Resource: { Ref: 'AlertTopic' } },
      { Sid: 'EncryptAlerts', Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: { 'Fn::GetAtt': ['AlertKey', 'Arn'] } },
      { Sid: 'ReportFailedInvocations', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': ['FailedInvocationsQueue', 'Arn'] } },
      { Sid: 'DescribeFleet', Effect: 'Allow', Action: ['ec2:DescribeInstances', 'ec2:DescribeVolumes', 'ec2:DescribeSnapshots'], Resource: '*', Condition: { StringEquals: HOME_ONLY } },
      {
        Sid: 'SnapshotFromInstancesAndVolumes',
        Effect: 'Allow',
        Action: ['ec2:CreateSnapshots'],
        Resource: [sub('arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/*'), sub('arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:volume/*')],
        Condition: { StringEquals: HOME_ONLY },
      },
      {
        Sid: 'CreateOnlyManagedSnapshots',
        Effect: 'Allow',
        Action: ['ec2:CreateSnapshots'],
        Resource: sub('arn:${AWS::Partition}:ec2:${AWS::Region}::snapshot/*'),
        Condition: { StringEquals: { 'aws:RequestTag/caretaker:managed': 'true', ...HOME_ONLY } },
      },
      {
        Sid: 'TagSnapshotsOnlyAtCreation',
        Effect: 'Allow',
        Action: ['ec2:CreateTags'],
        Resource: sub('arn:${AWS::Partition}:ec2:${AWS::Region}::snapshot/*'),
        Condition: { StringEquals: { 'ec2:CreateAction': ['CreateSnapshots'], ...HOME_ONLY } },
      },
    ]);
  });

  it('prune-snapshots may delete only managed snapshots (the shipped config selects no unmanaged ones)', () => {
    expect(statementsOf('PruneSnapshotsRole').slice(4, 7)).toEqual([
      { Sid: 'DescribeSnapshotsImagesVolumes', Effect: 'Allow', Action: ['ec2:DescribeSnapshots', 'ec2:DescribeImages', 'ec2:DescribeVolumes'], Resource: '*', Condition: { StringEquals: HOME_ONLY } },
      {
        Sid: 'DeleteOnlyManagedSnapshots',
        Effect: 'Allow',
        Action: ['ec2:DeleteSnapshot'],
        Resource: sub('arn:${AWS::Partition}:ec2:${AWS::Region}::snapshot/*'),
        Condition: { StringEquals: { 'aws:ResourceTag/caretaker:managed': 'true', ...HOME_ONLY } },
      },
      // A Deny is never narrowed to the configured Regions: a kept snapshot is kept in every Region.
      {
        Sid: 'NeverDeleteKeptSnapshots',
        Effect: 'Deny',
        Action: ['ec2:DeleteSnapshot'],
        Resource: sub('arn:${AWS::Partition}:ec2:*::snapshot/*'),
        Condition: { Null: { 'aws:ResourceTag/caretaker:keep': 'false' } },
      },
    ]);
    expect(statementsOf('PruneSnapshotsRole')[0]!.Resource).toEqual(
      sub('arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/ec2-caretaker-test-prune-snapshots:*'),
    );
  });

  it('runs dns-failover for 60 s, never retried; without groups unscheduled and without reserved concurrency', () => {
    const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.FunctionName === 'ec2-caretaker-test-dns-failover')!;
    expect(fn.Properties).toMatchObject({ Timeout: 60, MemorySize: 128 });
    // A new account (concurrency quota 10) cannot reserve any: asking would roll the stack back.
    expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    const invoke = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::EventInvokeConfig' && JSON.stringify(r.Properties).includes('DnsDashfailover'));
    expect(invoke?.Properties).toMatchObject({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
    // The shipped config has no failover groups: no schedule, and a role with the baseline only (logs, alerts, failed-invocation queue).
    expect(JSON.stringify(Object.values(template.Resources).filter((r) => r.Type === 'AWS::Events::Rule'))).not.toContain('Dnsfailover');
    expect(statementsOf('DnsFailoverRole').map((s) => s.Sid)).toEqual(['OwnLogs', 'PublishAlerts', 'EncryptAlerts', 'ReportFailedInvocations']);
  });

  it('grants every role exactly the reviewed statements (test/deploy/roles.golden.json)', async () => {
    // Widening any permission changes this file: the diff is the review. Regenerate with `npx vitest run test/deploy -u`.
    const roles = Object.fromEntries(
      Object.entries(template.Resources)
        .filter(([, r]) => r.Type === 'AWS::IAM::Role')
        .map(([id]) => [id, statementsOf(id)]),
    );
    await expect(`${JSON.stringify(roles, null, 2)}\n`).toMatchFileSnapshot('./roles.golden.json');
  });

  it('has no wildcard action, and Resource "*" only for calls without resource-level permissions', () => {
    const RESOURCE_STAR_OK = /^(ec2:Describe\w+|elasticloadbalancing:Describe\w+|ssm:GetCommandInvocation|route53:GetChange|route53:ListHostedZonesByName)$/;
    const roles = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::IAM::Role');
    expect(roles.length).toBeGreaterThan(0);
    for (const [id] of roles) {
      for (const s of statementsOf(id)) {
        const actions = [s.Action].flat();
        for (const a of actions) expect(a, `${id}/${s.Sid}`).not.toMatch(/\*/);
        if (s.Resource === '*') for (const a of actions) expect(a, `${id}/${s.Sid} uses Resource "*"`).toMatch(RESOURCE_STAR_OK);
      }
    }
  });
});

describe('function bundles', () => {
  const zips = () => readdirSync(out).filter((f) => f.endsWith('.zip'));

  it('are each at most 1 MB and carry the config', () => {
    expect(zips().length).toBeGreaterThan(0);
    for (const zip of zips()) {
      expect(statSync(join(out, zip)).size, zip).toBeLessThanOrEqual(1024 * 1024);
      expect([...readZip(join(out, zip)).keys()]).toContain('caretaker.config.yml');
    }
  });

  it('carry only the SDK clients their function uses', () => {
    const uses: Record<string, { route53: boolean; ssm: boolean }> = {
      'snapshot-volumes': { route53: false, ssm: true },
      'prune-snapshots': { route53: false, ssm: false },
      'dns-failover': { route53: true, ssm: false },
      'replace-degraded': { route53: true, ssm: false },
    };
    for (const zip of zips()) {
      const fn = zip.replace(/\.zip$/, '');
      const code = [...readZip(join(out, zip)).entries()].find(([name]) => name.endsWith('.mjs'))![1].toString('utf8');
      expect(code.includes('route53.amazonaws.com'), `${fn} bundles Route 53`).toBe(uses[fn]!.route53);
      expect(code.includes('AmazonSSM'), `${fn} bundles SSM`).toBe(uses[fn]!.ssm);
    }
  });

  it('contain no sandbox code', () => {
    for (const zip of zips()) {
      for (const [name, data] of readZip(join(out, zip))) {
        const text = data.toString('utf8');
        expect(text.includes('caretakerSandbox'), `${zip}:${name}`).toBe(false);
        expect(text.includes('The sandbox does not serve'), `${zip}:${name}`).toBe(false);
      }
    }
  });
});

describe('packaged template: what operators see (issue 16)', () => {
  const ofType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

  it(`matches the CloudFormation resource specification (${specVersion}, @aws-cdk/cfnspec)`, () => {
    expect(validateAgainstSpec(template)).toEqual([]);
  });

  it('runs the prune job at 04:30 Berlin time as an EventBridge Scheduler schedule, with the scheduled time as the slot', () => {
    const schedules = ofType('AWS::Scheduler::Schedule');
    expect(schedules).toHaveLength(1);
    const prune = schedules[0]![1];
    expect(prune.Properties).toMatchObject({
      ScheduleExpression: 'cron(30 4 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 30 },
      Target: {
        Arn: { 'Fn::GetAtt': ['PruneDashsnapshotsLambdaFunction', 'Arn'] },
        RoleArn: { 'Fn::GetAtt': ['CaretakerSchedulerRole', 'Arn'] },
        Input: '{"time":"<aws.scheduler.scheduled-time>"}',
      },
    });
    // No UTC rule for it as well: one schedule per job.
    expect(JSON.stringify(ofType('AWS::Events::Rule'))).not.toContain('PruneDashsnapshots');
  });

  it('lets Scheduler invoke only the scheduled functions, only for this account', () => {
    const role = template.Resources.CaretakerSchedulerRole!.Properties;
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } },
    ]);
    expect(role.Policies[0].PolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: [{ 'Fn::GetAtt': ['PruneDashsnapshotsLambdaFunction', 'Arn'] }] },
    ]);
  });

  it('has the dashboard, whose metrics are all ones the functions emit, under the stage\'s service dimension', () => {
    const dashboards = ofType('AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const dashboard = dashboards[0]![1];
    // Dashboards are global to the account: the name carries the Region (deploy/names.cjs).
    expect(dashboard.Properties.DashboardName).toBe('ec2-caretaker-test-us-east-1');
    const [text] = dashboard.Properties.DashboardBody['Fn::Sub'] as [string, Record<string, unknown>];
    const body = JSON.parse(text) as { widgets: Array<{ type: string; properties: { title?: string; metrics?: unknown[][] } }> };
    const titles = body.widgets.map((w) => w.properties.title).filter(Boolean);
    expect(titles).toEqual([
      'Alarms (to the alert topic)',
      'Freshness: snapshots started, completed, failed per policy; stale volumes',
      'Backup age: worst volume per policy (hours) and its stale-after line',
      'Failures: failed items and refused runs per job',
      'Deletions vs backlog per policy',
      'Degraded hosts: replacements by action and outcome',
      'Run duration per job (seconds)',
    ]);
    for (const w of body.widgets.filter((x) => x.type === 'metric')) {
      for (const m of w.properties.metrics!) {
        const [ns, name, ...rest] = m as [string, string, ...unknown[]];
        expect(ns).toBe(catalog.namespace);
        const def = catalog.metrics[name as keyof typeof catalog.metrics];
        expect(def, name).toBeDefined();
        const dims = rest.filter((x) => typeof x === 'string').filter((_, i) => i % 2 === 0);
        expect(dims).toEqual(['service', ...catalog.levels[def.level as keyof typeof catalog.levels]]);
        expect(rest[1]).toBe('ec2-caretaker-test');
      }
    }
  });

  it('alarms to the alert topic on stale volumes, failed items and each policy\'s backup age (no failover group configured, so no failover alarm)', () => {
    const alarms = Object.fromEntries(ofType('AWS::CloudWatch::Alarm').map(([id, r]) => [id, r.Properties]));
    expect(Object.keys(alarms).sort()).toEqual(['BackupAgeDailyAlarm', 'FailedInvocationsAlarm', 'FailedItemsAlarm', 'StaleVolumesAlarm']);
    // The shipped daily policy: a day and an hour per period, and a period without a measurement alarms.
    expect(alarms.BackupAgeDailyAlarm).toMatchObject({ AlarmName: 'ec2-caretaker-test-backup-age-daily', TreatMissingData: 'breaching', AlarmActions: [{ Ref: 'AlertTopic' }] });
    expect(alarms.BackupAgeDailyAlarm!.Metrics.slice(1).map((m: any) => [m.MetricStat.Metric.MetricName, m.MetricStat.Period])).toEqual([
      ['WorstBackupAgeHours', 90_000],
      ['StaleAfterHours', 90_000],
    ]);
    for (const id of ['FailedItemsAlarm', 'StaleVolumesAlarm']) {
      expect(alarms[id]).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', AlarmActions: [{ Ref: 'AlertTopic' }], TreatMissingData: 'notBreaching' });
    }
    expect(alarms.FailedItemsAlarm!.Metrics[0]).toEqual({ Id: 'e1', Expression: 'SUM([FILL(m1, 0), FILL(m2, 0), FILL(m3, 0), FILL(m4, 0)])', Label: 'failed-items', ReturnData: true });
    expect(alarms.FailedItemsAlarm!.Metrics.slice(1).map((m: any) => m.MetricStat.Metric.Dimensions)).toEqual(
      ['snapshot', 'prune', 'degraded', 'failover'].map((job) => [
        { Name: 'service', Value: 'ec2-caretaker-test' },
        { Name: 'Job', Value: job },
        { Name: 'Region', Value: { Ref: 'AWS::Region' } },
      ]),
    );
  });

  it('tells the functions their metrics service and dashboard', () => {
    const fn = ofType('AWS::Lambda::Function')[0]![1];
    expect(fn.Properties.Environment.Variables).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'ec2-caretaker-test', CARETAKER_DASHBOARD: 'ec2-caretaker-test-us-east-1' });
  });
});

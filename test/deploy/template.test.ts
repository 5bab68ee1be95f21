import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { healthEventPattern } from '../../shared/degraded/event-codes';
import { readZip } from './zip';

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

beforeAll(() => {
  execFileSync('npx', ['osls', 'package', '--stage', 'test'], {
    cwd: root,
    env: { ...process.env, CI: 'true', SLS_TELEMETRY_DISABLED: '1' },
    stdio: 'pipe',
  });
  template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
}, 180_000);

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

  it('schedules every snapshot policy of the config, passing the policy and the scheduled time, and the prune job', () => {
    const rules = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Events::Rule' && r.Properties.Targets[0].InputTransformer);
    expect(rules.map((r) => [r.Properties.ScheduleExpression, r.Properties.Targets[0].InputTransformer])).toEqual([
      ['cron(0 3 * * ? *)', { InputPathsMap: { time: '$.time' }, InputTemplate: '{"policy":"daily","time":<time>}' }],
      ['rate(1 day)', { InputPathsMap: { time: '$.time' }, InputTemplate: '{"time":<time>}' }],
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
    expect(byId.TerminateOnlyReplacedOrReplacements!.Condition).toEqual({ StringLike: { 'ec2:ResourceTag/caretaker:remediation': ['relaunch:*'] } });
    expect(byId.TerminateFailedReplacements!.Condition).toEqual({ Null: { 'ec2:ResourceTag/caretaker:replaces': 'false' } });
    // The shipped config names no instance roles, so the role may pass none.
    expect(byId.PassConfiguredInstanceRolesToEc2).toBeUndefined();
    expect(byId.TagImagesOnlyAtCreation!.Condition).toEqual({ StringEquals: { 'ec2:CreateAction': ['CreateImage'] } });
    // Stop, start and image only instances the job has marked as being remediated right now.
    expect(byId.StopStartOnlyRemediatedInstances!.Condition).toEqual({
      StringEquals: { 'ec2:ResourceTag/caretaker:remediation': ['stop-start:in-progress', 'relaunch:in-progress'] },
    });
    expect(byId.ImageOnlyOfInstancesBeingRelaunched!.Condition).toEqual({ StringEquals: { 'ec2:ResourceTag/caretaker:remediation': 'relaunch:in-progress' } });
    // New instances only if tagged as the replacement of one.
    expect(byId.LaunchOnlyTaggedReplacements!.Condition).toEqual({ Null: { 'aws:RequestTag/caretaker:replaces': 'false' } });
    expect(JSON.stringify(byId.LaunchReplacementResources!.Resource)).not.toContain(':instance/');
    // The shipped config moves no DNS records, so the role may change none.
    expect(byId.UpsertConfiguredRecords).toBeUndefined();
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
      { Sid: 'DescribeFleet', Effect: 'Allow', Action: ['ec2:DescribeInstances', 'ec2:DescribeVolumes', 'ec2:DescribeSnapshots'], Resource: '*' },
      {
        Sid: 'SnapshotFromInstancesAndVolumes',
        Effect: 'Allow',
        Action: ['ec2:CreateSnapshots'],
        Resource: [sub('arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/*'), sub('arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:volume/*')],
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
    ]);
  });

  it('prune-snapshots may delete only managed snapshots (the shipped config selects no unmanaged ones)', () => {
    expect(statementsOf('PruneSnapshotsRole').slice(4)).toEqual([
      { Sid: 'DescribeSnapshotsImagesVolumes', Effect: 'Allow', Action: ['ec2:DescribeSnapshots', 'ec2:DescribeImages', 'ec2:DescribeVolumes'], Resource: '*' },
      {
        Sid: 'DeleteOnlyManagedSnapshots',
        Effect: 'Allow',
        Action: ['ec2:DeleteSnapshot'],
        Resource: sub('arn:${AWS::Partition}:ec2:${AWS::Region}::snapshot/*'),
        Condition: { StringEquals: { 'aws:ResourceTag/caretaker:managed': 'true' } },
      },
    ]);
    expect(statementsOf('PruneSnapshotsRole')[0]!.Resource).toEqual(
      sub('arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/ec2-caretaker-test-prune-snapshots:*'),
    );
  });

  it('runs dns-failover alone (reserved concurrency 1) for 60 s, never retried, unscheduled without groups', () => {
    const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.FunctionName === 'ec2-caretaker-test-dns-failover')!;
    expect(fn.Properties).toMatchObject({ ReservedConcurrentExecutions: 1, Timeout: 60, MemorySize: 128 });
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

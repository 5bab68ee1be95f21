import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packagedTemplate } from '../bundle/build';
import { loadConfig } from '../../shared/config/load';
import { copyOnlyRegions } from '../../shared/engine/regions';

const { boundedName, roleName, ROLE_NAME_MAX } = createRequire(import.meta.url)('../../deploy/names.cjs') as {
  boundedName(parts: string[], max: number): string;
  roleName(d: { service: string; stage: string; region: string }, fn: string, suffix?: string): string;
  ROLE_NAME_MAX: number;
};

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, any> }> };

/** Every feature that names something, the caretaker SSM documents included. */
const FIXTURE = { CARETAKER_CONFIG_FILE: join(import.meta.dirname, 'fixtures', 'all-features.config.yml') };

/** Names that are global to the account (IAM roles; CloudWatch dashboards are "global, not region-specific"). */
function globalNames(t: Template): string[] {
  return Object.values(t.Resources).flatMap((r) => {
    if (r.Type === 'AWS::IAM::Role') return r.Properties?.RoleName ? [`role ${r.Properties.RoleName}`] : [];
    if (r.Type === 'AWS::CloudWatch::Dashboard') return [`dashboard ${r.Properties!.DashboardName}`];
    return [];
  });
}

/** Every explicit name in the template (Regional ones clash only within one Region). */
function allNames(t: Template): string[] {
  const NAME_KEYS = ['TopicName', 'QueueName', 'AlarmName', 'FunctionName', 'LogGroupName', 'RoleName', 'DashboardName', 'Name'];
  return Object.values(t.Resources).flatMap((r) =>
    NAME_KEYS.filter((k) => typeof r.Properties?.[k] === 'string').map((k) => `${r.Type} ${r.Properties![k]}`),
  );
}

const overlap = (a: string[], b: string[]) => a.filter((n) => b.includes(n));

let home: Template;
let otherRegion: Template;
let otherStage: Template;

beforeAll(async () => {
  home = (await packagedTemplate('test', 'us-east-1', FIXTURE)) as Template;
  otherRegion = (await packagedTemplate('test', 'eu-west-1', FIXTURE)) as Template;
  otherStage = (await packagedTemplate('prod', 'us-east-1', FIXTURE)) as Template;
}, 600_000);

const fn = (t: Template, name: string) => Object.values(t.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties!.FunctionName).endsWith(`-${name}`))!;
const documents = (t: Template) => Object.values(t.Resources).filter((r) => r.Type === 'AWS::SSM::Document').map((r) => r.Properties!.Name as string);

describe('a second Region or a second stage deploys beside the first (issue 15)', () => {
  it('shares no global name with the same stage in another Region', () => {
    expect(globalNames(home).length).toBeGreaterThanOrEqual(7);
    expect(globalNames(otherRegion)).toHaveLength(globalNames(home).length);
    expect(overlap(globalNames(home), globalNames(otherRegion))).toEqual([]);
  });

  it('shares no name at all with another stage in the same Region, the SSM documents included', () => {
    expect(allNames(home).length).toBeGreaterThan(globalNames(home).length);
    expect(documents(home).sort()).toEqual(['ec2-caretaker-test-caretaker-fsfreeze', 'ec2-caretaker-test-caretaker-mysql-lock']);
    expect(documents(otherStage)).toHaveLength(2);
    expect(overlap(allNames(home), allNames(otherStage))).toEqual([]);
  });

  it('tells the snapshot function its stage\'s document names, and lets it send exactly those', () => {
    for (const t of [home, otherStage]) {
      const fn = Object.values(t.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties!.FunctionName).endsWith('-snapshot-volumes'))!;
      const names = JSON.parse(fn.Properties!.Environment.Variables.CARETAKER_SSM_DOCUMENTS) as Record<string, string>;
      expect(Object.values(names).sort()).toEqual(documents(t).sort());
      expect(Object.keys(names).sort()).toEqual(['caretaker-fsfreeze', 'caretaker-mysql-lock']);
      const statements = t.Resources.SnapshotVolumesRole!.Properties!.Policies[0].PolicyDocument.Statement as Array<{ Action: string[]; Resource: unknown }>;
      const sendable = statements
        .filter((s) => s.Action.includes('ssm:SendCommand'))
        .flatMap((s) => [s.Resource].flat())
        .map((r) => (r as { 'Fn::Sub': string })['Fn::Sub'])
        .filter((r) => r.includes(':document/'))
        .map((r) => r.slice(r.indexOf(':document/') + ':document/'.length));
      expect(sendable.sort()).toEqual(documents(t).sort());
    }
  });

  it('keeps every name within its limit', () => {
    const LIMITS: Record<string, [string, number]> = {
      'AWS::IAM::Role': ['RoleName', 64],
      'AWS::CloudWatch::Dashboard': ['DashboardName', 255],
      'AWS::SNS::Topic': ['TopicName', 256],
      'AWS::SQS::Queue': ['QueueName', 80],
      'AWS::CloudWatch::Alarm': ['AlarmName', 255],
      'AWS::Lambda::Function': ['FunctionName', 64],
      'AWS::SSM::Document': ['Name', 128],
    };
    for (const t of [home, otherRegion, otherStage]) {
      for (const [id, r] of Object.entries(t.Resources)) {
        const limit = LIMITS[r.Type];
        const name = limit && r.Properties?.[limit[0]];
        if (typeof name === 'string') expect(name.length, `${id} ${name}`).toBeLessThanOrEqual(limit![1]);
      }
    }
  });

  it('lets prune pass exactly the continuation role this template creates', () => {
    for (const t of [home, otherRegion]) {
      const continuation = t.Resources.PruneContinuationRole!.Properties!.RoleName as string;
      const statements = t.Resources.PruneSnapshotsRole!.Properties!.Policies[0].PolicyDocument.Statement as Array<{ Sid: string; Resource: unknown }>;
      expect(statements.find((s) => s.Sid === 'PassContinuationRoleToScheduler')!.Resource).toEqual({ 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${continuation}` });
    }
  });

  it('creates the copy-sweep role with its own name per stage and Region, and passes exactly that one (the fixture copies)', () => {
    const sweepRoles = [home, otherRegion, otherStage].map((t) => t.Resources.SnapshotContinuationRole!.Properties!.RoleName as string);
    expect(sweepRoles).toEqual(['ec2-caretaker-test-us-east-1-snapshot-volumes-continue', 'ec2-caretaker-test-eu-west-1-snapshot-volumes-continue', 'ec2-caretaker-prod-us-east-1-snapshot-volumes-continue']);
    for (const [i, t] of [home, otherRegion, otherStage].entries()) {
      expect(globalNames(t)).toContain(`role ${sweepRoles[i]}`);
      const statements = t.Resources.SnapshotVolumesRole!.Properties!.Policies[0].PolicyDocument.Statement as Array<{ Sid: string; Resource: unknown; Condition?: unknown }>;
      expect(statements.find((s) => s.Sid === 'PassCopySweepRoleToScheduler')).toMatchObject({
        Resource: { 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${sweepRoles[i]}` },
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      });
      // Its sweeps are one-time schedules named after the stage's own function (shared/copy/continuation.ts).
      const stage = i === 2 ? 'prod' : 'test';
      expect(statements.find((s) => s.Sid === 'ScheduleOwnCopySweeps')!.Resource).toEqual({
        'Fn::Sub': `arn:\${AWS::Partition}:scheduler:\${AWS::Region}:\${AWS::AccountId}:schedule/default/ec2-caretaker-${stage}-snapshot-volumes-copy-*`,
      });
    }
  });

  it('lets Scheduler alone, for this account, assume the copy-sweep role, which may invoke only the snapshot function', () => {
    for (const t of [home, otherRegion, otherStage]) {
      const role = t.Resources.SnapshotContinuationRole!.Properties!;
      const fnName = fn(t, 'snapshot-volumes').Properties!.FunctionName as string;
      // The same confused-deputy guard as the other Scheduler roles (aws:SourceAccount).
      expect(role.AssumeRolePolicyDocument.Statement).toEqual([
        { Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } },
      ]);
      expect(role.AssumeRolePolicyDocument).toEqual(t.Resources.PruneContinuationRole!.Properties!.AssumeRolePolicyDocument);
      expect(role.Policies).toEqual([
        {
          PolicyName: 'invoke-snapshot-only',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Sid: 'InvokeSnapshotFunction', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: { 'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${fnName}` } }],
          },
        },
      ]);
      expect(role.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('tells the snapshot function the copy-sweep role of its own template, and only it', () => {
    for (const t of [home, otherRegion, otherStage]) {
      expect(fn(t, 'snapshot-volumes').Properties!.Environment.Variables.COPY_CONTINUATION_ROLE_ARN).toEqual({ 'Fn::GetAtt': ['SnapshotContinuationRole', 'Arn'] });
      for (const other of ['prune-snapshots', 'dns-failover', 'replace-degraded']) expect(fn(t, other).Properties!.Environment.Variables.COPY_CONTINUATION_ROLE_ARN).toBeUndefined();
    }
  });

  it('packages a fixture that validate-config accepts (copyTo to a Region outside `regions`, its key in that Region)', async () => {
    const config = await loadConfig(FIXTURE.CARETAKER_CONFIG_FILE);
    expect(config.snapshot.policies.find((p) => p.name === 'daily')!.copyTo).toMatchObject([{ region: 'eu-central-1', kmsKeyId: expect.stringMatching(/^arn:aws:kms:eu-central-1:/) }]);
    expect(copyOnlyRegions(config, 'us-east-1')).toEqual(['eu-central-1']);
    expect(copyOnlyRegions(config, 'eu-west-1')).toEqual(['eu-central-1']);
  });

  it('names the dashboard the functions link to', () => {
    const dashboard = Object.values(otherRegion.Resources).find((r) => r.Type === 'AWS::CloudWatch::Dashboard')!.Properties!.DashboardName;
    const fn = Object.values(otherRegion.Resources).find((r) => r.Type === 'AWS::Lambda::Function')!;
    expect(dashboard).toBe('ec2-caretaker-test-eu-west-1');
    expect(fn.Properties!.Environment.Variables.CARETAKER_DASHBOARD).toBe(dashboard);
  });
});

describe('boundedName', () => {
  it('cuts a long role name to 64 characters with a hash of the whole name, so names differing past the cut stay apart', () => {
    const d = (region: string) => ({ service: 'ec2-caretaker', stage: 'feature-branch-with-a-long-name', region });
    const a = roleName(d('ap-southeast-1'), 'replace-degraded', 'continue');
    const b = roleName(d('ap-southeast-2'), 'replace-degraded', 'continue');
    expect(a.length).toBeLessThanOrEqual(ROLE_NAME_MAX);
    expect(b.length).toBeLessThanOrEqual(ROLE_NAME_MAX);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^ec2-caretaker-feature-branch-with-a-long-name-ap-south.*-[0-9a-f]{8}$/);
  });

  it('leaves a name that fits as it is', () => {
    expect(boundedName(['ec2-caretaker', 'prod', 'eu-west-1', 'prune-snapshots'], 64)).toBe('ec2-caretaker-prod-eu-west-1-prune-snapshots');
  });
});

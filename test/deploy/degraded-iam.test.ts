import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const { degradedStatements, functionStatements } = createRequire(import.meta.url)('../../deploy/iam.cjs');
const sids = (config: unknown) => degradedStatements(config).map((s: { Sid: string }) => s.Sid);

describe('replace-degraded IAM statements', () => {
  it('read the AWS Health API (EC2 events only) only when the job covers a Region besides the deployment\'s, without a Region condition (global endpoint)', () => {
    const health = ['ReadHealthEventsOfOtherRegions', 'ReadEntitiesOfEc2HealthEvents'];
    expect(sids({ degraded: {} }).filter((s: string) => health.includes(s))).toEqual([]);
    for (const config of [{ regions: ['us-east-1', 'eu-west-1'] }, { regions: 'all' }, { degraded: { regions: ['eu-west-1'] } }]) {
      const statements = functionStatements('replace-degraded', config, 'ec2-caretaker-test-replace-degraded', 'x').filter((s: { Sid: string }) => health.includes(s.Sid));
      expect(statements).toEqual([
        { Sid: 'ReadHealthEventsOfOtherRegions', Effect: 'Allow', Action: ['health:DescribeEvents'], Resource: '*' },
        { Sid: 'ReadEntitiesOfEc2HealthEvents', Effect: 'Allow', Action: ['health:DescribeAffectedEntities'], Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:health:*::event/EC2/*/*' } },
      ]);
    }
  });

  it('pass exactly the instance roles the config names, and only to EC2', () => {
    expect(sids({ degraded: {} })).not.toContain('PassConfiguredInstanceRolesToEc2');
    const pass = degradedStatements({ degraded: { instanceRoles: ['web-role', 'db-role'] } }).find(
      (s: { Sid: string }) => s.Sid === 'PassConfiguredInstanceRolesToEc2',
    );
    expect(pass).toEqual({
      Sid: 'PassConfiguredInstanceRolesToEc2',
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: [
        { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/web-role' },
        { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/db-role' },
      ],
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    });
  });

  it('UPSERT only the configured A records in their zones', () => {
    const upsert = degradedStatements({
      degraded: { records: [{ hostedZoneId: '/hostedzone/Z123', name: 'App.Example.com.', address: 'public' }] },
    }).find((s: { Sid: string }) => s.Sid === 'UpsertConfiguredRecords');
    expect(upsert.Resource).toEqual([{ 'Fn::Sub': 'arn:${AWS::Partition}:route53:::hostedzone/Z123' }]);
    expect(upsert.Condition).toEqual({
      'ForAllValues:StringEquals': {
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['app.example.com'],
        'route53:ChangeResourceRecordSetsRecordTypes': ['A'],
        'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
      },
    });
  });
});

describe('replace-degraded instance roles with a path', () => {
  it('are accepted by the config and passed by their full ARN (role/service-role/app-role)', async () => {
    const { config } = await import('../helpers');
    expect(config({ degraded: { instanceRoles: ['service-role/app-role'] } }).degraded.instanceRoles).toEqual(['service-role/app-role']);
    expect(() => config({ degraded: { instanceRoles: ['/app-role'] } })).toThrow(/instanceRoles\[0\]: expected an IAM role name/);
    const pass = degradedStatements({ degraded: { instanceRoles: ['service-role/app-role'] } }).find((s: { Sid: string }) => s.Sid === 'PassConfiguredInstanceRolesToEc2');
    expect(pass.Resource).toEqual([{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/service-role/app-role' }]);
  });
});

describe('replace-degraded IAM statements for moving a server', () => {
  const byId = (config: unknown) => Object.fromEntries(degradedStatements(config).map((s: { Sid: string }) => [s.Sid, s]));

  it('let the role write only its own state tags; caretaker:replaces only at launch', () => {
    const s = byId({ degraded: {} });
    expect(s.TagRemediationState.Condition).toEqual({ 'ForAllValues:StringLike': { 'aws:TagKeys': ['caretaker:remediation', 'caretaker:remediation-*', 'caretaker:replaced-by'] } });
    expect(s.TagReplacementsOnlyAtLaunch.Condition).toEqual({ StringEquals: { 'ec2:CreateAction': ['RunInstances'] } });
  });

  it('move disks and interfaces only of instances being relaunched or their tagged replacements', () => {
    const s = byId({ degraded: {} });
    // Detaching an instance's disks needs the owner's relaunch opt-in (or defaultAction relaunch): the role can mark any instance relaunch:in-progress.
    expect(s.MoveDisksAndInterfacesOfRelaunchedInstancesOwnerOptedIn.Condition).toEqual({
      StringEquals: { 'ec2:ResourceTag/caretaker:remediation': 'relaunch:in-progress', 'ec2:ResourceTag/caretaker:on-degraded': 'relaunch' },
    });
    expect(s.MoveDisksAndInterfacesOfRelaunchedInstancesByDefault).toBeUndefined();
    expect(byId({ degraded: { defaultAction: 'relaunch' } }).MoveDisksAndInterfacesOfRelaunchedInstancesByDefault.Condition).toEqual({
      StringEquals: { 'ec2:ResourceTag/caretaker:remediation': 'relaunch:in-progress' },
      Null: { 'ec2:ResourceTag/caretaker:on-degraded': 'true' },
    });
    expect(s.MoveDisksAndInterfacesOfReplacements.Condition).toEqual({ Null: { 'ec2:ResourceTag/caretaker:replaces': 'false' } });
    expect(s.RestoreProtectionsOnReplacements.Condition).toEqual({ Null: { 'ec2:ResourceTag/caretaker:replaces': 'false' } });
    expect(s.RetireRelaunchImages.Condition).toEqual({ Null: { 'ec2:ResourceTag/caretaker:replaces': 'false' } });
  });

  it('let the config default act on untagged instances only for the action it names (auto: stop-start; notify: none)', () => {
    const byDefault = (defaultAction?: string) =>
      sids({ degraded: defaultAction ? { defaultAction } : {} }).filter((sid: string) => sid.endsWith('ByDefault')).sort();
    expect(byDefault()).toEqual(['StopStartRemediatedInstancesByDefault']);
    expect(byDefault('auto')).toEqual(['StopStartRemediatedInstancesByDefault']);
    expect(byDefault('stop-start')).toEqual(['StopStartRemediatedInstancesByDefault']);
    expect(byDefault('notify')).toEqual([]);
    expect(byDefault('relaunch')).toEqual([
      'ImageOnlyOfInstancesBeingRelaunchedByDefault',
      'MoveDisksAndInterfacesOfRelaunchedInstancesByDefault',
      'MoveElasticIpsBackOntoRelaunchedInstancesByDefault',
      'StopStartRelaunchedInstancesByDefault',
      'TerminateReplacedInstancesByDefault',
    ]);
  });

  it('use KMS keys only through EC2: the listed keys, else any key of the account, via ec2.<region>', () => {
    const any = byId({ degraded: {} }).UseVolumeKeysThroughEc2;
    expect(any.Resource).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*' });
    expect(any.Condition).toEqual({ StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'ec2.${AWS::Region}.amazonaws.com' } } });
    const key = 'arn:aws:kms:us-east-1:123456789012:key/0123abcd-0000-0000-0000-000000000000';
    expect(byId({ degraded: { kmsKeyArns: [key] } }).UseVolumeKeysThroughEc2.Resource).toEqual([key]);
  });
});

import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { pruneStatements } = require('../../deploy/iam.cjs') as { pruneStatements: (config: object, functionName?: string) => Array<{ Sid: string; Effect: string; Condition?: unknown }> };
const volume = (id: string) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:volume/${id}` });

describe('prune-snapshots IAM', () => {
  it('reads tiering status always, and archives only managed snapshots and only when a retention has an archive rule', () => {
    const archive = { afterDays: 30, rules: ['monthly'] };
    const sids = (config: object) => pruneStatements(config).map((s) => s.Sid);
    expect(sids({ prune: {} })).not.toContain('ArchiveOnlyManagedSnapshots');
    expect(sids({ snapshot: { policies: [{ name: 'p', retain: { monthly: 12 } }] }, prune: {} })).not.toContain('ArchiveOnlyManagedSnapshots');
    for (const config of [{ snapshot: { policies: [{ name: 'p', retain: { monthly: 12, archive } }] }, prune: {} }, { prune: { volumes: [{ volumeId: 'vol-0123456789abcdef0', monthly: 12, archive }] } }]) {
      expect(pruneStatements(config).find((s) => s.Sid === 'ArchiveOnlyManagedSnapshots')).toEqual({
        Sid: 'ArchiveOnlyManagedSnapshots',
        Effect: 'Allow',
        Action: ['ec2:ModifySnapshotTier'],
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:ec2:${AWS::Region}::snapshot/*' },
        Condition: { StringEquals: { 'aws:ResourceTag/caretaker:managed': 'true' } },
      });
    }
  });

  it('conditions DeleteSnapshot on the managed tag, and never deletes what caretaker:keep holds', () => {
    const statements = pruneStatements({ prune: {} });
    expect(statements.map((s) => s.Sid)).toEqual(['DescribeSnapshotsImagesVolumes', 'DeleteOnlyManagedSnapshots', 'NeverDeleteKeptSnapshots', 'ScheduleOwnContinuation', 'PassContinuationRoleToScheduler', 'ReadSnapshotTierStatus']);
    expect(statements[1]).toMatchObject({ Condition: { StringEquals: { 'aws:ResourceTag/caretaker:managed': 'true' } } });
    expect(statements[2]).toMatchObject({ Effect: 'Deny', Condition: { Null: { 'aws:ResourceTag/caretaker:keep': 'false' } } });
  });

  it('allows unmanaged snapshots only of the volumes includeUnmanaged names (ec2:ParentVolume)', () => {
    const statements = pruneStatements({
      prune: { volumes: [{ volumeId: 'vol-0123456789abcdef0' }, { volumeId: 'vol-0123456789abcdef1' }], includeUnmanaged: { volumeIds: ['vol-0123456789abcdef0'], tags: { team: ['db'], backup: [] } } },
    });
    expect(statements.slice(5, 8)).toEqual([
      expect.objectContaining({ Sid: 'DeleteUnmanagedSnapshotsOfListedVolumes', Condition: { ArnEquals: { 'ec2:ParentVolume': [volume('vol-0123456789abcdef0')] } } }),
      expect.objectContaining({
        Sid: 'DeleteUnmanagedTaggedSnapshots0',
        Condition: { ArnEquals: { 'ec2:ParentVolume': [volume('vol-0123456789abcdef0'), volume('vol-0123456789abcdef1')] }, StringEquals: { 'aws:ResourceTag/team': ['db'] } },
      }),
      expect.objectContaining({
        Sid: 'DeleteUnmanagedTaggedSnapshots1',
        Condition: { ArnEquals: { 'ec2:ParentVolume': [volume('vol-0123456789abcdef0'), volume('vol-0123456789abcdef1')] }, Null: { 'aws:ResourceTag/backup': 'false' } },
      }),
    ]);
  });

  it('may create only its own continuation schedules and pass only its continuation role, only to Scheduler', () => {
    const [, , , schedule, pass] = pruneStatements({ prune: {} }, 'ec2-caretaker-prod-prune-snapshots');
    expect(schedule).toMatchObject({ Sid: 'ScheduleOwnContinuation', Action: ['scheduler:CreateSchedule'], Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/default/ec2-caretaker-prod-prune-snapshots-*' } });
    expect(pass).toMatchObject({
      Sid: 'PassContinuationRoleToScheduler',
      Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/ec2-caretaker-prod-prune-snapshots-continue' },
      Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    });
  });
});

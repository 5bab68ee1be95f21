import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { pruneStatements } = require('../../deploy/iam.cjs') as { pruneStatements: (config: object, functionName?: string) => Array<{ Sid: string; Condition?: unknown }> };

describe('prune-snapshots IAM', () => {
  it('conditions DeleteSnapshot on the managed tag unless the config selects unmanaged snapshots', () => {
    expect(pruneStatements({ prune: {} })[1]).toMatchObject({ Sid: 'DeleteOnlyManagedSnapshots', Condition: { StringEquals: { 'aws:ResourceTag/caretaker:managed': 'true' } } });
    const opened = pruneStatements({ prune: { includeUnmanaged: { volumeIds: ['vol-0123456789abcdef0'] } } })[1]!;
    expect(opened.Sid).toBe('DeleteSnapshotsIncludingUnmanaged');
    expect(opened.Condition).toBeUndefined();
  });

  it('may create only its own continuation schedules and pass only its continuation role, only to Scheduler', () => {
    const [, , schedule, pass] = pruneStatements({ prune: {} }, 'ec2-caretaker-prod-prune-snapshots');
    expect(schedule).toMatchObject({ Sid: 'ScheduleOwnContinuation', Action: ['scheduler:CreateSchedule'], Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/default/ec2-caretaker-prod-prune-snapshots-*' } });
    expect(pass).toMatchObject({
      Sid: 'PassContinuationRoleToScheduler',
      Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/ec2-caretaker-prod-prune-snapshots-continue' },
      Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    });
  });
});

import { describe, expect, it } from 'vitest';
import type { IamRequest } from '../../sandbox/iam-requests';
import { planCopyContinuation } from '../../shared/copy/continuation';
import { decide, DEPLOYMENT, policyFor } from '../iam/simulate';

/**
 * The copy block of the roles (deploy/iam-copy.cjs) under the IAM simulation: what copies need is
 * allowed (the call log of the scenario tests proves the same in test/iam), what they must never do is denied.
 */
const CONFIG = {
  snapshot: {
    policies: [
      { name: 'nightly', schedule: 'rate(1 day)', selector: { instanceIds: [] }, copyTo: [{ region: 'eu-west-1', retain: { daily: 3 }, kmsKeyId: 'alias/backups' }] },
      { name: 'local', schedule: 'rate(1 day)', selector: { instanceIds: [] } },
    ],
  },
};
const TOPIC = `arn:aws:sns:${DEPLOYMENT.region}:${DEPLOYMENT.accountId}:alerts`;
const KEY_POLICY = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${DEPLOYMENT.accountId}:root` }, Action: 'kms:*', Resource: '*' }] };
const snap = (region: string, id = 'snap-0123456789abcdef0') => `arn:aws:ec2:${region}::snapshot/${id}`;
const res = (tags: Record<string, string>) => Object.fromEntries(Object.entries(tags).flatMap(([k, v]) => [[`aws:ResourceTag/${k}`, v], [`ec2:ResourceTag/${k}`, v]]));
const req = (tags: Record<string, string>) => ({ ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])), 'aws:TagKeys': Object.keys(tags) });
const copyTags = { 'caretaker:managed': 'true', 'caretaker:policy': 'nightly', 'caretaker:copy-of': 'us-east-1:snap-0123456789abcdef0' };
const key = `arn:aws:kms:eu-west-1:${DEPLOYMENT.accountId}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const via = (region: string) => ({ 'kms:ViaService': `ec2.${region}.amazonaws.com`, 'kms:CallerAccount': DEPLOYMENT.accountId });

const fnName = `${DEPLOYMENT.service}-${DEPLOYMENT.stage}-snapshot-volumes`;
const schedule = (name: string) => `arn:aws:scheduler:${DEPLOYMENT.region}:${DEPLOYMENT.accountId}:schedule/default/${name}`;
/** The name the code gives a copy sweep (shared/copy/continuation.ts). */
const sweepName = (() => {
  const plan = planCopyContinuation({ remaining: 1, dryRun: false }, 'nightly', { functionArn: 'x', roleArn: 'y', namePrefix: fnName }, 96, Date.parse('2026-11-22T03:31:00Z'));
  return plan && 'name' in plan ? plan.name : '';
})();
const passRole = (role: string) => ({ action: 'iam:PassRole', resource: `arn:aws:iam::${DEPLOYMENT.accountId}:role/${role}`, context: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });

const decision = (fn: string, r: IamRequest) => decide(policyFor(fn, CONFIG, TOPIC), r, r.action.startsWith('kms:') ? KEY_POLICY : undefined);

describe('IAM of cross-Region copies (deploy/iam-copy.cjs)', () => {
  it.each<[string, string, IamRequest]>([
    ['copy a managed snapshot of a copying policy', 'snapshot-volumes', { action: 'ec2:CopySnapshot', resource: snap('us-east-1'), context: { ...res({ 'caretaker:managed': 'true', 'caretaker:policy': 'nightly' }), ...req(copyTags) } }],
    ['create the managed copy in the destination', 'snapshot-volumes', { action: 'ec2:CopySnapshot', resource: snap('eu-west-1', 'snap-0new0000000000000'), context: req(copyTags) }],
    ['tag the copy at creation', 'snapshot-volumes', { action: 'ec2:CreateTags', resource: snap('eu-west-1', 'snap-0new0000000000000'), context: { ...req(copyTags), 'ec2:CreateAction': 'CopySnapshot' } }],
    ['remove a raced duplicate copy', 'snapshot-volumes', { action: 'ec2:DeleteSnapshot', resource: snap('eu-west-1'), context: res(copyTags) }],
    ['encrypt the copy with a key of the destination, through EC2 there', 'snapshot-volumes', { action: 'kms:CreateGrant', resource: key, context: { ...via('eu-west-1'), 'kms:GrantIsForAWSResource': 'true' } }],
    ['schedule the next copy sweep (the name the code makes)', 'snapshot-volumes', { action: 'scheduler:CreateSchedule', resource: schedule(sweepName), context: {} }],
    ['pass the copy sweep role to Scheduler', 'snapshot-volumes', passRole(`${DEPLOYMENT.service}-${DEPLOYMENT.stage}-${DEPLOYMENT.region}-snapshot-volumes-continue`)],
    ['read the snapshots of a copy destination the config does not otherwise cover', 'prune-snapshots', { action: 'ec2:DescribeSnapshots', resource: '*', context: { 'aws:RequestedRegion': 'eu-west-1' } }],
    ['prune a copy in its Region', 'prune-snapshots', { action: 'ec2:DeleteSnapshot', resource: snap('eu-west-1'), context: res(copyTags) }],
  ])('allows: %s', async (_why, fn, request) => {
    expect(await decision(fn, request)).toBe('Allowed');
  });

  it.each<[string, string, IamRequest]>([
    ['copy an unmanaged snapshot', 'snapshot-volumes', { action: 'ec2:CopySnapshot', resource: snap('us-east-1'), context: { ...res({ team: 'db' }), ...req(copyTags) } }],
    ['copy a snapshot of a policy that does not copy', 'snapshot-volumes', { action: 'ec2:CopySnapshot', resource: snap('us-east-1'), context: { ...res({ 'caretaker:managed': 'true', 'caretaker:policy': 'local' }), ...req(copyTags) } }],
    ['create an untagged copy', 'snapshot-volumes', { action: 'ec2:CopySnapshot', resource: snap('eu-west-1', 'snap-0new0000000000000'), context: {} }],
    ['create a copy in a Region the config does not copy to', 'snapshot-volumes', { action: 'ec2:CopySnapshot', resource: snap('ap-south-1', 'snap-0new0000000000000'), context: req(copyTags) }],
    ['tag an existing snapshot in the destination', 'snapshot-volumes', { action: 'ec2:CreateTags', resource: snap('eu-west-1'), context: req({ 'caretaker:managed': 'true' }) }],
    ['delete a managed snapshot that is not a copy', 'snapshot-volumes', { action: 'ec2:DeleteSnapshot', resource: snap('eu-west-1'), context: res({ 'caretaker:managed': 'true', 'caretaker:policy': 'nightly' }) }],
    ['use the key outside EC2', 'snapshot-volumes', { action: 'kms:Decrypt', resource: key, context: { 'kms:CallerAccount': DEPLOYMENT.accountId } }],
    ['use a key of the destination through EC2 of another Region', 'snapshot-volumes', { action: 'kms:Decrypt', resource: key, context: via('us-west-2') }],
    ['create a schedule not named as a copy sweep of this function', 'snapshot-volumes', { action: 'scheduler:CreateSchedule', resource: schedule(`${fnName}-anything`), context: {} }],
    ['create a copy sweep schedule of another function', 'snapshot-volumes', { action: 'scheduler:CreateSchedule', resource: schedule(sweepName.replace('snapshot-volumes', 'prune-snapshots')), context: {} }],
    ['pass the prune continuation role to Scheduler', 'snapshot-volumes', passRole(`${DEPLOYMENT.service}-${DEPLOYMENT.stage}-${DEPLOYMENT.region}-prune-snapshots-continue`)],
    ['read the snapshots of a Region that is neither covered nor a copy destination', 'prune-snapshots', { action: 'ec2:DescribeSnapshots', resource: '*', context: { 'aws:RequestedRegion': 'ap-south-1' } }],
    ['delete a managed non-copy snapshot in the copy destination', 'prune-snapshots', { action: 'ec2:DeleteSnapshot', resource: snap('eu-west-1'), context: { ...res({ 'caretaker:managed': 'true', 'caretaker:policy': 'nightly' }), 'aws:RequestedRegion': 'eu-west-1' } }],
    ['snapshot an instance in the copy destination', 'snapshot-volumes', { action: 'ec2:CreateSnapshots', resource: `arn:aws:ec2:eu-west-1:${DEPLOYMENT.accountId}:instance/i-0123456789abcdef0`, context: { 'aws:RequestedRegion': 'eu-west-1' } }],
    ['prune a copy tagged caretaker:keep', 'prune-snapshots', { action: 'ec2:DeleteSnapshot', resource: snap('eu-west-1'), context: res({ ...copyTags, 'caretaker:keep': 'legal' }) }],
    ['prune an unmanaged snapshot in the destination', 'prune-snapshots', { action: 'ec2:DeleteSnapshot', resource: snap('eu-west-1'), context: res({ 'caretaker:copy-of': 'x' }) }],
  ])('denies: %s', async (_why, fn, request) => {
    expect(await decision(fn, request)).not.toBe('Allowed');
  });
});

describe('IAM of copy sweeps without copies', () => {
  it('gives a snapshot role that copies nowhere, or with maxCopyContinuationRuns 0, no Scheduler or PassRole statement', async () => {
    const local = { snapshot: { policies: [CONFIG.snapshot.policies[1]!] } };
    const off = { snapshot: { ...CONFIG.snapshot, maxCopyContinuationRuns: 0 } };
    for (const config of [local, off]) {
      const actions = policyFor('snapshot-volumes', config, TOPIC).Statement.flatMap((s) => [s.Action].flat() as string[]);
      expect(actions.filter((a) => a.startsWith('scheduler:') || a === 'iam:PassRole')).toEqual([]);
    }
  });
});

import { lifecycleOf } from '../../sandbox/ec2-lifecycle';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { CALL_LOG_ENV, type CallLogEntry } from '../../sandbox/call-recorder';
import { iamRequests, UnmappedOperationError } from '../../sandbox/iam-requests';
import { runSnapshot } from '../../shared/snapshot/run-snapshot';
import { config, sandboxContext, sandboxWithFleet } from '../helpers';

const ARN = 'arn:aws:ec2:us-east-1:123456789012';

describe('sandbox IAM requests (Service Authorization Reference)', () => {
  it('authorizes CreateSnapshots against the instance, each included volume, the new snapshots and tag-on-create', () => {
    const { sandbox, fleet } = sandboxWithFleet();
    const instance = fleet.instance({ tags: { team: 'db' }, volumes: [{ sizeGiB: 8 }, { sizeGiB: 20, tags: { data: 'yes' } }] });
    const [boot, data] = instance.BlockDeviceMappings!.map((m) => m.Ebs!.VolumeId!);
    const requests = iamRequests(
      'ec2',
      'CreateSnapshots',
      { InstanceSpecification: { InstanceId: instance.InstanceId, ExcludeBootVolume: true }, TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'caretaker:managed', Value: 'true' }] }] },
      { accountId: sandbox.accountId, region: sandbox.region, ec2: sandbox.ec2 },
    );
    expect(requests).toEqual([
      { action: 'ec2:CreateSnapshots', resource: `${ARN}:instance/${instance.InstanceId}`, context: { 'aws:ResourceTag/team': 'db', 'ec2:ResourceTag/team': 'db', 'ec2:RootDeviceType': 'ebs', 'aws:RequestedRegion': 'us-east-1' } },
      { action: 'ec2:CreateSnapshots', resource: `${ARN}:volume/${data}`, context: { 'aws:ResourceTag/data': 'yes', 'ec2:ResourceTag/data': 'yes', 'aws:RequestedRegion': 'us-east-1' } },
      { action: 'ec2:CreateSnapshots', resource: 'arn:aws:ec2:us-east-1::snapshot/snap-0new0000000000000', context: { 'aws:RequestTag/caretaker:managed': 'true', 'aws:TagKeys': ['caretaker:managed'], 'aws:RequestedRegion': 'us-east-1' } },
      {
        action: 'ec2:CreateTags',
        resource: 'arn:aws:ec2:us-east-1::snapshot/snap-0new0000000000000',
        context: { 'aws:RequestTag/caretaker:managed': 'true', 'aws:TagKeys': ['caretaker:managed'], 'ec2:CreateAction': 'CreateSnapshots', 'aws:RequestedRegion': 'us-east-1' },
      },
    ]);
    expect(JSON.stringify(requests)).not.toContain(boot);
  });

  it('puts the Region each call was sent to in aws:RequestedRegion; Route 53 (global, endpoint in us-east-1) always us-east-1', () => {
    const { sandbox } = sandboxWithFleet();
    const state = { accountId: sandbox.accountId, region: 'eu-west-1', ec2: sandbox.ec2 };
    expect(iamRequests('ec2', 'DescribeInstances', {}, state)[0]!.context['aws:RequestedRegion']).toBe('eu-west-1');
    expect(iamRequests('route53', 'GetChange', { Id: '/change/C1' }, state)[0]!.context['aws:RequestedRegion']).toBe('us-east-1');
  });

  it('authorizes DeleteSnapshot against the tags the snapshot has and its parent volume', () => {
    const { sandbox, fleet } = sandboxWithFleet();
    const volume = fleet.volume({ sizeGiB: 8 });
    const snapshot = fleet.snapshot(volume, 86_400_000, { 'caretaker:managed': 'true' });
    const [request] = iamRequests('ec2', 'DeleteSnapshot', { SnapshotId: snapshot.SnapshotId }, { accountId: sandbox.accountId, region: sandbox.region, ec2: sandbox.ec2 });
    expect(request).toEqual({
      action: 'ec2:DeleteSnapshot',
      resource: `arn:aws:ec2:us-east-1::snapshot/${snapshot.SnapshotId}`,
      context: { 'aws:ResourceTag/caretaker:managed': 'true', 'ec2:ResourceTag/caretaker:managed': 'true', 'ec2:ParentVolume': `${ARN}:volume/${volume.VolumeId}`, 'aws:RequestedRegion': 'us-east-1' },
    });
    const [gone] = iamRequests('ec2', 'DeleteSnapshot', { SnapshotId: 'snap-0000000000000dead' }, { accountId: sandbox.accountId, region: sandbox.region, ec2: sandbox.ec2 });
    expect(gone!.missing).toBe(true);
  });

  it('refuses an operation it has no mapping for, naming it', () => {
    const { sandbox } = sandboxWithFleet();
    expect(() => iamRequests('ec2', 'ModifyVolume', {}, { accountId: sandbox.accountId, region: sandbox.region, ec2: sandbox.ec2 })).toThrow(UnmappedOperationError);
  });

  it('authorizes StartInstances of an instance with a volume under a customer managed key on that key, via EC2', () => {
    const { sandbox, fleet } = sandboxWithFleet();
    const instance = fleet.instance({ volumes: [{ sizeGiB: 8 }, { sizeGiB: 20 }] });
    const key = 'arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
    sandbox.ec2.volumes.get(instance.BlockDeviceMappings![1]!.Ebs!.VolumeId!)!.data.KmsKeyId = key;
    const requests = iamRequests('ec2', 'StartInstances', { InstanceIds: [instance.InstanceId] }, { accountId: sandbox.accountId, region: sandbox.region, ec2: sandbox.ec2 });
    expect(requests.filter((r) => r.action.startsWith('kms:')).map((r) => [r.action, r.resource, r.context['kms:ViaService']])).toEqual([
      ['kms:CreateGrant', key, 'ec2.us-east-1.amazonaws.com'],
      ['kms:Decrypt', key, 'ec2.us-east-1.amazonaws.com'],
      ['kms:GenerateDataKeyWithoutPlaintext', key, 'ec2.us-east-1.amazonaws.com'],
    ]);
  });

  it('authorizes AssociateAddress by interface against the interface and its tags', () => {
    const { sandbox } = sandboxWithFleet();
    const eni = lifecycleOf(sandbox).network.create({ subnetId: 'subnet-0sandbox000000001', groups: [], tags: [{ Key: 'caretaker:replaces', Value: 'i-0old' }] }).NetworkInterfaceId!;
    const requests = iamRequests('ec2', 'AssociateAddress', { AllocationId: 'eipalloc-1', NetworkInterfaceId: eni, PrivateIpAddress: '10.0.0.1' }, { accountId: sandbox.accountId, region: sandbox.region, ec2: sandbox.ec2 });
    expect(requests[1]).toEqual({ action: 'ec2:AssociateAddress', resource: `${ARN}:network-interface/${eni}`, context: { 'aws:ResourceTag/caretaker:replaces': 'i-0old', 'ec2:ResourceTag/caretaker:replaces': 'i-0old', 'aws:RequestedRegion': 'us-east-1' } });
  });
});

describe('sandbox call recorder', () => {
  const previous = process.env[CALL_LOG_ENV];
  afterEach(() => {
    if (previous === undefined) delete process.env[CALL_LOG_ENV];
    else process.env[CALL_LOG_ENV] = previous;
  });

  it("records the job code's calls under its function, once per shape, and not the test's own calls", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'caretaker-calls-'));
    process.env[CALL_LOG_ENV] = dir;
    const { sandbox, fleet } = sandboxWithFleet();
    for (let i = 0; i < 3; i++) fleet.instance({ tags: { 'caretaker:snapshot': 'daily' } });
    const cfg = config({ snapshot: { policies: [{ name: 'daily', schedule: 'rate(1 day)', selector: { tags: { 'caretaker:snapshot': ['daily'] } } }] } });
    await runSnapshot(sandboxContext(sandbox), cfg, { policy: 'daily' });
    // A call the test makes itself is not the product's.
    await sandbox.clients().ec2.send(new DescribeInstancesCommand({}));
    const entries = readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as CallLogEntry));
    expect(new Set(entries.map((e) => e.fn))).toEqual(new Set(['snapshot-volumes']));
    expect(entries.filter((e) => e.request?.action === 'ec2:CreateSnapshots' && e.request.resource.includes(':instance/'))).toHaveLength(1);
    expect(sandbox.callsOf('CreateSnapshots')).toHaveLength(3);
    expect(entries.filter((e) => e.call === 'ec2:DescribeInstances')).toHaveLength(1);
  });
});

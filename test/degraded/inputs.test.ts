import { DescribeInstancesCommand, DescribeInstanceStatusCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ChangeResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { describeInProgress, describeInstancesById, scanInstanceStatus } from '../../shared/degraded/describe-degraded';
import { pointRecordsAt, recordsFor } from '../../shared/degraded/identity/dns-records';

const ec2 = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const route53 = new Route53Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const ec2Mock = mockClient(ec2);
const r53Mock = mockClient(route53);

describe('degraded describe calls (inputs sent)', () => {
  beforeEach(() => {
    ec2Mock.reset();
    r53Mock.reset();
  });

  it('scans with the scheduled-event codes, then impaired system status, paged with MaxResults, never unfiltered', async () => {
    ec2Mock.on(DescribeInstanceStatusCommand).resolves({
      InstanceStatuses: [
        {
          InstanceId: 'i-0123456789abcdef0',
          Events: [
            { InstanceEventId: 'instance-event-1', Code: 'system-reboot', NotBefore: new Date('2026-02-01T00:00:00Z') },
            { InstanceEventId: 'instance-event-2', Code: 'instance-stop', Description: '[Completed] The instance is running on degraded hardware' },
          ],
        },
      ],
    });
    const notices = await scanInstanceStatus(ec2);
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstanceStatusCommand, {
      Filters: [{ Name: 'event.code', Values: ['instance-retirement', 'instance-stop', 'system-reboot', 'instance-reboot', 'system-maintenance'] }],
      MaxResults: 1000,
    });
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstanceStatusCommand, { Filters: [{ Name: 'system-status.status', Values: ['impaired'] }], MaxResults: 1000 });
    // The completed event is ignored; the same status row, seen by the impaired query too, is a second notice.
    expect(notices.map((n) => [n.code, n.eventKey])).toEqual([
      ['system-reboot', 'instance-event-1'],
      ['system-status-impaired', 'system-status-impaired:i-0123456789abcdef0'],
    ]);
  });

  it('passes InstanceIds without MaxResults when the scan is limited to some instances', async () => {
    ec2Mock.on(DescribeInstanceStatusCommand).resolves({ InstanceStatuses: [] });
    await scanInstanceStatus(ec2, ['i-0123456789abcdef0']);
    const inputs = ec2Mock.commandCalls(DescribeInstanceStatusCommand).map((c) => c.args[0].input);
    for (const input of inputs) {
      expect(input.InstanceIds).toEqual(['i-0123456789abcdef0']);
      expect(input.MaxResults).toBeUndefined();
    }
  });

  it('describes instances by instance-id filter in chunks of 200, and finds in-progress (and left-stopped) ones by tag', async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    const ids = Array.from({ length: 450 }, (_, i) => `i-${i.toString(16).padStart(17, '0')}`);
    await describeInstancesById(ec2, ids);
    const sizes = ec2Mock.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input.Filters![0]!.Values!.length);
    expect(sizes).toEqual([200, 200, 50]);
    await describeInProgress(ec2);
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstancesCommand, { Filters: [{ Name: 'tag:caretaker:remediation', Values: ['*:in-progress', 'stop-start:failed'] }], MaxResults: 1000 });
  });

  it('UPSERTs the records of an instance, one change batch per hosted zone, TTL 60', async () => {
    r53Mock.on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date() } });
    const instance = { InstanceId: 'i-0123456789abcdef0', PublicIpAddress: '54.1.2.3', PrivateIpAddress: '10.0.0.5', Tags: [{ Key: 'role', Value: 'web' }] };
    const records = recordsFor(
      [
        { tags: { role: ['web'] }, hostedZoneId: '/hostedzone/ZPUBLIC1', name: 'web.example.com', type: 'A', ttl: 60, address: 'public' },
        { instanceId: 'i-0123456789abcdef0', hostedZoneId: 'ZPRIVATE1', name: 'web.internal', type: 'A', ttl: 60, address: 'private' },
        { instanceId: 'i-0fffffffffffffff0', hostedZoneId: 'ZPRIVATE1', name: 'other.internal', type: 'A', ttl: 60, address: 'private' },
      ],
      instance,
    );
    await pointRecordsAt(route53, records, instance, 'test');
    expect(r53Mock).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 2);
    expect(r53Mock).toHaveReceivedCommandWith(ChangeResourceRecordSetsCommand, {
      HostedZoneId: 'ZPUBLIC1',
      ChangeBatch: { Comment: 'test', Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'web.example.com', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '54.1.2.3' }] } }] },
    });
    expect(r53Mock).toHaveReceivedCommandWith(ChangeResourceRecordSetsCommand, {
      HostedZoneId: 'ZPRIVATE1',
      ChangeBatch: { Comment: 'test', Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'web.internal', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '10.0.0.5' }] } }] },
    });
  });
});

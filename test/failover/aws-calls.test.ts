import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { ChangeResourceRecordSetsCommand, GetChangeCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createClients } from '../../shared/aws/clients';
import { changeRecord, waitInsync } from '../../shared/failover/apply-failover';
import { failoverGroupSchema } from '../../shared/failover/config';
import { describeMembers } from '../../shared/failover/describe-members';
import { describeRecord } from '../../shared/failover/describe-record';

describe('failover AWS calls (SDK mock)', () => {
  const clients = createClients({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  const r53 = mockClient(clients.route53);
  const ec2 = mockClient(clients.ec2);
  afterEach(() => {
    r53.reset();
    ec2.reset();
  });

  it('reads one record set starting at the name and type, and ignores the next name', async () => {
    r53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [{ Name: 'lbx.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.9' }] }], IsTruncated: false, MaxItems: 1 });
    const record = await describeRecord(clients.route53, 'Z0123456789ABC', 'lb.example.com', 'A');
    expect(record).toBeUndefined();
    expect(r53).toHaveReceivedCommandWith(ListResourceRecordSetsCommand, { HostedZoneId: 'Z0123456789ABC', StartRecordName: 'lb.example.com', StartRecordType: 'A', MaxItems: 1 });
  });

  it('sends one UPSERT with the TTL and a comment, and polls GetChange until INSYNC', async () => {
    r53.on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date() } });
    r53.on(GetChangeCommand).resolvesOnce({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date() } }).resolves({ ChangeInfo: { Id: '/change/C1', Status: 'INSYNC', SubmittedAt: new Date() } });
    const id = await changeRecord(
      clients.route53,
      { zoneId: 'Z0123456789ABC', action: 'UPSERT', name: 'lb.example.com', type: 'A', ttl: 60, value: '192.0.2.20', comment: 'caretaker run-1: lb1 is down' },
      async () => {},
    );
    const synced = await waitInsync(clients.route53, id, { maxWaitSeconds: 2, minDelaySeconds: 0.01, maxDelaySeconds: 0.02 });
    expect(synced).toEqual({ status: 'INSYNC' });
    expect(r53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 1);
    expect(r53).toHaveReceivedCommandWith(ChangeResourceRecordSetsCommand, {
      HostedZoneId: 'Z0123456789ABC',
      ChangeBatch: {
        Comment: 'caretaker run-1: lb1 is down',
        Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'lb.example.com', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.20' }] } }],
      },
    });
    expect(r53).toHaveReceivedCommandTimes(GetChangeCommand, 2);
  });

  it('looks instance members up with an instance-id filter, never unfiltered, and explains a missing one', async () => {
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [{ InstanceId: 'i-0000000000000000a', State: { Name: 'running' }, PublicIpAddress: '203.0.113.7', PrivateIpAddress: '10.0.0.7' }] }],
    });
    const group = failoverGroupSchema.parse({
      name: 'web',
      hostedZoneId: 'Z0123456789ABC',
      recordName: 'lb.example.com',
      members: [
        { name: 'a', instanceId: 'i-0000000000000000a', address: 'private', probe: { type: 'tcp', port: 80 } },
        { name: 'b', instanceId: 'i-0000000000000000b', probe: { type: 'tcp', port: 80 } },
        { name: 'c', ip: '192.0.2.3', probe: { type: 'tcp', port: 80 } },
      ],
    });
    const addresses = await describeMembers(clients.ec2, group.members);
    expect(ec2).toHaveReceivedCommandWith(DescribeInstancesCommand, { Filters: [{ Name: 'instance-id', Values: ['i-0000000000000000a', 'i-0000000000000000b'] }] });
    expect(Object.fromEntries(addresses)).toEqual({
      a: { address: '10.0.0.7' },
      b: { missing: 'instance i-0000000000000000b not found' },
      c: { address: '192.0.2.3' },
    });
  });
});

import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
} from '@aws-sdk/client-route-53';
import { CreateTopicCommand, PublishCommand } from '@aws-sdk/client-sns';
import { beforeEach, describe, expect, it } from 'vitest';
import { SandboxAccount } from '../../sandbox/account';

const upsert = (zone: string, name: string, ip: string, action: 'UPSERT' | 'CREATE' | 'DELETE' = 'UPSERT') =>
  new ChangeResourceRecordSetsCommand({
    HostedZoneId: zone,
    ChangeBatch: { Changes: [{ Action: action, ResourceRecordSet: { Name: name, Type: 'A', TTL: 60, ResourceRecords: [{ Value: ip }] } }] },
  });

describe('Sandbox Route 53', () => {
  let sandbox: SandboxAccount;
  let zoneId: string;
  beforeEach(() => {
    sandbox = new SandboxAccount({ timeScale: 0 });
    zoneId = sandbox.route53.addZone('example.com').Id!;
  });

  it('GetHostedZone and ListHostedZonesByName find the zone; an unknown id is NoSuchHostedZone', async () => {
    const { route53 } = sandbox.clients();
    expect((await route53.send(new GetHostedZoneCommand({ Id: zoneId }))).HostedZone?.Name).toBe('example.com.');
    expect((await route53.send(new ListHostedZonesByNameCommand({ DNSName: 'example.com' }))).HostedZones).toHaveLength(1);
    await expect(route53.send(new GetHostedZoneCommand({ Id: 'ZNOPE' }))).rejects.toMatchObject({ name: 'NoSuchHostedZone' });
  });

  it('UPSERT creates then replaces a record; the change goes PENDING → INSYNC after the sync time', async () => {
    const { route53 } = sandbox.clients();
    await route53.send(upsert(zoneId, 'lb.example.com', '192.0.2.1'));
    const { ChangeInfo } = await route53.send(upsert(zoneId, 'lb.example.com.', '192.0.2.2'));
    expect(ChangeInfo?.Status).toBe('PENDING');
    expect(sandbox.route53.record(zoneId, 'lb.example.com', 'A')?.ResourceRecords).toEqual([{ Value: '192.0.2.2' }]);
    sandbox.clock.advance(60_000);
    expect((await route53.send(new GetChangeCommand({ Id: ChangeInfo!.Id }))).ChangeInfo?.Status).toBe('INSYNC');
  });

  it('rejects CREATE of an existing record, DELETE of a missing one, and names outside the zone', async () => {
    const { route53 } = sandbox.clients();
    await route53.send(upsert(zoneId, 'lb.example.com', '192.0.2.1', 'CREATE'));
    await expect(route53.send(upsert(zoneId, 'lb.example.com', '192.0.2.1', 'CREATE'))).rejects.toMatchObject({ name: 'InvalidChangeBatch' });
    await expect(route53.send(upsert(zoneId, 'x.example.com', '192.0.2.1', 'DELETE'))).rejects.toMatchObject({ name: 'InvalidChangeBatch' });
    await expect(route53.send(upsert(zoneId, 'lb.example.org', '192.0.2.1'))).rejects.toMatchObject({ name: 'InvalidChangeBatch' });
  });

  it('lists record sets in Route 53 order with paging', async () => {
    const { route53 } = sandbox.clients();
    for (const n of ['b', 'a', 'c']) await route53.send(upsert(zoneId, `${n}.example.com`, '192.0.2.9'));
    const first = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, MaxItems: 3 }));
    expect(first.ResourceRecordSets?.map((r) => `${r.Name}/${r.Type}`)).toEqual(['example.com./NS', 'example.com./SOA', 'a.example.com./A']);
    expect(first.IsTruncated).toBe(true);
    const rest = await route53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: first.NextRecordName, StartRecordType: first.NextRecordType }),
    );
    expect(rest.ResourceRecordSets?.map((r) => r.Name)).toEqual(['b.example.com.', 'c.example.com.']);
  });

  it('retries PriorRequestNotComplete through the SDK', async () => {
    sandbox.injectFault({ operation: 'ChangeResourceRecordSets', code: 'PriorRequestNotComplete', times: 1 });
    const { route53 } = sandbox.clients();
    await route53.send(upsert(zoneId, 'lb.example.com', '192.0.2.1'));
    expect(sandbox.callsOf('ChangeResourceRecordSets').map((c) => c.error)).toEqual(['PriorRequestNotComplete', undefined]);
  });
});

describe('Sandbox SNS', () => {
  it('captures published messages and enforces subject and size limits', async () => {
    const sandbox = new SandboxAccount({ timeScale: 0 });
    const { sns } = sandbox.clients();
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'alerts' }));
    await sns.send(new PublishCommand({ TopicArn, Subject: 'hello', Message: 'body' }));
    expect(sandbox.sns.messages).toMatchObject([{ subject: 'hello', message: 'body' }]);
    await expect(sns.send(new PublishCommand({ TopicArn, Subject: 'x'.repeat(101), Message: 'b' }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
    await expect(sns.send(new PublishCommand({ TopicArn, Message: 'x'.repeat(262_145) }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
    await expect(sns.send(new PublishCommand({ TopicArn: `${TopicArn}-nope`, Message: 'b' }))).rejects.toMatchObject({
      name: 'NotFoundException',
    });
  });
});

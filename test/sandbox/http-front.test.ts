import * as EC2 from '@aws-sdk/client-ec2';
import * as ELB from '@aws-sdk/client-elastic-load-balancing';
import * as ELBv2 from '@aws-sdk/client-elastic-load-balancing-v2';
import * as R53 from '@aws-sdk/client-route-53';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { HealthClient } from '@aws-sdk/client-health';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetCommandInvocationCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterEach, describe, expect, it } from 'vitest';
import type { Clients } from '../../shared/aws/clients';
import { SandboxAccount } from '../../sandbox/account';
import { FleetBuilder } from '../../sandbox/fleet';
import { type SandboxServer, serveSandbox } from '../../sandbox/http/server';

/** The same small account, built identically (frozen clock, counter ids), twice. */
function world() {
  const sandbox = new SandboxAccount({ start: new Date('2026-11-22T03:00:00Z'), timeScale: 0, seed: 3 });
  const fleet = new FleetBuilder(sandbox);
  const web = fleet.instance({ name: 'web-1', tags: { 'caretaker:snapshot': 'daily' }, volumes: [{}, { sizeGiB: 50 }], publicIp: '52.0.0.1' });
  const other = fleet.instance({ name: 'web-2', volumes: [{}] });
  const volumeId = web.BlockDeviceMappings![0]!.Ebs!.VolumeId!;
  const snaps = Array.from({ length: 7 }, (_, d) => fleet.snapshot({ VolumeId: volumeId, Size: 8 }, (d + 1) * 86_400_000, { 'caretaker:managed': 'true', n: String(d) }).SnapshotId!);
  const image = fleet.image([snaps[0]!]);
  const allocationId = fleet.elasticIp('52.20.0.10', web.InstanceId);
  const zoneId = sandbox.route53.addZone('example.com').Id!;
  const topicArn = sandbox.sns.addTopic('alerts');
  sandbox.ssm.documents.add('caretaker-fsfreeze');
  const targetGroupArn = sandbox.elb.addTargetGroup('web', 80, [web.InstanceId!]);
  sandbox.elb.addClassic('legacy', [web.InstanceId!]);
  return { sandbox, web, other, volumeId, snaps, image, allocationId, zoneId, topicArn, targetGroupArn };
}
type World = ReturnType<typeof world>;

const servers: SandboxServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Real SDK clients that reach the account over HTTP, with the sandbox's retry timing. */
async function httpClients(sandbox: SandboxAccount): Promise<Clients> {
  const server = await serveSandbox(sandbox);
  servers.push(server);
  const config = {
    region: 'us-east-1',
    endpoint: server.url,
    credentials: { accessKeyId: 'SANDBOX', secretAccessKey: 'SANDBOX' },
    maxAttempts: 4,
    retryStrategy: new (await import('@smithy/core/retry')).ConfiguredRetryStrategy(4, () => 1),
  };
  return { ec2: new EC2.EC2Client(config), route53: new R53.Route53Client(config), sns: new SNSClient(config), ssm: new SSMClient(config), scheduler: new SchedulerClient(config), elbv2: new ELBv2.ElasticLoadBalancingV2Client(config), elb: new ELB.ElasticLoadBalancingClient(config), health: new HealthClient(config) };
}

/** What a call gave: its output without request ids, or its error as the SDK classified it. */
async function outcome(call: Promise<unknown>): Promise<unknown> {
  try {
    const out = (await call) as Record<string, unknown>;
    const { $metadata, ...rest } = out;
    return { ok: rest, attempts: ($metadata as { attempts?: number }).attempts };
  } catch (error) {
    const e = error as { name: string; message: string; $fault: string; $metadata: { httpStatusCode: number; attempts?: number } };
    return { error: e.name, message: e.message, fault: e.$fault, status: e.$metadata.httpStatusCode, attempts: e.$metadata.attempts };
  }
}

/** Calls of every protocol the functions use, mutating and reading, good and refused. */
const CALLS: Array<[string, (c: Clients, w: World) => Promise<unknown>]> = [
  ['DescribeInstances by tag', (c) => c.ec2.send(new EC2.DescribeInstancesCommand({ Filters: [{ Name: 'tag:caretaker:snapshot', Values: ['daily'] }] }))],
  ['DescribeVolumes by id', (c, w) => c.ec2.send(new EC2.DescribeVolumesCommand({ VolumeIds: [w.volumeId] }))],
  ['DescribeSnapshots page 1', (c) => c.ec2.send(new EC2.DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag:caretaker:managed', Values: ['true'] }], MaxResults: 5 }))],
  ['DescribeImages', (c) => c.ec2.send(new EC2.DescribeImagesCommand({ Owners: ['self'], IncludeDisabled: true }))],
  ['DescribeAddresses', (c, w) => c.ec2.send(new EC2.DescribeAddressesCommand({ AllocationIds: [w.allocationId] }))],
  ['DescribeInstanceStatus', (c, w) => c.ec2.send(new EC2.DescribeInstanceStatusCommand({ InstanceIds: [w.web.InstanceId!], IncludeAllInstances: true }))],
  [
    'CreateSnapshots tagged at creation',
    (c, w) =>
      c.ec2.send(
        new EC2.CreateSnapshotsCommand({
          InstanceSpecification: { InstanceId: w.web.InstanceId, ExcludeBootVolume: false },
          CopyTagsFromSource: 'volume',
          TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'caretaker:managed', Value: 'true' }, { Key: 'Name', Value: 'a & <b>' }] }],
        }),
      ),
  ],
  ['DeleteSnapshot', (c, w) => c.ec2.send(new EC2.DeleteSnapshotCommand({ SnapshotId: w.snaps[3] }))],
  ['DeleteSnapshot of an AMI snapshot: InvalidSnapshot.InUse', (c, w) => c.ec2.send(new EC2.DeleteSnapshotCommand({ SnapshotId: w.snaps[0] }))],
  ['DeleteSnapshot of an unknown one: InvalidSnapshot.NotFound', (c) => c.ec2.send(new EC2.DeleteSnapshotCommand({ SnapshotId: 'snap-0000000000000dead' }))],
  ['CreateTags', (c, w) => c.ec2.send(new EC2.CreateTagsCommand({ Resources: [w.other.InstanceId!], Tags: [{ Key: 'k', Value: 'v' }] }))],
  ['StopInstances', (c, w) => c.ec2.send(new EC2.StopInstancesCommand({ InstanceIds: [w.other.InstanceId!] }))],
  ['AssociateAddress', (c, w) => c.ec2.send(new EC2.AssociateAddressCommand({ AllocationId: w.allocationId, InstanceId: w.other.InstanceId, AllowReassociation: true }))],
  ['CreateImage', (c, w) => c.ec2.send(new EC2.CreateImageCommand({ InstanceId: w.web.InstanceId, Name: 'relaunch-1', NoReboot: true }))],
  ['an unknown filter: InvalidParameterValue', (c) => c.ec2.send(new EC2.DescribeSnapshotsCommand({ Filters: [{ Name: 'nope', Values: ['x'] }] }))],
  ['ListHostedZonesByName', (c) => c.route53.send(new R53.ListHostedZonesByNameCommand({ DNSName: 'example.com' }))],
  ['GetHostedZone', (c, w) => c.route53.send(new R53.GetHostedZoneCommand({ Id: w.zoneId }))],
  [
    'ChangeResourceRecordSets',
    (c, w) =>
      c.route53.send(
        new R53.ChangeResourceRecordSetsCommand({
          HostedZoneId: w.zoneId,
          ChangeBatch: { Comment: 'caretaker', Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'lb.example.com', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] } }] },
        }),
      ),
  ],
  ['ListResourceRecordSets', (c, w) => c.route53.send(new R53.ListResourceRecordSetsCommand({ HostedZoneId: w.zoneId, StartRecordName: 'lb.example.com', StartRecordType: 'A', MaxItems: 1 }))],
  ['GetHostedZone of an unknown zone: NoSuchHostedZone', (c) => c.route53.send(new R53.GetHostedZoneCommand({ Id: 'ZNOPE' }))],
  ['Publish', (c, w) => c.sns.send(new PublishCommand({ TopicArn: w.topicArn, Subject: 'subject', Message: 'ünïcode body\nline 2' }))],
  ['Publish to an unknown topic', (c) => c.sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:123456789012:nope', Message: 'x' }))],
  [
    'SendCommand',
    (c, w) => c.ssm.send(new SendCommandCommand({ DocumentName: 'caretaker-fsfreeze', InstanceIds: [w.web.InstanceId!], Parameters: { action: ['pre'] }, TimeoutSeconds: 30 })),
  ],
  ['GetCommandInvocation of an unknown command', (c, w) => c.ssm.send(new GetCommandInvocationCommand({ CommandId: 'nope', InstanceId: w.web.InstanceId! }))],
  ['DescribeTargetGroups (ELBv2, awsQuery 2015-12-01)', (c) => c.elbv2.send(new ELBv2.DescribeTargetGroupsCommand({}))],
  ['RegisterTargets', (c, w) => c.elbv2.send(new ELBv2.RegisterTargetsCommand({ TargetGroupArn: w.targetGroupArn, Targets: [{ Id: w.other.InstanceId!, Port: 80 }] }))],
  ['DescribeTargetHealth', (c, w) => c.elbv2.send(new ELBv2.DescribeTargetHealthCommand({ TargetGroupArn: w.targetGroupArn }))],
  ['RegisterTargets with an unknown instance: InvalidTargetException', (c, w) => c.elbv2.send(new ELBv2.RegisterTargetsCommand({ TargetGroupArn: w.targetGroupArn, Targets: [{ Id: 'i-00000000000000dead' }] }))],
  ['DescribeLoadBalancers (classic, awsQuery 2012-06-01)', (c) => c.elb.send(new ELB.DescribeLoadBalancersCommand({}))],
  ['DescribeInstanceHealth (classic)', (c) => c.elb.send(new ELB.DescribeInstanceHealthCommand({ LoadBalancerName: 'legacy' }))],
  ['CreateSchedule (restJson1)', (c) => c.scheduler.send(new CreateScheduleCommand(continuation()))],
  ['CreateSchedule of an existing name: ConflictException', (c) => c.scheduler.send(new CreateScheduleCommand(continuation()))],
];

/** A one-time continuation schedule, as the prune job asks for one. */
function continuation() {
  return {
    Name: 'prune-snapshots-continue-1',
    ScheduleExpression: 'at(2026-11-22T12:05:00)',
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' as const },
    ActionAfterCompletion: 'DELETE' as const,
    Target: { Arn: 'arn:aws:lambda:us-east-1:123456789012:function:prune-snapshots', RoleArn: 'arn:aws:iam::123456789012:role/prune-continue', Input: '{"continuation":1}' },
  };
}

describe('sandbox HTTP front', () => {
  it('gives a real SDK client over HTTP exactly what the in-process path gives, call by call, errors included', async () => {
    // Prepare: two identical accounts, one reached in-process, one over HTTP.
    const inProcess = world();
    const overHttp = world();
    const local = inProcess.sandbox.clients({ maxAttempts: 4 });
    const remote = await httpClients(overHttp.sandbox);

    for (const [label, call] of CALLS) {
      // Act
      const expected = await outcome(call(local, inProcess));
      const actual = await outcome(call(remote, overHttp));
      // Assess
      expect(actual, label).toEqual(expected);
    }
    // Both accounts were changed the same way, and the HTTP one saw the same decoded inputs.
    expect(overHttp.sandbox.calls.map((c) => [c.operation, c.error])).toEqual(inProcess.sandbox.calls.map((c) => [c.operation, c.error]));
    expect(overHttp.sandbox.sns.messages).toEqual(inProcess.sandbox.sns.messages);
  });

  it('pages DescribeSnapshots with the NextToken it hands out', async () => {
    const { sandbox } = world();
    const { ec2 } = await httpClients(sandbox);
    const ids: string[] = [];
    for await (const page of EC2.paginateDescribeSnapshots({ client: ec2, pageSize: 5 }, { OwnerIds: ['self'], MaxResults: 5 })) ids.push(...page.Snapshots!.map((s) => s.SnapshotId!));
    expect(ids).toEqual([...sandbox.ec2.snapshots.keys()]);
  });

  it('answers throttling with 503 RequestLimitExceeded, which the SDK retries like AWS\'s', async () => {
    const { sandbox, snaps } = world();
    const { ec2 } = await httpClients(sandbox);
    sandbox.injectFault({ operation: 'DeleteSnapshot', code: 'RequestLimitExceeded', times: 2 });

    const out = await ec2.send(new EC2.DeleteSnapshotCommand({ SnapshotId: snaps[4] }));

    expect(out.$metadata.attempts).toBe(3);
    expect(sandbox.callsOf('DeleteSnapshot').map((c) => c.error)).toEqual(['RequestLimitExceeded', 'RequestLimitExceeded', undefined]);
    sandbox.injectFault({ operation: 'DeleteSnapshot', code: 'RequestLimitExceeded', times: 9 });
    await expect(ec2.send(new EC2.DeleteSnapshotCommand({ SnapshotId: snaps[5] }))).rejects.toMatchObject({
      name: 'RequestLimitExceeded',
      $fault: 'server',
      $metadata: { httpStatusCode: 503, attempts: 4 },
    });
  });

  it('refuses what AWS refuses before the service: a missing required member, no signature, an unknown action', async () => {
    const { sandbox } = world();
    const server = await serveSandbox(sandbox);
    servers.push(server);
    const { ec2 } = await httpClients(sandbox);

    await expect(ec2.send(new EC2.DeleteSnapshotCommand({} as never))).rejects.toMatchObject({ name: 'MissingParameter', $metadata: { httpStatusCode: 400 } });
    const unsigned = await fetch(server.url, { method: 'POST', body: 'Action=DescribeSnapshots&Version=2016-11-15' });
    expect(unsigned.status).toBe(403);
    expect(await unsigned.text()).toContain('<Code>MissingAuthenticationToken</Code>');
    expect(sandbox.calls).toHaveLength(0);
  });
});

import { DescribeInstanceAttributeCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { tagRecord } from '../../shared/aws/filters';
import { runDegraded } from '../../shared/degraded/run-degraded';
import { lifecycleOf } from '../../sandbox/ec2-lifecycle';
import { identityOf, KMS_KEY, PROFILE_ARN, type RichWorld, richWorld as seed } from '../../sandbox/rich-instance';
import { config, contextFor, FAST_WAITERS, fastSandbox } from './helpers';

const richWorld = (variant: 'image' | 'template') => seed(fastSandbox(), variant);

const run = (w: RichWorld) => runDegraded(contextFor(w.sandbox), config(), { trigger: { kind: 'scan' }, waiters: FAST_WAITERS });

function replacementOf(w: RichWorld) {
  const found = [...w.sandbox.ec2.instances.values()].map((i) => i.data).filter((i) => i.Tags?.some((t) => t.Key === 'caretaker:replaces' && t.Value === w.id));
  return found.find((i) => i.State?.Name === 'running' || i.State?.Name === 'pending') ?? found[0];
}

describe.each(['image', 'template'] as const)('relaunch of the rich instance (%s variant): what the replacement keeps', (variant) => {
  it('keeps every row of the README table', async () => {
    const w = richWorld(variant);
    const report = await run(w);
    expect(report.results[0]).toMatchObject({ action: 'relaunch', outcome: 'done' });
    const r = replacementOf(w)!;
    const newId = r.InstanceId!;
    const { sandbox } = w;
    const net = lifecycleOf(sandbox).network;
    const newPrimary = net.attachedTo(newId).find((e) => e.Attachment?.DeviceIndex === 0)!;
    const runInput = sandbox.callsOf('RunInstances')[0]!.input;
    const image = sandbox.callsOf('CreateImage')[0]!;

    // Root: an image of the stopped root (taken after the stop), never the template's AMI.
    const ops = sandbox.mutatingCalls().map((c) => c.operation);
    expect(ops.indexOf('StopInstances')).toBeLessThan(ops.indexOf('CreateImage'));
    expect(image.input).toMatchObject({ InstanceId: w.id, BlockDeviceMappings: [{ DeviceName: '/dev/sdf', NoDevice: '' }] });
    expect(runInput.ImageId).toMatch(/^ami-/);
    expect(runInput.ImageId).not.toBe('ami-0sandbox0000000001');
    // moved: the same data volume (same id, same device, same key), the same second interface.
    expect(sandbox.ec2.volumes.get(w.dataVolume)!.data).toMatchObject({ KmsKeyId: KMS_KEY, Attachments: [expect.objectContaining({ InstanceId: newId, Device: '/dev/sdf' })] });
    expect(net.requireInterface(w.eth1)).toMatchObject({ Attachment: expect.objectContaining({ InstanceId: newId, DeviceIndex: 1 }), SourceDestCheck: false, Groups: [expect.objectContaining({ GroupId: 'sg-0app000000000001' })] });
    expect(net.requireInterface(w.eth1).Ipv6Addresses).toEqual([{ Ipv6Address: w.eth1Ipv6 }]);
    // moved: the secondary private IP and the IPv6 address of the primary interface.
    expect(newPrimary.PrivateIpAddresses!.map((p) => p.PrivateIpAddress)).toContain(w.secondaryIp);
    expect(newPrimary.Ipv6Addresses).toEqual([{ Ipv6Address: w.primaryIpv6 }]);
    // moved: all three Elastic IPs, each to the private IP it sat on.
    const eip = (alloc: string) => sandbox.ec2.addresses.get(alloc)!.data;
    expect(eip(w.eips.primary)).toMatchObject({ NetworkInterfaceId: newPrimary.NetworkInterfaceId, PrivateIpAddress: newPrimary.PrivateIpAddress });
    expect(eip(w.eips.secondary)).toMatchObject({ NetworkInterfaceId: newPrimary.NetworkInterfaceId, PrivateIpAddress: w.secondaryIp });
    expect(eip(w.eips.eth1)).toMatchObject({ NetworkInterfaceId: w.eth1, PrivateIpAddress: w.eth1Ip, InstanceId: newId });
    expect(r.PublicIpAddress).toBe('52.10.0.1');
    // moved: load-balancer memberships (replacement healthy, old one draining / removed).
    expect(identityOf(sandbox, w).targets).toEqual([newId]);
    expect(identityOf(sandbox, w).classic).toEqual([newId]);
    // carried: attributes.
    expect(r).toMatchObject({
      InstanceType: 'm5d.large',
      KeyName: 'ops',
      IamInstanceProfile: expect.objectContaining({ Arn: PROFILE_ARN }),
      Placement: expect.objectContaining({ AvailabilityZone: 'us-east-1a', GroupName: 'pg-web', Tenancy: 'default' }),
      MetadataOptions: expect.objectContaining({ HttpTokens: 'required', HttpPutResponseHopLimit: 2 }),
      EbsOptimized: true,
      SubnetId: 'subnet-0sandbox000000001',
    });
    expect(lifecycleOf(sandbox).userData.get(newId)).toBe(Buffer.from('#!/bin/bash\nsystemctl start web').toString('base64'));
    const { ec2 } = sandbox.clients();
    expect((await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: newId, Attribute: 'disableApiTermination' }))).DisableApiTermination).toEqual({ Value: true });
    // carried: tags of the instance, its root volume and its primary interface.
    expect(tagRecord(r.Tags)).toMatchObject({ Name: 'web-rich', role: 'web', 'caretaker:replaces': w.id });
    const newRoot = r.BlockDeviceMappings!.find((m) => m.DeviceName === '/dev/xvda')!.Ebs!.VolumeId!;
    expect(tagRecord(sandbox.ec2.volumes.get(newRoot)!.data.Tags)).toMatchObject({ Name: 'web-root' });
    expect(tagRecord((newPrimary as { Tags?: Array<{ Key?: string; Value?: string }> }).Tags)).toMatchObject({ Name: 'web-eth0' });
    // new / cannot: named in the summary.
    expect(newPrimary.PrivateIpAddress).not.toBe(w.primaryIp);
    const reason = report.results[0]!.reason;
    expect(reason).toContain(`cannot: primary private IP ${w.primaryIp}`);
    expect(reason).toContain('instance-store data (lost by any stop)');
    expect(reason).toMatch(/new: instance ID/);
    expect(report.results[0]!.details).toMatchObject({ identityItemsCarried: expect.any(Number), identityItemsTotal: expect.any(Number) });
    // The old server: stopped, still protected, out of its load balancers.
    expect(sandbox.ec2.requireInstance(w.id).State?.Name).toBe('stopped');
    expect(lifecycleOf(sandbox).instanceStoreData.has(w.id)).toBe(false);

    if (variant === 'template') {
      expect(runInput).toMatchObject({ LaunchTemplate: { LaunchTemplateId: w.templateId, Version: '1' }, BlockDeviceMappings: [{ DeviceName: '/dev/sdh', NoDevice: '' }] });
      expect(runInput.NetworkInterfaces).toEqual([expect.objectContaining({ DeviceIndex: 0, SubnetId: 'subnet-0sandbox000000001' })]);
      expect(runInput.SubnetId).toBeUndefined();
      expect(runInput.SecurityGroupIds).toBeUndefined();
      expect(r.BlockDeviceMappings!.map((m) => m.DeviceName)).not.toContain('/dev/sdh');
    } else {
      expect(runInput).toMatchObject({ SubnetId: 'subnet-0sandbox000000001', SecurityGroupIds: ['sg-0sandbox0000000001'] });
    }
  });
});

describe('relaunch of the rich instance: a failure at any step leaves the old server as it was', () => {
  const steps: Array<[string, 'ec2' | 'elbv2' | 'elb']> = [
    ['CreateImage', 'ec2'],
    ['DetachVolume', 'ec2'],
    ['DetachNetworkInterface', 'ec2'],
    ['RunInstances', 'ec2'],
    ['AttachVolume', 'ec2'],
    ['AttachNetworkInterface', 'ec2'],
    ['AssignPrivateIpAddresses', 'ec2'],
    ['AssignIpv6Addresses', 'ec2'],
    ['AssociateAddress', 'ec2'],
    ['RegisterTargets', 'elbv2'],
    ['RegisterInstancesWithLoadBalancer', 'elb'],
  ];
  it.each(steps)('%s refused (UnauthorizedOperation)', async (operation, service) => {
    const w = richWorld('image');
    const before = identityOf(w.sandbox, w);
    w.sandbox.injectFault({ service, operation, code: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation. Encoded authorization failure message: abc123', times: 1 });
    const report = await run(w);

    expect(report.results[0]).toMatchObject({ action: 'relaunch', outcome: 'failed', errorCode: 'UnauthorizedOperation' });
    expect(report.results[0]!.reason).toMatch(/is as it was \(started again\)/);
    expect(report.results[0]!.reason).toMatch(/decode-authorization-message/);
    expect(identityOf(w.sandbox, w)).toEqual(before);
    expect(['pending', 'running']).toContain(w.sandbox.ec2.requireInstance(w.id).State?.Name);
    const replacement = replacementOf(w);
    if (replacement) expect(['shutting-down', 'terminated']).toContain(replacement.State?.Name);
  });

  it('a replacement that never gets healthy in its target group: identity given back, old one started', async () => {
    const w = richWorld('image');
    const before = identityOf(w.sandbox, w);
    lifecycleOf(w.sandbox).launchHealth = (i) => (i.InstanceId === w.id ? 'ok' : 'impaired');
    const report = await runDegraded(contextFor(w.sandbox), config(), { trigger: { kind: 'scan' }, waiters: { ...FAST_WAITERS, statusOkSeconds: 0.3 } });
    expect(report.results[0]).toMatchObject({ outcome: 'failed' });
    expect(identityOf(w.sandbox, w)).toEqual(before);
  });
});

describe('relaunch of a router on a dedicated host', () => {
  it('keeps the host while it is available and turns source/dest check off on the new primary interface', async () => {
    // Prepare: the rich instance, made a NAT-style router (source/dest check off on eth0) on a dedicated host.
    const w = richWorld('image');
    const lc = lifecycleOf(w.sandbox);
    const host = 'h-0123456789abcdef0';
    lc.hosts.set(host, 'available');
    const old = w.sandbox.ec2.requireInstance(w.id);
    old.Placement = { ...old.Placement, Tenancy: 'host', HostId: host };
    lc.network.attachedTo(w.id).find((e) => e.Attachment?.DeviceIndex === 0)!.SourceDestCheck = false;

    // Act
    const report = await run(w);

    // Assess: DescribeHosts found the host available, and the new primary interface routes like the old one.
    expect(report.results[0]).toMatchObject({ action: 'relaunch', outcome: 'done' });
    const newId = replacementOf(w)!.InstanceId!;
    expect(w.sandbox.callsOf('DescribeHosts').map((c) => c.input.HostIds)).toEqual([[host]]);
    expect(w.sandbox.ec2.requireInstance(newId).Placement).toMatchObject({ Tenancy: 'host', HostId: host });
    expect(w.sandbox.callsOf('ModifyNetworkInterfaceAttribute').map((c) => c.input.SourceDestCheck)).toEqual([{ Value: false }]);
    expect(lc.network.attachedTo(newId).find((e) => e.Attachment?.DeviceIndex === 0)!.SourceDestCheck).toBe(false);
  });
});

import type { NetworkInterface } from '@aws-sdk/client-ec2';
import type { SandboxAccount } from './account';
import { BASE_IMAGE_ID, lifecycleOf } from './ec2-lifecycle';
import { FleetBuilder } from './fleet';

export const KMS_KEY = 'arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
export const PROFILE_ARN = 'arn:aws:iam::123456789012:instance-profile/web';
const SUBNET = 'subnet-0sandbox000000001';

/**
 * The instance of issue 13: m5d (instance store), two network interfaces, a secondary private IP,
 * IPv6 on both interfaces, three Elastic IPs (primary IP, secondary IP, second interface), IMDSv2
 * required with hop limit 2, termination protection, a placement group, an encrypted data volume
 * under a customer managed key, a target-group and a classic load-balancer member, tagged volumes
 * and interfaces. `template` adds the launch template it came from, which defines NetworkInterfaces
 * and a disk of its own (which must not be used). Used by the scenario tests and the benchmark.
 */
export function richWorld(sandbox: SandboxAccount, variant: 'image' | 'template') {
  const fleet = new FleetBuilder(sandbox);
  const lc = lifecycleOf(sandbox);
  const net = lc.network;
  lc.placementGroups.add('pg-web');
  const web = fleet.instance({
    name: 'web-rich',
    instanceType: 'm5d.large',
    tags: { 'caretaker:on-degraded': 'relaunch', role: 'web' },
    volumes: [{ sizeGiB: 8, tags: { Name: 'web-root' } }, { sizeGiB: 100, tags: { Name: 'web-data', backup: 'daily' } }],
  });
  const id = web.InstanceId!;
  const stored = sandbox.ec2.requireInstance(id);
  stored.Placement = { ...stored.Placement, GroupName: 'pg-web' };
  stored.MetadataOptions = { ...stored.MetadataOptions, HttpTokens: 'required', HttpPutResponseHopLimit: 2 };
  stored.IamInstanceProfile = { Arn: PROFILE_ARN, Id: 'AIPA0000000000000001' };
  stored.EbsOptimized = true;
  const rootVolume = stored.BlockDeviceMappings![0]!.Ebs!.VolumeId!;
  const dataVolume = stored.BlockDeviceMappings![1]!.Ebs!.VolumeId!;
  sandbox.ec2.volumes.get(dataVolume)!.data.KmsKeyId = KMS_KEY;
  lc.attributesOf(id).disableApiTermination = true;
  lc.userData.set(id, Buffer.from('#!/bin/bash\nsystemctl start web').toString('base64'));
  lc.instanceStoreData.set(id, 'page cache');

  const primary = net.attachedTo(id)[0]!;
  const secondaryIp = '10.0.0.200';
  const primaryIpv6 = net.newIpv6();
  primary.PrivateIpAddresses!.push({ Primary: false, PrivateIpAddress: secondaryIp });
  primary.Ipv6Addresses = [{ Ipv6Address: primaryIpv6 }];
  (primary as NetworkInterface & { Tags?: unknown }).Tags = [{ Key: 'Name', Value: 'web-eth0' }];
  const eth1 = net.create({ subnetId: SUBNET, groups: ['sg-0app000000000001'], ipv6: [net.newIpv6()], sourceDestCheck: false, tags: [{ Key: 'Name', Value: 'web-eth1' }], description: 'replication' });
  net.bind(eth1, id, 1, false);

  const eipPrimary = fleet.elasticIp('52.10.0.1', id);
  const eipSecondary = fleet.elasticIp('52.10.0.2');
  fleet.associate(eipSecondary, primary.NetworkInterfaceId!, secondaryIp);
  const eipEth1 = fleet.elasticIp('52.10.0.3');
  fleet.associate(eipEth1, eth1.NetworkInterfaceId!, eth1.PrivateIpAddress!);

  const targetGroup = sandbox.elb.addTargetGroup('web', 80, [id]);
  sandbox.elb.addClassic('web-legacy', [id]);
  sandbox.ec2.healthOf(id).events = [
    { InstanceEventId: 'instance-event-0a1b2c3d4e5f6a7b8', Code: 'instance-retirement', Description: 'The instance is running on degraded hardware', NotBefore: new Date('2026-01-24T00:00:00Z') },
  ];
  let templateId: string | undefined;
  if (variant === 'template') {
    templateId = lc.addLaunchTemplate('web-lt', {
      ImageId: BASE_IMAGE_ID,
      InstanceType: 'm5d.large',
      NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: SUBNET, Groups: ['sg-0sandbox0000000001'], AssociatePublicIpAddress: true }],
      BlockDeviceMappings: [{ DeviceName: '/dev/sdh', Ebs: { VolumeSize: 50 } }],
      MetadataOptions: { HttpTokens: 'optional' },
    });
    stored.Tags = [...(stored.Tags ?? []), { Key: 'aws:ec2launchtemplate:id', Value: templateId }, { Key: 'aws:ec2launchtemplate:version', Value: '1' }];
  }
  return {
    sandbox,
    id,
    rootVolume,
    dataVolume,
    primaryEni: primary.NetworkInterfaceId!,
    primaryIp: primary.PrivateIpAddress!,
    secondaryIp,
    primaryIpv6,
    eth1: eth1.NetworkInterfaceId!,
    eth1Ip: eth1.PrivateIpAddress!,
    eth1Ipv6: eth1.Ipv6Addresses![0]!.Ipv6Address!,
    eips: { primary: eipPrimary, secondary: eipSecondary, eth1: eipEth1 },
    targetGroup,
    templateId,
  };
}

export type RichWorld = ReturnType<typeof richWorld>;

/** Where each piece of the old server's identity is now: equal before and after means "as it was". */
export function identityOf(sandbox: SandboxAccount, w: RichWorld) {
  const net = lifecycleOf(sandbox).network;
  const addr = (alloc: string) => {
    const a = sandbox.ec2.addresses.get(alloc)!.data;
    return `${a.NetworkInterfaceId}/${a.PrivateIpAddress}`;
  };
  const primary = net.requireInterface(w.primaryEni);
  const eth1 = net.requireInterface(w.eth1);
  return {
    dataVolume: sandbox.ec2.volumes.get(w.dataVolume)!.data.Attachments!.map((a) => `${a.InstanceId} ${a.Device}`),
    eth1: `${eth1.Attachment?.InstanceId} ${eth1.Attachment?.DeviceIndex}`,
    primaryAddresses: primary.PrivateIpAddresses!.map((p) => p.PrivateIpAddress).sort(),
    primaryIpv6: primary.Ipv6Addresses!.map((p) => p.Ipv6Address),
    eips: [addr(w.eips.primary), addr(w.eips.secondary), addr(w.eips.eth1)],
    targets: sandbox.elb.targetGroups.get(w.targetGroup)!.targets.filter((t) => t.drainingUntilMs === undefined).map((t) => t.id),
    classic: [...sandbox.elb.classic.get('web-legacy')!.instances.keys()],
  };
}

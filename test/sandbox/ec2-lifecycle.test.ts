import {
  CreateImageCommand,
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  DescribeLaunchTemplateVersionsCommand,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  waitUntilInstanceRunning,
  waitUntilInstanceStatusOk,
} from '@aws-sdk/client-ec2';
import { beforeEach, describe, expect, it } from 'vitest';
import { SandboxAccount } from '../../sandbox/account';
import { BASE_IMAGE_ID, lifecycleOf } from '../../sandbox/ec2-lifecycle';
import { FleetBuilder } from '../../sandbox/fleet';

const SEC = 1000;

describe('Sandbox EC2 lifecycle', () => {
  let sandbox: SandboxAccount;
  let fleet: FleetBuilder;
  beforeEach(() => {
    sandbox = new SandboxAccount({ start: new Date('2026-01-10T00:00:00Z'), timeScale: 0 });
    fleet = new FleetBuilder(sandbox);
  });

  const stateOf = async (id: string) => {
    const out = await sandbox.clients().ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    return out.Reservations![0]!.Instances![0]!;
  };

  describe('StopInstances / StartInstances', () => {
    it('moves running → stopping → stopped over sandbox time, then pending → running with a new public IP', async () => {
      const instance = fleet.instance({ publicIp: '3.3.3.3' });
      const { ec2 } = sandbox.clients();
      const stop = await ec2.send(new StopInstancesCommand({ InstanceIds: [instance.InstanceId!] }));
      expect(stop.StoppingInstances![0]).toMatchObject({ CurrentState: { Name: 'stopping' }, PreviousState: { Name: 'running' } });
      expect((await stateOf(instance.InstanceId!)).State?.Name).toBe('stopping');
      sandbox.clock.advance(60 * SEC);
      expect((await stateOf(instance.InstanceId!)).State?.Name).toBe('stopped');
      await ec2.send(new StartInstancesCommand({ InstanceIds: [instance.InstanceId!] }));
      expect((await stateOf(instance.InstanceId!)).State?.Name).toBe('pending');
      sandbox.clock.advance(60 * SEC);
      const started = await stateOf(instance.InstanceId!);
      expect(started.State?.Name).toBe('running');
      expect(started.PublicIpAddress).toMatch(/^54\./);
      expect(started.PublicIpAddress).not.toBe('3.3.3.3');
    });

    it('keeps an Elastic IP across a stop-start', async () => {
      const instance = fleet.instance();
      fleet.elasticIp('52.1.1.1', instance.InstanceId);
      const { ec2 } = sandbox.clients();
      await ec2.send(new StopInstancesCommand({ InstanceIds: [instance.InstanceId!] }));
      sandbox.clock.advance(60 * SEC);
      await ec2.send(new StartInstancesCommand({ InstanceIds: [instance.InstanceId!] }));
      sandbox.clock.advance(60 * SEC);
      expect((await stateOf(instance.InstanceId!)).PublicIpAddress).toBe('52.1.1.1');
    });

    it('clears the retirement event once the instance has left its host', async () => {
      const instance = fleet.instance();
      sandbox.ec2.healthOf(instance.InstanceId!).events = [{ Code: 'instance-retirement', Description: 'degraded hardware', NotBefore: new Date('2026-01-12T00:00:00Z') }];
      const { ec2 } = sandbox.clients();
      await ec2.send(new StopInstancesCommand({ InstanceIds: [instance.InstanceId!] }));
      const out = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [instance.InstanceId!], IncludeAllInstances: true }));
      expect(out.InstanceStatuses![0]!.Events).toEqual([]);
    });

    it('refuses to stop an instance-store instance with UnsupportedOperation', async () => {
      const instance = fleet.instance({ rootDeviceType: 'instance-store' });
      await expect(sandbox.clients().ec2.send(new StopInstancesCommand({ InstanceIds: [instance.InstanceId!] }))).rejects.toMatchObject({
        name: 'UnsupportedOperation',
      });
    });

    it('refuses to start a stopping instance with IncorrectInstanceState', async () => {
      const instance = fleet.instance();
      const { ec2 } = sandbox.clients();
      await ec2.send(new StopInstancesCommand({ InstanceIds: [instance.InstanceId!] }));
      await expect(ec2.send(new StartInstancesCommand({ InstanceIds: [instance.InstanceId!] }))).rejects.toMatchObject({ name: 'IncorrectInstanceState' });
    });
  });

  describe('TerminateInstances', () => {
    it('goes shutting-down → terminated and releases the Elastic IP association', async () => {
      const instance = fleet.instance();
      const allocation = fleet.elasticIp('52.1.1.2', instance.InstanceId);
      const { ec2 } = sandbox.clients();
      const out = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instance.InstanceId!] }));
      expect(out.TerminatingInstances![0]!.CurrentState?.Name).toBe('shutting-down');
      sandbox.clock.advance(60 * SEC);
      expect((await stateOf(instance.InstanceId!)).State?.Name).toBe('terminated');
      expect(sandbox.ec2.addresses.get(allocation)!.data.InstanceId).toBeUndefined();
    });
  });

  describe('RunInstances', () => {
    const request = (overrides: Partial<RunInstancesCommandInput> = {}): RunInstancesCommandInput => ({
      ImageId: BASE_IMAGE_ID,
      InstanceType: 't3.small',
      MinCount: 1,
      MaxCount: 1,
      SubnetId: 'subnet-0sandbox000000001',
      SecurityGroupIds: ['sg-0123456789abcdef0'],
      KeyName: 'ops',
      UserData: Buffer.from('#!/bin/sh\necho hi').toString('base64'),
      IamInstanceProfile: { Name: 'web' },
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'web-2' }] }],
      ...overrides,
    });

    it('launches a pending instance that runs after the launch time, with the requested settings', async () => {
      const { ec2 } = sandbox.clients();
      const out = await ec2.send(new RunInstancesCommand(request()));
      const launched = out.Instances![0]!;
      expect(launched).toMatchObject({ State: { Name: 'pending' }, InstanceType: 't3.small', KeyName: 'ops', SecurityGroups: [{ GroupId: 'sg-0123456789abcdef0' }] });
      expect(launched.IamInstanceProfile?.Arn).toBe('arn:aws:iam::123456789012:instance-profile/web');
      expect(launched.Tags).toEqual([{ Key: 'Name', Value: 'web-2' }]);
      sandbox.clock.advance(31 * SEC);
      expect((await stateOf(launched.InstanceId!)).State?.Name).toBe('running');
      const attr = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: launched.InstanceId!, Attribute: 'userData' }));
      expect(Buffer.from(attr.UserData!.Value!, 'base64').toString()).toContain('echo hi');
    });

    it('returns the same instance for the same ClientToken and parameters', async () => {
      const { ec2 } = sandbox.clients();
      const first = await ec2.send(new RunInstancesCommand(request({ ClientToken: 'tok-1' })));
      const second = await ec2.send(new RunInstancesCommand(request({ ClientToken: 'tok-1' })));
      expect(second.Instances![0]!.InstanceId).toBe(first.Instances![0]!.InstanceId);
      expect([...sandbox.ec2.instances.values()]).toHaveLength(1);
    });

    it('answers IdempotentParameterMismatch when a ClientToken is reused with other parameters', async () => {
      const { ec2 } = sandbox.clients();
      await ec2.send(new RunInstancesCommand(request({ ClientToken: 'tok-2' })));
      await expect(ec2.send(new RunInstancesCommand(request({ ClientToken: 'tok-2', InstanceType: 't3.large' })))).rejects.toMatchObject({
        name: 'IdempotentParameterMismatch',
      });
    });

    it('rejects a ClientToken over 64 characters, an unknown AMI and aws: tags', async () => {
      const { ec2 } = sandbox.clients();
      await expect(ec2.send(new RunInstancesCommand(request({ ClientToken: 'x'.repeat(65) })))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
      await expect(ec2.send(new RunInstancesCommand(request({ ImageId: 'ami-0000000000000dead' })))).rejects.toMatchObject({ name: 'InvalidAMIID.NotFound' });
      await expect(
        ec2.send(new RunInstancesCommand(request({ TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'aws:x', Value: '1' }] }] }))),
      ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    });

    it('launches from a launch template, marking the instance with its id and version', async () => {
      const templateId = lifecycleOf(sandbox).addLaunchTemplate('web', { ImageId: BASE_IMAGE_ID, InstanceType: 'c6i.large', KeyName: 'lt-key' });
      const { ec2 } = sandbox.clients();
      const out = await ec2.send(new RunInstancesCommand({ LaunchTemplate: { LaunchTemplateId: templateId, Version: '$Default' }, MinCount: 1, MaxCount: 1 }));
      expect(out.Instances![0]).toMatchObject({ InstanceType: 'c6i.large', KeyName: 'lt-key' });
      expect(out.Instances![0]!.Tags).toContainEqual({ Key: 'aws:ec2launchtemplate:id', Value: templateId });
    });

    it('answers InvalidAMIID.Unavailable while the image is still pending', async () => {
      const instance = fleet.instance();
      const { ec2 } = sandbox.clients();
      const { ImageId } = await ec2.send(new CreateImageCommand({ InstanceId: instance.InstanceId!, Name: 'pending-image' }));
      await expect(ec2.send(new RunInstancesCommand(request({ ImageId })))).rejects.toMatchObject({ name: 'InvalidAMIID.Unavailable' });
    });

    it('reports status initializing, then ok (or what launchHealth says) — the SDK waiters see it', async () => {
      const scaled = new SandboxAccount({ start: new Date('2026-01-10T00:00:00Z'), timeScale: 1000 });
      lifecycleOf(scaled).launchHealth = () => 'ok';
      const { ec2 } = scaled.clients();
      const out = await ec2.send(new RunInstancesCommand(request()));
      const id = out.Instances![0]!.InstanceId!;
      const waiter = { client: ec2, minDelay: 0.005, maxDelay: 0.02, maxWaitTime: 3 };
      await expect(waitUntilInstanceRunning(waiter, { InstanceIds: [id] })).resolves.toMatchObject({ state: 'SUCCESS' });
      await expect(waitUntilInstanceStatusOk(waiter, { InstanceIds: [id] })).resolves.toMatchObject({ state: 'SUCCESS' });
      lifecycleOf(scaled).launchHealth = () => 'impaired';
      const bad = (await ec2.send(new RunInstancesCommand(request()))).Instances![0]!.InstanceId!;
      await expect(waitUntilInstanceStatusOk({ ...waiter, maxWaitTime: 0.6 }, { InstanceIds: [bad] })).rejects.toMatchObject({ name: 'TimeoutError' });
    });
  });

  describe('CreateImage', () => {
    it('registers a pending image whose mappings hold new snapshots, available after the image time', async () => {
      const instance = fleet.instance({ volumes: [{ sizeGiB: 10 }, { sizeGiB: 50 }] });
      const { ec2 } = sandbox.clients();
      const { ImageId } = await ec2.send(
        new CreateImageCommand({ InstanceId: instance.InstanceId!, Name: 'web-backup', NoReboot: true, TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'k', Value: 'v' }] }] }),
      );
      const pending = (await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images![0]!;
      expect(pending).toMatchObject({ State: 'pending', Tags: [{ Key: 'k', Value: 'v' }] });
      const snapshotIds = pending.BlockDeviceMappings!.map((m) => m.Ebs!.SnapshotId!);
      expect(snapshotIds).toHaveLength(2);
      snapshotIds.forEach((id) => expect(sandbox.ec2.snapshots.has(id)).toBe(true));
      sandbox.clock.advance(100 * SEC);
      const ready = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: ['web-backup'] }] }));
      expect(ready.Images![0]!.State).toBe('available');
    });

    it('answers InvalidAMIName.Duplicate for a name already in use', async () => {
      const instance = fleet.instance();
      const { ec2 } = sandbox.clients();
      await ec2.send(new CreateImageCommand({ InstanceId: instance.InstanceId!, Name: 'same-name' }));
      await expect(ec2.send(new CreateImageCommand({ InstanceId: instance.InstanceId!, Name: 'same-name' }))).rejects.toMatchObject({
        name: 'InvalidAMIName.Duplicate',
      });
    });
  });

  describe('DescribeLaunchTemplateVersions', () => {
    it('returns the default version and answers NotFound for an unknown template', async () => {
      const id = lifecycleOf(sandbox).addLaunchTemplate('api', { ImageId: BASE_IMAGE_ID });
      const { ec2 } = sandbox.clients();
      const out = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: ['$Default'] }));
      expect(out.LaunchTemplateVersions![0]).toMatchObject({ LaunchTemplateId: id, VersionNumber: 1, LaunchTemplateData: { ImageId: BASE_IMAGE_ID } });
      await expect(ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: 'lt-0000000000000dead' }))).rejects.toMatchObject({
        name: 'InvalidLaunchTemplateId.NotFound',
      });
      await expect(ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: ['7'] }))).rejects.toMatchObject({
        name: 'InvalidLaunchTemplateId.VersionNotFound',
      });
    });
  });
});

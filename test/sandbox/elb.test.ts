import { StopInstancesCommand } from '@aws-sdk/client-ec2';
import { DeregisterInstancesFromLoadBalancerCommand, DescribeInstanceHealthCommand, RegisterInstancesWithLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing';
import { DeregisterTargetsCommand, DescribeTargetGroupsCommand, DescribeTargetHealthCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { beforeEach, describe, expect, it } from 'vitest';
import { SandboxAccount } from '../../sandbox/account';
import { FleetBuilder } from '../../sandbox/fleet';

const SEC = 1000;

describe('Sandbox Elastic Load Balancing', () => {
  let sandbox: SandboxAccount;
  let fleet: FleetBuilder;
  beforeEach(() => {
    sandbox = new SandboxAccount({ start: new Date('2026-01-10T00:00:00Z'), timeScale: 0 });
    fleet = new FleetBuilder(sandbox);
  });

  it('registers only running instances (InvalidTarget), then initial → healthy; deregistered targets drain', async () => {
    const a = fleet.instance().InstanceId!;
    const stopped = fleet.instance({ state: 'stopped' }).InstanceId!;
    const tg = sandbox.elb.addTargetGroup('web', 80, [a]);
    const b = fleet.instance().InstanceId!;
    const { elbv2 } = sandbox.clients();
    await expect(elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: stopped }] }))).rejects.toMatchObject({ name: 'InvalidTargetException' });
    await expect(elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: 'i-0000000000000dead' }] }))).rejects.toMatchObject({ name: 'InvalidTargetException' });
    await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: b }] }));
    const state = async (id: string) =>
      (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg, Targets: [{ Id: id }] }))).TargetHealthDescriptions![0]!.TargetHealth!.State;
    expect(await state(b)).toBe('initial');
    sandbox.clock.advance(31 * SEC);
    expect(await state(b)).toBe('healthy');
    await elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: a }] }));
    expect(await state(a)).toBe('draining');
    sandbox.clock.advance(301 * SEC);
    expect(await state(a)).toBe('unused');
    const groups = await elbv2.send(new DescribeTargetGroupsCommand({}));
    expect(groups.TargetGroups!.map((g) => g.TargetGroupName)).toEqual(['web']);
  });

  it('shows a stopped target as unused, and a classic load balancer its instances InService / OutOfService', async () => {
    const a = fleet.instance().InstanceId!;
    const b = fleet.instance().InstanceId!;
    sandbox.elb.addClassic('legacy', [a]);
    const { elb, ec2 } = sandbox.clients();
    await elb.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: 'legacy', Instances: [{ InstanceId: b }] }));
    await ec2.send(new StopInstancesCommand({ InstanceIds: [a] }));
    const health = await elb.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'legacy' }));
    expect(health.InstanceStates!.map((s) => [s.InstanceId, s.State])).toEqual([
      [a, 'OutOfService'],
      [b, 'OutOfService'],
    ]);
    sandbox.clock.advance(31 * SEC);
    await elb.send(new DeregisterInstancesFromLoadBalancerCommand({ LoadBalancerName: 'legacy', Instances: [{ InstanceId: a }] }));
    const after = await elb.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'legacy' }));
    expect(after.InstanceStates!.map((s) => [s.InstanceId, s.State])).toEqual([[b, 'InService']]);
    await expect(elb.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'nope' }))).rejects.toMatchObject({ name: 'AccessPointNotFoundException' });
  });
});

import { DescribeInstanceHealthCommand, DeregisterInstancesFromLoadBalancerCommand, paginateDescribeLoadBalancers, RegisterInstancesWithLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing';
import { DeregisterTargetsCommand, DescribeTargetHealthCommand, paginateDescribeTargetGroups, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { JobContext } from '../../engine/types';
import { type ApplyEnv, stepError } from '../apply-env';
import type { Journal } from '../identity/journal';
import { pollUntil } from '../wait';

/** Where the old instance is a load-balancer member: ELBv2 target groups (with port) and classic load balancers. */
export interface Memberships {
  targetGroups: Array<{ arn: string; port?: number }>;
  classic: string[];
}

/**
 * Finds every target group and classic load balancer the instance is registered in. ELB has no
 * "groups of this instance" call: every instance-type target group of the VPC is asked
 * (DescribeTargetHealth with the instance as target), and every classic load balancer lists its
 * instances.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTargetHealth.html
 */
export async function findMemberships(ctx: JobContext, instanceId: string, vpcId: string | undefined): Promise<Memberships> {
  const targetGroups: Memberships['targetGroups'] = [];
  try {
    for await (const page of paginateDescribeTargetGroups({ client: ctx.clients.elbv2 }, {})) {
      for (const g of page.TargetGroups ?? []) {
        if (g.TargetType !== 'instance' || (vpcId && g.VpcId !== vpcId)) continue;
        const health = await ctx.clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: g.TargetGroupArn, Targets: [{ Id: instanceId }] }));
        for (const d of health.TargetHealthDescriptions ?? []) {
          if (d.Target?.Id === instanceId && d.TargetHealth?.Reason !== 'Target.NotRegistered' && d.TargetHealth?.State !== 'draining') {
            targetGroups.push({ arn: g.TargetGroupArn!, port: d.Target.Port });
          }
        }
      }
    }
  } catch (error) {
    throw stepError('find target groups', error);
  }
  const classic: string[] = [];
  try {
    for await (const page of paginateDescribeLoadBalancers({ client: ctx.clients.elb }, {})) {
      for (const lb of page.LoadBalancerDescriptions ?? []) if (lb.Instances?.some((i) => i.InstanceId === instanceId)) classic.push(lb.LoadBalancerName!);
    }
  } catch (error) {
    throw stepError('find classic load balancers', error);
  }
  return { targetGroups, classic };
}

/**
 * Registers the replacement wherever the old instance was, and waits until every group calls it
 * healthy (InService). The old instance stays registered until then; each registration is
 * journalled with its deregistration.
 */
export async function registerReplacement(m: Memberships, newId: string, ctx: JobContext, env: ApplyEnv, journal: Journal): Promise<void> {
  const { elbv2, elb } = ctx.clients;
  for (const g of m.targetGroups) {
    const target = { Id: newId, ...(g.port ? { Port: g.port } : {}) };
    await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: g.arn, Targets: [target] })).catch((e) => Promise.reject(stepError('RegisterTargets', e)));
    journal.record(`deregister ${newId} from ${g.arn}`, () => elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: g.arn, Targets: [target] })));
  }
  for (const name of m.classic) {
    await elb.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: name, Instances: [{ InstanceId: newId }] })).catch((e) => Promise.reject(stepError('RegisterInstancesWithLoadBalancer', e)));
    journal.record(`deregister ${newId} from ${name}`, () => elb.send(new DeregisterInstancesFromLoadBalancerCommand({ LoadBalancerName: name, Instances: [{ InstanceId: newId }] })));
  }
  let pending: string[] = [];
  const allHealthy = async () => {
    pending = [];
    for (const g of m.targetGroups) {
      const res = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: g.arn, Targets: [{ Id: newId, ...(g.port ? { Port: g.port } : {}) }] }));
      const state = res.TargetHealthDescriptions?.[0]?.TargetHealth?.State;
      if (state !== 'healthy') pending.push(`${g.arn.split(':').pop()} ${state ?? 'unknown'}`);
    }
    for (const name of m.classic) {
      const res = await elb.send(new DescribeInstanceHealthCommand({ LoadBalancerName: name, Instances: [{ InstanceId: newId }] }));
      const state = res.InstanceStates?.[0]?.State;
      if (state !== 'InService') pending.push(`${name} ${state ?? 'unknown'}`);
    }
    return pending.length === 0;
  };
  if (m.targetGroups.length + m.classic.length === 0) return;
  try {
    await pollUntil(`${newId} healthy in its load balancers`, env.waiters.healthySeconds, env.waiters, ctx.deadline, allHealthy);
  } catch (error) {
    if ((error as Error).name !== 'WaiterTimeout') throw error;
    throw Object.assign(new Error(`${newId} not healthy in time: ${pending.join(', ')}`), { name: 'TargetNotHealthy' });
  }
}

/** Takes the old instance out of every group (once the replacement serves); best effort, reported if it fails. */
export async function deregisterOld(m: Memberships, oldId: string, ctx: JobContext): Promise<string[]> {
  const left: string[] = [];
  for (const g of m.targetGroups) {
    await ctx.clients.elbv2
      .send(new DeregisterTargetsCommand({ TargetGroupArn: g.arn, Targets: [{ Id: oldId, ...(g.port ? { Port: g.port } : {}) }] }))
      .catch(() => left.push(g.arn));
  }
  for (const name of m.classic) {
    await ctx.clients.elb.send(new DeregisterInstancesFromLoadBalancerCommand({ LoadBalancerName: name, Instances: [{ InstanceId: oldId }] })).catch(() => left.push(name));
  }
  return left;
}

import type {
  DeregisterTargetsInput,
  DescribeTargetGroupsInput,
  DescribeTargetHealthInput,
  RegisterTargetsInput,
  TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type {
  DeregisterEndPointsInput,
  DescribeAccessPointsInput,
  DescribeEndPointStateInput,
  RegisterEndPointsInput,
} from '@aws-sdk/client-elastic-load-balancing';
import type { SandboxClock } from './clock';
import type { Ec2Model } from './ec2';
import { fail } from './errors';

type Op = (input: never) => unknown;

interface Registration {
  id: string;
  port: number;
  registeredAtMs: number;
  /** Set by DeregisterTargets: the target drains until then, and is gone after. */
  drainingUntilMs?: number;
}

interface TargetGroup {
  arn: string;
  name: string;
  port: number;
  vpcId: string;
  targets: Registration[];
}

interface ClassicLoadBalancer {
  name: string;
  vpcId: string;
  instances: Map<string, number>;
}

/** How long checks take to call a target healthy (interval × healthy threshold), and the default deregistration delay. */
export interface ElbTimings {
  healthyMs: number;
  deregistrationDelayMs: number;
}

/**
 * Elastic Load Balancing in the sandbox: ELBv2 target groups (instance targets) and classic load
 * balancers. As in AWS: only a running instance of the group's VPC may be registered
 * (InvalidTarget); a new target is `initial` until its health checks pass, then `healthy` if the
 * instance passes its status checks (else `unhealthy`); a stopped target is `unused`; a
 * deregistered one is `draining` for the deregistration delay. Health is worked out when asked.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RegisterTargets.html
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
 */
export class ElbModel {
  readonly targetGroups = new Map<string, TargetGroup>();
  readonly classic = new Map<string, ClassicLoadBalancer>();
  readonly timings: ElbTimings = { healthyMs: 30_000, deregistrationDelayMs: 300_000 };

  constructor(
    private readonly ec2: Ec2Model,
    private readonly clock: SandboxClock,
  ) {}

  readonly v2Operations: Record<string, Op> = {
    DescribeTargetGroups: (i: DescribeTargetGroupsInput) => this.describeTargetGroups(i),
    DescribeTargetHealth: (i: DescribeTargetHealthInput) => this.describeTargetHealth(i),
    RegisterTargets: (i: RegisterTargetsInput) => this.registerTargets(i),
    DeregisterTargets: (i: DeregisterTargetsInput) => this.deregisterTargets(i),
  };

  readonly classicOperations: Record<string, Op> = {
    DescribeLoadBalancers: (i: DescribeAccessPointsInput) => this.describeClassic(i),
    RegisterInstancesWithLoadBalancer: (i: RegisterEndPointsInput) => this.registerClassic(i),
    DeregisterInstancesFromLoadBalancer: (i: DeregisterEndPointsInput) => this.deregisterClassic(i),
    DescribeInstanceHealth: (i: DescribeEndPointStateInput) => this.describeClassicHealth(i),
  };

  // ----- seeding -----

  addTargetGroup(name: string, port = 80, members: string[] = []): string {
    const arn = `arn:aws:elasticloadbalancing:${this.ec2.region}:${this.ec2.accountId}:targetgroup/${name}/${this.ec2.newId('x').slice(-16)}`;
    const past = this.clock.nowMs() - this.timings.healthyMs;
    this.targetGroups.set(arn, { arn, name, port, vpcId: 'vpc-0sandbox0000000001', targets: members.map((id) => ({ id, port, registeredAtMs: past })) });
    return arn;
  }

  addClassic(name: string, members: string[] = []): void {
    const past = this.clock.nowMs() - this.timings.healthyMs;
    this.classic.set(name, { name, vpcId: 'vpc-0sandbox0000000001', instances: new Map(members.map((id) => [id, past])) });
  }

  // ----- shared rules -----

  private requireRegistrable(id: string | undefined, vpcId: string, service: 'elbv2' | 'elb'): void {
    const instance = id ? this.ec2.instances.get(id)?.data : undefined;
    const code = service === 'elbv2' ? 'InvalidTargetException' : 'InvalidEndPointException';
    if (!instance) throw fail(service, code, `The following targets are not valid: ${id}`);
    if (instance.State?.Name !== 'running') throw fail(service, code, `The following targets are not in a running state and cannot be registered: '${id}'`);
    if (instance.VpcId !== vpcId) throw fail(service, code, `The following targets are not in the target group's VPC: '${id}'`);
  }

  /** What the health checks say about an instance registered at `sinceMs`. */
  private health(id: string, sinceMs: number): { state: 'initial' | 'healthy' | 'unhealthy' | 'unused'; reason?: string } {
    const instance = this.ec2.instances.get(id)?.data;
    if (!instance || instance.State?.Name !== 'running') return { state: 'unused', reason: 'Target.InvalidState' };
    if (this.clock.nowMs() - sinceMs < this.timings.healthyMs) return { state: 'initial', reason: 'Elb.RegistrationInProgress' };
    const h = this.ec2.healthOf(id);
    return h.instanceStatus === 'ok' || h.instanceStatus === 'initializing' ? { state: 'healthy' } : { state: 'unhealthy', reason: 'Target.FailedHealthChecks' };
  }

  private requireGroup(arn: string | undefined): TargetGroup {
    const g = this.targetGroups.get(arn ?? '');
    if (!g) throw fail('elbv2', 'TargetGroupNotFoundException', `Target groups '${arn}' not found`);
    return g;
  }

  // ----- ELBv2 -----

  private describeTargetGroups(input: DescribeTargetGroupsInput) {
    const all = [...this.targetGroups.values()].filter((g) => !input.TargetGroupArns?.length || input.TargetGroupArns.includes(g.arn));
    const start = input.Marker ? Number(input.Marker) : 0;
    const size = input.PageSize ?? 400;
    if (size < 1 || size > 400) throw fail('elbv2', 'ValidationError', 'PageSize must be between 1 and 400');
    const page = all.slice(start, start + size);
    return {
      TargetGroups: page.map((g) => ({ TargetGroupArn: g.arn, TargetGroupName: g.name, Protocol: 'HTTP', Port: g.port, VpcId: g.vpcId, TargetType: 'instance' })),
      NextMarker: start + size < all.length ? String(start + size) : undefined,
    };
  }

  private prune(g: TargetGroup): void {
    const now = this.clock.nowMs();
    g.targets = g.targets.filter((t) => t.drainingUntilMs === undefined || t.drainingUntilMs > now);
  }

  private describeTargetHealth(input: DescribeTargetHealthInput) {
    const g = this.requireGroup(input.TargetGroupArn);
    this.prune(g);
    const wanted = input.Targets?.map((t) => t.Id);
    const out: TargetHealthDescription[] = [];
    for (const t of g.targets) {
      if (wanted && !wanted.includes(t.id)) continue;
      const h = t.drainingUntilMs ? { state: 'draining' as const, reason: 'Target.DeregistrationInProgress' } : this.health(t.id, t.registeredAtMs);
      out.push({ Target: { Id: t.id, Port: t.port }, HealthCheckPort: String(t.port), TargetHealth: { State: h.state, Reason: h.reason as never } });
    }
    for (const id of wanted ?? []) {
      if (!out.some((d) => d.Target?.Id === id)) out.push({ Target: { Id: id, Port: g.port }, TargetHealth: { State: 'unused', Reason: 'Target.NotRegistered' } });
    }
    return { TargetHealthDescriptions: out };
  }

  private registerTargets(input: RegisterTargetsInput) {
    const g = this.requireGroup(input.TargetGroupArn);
    this.prune(g);
    for (const t of input.Targets ?? []) this.requireRegistrable(t.Id, g.vpcId, 'elbv2');
    for (const t of input.Targets ?? []) {
      const port = t.Port ?? g.port;
      const existing = g.targets.find((r) => r.id === t.Id && r.port === port);
      if (existing && existing.drainingUntilMs === undefined) continue;
      g.targets = g.targets.filter((r) => r !== existing);
      g.targets.push({ id: t.Id!, port, registeredAtMs: this.clock.nowMs() });
    }
    return {};
  }

  private deregisterTargets(input: DeregisterTargetsInput) {
    const g = this.requireGroup(input.TargetGroupArn);
    for (const t of input.Targets ?? []) {
      const port = t.Port ?? g.port;
      const found = g.targets.find((r) => r.id === t.Id && r.port === port);
      if (!found) throw fail('elbv2', 'InvalidTargetException', `The following targets are not registered: '${t.Id}'`);
      found.drainingUntilMs ??= this.clock.nowMs() + this.timings.deregistrationDelayMs;
    }
    return {};
  }

  // ----- classic -----

  private requireClassic(name: string | undefined): ClassicLoadBalancer {
    const lb = this.classic.get(name ?? '');
    if (!lb) throw fail('elb', 'AccessPointNotFoundException', `There is no ACTIVE Load Balancer named '${name}'`);
    return lb;
  }

  private describeClassic(input: DescribeAccessPointsInput) {
    const all = [...this.classic.values()].filter((lb) => !input.LoadBalancerNames?.length || input.LoadBalancerNames.includes(lb.name));
    const start = input.Marker ? Number(input.Marker) : 0;
    const size = input.PageSize ?? 400;
    const page = all.slice(start, start + size);
    return {
      LoadBalancerDescriptions: page.map((lb) => ({ LoadBalancerName: lb.name, VPCId: lb.vpcId, Instances: [...lb.instances.keys()].map((InstanceId) => ({ InstanceId })) })),
      NextMarker: start + size < all.length ? String(start + size) : undefined,
    };
  }

  private registerClassic(input: RegisterEndPointsInput) {
    const lb = this.requireClassic(input.LoadBalancerName);
    for (const i of input.Instances ?? []) this.requireRegistrable(i.InstanceId, lb.vpcId, 'elb');
    for (const i of input.Instances ?? []) if (!lb.instances.has(i.InstanceId!)) lb.instances.set(i.InstanceId!, this.clock.nowMs());
    return { Instances: [...lb.instances.keys()].map((InstanceId) => ({ InstanceId })) };
  }

  private deregisterClassic(input: DeregisterEndPointsInput) {
    const lb = this.requireClassic(input.LoadBalancerName);
    for (const i of input.Instances ?? []) lb.instances.delete(i.InstanceId!);
    return { Instances: [...lb.instances.keys()].map((InstanceId) => ({ InstanceId })) };
  }

  private describeClassicHealth(input: DescribeEndPointStateInput) {
    const lb = this.requireClassic(input.LoadBalancerName);
    const ids = input.Instances?.map((i) => i.InstanceId!) ?? [...lb.instances.keys()];
    return {
      InstanceStates: ids.map((id) => {
        const since = lb.instances.get(id);
        if (since === undefined) throw fail('elb', 'InvalidEndPointException', `The instance ${id} is not registered with ${lb.name}`);
        const h = this.health(id, since);
        return { InstanceId: id, State: h.state === 'healthy' ? 'InService' : 'OutOfService', ReasonCode: h.state === 'healthy' ? 'N/A' : 'Instance', Description: h.reason ?? '' };
      }),
    };
  }
}

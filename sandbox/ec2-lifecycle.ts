import type {
  DescribeInstanceAttributeRequest,
  Instance,
  InstanceStateName,
  RequestLaunchTemplateData,
  StartInstancesRequest,
  StopInstancesRequest,
  TerminateInstancesRequest,
} from '@aws-sdk/client-ec2';
import type { SandboxClock } from './clock';
import { clone, type Ec2Model } from './ec2';
import { Ec2Launcher } from './ec2-launch';
import { fail } from './errors';

/** How long lifecycle transitions take, in sandbox milliseconds (roughly what EC2 shows). */
export interface LifecycleTimings {
  /** pending → running after RunInstances / StartInstances. */
  launchMs: number;
  /** stopping → stopped, shutting-down → terminated. */
  stopMs: number;
  /** Status checks initializing → ok after the instance is running. */
  statusOkMs: number;
  /** CreateImage: pending → available. */
  imageAvailableMs: number;
}

export const DEFAULT_LIFECYCLE_TIMINGS: LifecycleTimings = { launchMs: 30_000, stopMs: 40_000, statusOkMs: 120_000, imageAvailableMs: 90_000 };

/** The AMI every FleetBuilder instance was launched from; public (owned by Amazon), as a base image is. */
export const BASE_IMAGE_ID = 'ami-0sandbox0000000001';

const STATE_CODES: Record<InstanceStateName, number> = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80 };

/** Scheduled-event codes a stop or a move to a new host resolves (the instance leaves the degraded host). */
const RESOLVED_BY_MOVE = new Set(['instance-stop', 'instance-retirement', 'system-reboot', 'system-maintenance']);

type Op = (input: never) => unknown;

const registry = new WeakMap<Ec2Model, Ec2Lifecycle>();

/** The lifecycle model serving a sandbox account (tests seed launch templates and user data through it). */
export function lifecycleOf(account: { ec2: Ec2Model }): Ec2Lifecycle {
  const found = registry.get(account.ec2);
  if (!found) throw new Error('this sandbox account serves no EC2 lifecycle model');
  return found;
}

/**
 * Instance and image lifecycles on top of {@link Ec2Model}: Stop/Start/TerminateInstances and
 * DescribeInstanceAttribute here; RunInstances, CreateImage and DescribeLaunchTemplateVersions in
 * {@link Ec2Launcher}. States move on sandbox time (pending → running, stopping → stopped, image
 * pending → available), worked out whenever someone describes, so the SDK's own waiters
 * (`waitUntilInstanceRunning`, ...) poll it as they poll EC2.
 */
export class Ec2Lifecycle {
  readonly timings: LifecycleTimings;
  /** Base64 user data by instance id. */
  readonly userData = new Map<string, string>();
  /** Status-check result an instance reaches once it has initialised (tests make replacements fail with it). */
  launchHealth: (instance: Instance) => 'ok' | 'impaired' = () => 'ok';
  private readonly transitions = new Map<string, { to: InstanceStateName; atMs: number }>();
  private readonly statusDueAt = new Map<string, number>();
  /** When each pending image becomes available. */
  readonly imageDueAt = new Map<string, number>();
  private readonly launcher: Ec2Launcher;
  private readonly hadPublicIp = new Set<string>();
  private ips = 0;

  constructor(
    private readonly ec2: Ec2Model,
    private readonly clock: SandboxClock,
    timings: Partial<LifecycleTimings> = {},
  ) {
    this.timings = { ...DEFAULT_LIFECYCLE_TIMINGS, ...timings };
    registry.set(ec2, this);
    ec2.store(ec2.images, BASE_IMAGE_ID, {
      ImageId: BASE_IMAGE_ID,
      Name: 'al2023-ami-sandbox-x86_64',
      State: 'available',
      OwnerId: '137112412989',
      Public: true,
      RootDeviceType: 'ebs',
      RootDeviceName: '/dev/xvda',
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: 'snap-0sandboxbase00001', VolumeSize: 8, VolumeType: 'gp3', DeleteOnTermination: true } }],
    });
    this.launcher = new Ec2Launcher(ec2, clock, this);
    const base = ec2.operations;
    const refreshed = (name: string): Op => (input: never) => {
      this.refresh();
      return base[name]!(input);
    };
    this.operations = {
      DescribeInstances: refreshed('DescribeInstances'),
      DescribeInstanceStatus: refreshed('DescribeInstanceStatus'),
      DescribeImages: refreshed('DescribeImages'),
      DescribeAddresses: refreshed('DescribeAddresses'),
      StopInstances: (i: StopInstancesRequest) => this.stopInstances(i),
      StartInstances: (i: StartInstancesRequest) => this.startInstances(i),
      TerminateInstances: (i: TerminateInstancesRequest) => this.terminateInstances(i),
      DescribeInstanceAttribute: (i: DescribeInstanceAttributeRequest) => this.describeInstanceAttribute(i),
      ...this.launcher.operations,
    };
  }

  /** Operations to register with `account.serve('ec2', ...)`. */
  readonly operations: Record<string, Op>;

  /** Seeds a launch template (version 1, the default); returns its id. */
  addLaunchTemplate(name: string, data: RequestLaunchTemplateData): string {
    return this.launcher.addLaunchTemplate(name, data);
  }

  // ----- time -----

  /** Applies every transition that is due; called before each describe. */
  refresh(): void {
    const now = this.clock.nowMs();
    for (const [id, t] of this.transitions) {
      if (t.atMs > now) continue;
      this.transitions.delete(id);
      const instance = this.ec2.instances.get(id)?.data;
      if (!instance) continue;
      this.setState(instance, t.to);
      if (t.to === 'running') {
        const health = this.ec2.healthOf(id);
        health.systemStatus = 'initializing';
        health.instanceStatus = 'initializing';
        this.statusDueAt.set(id, t.atMs + this.timings.statusOkMs);
      }
    }
    for (const [id, at] of this.statusDueAt) {
      if (at > now) continue;
      this.statusDueAt.delete(id);
      const instance = this.ec2.instances.get(id)?.data;
      if (!instance || instance.State?.Name !== 'running') continue;
      const health = this.ec2.healthOf(id);
      const result = this.launchHealth(instance);
      health.systemStatus = 'ok';
      health.instanceStatus = result;
    }
    for (const [id, at] of this.imageDueAt) {
      if (at > now) continue;
      this.imageDueAt.delete(id);
      const image = this.ec2.images.get(id)?.data;
      if (image?.State === 'pending') image.State = 'available';
    }
  }

  private setState(instance: Instance, name: InstanceStateName): void {
    instance.State = { Name: name, Code: STATE_CODES[name] };
  }

  /** Moves an instance to `to` after `afterMs` of sandbox time. */
  schedule(id: string, to: InstanceStateName, afterMs: number): void {
    this.transitions.set(id, { to, atMs: this.clock.nowMs() + afterMs });
  }

  private eipOf(instanceId: string): boolean {
    return [...this.ec2.addresses.values()].some((a) => a.data.InstanceId === instanceId);
  }

  /** A fresh public IPv4 address (a started or launched instance without an Elastic IP). */
  newPublicIp(): string {
    this.ips++;
    return `54.${200 + Math.floor(this.ips / 65536)}.${Math.floor(this.ips / 256) % 256}.${this.ips % 256}`;
  }

  private change(instance: Instance, previous: InstanceStateName) {
    return { InstanceId: instance.InstanceId, CurrentState: clone(instance.State), PreviousState: { Name: previous, Code: STATE_CODES[previous] } };
  }

  // ----- stop / start / terminate -----

  private stopInstances(input: StopInstancesRequest) {
    this.refresh();
    const instances = (input.InstanceIds ?? []).map((id) => this.ec2.requireInstance(id));
    for (const i of instances) {
      if (i.RootDeviceType !== 'ebs') {
        throw fail('ec2', 'UnsupportedOperation', `The instance '${i.InstanceId}' does not have an 'ebs' root device type and cannot be stopped.`);
      }
      if (i.State?.Name === 'terminated' || i.State?.Name === 'shutting-down' || i.State?.Name === 'pending') {
        throw fail('ec2', 'IncorrectInstanceState', `This instance '${i.InstanceId}' is not in a state from which it can be stopped.`);
      }
    }
    return {
      StoppingInstances: instances.map((i) => {
        const previous = i.State!.Name!;
        if (previous === 'running') {
          this.setState(i, 'stopping');
          this.schedule(i.InstanceId!, 'stopped', this.timings.stopMs);
          this.leaveHost(i);
        }
        return this.change(i, previous);
      }),
    };
  }

  /** A stopped instance has left its host: its scheduled moves are done, its public IP goes (an EIP stays). */
  private leaveHost(instance: Instance): void {
    const id = instance.InstanceId!;
    if (instance.PublicIpAddress && !this.eipOf(id)) {
      this.hadPublicIp.add(id);
      instance.PublicIpAddress = undefined;
    }
    const health = this.ec2.healthOf(id);
    health.events = health.events.filter((e) => !RESOLVED_BY_MOVE.has(e.Code ?? ''));
    health.systemStatus = 'ok';
    this.statusDueAt.delete(id);
  }

  private startInstances(input: StartInstancesRequest) {
    this.refresh();
    const instances = (input.InstanceIds ?? []).map((id) => this.ec2.requireInstance(id));
    for (const i of instances) {
      if (!['stopped', 'running', 'pending'].includes(i.State?.Name ?? '')) {
        throw fail('ec2', 'IncorrectInstanceState', `The instance '${i.InstanceId}' is not in a state from which it can be started.`);
      }
    }
    return {
      StartingInstances: instances.map((i) => {
        const previous = i.State!.Name!;
        if (previous === 'stopped') {
          this.setState(i, 'pending');
          i.LaunchTime = this.clock.now();
          if (!this.eipOf(i.InstanceId!) && this.hadPublicIp.delete(i.InstanceId!)) i.PublicIpAddress = this.newPublicIp();
          this.schedule(i.InstanceId!, 'running', this.timings.launchMs);
        }
        return this.change(i, previous);
      }),
    };
  }

  private terminateInstances(input: TerminateInstancesRequest) {
    this.refresh();
    const instances = (input.InstanceIds ?? []).map((id) => this.ec2.requireInstance(id));
    return {
      TerminatingInstances: instances.map((i) => {
        const previous = i.State!.Name!;
        if (previous !== 'terminated' && previous !== 'shutting-down') {
          this.setState(i, 'shutting-down');
          this.schedule(i.InstanceId!, 'terminated', this.timings.stopMs);
          for (const { data: a } of this.ec2.addresses.values()) {
            if (a.InstanceId !== i.InstanceId) continue;
            a.InstanceId = undefined;
            a.AssociationId = undefined;
            a.PrivateIpAddress = undefined;
          }
          i.PublicIpAddress = undefined;
          this.ec2.healthOf(i.InstanceId!).events = [];
        }
        return this.change(i, previous);
      }),
    };
  }

  // ----- attributes -----

  private describeInstanceAttribute(input: DescribeInstanceAttributeRequest) {
    const instance = this.ec2.requireInstance(input.InstanceId ?? '');
    switch (input.Attribute) {
      case 'userData': {
        const value = this.userData.get(instance.InstanceId!);
        return { InstanceId: instance.InstanceId, UserData: value === undefined ? {} : { Value: value } };
      }
      case 'instanceType':
        return { InstanceId: instance.InstanceId, InstanceType: { Value: instance.InstanceType } };
      default:
        throw fail('ec2', 'InvalidParameterValue', `Value (${String(input.Attribute)}) for parameter attribute is invalid or not served by the sandbox.`);
    }
  }
}

import type {
  Instance,
  InstanceStateName,
  RequestLaunchTemplateData,
  StartInstancesRequest,
  StopInstancesRequest,
  TerminateInstancesRequest,
} from '@aws-sdk/client-ec2';
import type { SandboxClock } from './clock';
import { clone, type Ec2Model } from './ec2';
import { Ec2Attributes } from './ec2-attributes';
import { Ec2Images } from './ec2-images';
import { Ec2Launcher } from './ec2-launch';
import { Ec2Network } from './ec2-network';
import { Ec2Volumes } from './ec2-volumes';
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

/** Instance attributes that only DescribeInstanceAttribute shows (protections, shutdown behaviour). */
export interface InstanceAttributes {
  disableApiTermination: boolean;
  disableApiStop: boolean;
  shutdownBehavior: 'stop' | 'terminate';
}

/** What EC2 says when an instance could not start because a volume's KMS key refused it. */
const KMS_LAUNCH_FAILURE = { Code: 'Client.InternalError', Message: 'Client.InternalError: Client error on launch' };

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
  /** Attributes set at launch or by ModifyInstanceAttribute, by instance id. */
  readonly attributes = new Map<string, InstanceAttributes>();
  /**
   * What an instance wrote to its instance-store volumes (tests write a marker): a reboot keeps it,
   * a stop loses it, as EC2 documents even for an EBS-root instance.
   */
  readonly instanceStoreData = new Map<string, string>();
  /** Instances whose stop hangs in `stopping` until a `Force` stop (seeded fault). */
  readonly stuckStopping = new Set<string>();
  /**
   * KMS keys whose grants the starter lacks (seeded fault): an instance with a volume under one
   * goes `pending` and falls back to `stopped` (or `terminated` when newly launched) with
   * Client.InternalError, as EC2 does for a key it may not use.
   * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/troubleshooting-launch.html
   */
  readonly deniedKmsKeys = new Set<string>();
  private readonly due: Array<{ atMs: number; run: () => void }> = [];
  private readonly neverRan = new Set<string>();
  readonly network: Ec2Network;
  readonly volumes: Ec2Volumes;
  /** Placement groups that exist (RunInstances refuses others). */
  readonly placementGroups = new Set<string>();
  /** Dedicated hosts by id and state (`available`, `released`, ...). */
  readonly hosts = new Map<string, string>();

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
    const later = (afterMs: number, run: () => void) => this.later(afterMs, run);
    this.network = new Ec2Network(ec2, later);
    this.volumes = new Ec2Volumes(ec2, later);
    this.launcher = new Ec2Launcher(ec2, clock, this);
    const images = new Ec2Images(ec2, clock, this);
    const attributes = new Ec2Attributes(ec2, this);
    const base = { ...ec2.operations, ...this.network.operations };
    const ops: Record<string, Op> = {
      ...this.network.operations,
      ...this.volumes.operations,
      ...attributes.operations,
      DescribeInstances: (input: never) => {
        this.network.syncAll([...ec2.instances.values()].map((i) => i.data));
        return base.DescribeInstances!(input);
      },
      DescribeInstanceStatus: base.DescribeInstanceStatus!,
      DescribeImages: base.DescribeImages!,
      DescribeAddresses: base.DescribeAddresses!,
      DescribeVolumes: base.DescribeVolumes!,
      StopInstances: (i: StopInstancesRequest) => this.stopInstances(i),
      StartInstances: (i: StartInstancesRequest) => this.startInstances(i),
      TerminateInstances: (i: TerminateInstancesRequest) => this.terminateInstances(i),
      ...this.launcher.operations,
      ...images.operations,
    };
    // Every call first applies what sandbox time has made due (a detach that finished, a boot).
    this.operations = Object.fromEntries(
      Object.entries(ops).map(([name, op]) => [
        name,
        (input: never) => {
          this.refresh();
          return op(input);
        },
      ]),
    );
    this.creditSpecs = attributes.credits;
  }

  /** Credit mode of burstable instances (RunInstances sets it). */
  readonly creditSpecs: Map<string, 'standard' | 'unlimited'>;

  /** Operations to register with `account.serve('ec2', ...)`. */
  readonly operations: Record<string, Op>;

  /** Seeds a launch template (version 1, the default); returns its id. */
  addLaunchTemplate(name: string, data: RequestLaunchTemplateData): string {
    return this.launcher.addLaunchTemplate(name, data);
  }

  // ----- time -----

  /** Runs `run` once `afterMs` of sandbox time has passed (at the next describe after that). */
  later(afterMs: number, run: () => void): void {
    this.due.push({ atMs: this.clock.nowMs() + afterMs, run });
  }

  /** The protections and shutdown behaviour of an instance (EC2's defaults until set). */
  attributesOf(id: string): InstanceAttributes {
    let a = this.attributes.get(id);
    if (!a) {
      a = { disableApiTermination: false, disableApiStop: false, shutdownBehavior: 'stop' };
      this.attributes.set(id, a);
    }
    return a;
  }

  /** Marks a freshly launched instance: a launch failure terminates it, a start failure stops it. */
  launched(id: string): void {
    this.neverRan.add(id);
  }

  private kmsRefuses(instance: Instance): boolean {
    if (this.deniedKmsKeys.size === 0) return false;
    return (instance.BlockDeviceMappings ?? []).some((m) => this.deniedKmsKeys.has(this.ec2.volumes.get(m.Ebs?.VolumeId ?? '')?.data.KmsKeyId ?? ''));
  }

  /** Applies every transition that is due; called before each describe. */
  refresh(): void {
    const now = this.clock.nowMs();
    const ready = this.due.filter((d) => d.atMs <= now);
    if (ready.length) {
      this.due.splice(0, this.due.length, ...this.due.filter((d) => d.atMs > now));
      for (const d of ready.sort((a, b) => a.atMs - b.atMs)) d.run();
    }
    for (const [id, t] of this.transitions) {
      if (t.atMs > now) continue;
      this.transitions.delete(id);
      const instance = this.ec2.instances.get(id)?.data;
      if (!instance) continue;
      if (t.to === 'running' && this.kmsRefuses(instance)) {
        const fresh = this.neverRan.has(id);
        this.setState(instance, fresh ? 'terminated' : 'stopped');
        instance.StateReason = { ...KMS_LAUNCH_FAILURE };
        instance.StateTransitionReason = `${KMS_LAUNCH_FAILURE.Message} (${new Date(t.atMs).toISOString()})`;
        if (fresh) this.releaseResources(instance);
        continue;
      }
      this.setState(instance, t.to);
      if (t.to === 'running') this.neverRan.delete(id);
      if (t.to === 'stopped') instance.StateReason = { Code: 'Client.UserInitiatedShutdown', Message: 'Client.UserInitiatedShutdown: User initiated shutdown' };
      if (t.to === 'running') {
        instance.StateReason = undefined;
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
      // Stop protection refuses every stop, forced or not.
      // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-stop-protection.html
      if (this.attributesOf(i.InstanceId!).disableApiStop) {
        throw fail('ec2', 'OperationNotPermitted', `The instance '${i.InstanceId}' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.`);
      }
    }
    return {
      StoppingInstances: instances.map((i) => {
        const previous = i.State!.Name!;
        const stuck = this.stuckStopping.has(i.InstanceId!) && !input.Force;
        if (previous === 'running') {
          this.setState(i, 'stopping');
          if (!stuck) this.schedule(i.InstanceId!, 'stopped', this.timings.stopMs);
          this.leaveHost(i);
        } else if (previous === 'stopping' && input.Force && !this.transitions.has(i.InstanceId!)) {
          this.schedule(i.InstanceId!, 'stopped', this.timings.stopMs);
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
    this.instanceStoreData.delete(id);
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
    for (const i of instances) {
      // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_ChangingDisableAPITermination.html
      if (this.attributesOf(i.InstanceId!).disableApiTermination && i.State?.Name !== 'terminated') {
        throw fail('ec2', 'OperationNotPermitted', `The instance '${i.InstanceId}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`);
      }
    }
    return {
      TerminatingInstances: instances.map((i) => {
        const previous = i.State!.Name!;
        if (previous !== 'terminated' && previous !== 'shutting-down') {
          this.setState(i, 'shutting-down');
          this.schedule(i.InstanceId!, 'terminated', this.timings.stopMs);
          this.releaseResources(i);
        }
        return this.change(i, previous);
      }),
    };
  }

  /** A terminated instance gives back its interfaces, volumes, Elastic IPs and scheduled events. */
  private releaseResources(i: Instance): void {
    this.network.releaseOnTerminate(i.InstanceId!);
    this.volumes.releaseOnTerminate(i);
    for (const { data: a } of this.ec2.addresses.values()) {
      if (a.InstanceId !== i.InstanceId) continue;
      a.InstanceId = undefined;
      a.AssociationId = undefined;
      a.PrivateIpAddress = undefined;
      a.NetworkInterfaceId = undefined;
    }
    i.PublicIpAddress = undefined;
    this.instanceStoreData.delete(i.InstanceId!);
    this.ec2.healthOf(i.InstanceId!).events = [];
  }
}

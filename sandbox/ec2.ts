import type {
  Address,
  CreateTagsRequest,
  DeleteTagsRequest,
  DescribeImagesRequest,
  DescribeInstancesRequest,
  DescribeVolumesRequest,
  Image,
  Instance,
  InstanceStateName,
  InstanceStatusEvent,
  Snapshot,
  Tag,
  Volume,
} from '@aws-sdk/client-ec2';
import type { SandboxClock } from './clock';
import { fail } from './errors';
import { applyFilters, type FilterFields, paginate, type Stored } from './query';
import { SnapshotOutcomes } from './ec2-snapshot-outcomes';
import { DEFAULT_TIERING_TIMINGS, SnapshotTiers } from './ec2-archive';
import { Ec2Snapshots } from './ec2-snapshots';
import { clone } from './ec2-shapes';

// The shape helpers the other parts of the model import from here.
export { clone, tagsFor } from './ec2-shapes';
import { DEFAULT_TAG_LAG_MS, TagVisibility } from './ec2-tag-visibility';

/** How long things take in the model, in sandbox milliseconds. */
export interface Ec2Timings {
  snapshotCompleteMs: number;
  /** Minimum gap between two snapshots of one volume (SnapshotCreationPerVolumeRateExceeded). */
  perVolumeSnapshotGapMs: number;
  /** How long ModifySnapshotTier and RestoreSnapshotTier take (defaults: 6 h, 24 h). */
  archiveMs?: number;
  restoreMs?: number;
  /** Longest delay before an instance's tag write shows in DescribeInstances (ec2-tag-visibility.ts; default DEFAULT_TAG_LAG_MS, 2 s; 0 turns the lag off). */
  tagVisibilityLagMs?: number;
}

/**
 * User tags per resource; `aws:` tags do not count (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions).
 * Over it, CreateTags fails `TagLimitExceeded` (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
 */
const MAX_TAGS = 50;

/** Scheduled events and status checks of an instance, as DescribeInstanceStatus shows them. */
export interface InstanceHealth {
  events: InstanceStatusEvent[];
  systemStatus: 'ok' | 'impaired' | 'initializing' | 'insufficient-data';
  instanceStatus: 'ok' | 'impaired' | 'initializing' | 'insufficient-data';
}

type Op = (input: never) => unknown;

/**
 * An in-memory EC2 of one account and Region. Resources are stored in SDK shapes so describe
 * calls return exactly what the real API's deserialiser would.
 */
export class Ec2Model {
  readonly instances = new Map<string, Stored<Instance>>();
  readonly volumes = new Map<string, Stored<Volume>>();
  readonly snapshots = new Map<string, Stored<Snapshot>>();
  readonly images = new Map<string, Stored<Image>>();
  readonly addresses = new Map<string, Stored<Address>>();
  readonly health = new Map<string, InstanceHealth>();
  /** Further taggable resources by id prefix (network interfaces live in ec2-network.ts). */
  readonly taggable: Record<string, Map<string, Stored<{ Tags?: Tag[] }>>> = {};
  private seq = 0;
  private ids = 0;
  /** Which snapshots end in `error` (seeded faults), and the completion events EBS emits. */
  readonly outcomes: SnapshotOutcomes;
  /** The archive tier (ModifySnapshotTier, DescribeSnapshotTierStatus, RestoreSnapshotTier). */
  readonly tiers: SnapshotTiers;
  /** DescribeSnapshots, CreateSnapshot(s), DeleteSnapshot (ec2-snapshots.ts). */
  private readonly snapshotOps: Ec2Snapshots;
  /** When instance tag writes become visible to DescribeInstances. */
  readonly tagViews: TagVisibility;

  constructor(
    clock: SandboxClock,
    readonly accountId: string,
    readonly region: string,
    readonly timings: Ec2Timings,
    seed = 1,
  ) {
    this.outcomes = new SnapshotOutcomes(accountId, region, seed);
    this.tiers = new SnapshotTiers(clock, accountId, this.snapshots, this.images, {
      archiveMs: timings.archiveMs ?? DEFAULT_TIERING_TIMINGS.archiveMs,
      restoreMs: timings.restoreMs ?? DEFAULT_TIERING_TIMINGS.restoreMs,
    });
    this.snapshotOps = new Ec2Snapshots(this, clock);
    Object.assign(this.operations, this.snapshotOps.operations, this.tiers.operations);
    this.tagViews = new TagVisibility(clock, timings.tagVisibilityLagMs ?? DEFAULT_TAG_LAG_MS, seed + 7);
  }

  /** Operations the sandbox serves, by API name. */
  readonly operations: Record<string, Op> = {
    DescribeInstances: (i: DescribeInstancesRequest) => this.describeInstances(i),
    DescribeVolumes: (i: DescribeVolumesRequest) => this.describeVolumes(i),
    DescribeImages: (i: DescribeImagesRequest) => this.describeImages(i),
    CreateTags: (i: CreateTagsRequest) => this.createTags(i),
    DeleteTags: (i: DeleteTagsRequest) => this.deleteTags(i),
  };

  // ----- seeding (the fleet builder and tests use these) -----

  /** Ids of another Region start elsewhere, so no two Regions of one account share an id (as in EC2). */
  startIdsAt(n: number): void {
    this.ids = n;
  }

  newId(prefix: string): string {
    this.ids++;
    return `${prefix}-${this.ids.toString(16).padStart(17, '0')}`;
  }

  store<T>(map: Map<string, Stored<T>>, id: string, data: T): T {
    map.set(id, { seq: ++this.seq, data });
    return data;
  }

  // ----- instances -----

  private instanceFields: FilterFields<Instance> = {
    'instance-id': (i) => [i.InstanceId],
    'instance-state-name': (i) => [i.State?.Name],
    'root-device-type': (i) => [i.RootDeviceType],
    'instance-type': (i) => [i.InstanceType],
    'availability-zone': (i) => [i.Placement?.AvailabilityZone],
    'private-ip-address': (i) => [i.PrivateIpAddress],
    'ip-address': (i) => [i.PublicIpAddress],
  };

  requireInstance(id: string): Instance {
    const found = this.instances.get(id);
    if (!found) throw fail('ec2', 'InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    return found.data;
  }

  private describeInstances(input: DescribeInstancesRequest) {
    if (input.InstanceIds?.length && input.MaxResults !== undefined) {
      throw fail('ec2', 'InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
    }
    let items = [...this.instances.values()];
    if (input.InstanceIds?.length) {
      const missing = input.InstanceIds.filter((id) => !this.instances.has(id));
      if (missing.length) throw fail('ec2', 'InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
      items = items.filter((i) => input.InstanceIds!.includes(i.data.InstanceId!));
    }
    const { page, nextToken } = paginate('ec2', applyFilters(items, input.Filters, this.instanceFields), input, { min: 5, max: 1000 });
    return {
      Reservations: page.map((inst) => ({
        ReservationId: `r-${inst.InstanceId!.slice(2)}`,
        OwnerId: this.accountId,
        Instances: [{ ...clone(inst), Tags: clone(this.tagViews.visible(inst.InstanceId!, inst.Tags)) }],
      })),
      NextToken: nextToken,
    };
  }

  setInstanceState(id: string, name: InstanceStateName): void {
    const codes: Record<string, number> = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80 };
    this.requireInstance(id).State = { Name: name, Code: codes[name] };
  }

  // ----- volumes -----

  private volumeFields: FilterFields<Volume> = {
    'volume-id': (v) => [v.VolumeId],
    'attachment.instance-id': (v) => (v.Attachments ?? []).map((a) => a.InstanceId),
    'attachment.device': (v) => (v.Attachments ?? []).map((a) => a.Device),
    'attachment.status': (v) => (v.Attachments ?? []).map((a) => a.State),
    status: (v) => [v.State],
    'volume-type': (v) => [v.VolumeType],
    'availability-zone': (v) => [v.AvailabilityZone],
  };

  private describeVolumes(input: DescribeVolumesRequest) {
    if (input.VolumeIds?.length && input.MaxResults !== undefined) {
      throw fail('ec2', 'InvalidParameterCombination', 'The parameter volumeSet cannot be used with the parameter maxResults');
    }
    let items = [...this.volumes.values()];
    if (input.VolumeIds?.length) {
      const missing = input.VolumeIds.filter((id) => !this.volumes.has(id));
      if (missing.length) throw fail('ec2', 'InvalidVolume.NotFound', `The volume '${missing.join(', ')}' does not exist.`);
      items = items.filter((v) => input.VolumeIds!.includes(v.data.VolumeId!));
    }
    const { page, nextToken } = paginate('ec2', applyFilters(items, input.Filters, this.volumeFields), input, { min: 5, max: 500 });
    return { Volumes: page.map(clone), NextToken: nextToken };
  }

  // ----- snapshots (ec2-snapshots.ts) -----

  /** Snapshots end (completed, or error when a seeded fault says so) after `snapshotCompleteMs`; worked out when someone looks. */
  refreshSnapshot(s: Snapshot): Snapshot {
    return this.snapshotOps.refresh(s);
  }

  /** Brings every pending snapshot up to date (emitting due completion events); returns the events so far. */
  settleSnapshots() {
    return this.snapshotOps.settle();
  }

  // ----- images -----

  private imageFields: FilterFields<Image> = {
    'image-id': (i) => [i.ImageId],
    'block-device-mapping.snapshot-id': (i) => (i.BlockDeviceMappings ?? []).map((m) => m.Ebs?.SnapshotId),
    state: (i) => [i.State],
    name: (i) => [i.Name],
  };

  private describeImages(input: DescribeImagesRequest) {
    let items = [...this.images.values()];
    if (input.Owners?.length) {
      const owners = new Set(input.Owners.map((o) => (o === 'self' ? this.accountId : o)));
      items = items.filter((i) => owners.has(i.data.OwnerId!));
    }
    if (input.ImageIds?.length) {
      const missing = input.ImageIds.filter((id) => !this.images.has(id));
      if (missing.length) throw fail('ec2', 'InvalidAMIID.NotFound', `The image id '[${missing.join(', ')}]' does not exist`);
      items = items.filter((i) => input.ImageIds!.includes(i.data.ImageId!));
    }
    const { page, nextToken } = paginate('ec2', applyFilters(items, input.Filters, this.imageFields), input, { min: 5, max: 1000 });
    return { Images: page.map(clone), NextToken: nextToken };
  }

  // ----- tags -----

  /** The resource a tag call names, found by its id prefix. */
  private tagged(id: string): { Tags?: Tag[] } {
    const prefix = id.split('-')[0];
    const maps: Record<string, Map<string, Stored<{ Tags?: Tag[] }>>> = {
      i: this.instances,
      vol: this.volumes,
      snap: this.snapshots,
      ami: this.images,
      eipalloc: this.addresses,
      ...this.taggable,
    };
    const found = maps[prefix ?? '']?.get(id);
    if (!found) {
      const kind = { i: 'InvalidInstanceID', vol: 'InvalidVolume', snap: 'InvalidSnapshot', ami: 'InvalidAMIID', eni: 'InvalidNetworkInterfaceID' }[prefix ?? ''];
      throw fail('ec2', kind ? `${kind}.NotFound` : 'InvalidID', `The ID '${id}' does not exist`);
    }
    return found.data;
  }

  private createTags(input: CreateTagsRequest) {
    const targets = (input.Resources ?? []).map((id) => this.tagged(id));
    const updated = targets.map((target) => {
      const tags = new Map((target.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
      for (const t of input.Tags ?? []) tags.set(t.Key ?? '', t.Value ?? '');
      if ([...tags.keys()].filter((k) => !k.toLowerCase().startsWith('aws:')).length > MAX_TAGS) throw fail('ec2', 'TagLimitExceeded', `The maximum number of Tags for a resource has been reached (${MAX_TAGS}).`);
      return [...tags].map(([Key, Value]) => ({ Key, Value }));
    });
    targets.forEach((target, i) => this.retag(input.Resources![i]!, target, updated[i]!));
    return {};
  }

  private deleteTags(input: DeleteTagsRequest) {
    const targets = (input.Resources ?? []).map((id) => this.tagged(id));
    targets.forEach((target, i) => {
      // Without Tags, DeleteTags removes every user tag (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteTags.html).
      const gone = (t: Tag) => (input.Tags === undefined ? !(t.Key ?? '').toLowerCase().startsWith('aws:') : input.Tags.some((d) => d.Key === t.Key && (d.Value === undefined || d.Value === t.Value)));
      const kept = (target.Tags ?? []).filter((t) => !gone(t));
      this.retag(input.Resources![i]!, target, kept);
    });
    return {};
  }

  /** A resource's new tags, at once for the account, later for DescribeInstances (instances only). */
  private retag(id: string, target: { Tags?: Tag[] }, tags: Tag[]): void {
    if (id.startsWith('i-')) this.tagViews.record(id, target.Tags, tags);
    target.Tags = tags;
  }

  // ----- instance health (DescribeInstanceStatus and Elastic IPs live in ec2-status.ts) -----

  healthOf(id: string): InstanceHealth {
    let h = this.health.get(id);
    if (!h) {
      h = { events: [], systemStatus: 'ok', instanceStatus: 'ok' };
      this.health.set(id, h);
    }
    return h;
  }
}

import type { CreateSnapshotRequest, CreateSnapshotsRequest, DeleteSnapshotRequest, DescribeSnapshotsRequest, Snapshot, SnapshotInfo, Tag, Volume } from '@aws-sdk/client-ec2';
import type { SandboxClock } from './clock';
import type { Ec2Model } from './ec2';
import { clone, tagsFor } from './ec2-shapes';
import { fail } from './errors';
import { afterCursor, applyFilters, type FilterFields, paginate, type Stored } from './query';

const PENDING_LIMIT_DEFAULT = 5;
const PENDING_LIMIT_HDD = 1; // st1 / sc1

type Op = (input: never) => unknown;

/**
 * EBS snapshots of the model: DescribeSnapshots (its filters, owners and paging), CreateSnapshot,
 * CreateSnapshots (with the per-volume pending and rate limits) and DeleteSnapshot (refused while
 * an AMI uses the snapshot). Snapshots live in {@link Ec2Model.snapshots}; a pending one ends
 * (completed, or error when a seeded fault says so) when someone looks at it after `snapshotCompleteMs`.
 */
export class Ec2Snapshots {
  constructor(
    private readonly ec2: Ec2Model,
    private readonly clock: SandboxClock,
  ) {}

  readonly operations: Record<string, Op> = {
    DescribeSnapshots: (i: DescribeSnapshotsRequest) => this.describeSnapshots(i),
    CreateSnapshot: (i: CreateSnapshotRequest) => this.createSnapshot(i),
    CreateSnapshots: (i: CreateSnapshotsRequest) => this.createSnapshots(i),
    DeleteSnapshot: (i: DeleteSnapshotRequest) => this.deleteSnapshot(i),
  };

  private snapshotFields: FilterFields<Snapshot> = {
    'snapshot-id': (s) => [s.SnapshotId],
    'volume-id': (s) => [s.VolumeId],
    status: (s) => [this.refresh(s).State],
    'owner-id': (s) => [s.OwnerId],
    'volume-size': (s) => [String(s.VolumeSize)],
    description: (s) => [s.Description],
    'storage-tier': (s) => [this.ec2.tiers.refresh(s).StorageTier],
  };

  /** Snapshots end (completed, or error when a seeded fault says so) after `snapshotCompleteMs`; worked out when someone looks. */
  refresh(s: Snapshot): Snapshot {
    if (s.State === 'pending' && s.StartTime) {
      const elapsed = this.clock.nowMs() - s.StartTime.getTime();
      if (elapsed >= this.ec2.timings.snapshotCompleteMs) {
        const failure = this.ec2.outcomes.failureOf(s.SnapshotId!);
        s.State = failure ? 'error' : 'completed';
        if (failure) s.StateMessage = failure;
        else {
          s.Progress = '100%';
          // EC2 stamps completionTime on completed snapshots (API_Snapshot: "Required: No"; seeded old ones have none).
          s.CompletionTime = new Date(s.StartTime.getTime() + this.ec2.timings.snapshotCompleteMs);
        }
        this.ec2.outcomes.ended(s, this.ec2.snapshots, new Date(s.StartTime.getTime() + this.ec2.timings.snapshotCompleteMs).toISOString());
      } else {
        s.Progress = `${Math.floor((elapsed / this.ec2.timings.snapshotCompleteMs) * 100)}%`;
      }
    }
    return this.ec2.tiers.refresh(s);
  }

  private describeSnapshots(input: DescribeSnapshotsRequest) {
    if (input.SnapshotIds?.length && input.MaxResults !== undefined) {
      throw fail('ec2', 'InvalidParameterCombination', 'The parameter snapshotSet cannot be used with the parameter maxResults');
    }
    let items: Iterable<Stored<Snapshot>> = afterCursor('ec2', this.ec2.snapshots.values(), input);
    if (input.OwnerIds?.length) {
      const owners = new Set(input.OwnerIds.map((o) => (o === 'self' ? this.ec2.accountId : o)));
      const all = items;
      items = (function* () {
        for (const s of all) if (owners.has(s.data.OwnerId!)) yield s;
      })();
    }
    if (input.SnapshotIds?.length) {
      const missing = input.SnapshotIds.filter((id) => !this.ec2.snapshots.has(id));
      if (missing.length) throw fail('ec2', 'InvalidSnapshot.NotFound', `The snapshot '${missing.join(', ')}' does not exist.`);
      items = [...items].filter((s) => input.SnapshotIds!.includes(s.data.SnapshotId!));
    }
    const matched = applyFilters(items, input.Filters, this.snapshotFields, input.MaxResults === undefined ? undefined : input.MaxResults + 1);
    const { page, nextToken } = paginate('ec2', matched, input, { min: 5, max: 1000 });
    return { Snapshots: page.map((s) => clone(this.refresh(s))), NextToken: nextToken };
  }

  private checkSnapshotLimits(volume: Volume): void {
    const now = this.clock.nowMs();
    const limit = volume.VolumeType === 'st1' || volume.VolumeType === 'sc1' ? PENDING_LIMIT_HDD : PENDING_LIMIT_DEFAULT;
    let pending = 0;
    let latest = Number.NEGATIVE_INFINITY;
    for (const { data } of this.ec2.snapshots.values()) {
      if (data.VolumeId !== volume.VolumeId) continue;
      if (this.refresh(data).State === 'pending') pending++;
      latest = Math.max(latest, data.StartTime?.getTime() ?? latest);
    }
    if (pending >= limit) {
      throw fail('ec2', 'ConcurrentSnapshotLimitExceeded', `Maximum number of active snapshots (${limit}) for volume ${volume.VolumeId} reached`);
    }
    if (now - latest < this.ec2.timings.perVolumeSnapshotGapMs) {
      throw fail(
        'ec2',
        'SnapshotCreationPerVolumeRateExceeded',
        'The rate limit for creating concurrent snapshots of an EBS volume has been exceeded. Wait at least 15 seconds between concurrent volume snapshots.',
      );
    }
  }

  private requireVolume(id: string): Volume {
    const v = this.ec2.volumes.get(id);
    if (!v) throw fail('ec2', 'InvalidVolume.NotFound', `The volume '${id}' does not exist.`);
    return v.data;
  }

  private newSnapshot(volume: Volume, description: string | undefined, tags: Tag[]): Snapshot {
    const id = this.ec2.newId('snap');
    return this.ec2.store(this.ec2.snapshots, id, {
      SnapshotId: id,
      VolumeId: volume.VolumeId,
      VolumeSize: volume.Size,
      State: 'pending',
      Progress: '0%',
      StartTime: this.clock.now(),
      OwnerId: this.ec2.accountId,
      Description: description ?? '',
      Encrypted: volume.Encrypted ?? false,
      StorageTier: 'standard',
      Tags: tags.length ? tags : undefined,
    });
  }

  /** Brings every pending snapshot up to date (emitting due completion events); returns the events so far. */
  settle() {
    for (const { data } of this.ec2.snapshots.values()) this.refresh(data);
    return this.ec2.outcomes.events;
  }

  private createSnapshot(input: CreateSnapshotRequest) {
    const volume = this.requireVolume(input.VolumeId ?? '');
    this.checkSnapshotLimits(volume);
    const snap = this.newSnapshot(volume, input.Description, tagsFor(input.TagSpecifications, 'snapshot'));
    this.ec2.outcomes.created('createSnapshot', [snap]);
    return clone(snap);
  }

  private createSnapshots(input: CreateSnapshotsRequest) {
    const spec = input.InstanceSpecification;
    if (!spec?.InstanceId) throw fail('ec2', 'MissingParameter', 'The request must contain the parameter InstanceSpecification.InstanceId');
    const instance = this.ec2.requireInstance(spec.InstanceId);
    if (instance.State?.Name === 'terminated') {
      throw fail('ec2', 'IncorrectState', `The instance '${spec.InstanceId}' is not in a state from which it can be snapshotted.`);
    }
    const excluded = new Set(spec.ExcludeDataVolumeIds ?? []);
    const volumes = (instance.BlockDeviceMappings ?? [])
      .filter((m) => m.Ebs?.VolumeId)
      .filter((m) => !(spec.ExcludeBootVolume && m.DeviceName === instance.RootDeviceName))
      .filter((m) => !excluded.has(m.Ebs!.VolumeId!))
      .map((m) => this.requireVolume(m.Ebs!.VolumeId!));
    if (volumes.length === 0) throw fail('ec2', 'InvalidParameterValue', 'No volumes to snapshot: every volume of the instance is excluded.');
    volumes.forEach((v) => this.checkSnapshotLimits(v));
    const requested = tagsFor(input.TagSpecifications, 'snapshot');
    const snapshots: SnapshotInfo[] = volumes.map((v) => {
      const copied = input.CopyTagsFromSource === 'volume' ? (v.Tags ?? []).filter((t) => !t.Key?.startsWith('aws:')) : [];
      const merged = new Map<string, string>();
      for (const t of [...copied, ...requested]) merged.set(t.Key ?? '', t.Value ?? '');
      const s = this.newSnapshot(v, input.Description, [...merged].map(([Key, Value]) => ({ Key, Value })));
      return {
        SnapshotId: s.SnapshotId,
        VolumeId: s.VolumeId,
        VolumeSize: s.VolumeSize,
        State: s.State,
        Progress: s.Progress,
        StartTime: s.StartTime,
        OwnerId: s.OwnerId,
        Description: s.Description,
        Encrypted: s.Encrypted,
        Tags: clone(s.Tags),
      };
    });
    this.ec2.outcomes.created('createSnapshots', snapshots.map((s) => this.ec2.snapshots.get(s.SnapshotId!)!.data));
    return { Snapshots: snapshots };
  }

  private deleteSnapshot(input: DeleteSnapshotRequest) {
    const id = input.SnapshotId ?? '';
    if (!this.ec2.snapshots.has(id)) throw fail('ec2', 'InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
    for (const { data: image } of this.ec2.images.values()) {
      if (image.State === 'deregistered') continue;
      if ((image.BlockDeviceMappings ?? []).some((m) => m.Ebs?.SnapshotId === id)) {
        throw fail('ec2', 'InvalidSnapshot.InUse', `The snapshot ${id} is currently in use by ${image.ImageId}`);
      }
    }
    // Allowed for an archived snapshot too: within its 90-day minimum the rest is billed (recorded).
    this.ec2.tiers.deleted(this.ec2.snapshots.get(id)!.data);
    this.ec2.snapshots.delete(id);
    return {};
  }
}

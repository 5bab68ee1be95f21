import type { CopySnapshotRequest, Snapshot } from '@aws-sdk/client-ec2';
import type { SandboxClock } from './clock';
import { type Ec2Model, tagsFor } from './ec2';
import { fail } from './errors';
import type { KmsKeys } from './kms-keys';

/**
 * Concurrent snapshot copies per destination Region: 20, not adjustable
 * (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-resource-quotas.html). Over it EC2 answers
 * `ResourceLimitExceeded: Too many snapshot copies in progress. The limit is 20 for this destination
 * region.` (the wording users report, e.g. https://github.com/aws-samples/copy-encrypted-ami/issues/3).
 */
export const COPY_LIMIT_PER_DESTINATION = 20;

/** The volume id EC2 shows on copies: arbitrary, "do not use this volume ID for any purpose". */
export const COPY_VOLUME_ID = 'vol-ffffffff';

/**
 * CopySnapshot as EC2 serves it in the destination Region (the Region the request is sent to)
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CopySnapshot.html):
 * - `SourceRegion` and `SourceSnapshotId` are required; the source must exist there
 *   (`InvalidSnapshot.NotFound`) and be `completed` (`IncorrectState`), and not in the archive tier;
 * - `DestinationRegion` only makes sense inside the `PresignedUrl` (the SDK adds both itself,
 *   @aws-sdk/middleware-sdk-ec2): when given it must be this Region;
 * - at most {@link COPY_LIMIT_PER_DESTINATION} copies in flight per destination Region;
 * - encryption: an encrypted source gives an encrypted copy (`Encrypted` cannot be false);
 *   `Encrypted: true` encrypts a copy of an unencrypted one; `KmsKeyId` needs `Encrypted`
 *   (`InvalidParameterDependency`); without it the copy uses the Region's default EBS key.
 *   EBS checks the key asynchronously: a key that does not exist in the destination Region (or is
 *   disabled, or of another Region) lets the call succeed and the copy end in `error`, with the
 *   reason in `StateMessage` (the API reference: "the action can appear to complete, but eventually fails");
 * - the copy starts `pending`, ends like any snapshot on sandbox time, and has an arbitrary
 *   `VolumeId` ({@link COPY_VOLUME_ID}); `TagSpecifications` tag it at creation.
 */
export class SnapshotCopies {
  /** Copies made in this Region (the in-flight count is over these, whoever asked for them). */
  private readonly copies = new Set<string>();

  constructor(
    private readonly clock: SandboxClock,
    private readonly dest: Ec2Model,
    private readonly kms: KmsKeys,
    private readonly sourceRegion: (name: string) => Ec2Model | undefined,
  ) {}

  readonly operations = {
    CopySnapshot: (i: CopySnapshotRequest) => this.copySnapshot(i),
  };

  /** Copies of this Region still `pending`. */
  inFlight(): number {
    let n = 0;
    for (const id of this.copies) {
      const s = this.dest.snapshots.get(id)?.data;
      if (!s) this.copies.delete(id);
      else if (this.dest.refreshSnapshot(s).State === 'pending') n++;
    }
    return n;
  }

  private copySnapshot(input: CopySnapshotRequest) {
    if (!input.SourceRegion) throw fail('ec2', 'MissingParameter', 'The request must contain the parameter SourceRegion');
    if (!input.SourceSnapshotId) throw fail('ec2', 'MissingParameter', 'The request must contain the parameter SourceSnapshotId');
    if (input.DestinationRegion !== undefined && input.DestinationRegion !== this.dest.region) {
      throw fail('ec2', 'InvalidParameterValue', `DestinationRegion ${input.DestinationRegion} is not the Region the request was sent to (${this.dest.region})`);
    }
    if (input.KmsKeyId !== undefined && input.Encrypted !== true) {
      throw fail('ec2', 'InvalidParameterDependency', 'The parameter KmsKeyId requires the parameter Encrypted to be set to true.');
    }
    if ((input.Description ?? '').length > 255) throw fail('ec2', 'InvalidParameterValue', 'The description is longer than 255 characters.');
    for (const spec of input.TagSpecifications ?? []) {
      if (spec.ResourceType !== 'snapshot') throw fail('ec2', 'InvalidParameterValue', `'${spec.ResourceType}' is not a valid taggable resource type for this operation.`);
    }
    const region = this.sourceRegion(input.SourceRegion);
    if (!region) throw fail('ec2', 'InvalidParameterValue', `Invalid source region: ${input.SourceRegion}`);
    const source = region.snapshots.get(input.SourceSnapshotId)?.data;
    if (!source) throw fail('ec2', 'InvalidSnapshot.NotFound', `The snapshot '${input.SourceSnapshotId}' does not exist.`);
    const state = region.refreshSnapshot(source).State;
    if (state !== 'completed') throw fail('ec2', 'IncorrectState', `Snapshot is in invalid state - ${state}`);
    if (source.StorageTier === 'archive') throw fail('ec2', 'IncorrectState', `The snapshot '${source.SnapshotId}' is archived: restore it before copying.`);
    if (this.inFlight() >= COPY_LIMIT_PER_DESTINATION) {
      throw fail('ec2', 'ResourceLimitExceeded', `Too many snapshot copies in progress. The limit is ${COPY_LIMIT_PER_DESTINATION} for this destination region.`);
    }
    const encrypted = source.Encrypted === true || input.Encrypted === true;
    const keyArn = !encrypted ? undefined : input.KmsKeyId !== undefined ? this.kms.resolve(input.KmsKeyId) : this.kms.defaultEbsKeyArn;
    const id = this.dest.newId('snap');
    const tags = tagsFor(input.TagSpecifications, 'snapshot');
    const copy: Snapshot = {
      SnapshotId: id,
      VolumeId: COPY_VOLUME_ID,
      VolumeSize: source.VolumeSize,
      State: 'pending',
      Progress: '0%',
      StartTime: this.clock.now(),
      OwnerId: this.dest.accountId,
      Description: input.Description ?? '',
      Encrypted: encrypted,
      ...(encrypted ? { KmsKeyId: keyArn ?? input.KmsKeyId } : {}),
      StorageTier: 'standard',
      Tags: tags.length ? tags : undefined,
    };
    this.dest.store(this.dest.snapshots, id, copy);
    this.copies.add(id);
    if (encrypted && keyArn === undefined) {
      this.dest.outcomes.doom(id, `The KMS key ${input.KmsKeyId} does not exist in ${this.dest.region}, is disabled, or you have no access to it.`);
    }
    return { SnapshotId: id, Tags: copy.Tags?.map((t) => ({ ...t })) };
  }
}

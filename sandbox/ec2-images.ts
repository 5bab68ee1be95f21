import type { BlockDeviceMapping, CreateImageRequest, DeregisterImageRequest, Tag } from '@aws-sdk/client-ec2';
import type { SandboxClock } from './clock';
import { clone, type Ec2Model } from './ec2';
import { fail } from './errors';

type Op = (input: never) => unknown;

/**
 * CreateImage (a pending image whose mappings hold new snapshots, `NoDevice` mappings leave a
 * volume out) and DeregisterImage (its snapshots stay until deleted, as in EC2).
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateImage.html
 */
export class Ec2Images {
  constructor(
    private readonly ec2: Ec2Model,
    private readonly clock: SandboxClock,
    private readonly host: { refresh(): void; imageDueAt: Map<string, number>; timings: { imageAvailableMs: number } },
  ) {}

  readonly operations: Record<string, Op> = {
    CreateImage: (i: CreateImageRequest) => this.createImage(i),
    DeregisterImage: (i: DeregisterImageRequest) => this.deregisterImage(i),
  };

  private createImage(input: CreateImageRequest) {
    this.host.refresh();
    const instance = this.ec2.requireInstance(input.InstanceId ?? '');
    const name = input.Name ?? '';
    if (!/^[A-Za-z0-9()[\] ./\-'@_]{3,128}$/.test(name)) {
      throw fail('ec2', 'InvalidAMIName.Malformed', `AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', '/' and '_': ${name}`);
    }
    for (const { data } of this.ec2.images.values()) {
      if (data.Name === name && data.OwnerId === this.ec2.accountId && data.State !== 'deregistered') {
        throw fail('ec2', 'InvalidAMIName.Duplicate', `AMI name ${name} is already in use by AMI ${data.ImageId}`);
      }
    }
    if (instance.RootDeviceType !== 'ebs') {
      throw fail('ec2', 'UnsupportedOperation', `The instance '${instance.InstanceId}' does not have an 'ebs' root device type; instance-store AMIs are bundled, not created.`);
    }
    if (instance.State?.Name !== 'running' && instance.State?.Name !== 'stopped') {
      throw fail('ec2', 'IncorrectInstanceState', `The instance '${instance.InstanceId}' is not in a state from which it can be imaged.`);
    }
    const excluded = new Set((input.BlockDeviceMappings ?? []).filter((m) => m.NoDevice !== undefined).map((m) => m.DeviceName));
    if (excluded.has(instance.RootDeviceName)) throw fail('ec2', 'InvalidBlockDeviceMapping', 'The root device cannot be excluded from an image.');
    const imageId = this.ec2.newId('ami');
    const tagsOf = (type: string): Tag[] => (input.TagSpecifications ?? []).filter((s) => s.ResourceType === type).flatMap((s) => s.Tags ?? []);
    const mappings: BlockDeviceMapping[] = (instance.BlockDeviceMappings ?? [])
      .filter((m) => !excluded.has(m.DeviceName))
      .map((m) => {
        const volume = this.ec2.volumes.get(m.Ebs?.VolumeId ?? '')?.data;
        const snapshotId = this.ec2.newId('snap');
        this.ec2.store(this.ec2.snapshots, snapshotId, {
          SnapshotId: snapshotId,
          VolumeId: volume?.VolumeId,
          VolumeSize: volume?.Size,
          State: 'pending',
          Progress: '0%',
          StartTime: this.clock.now(),
          OwnerId: this.ec2.accountId,
          Description: `Created by CreateImage(${instance.InstanceId}) for ${imageId}`,
          Encrypted: volume?.Encrypted ?? false,
          KmsKeyId: volume?.KmsKeyId,
          StorageTier: 'standard',
          Tags: tagsOf('snapshot').length ? clone(tagsOf('snapshot')) : undefined,
        });
        return {
          DeviceName: m.DeviceName,
          Ebs: { SnapshotId: snapshotId, VolumeSize: volume?.Size, VolumeType: volume?.VolumeType, DeleteOnTermination: m.Ebs?.DeleteOnTermination, Encrypted: volume?.Encrypted, KmsKeyId: volume?.KmsKeyId },
        };
      });
    this.ec2.store(this.ec2.images, imageId, {
      ImageId: imageId,
      Name: name,
      Description: input.Description,
      State: 'pending',
      OwnerId: this.ec2.accountId,
      CreationDate: this.clock.now().toISOString(),
      RootDeviceType: 'ebs',
      RootDeviceName: instance.RootDeviceName,
      BlockDeviceMappings: mappings,
      Tags: tagsOf('image').length ? clone(tagsOf('image')) : undefined,
    });
    this.host.imageDueAt.set(imageId, this.clock.nowMs() + this.host.timings.imageAvailableMs);
    return { ImageId: imageId };
  }

  private deregisterImage(input: DeregisterImageRequest) {
    const image = this.ec2.images.get(input.ImageId ?? '')?.data;
    if (!image || image.State === 'deregistered') throw fail('ec2', 'InvalidAMIID.NotFound', `The image id '[${input.ImageId}]' does not exist`);
    if (image.OwnerId !== this.ec2.accountId) throw fail('ec2', 'AuthFailure', `Not authorized for image: ${input.ImageId}`);
    this.ec2.images.delete(image.ImageId!);
    return {};
  }
}

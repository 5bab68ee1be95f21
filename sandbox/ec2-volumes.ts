import type { AttachVolumeRequest, DetachVolumeRequest, Instance, Volume } from '@aws-sdk/client-ec2';
import type { Ec2Model } from './ec2';
import { fail } from './errors';

type Op = (input: never) => unknown;

/**
 * AttachVolume / DetachVolume as EC2 has them: a volume attaches only in its own Availability
 * Zone, only when `available`, only to a `running` or `stopped` instance, at a free device name;
 * the root volume of a running instance does not detach; attaching and detaching take sandbox
 * time (`attaching` → `attached`, `detaching` → `available`), so callers must wait as on AWS.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AttachVolume.html
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DetachVolume.html
 */
export class Ec2Volumes {
  attachMs = 3_000;
  detachMs = 8_000;

  constructor(
    private readonly ec2: Ec2Model,
    private readonly later: (afterMs: number, run: () => void) => void,
  ) {}

  readonly operations: Record<string, Op> = {
    AttachVolume: (i: AttachVolumeRequest) => this.attach(i),
    DetachVolume: (i: DetachVolumeRequest) => this.detach(i),
  };

  private requireVolume(id: string): Volume {
    const v = this.ec2.volumes.get(id)?.data;
    if (!v) throw fail('ec2', 'InvalidVolume.NotFound', `The volume '${id}' does not exist.`);
    return v;
  }

  private attach(input: AttachVolumeRequest) {
    const volume = this.requireVolume(input.VolumeId ?? '');
    const instance = this.ec2.requireInstance(input.InstanceId ?? '');
    const device = input.Device ?? '';
    if (!/^\/dev\/(sd[b-z]|xvd[a-z]{1,2}|sda1?|xvda)$/.test(device)) throw fail('ec2', 'InvalidParameterValue', `Value (${device}) for parameter device is invalid.`);
    if (volume.State !== 'available') throw fail('ec2', 'VolumeInUse', `${volume.VolumeId} is already attached to an instance`);
    if (instance.State?.Name !== 'running' && instance.State?.Name !== 'stopped') {
      throw fail('ec2', 'IncorrectState', `Instance '${instance.InstanceId}' is not 'running' or 'stopped'.`);
    }
    if (volume.AvailabilityZone !== instance.Placement?.AvailabilityZone) {
      throw fail('ec2', 'InvalidVolume.ZoneMismatch', `The volume '${volume.VolumeId}' is not in the same availability zone as instance '${instance.InstanceId}'`);
    }
    if ((instance.BlockDeviceMappings ?? []).some((m) => m.DeviceName === device)) {
      throw fail('ec2', 'InvalidParameterValue', `Attachment point ${device} is already in use`);
    }
    const attachment = { InstanceId: instance.InstanceId, Device: device, State: 'attaching' as const, VolumeId: volume.VolumeId, DeleteOnTermination: false, AttachTime: undefined };
    volume.State = 'in-use';
    volume.Attachments = [attachment];
    instance.BlockDeviceMappings = [...(instance.BlockDeviceMappings ?? []), { DeviceName: device, Ebs: { VolumeId: volume.VolumeId, Status: 'attaching', DeleteOnTermination: false } }];
    this.later(this.attachMs, () => {
      if (volume.Attachments?.[0] !== attachment) return;
      volume.Attachments = [{ ...attachment, State: 'attached' }];
      const m = instance.BlockDeviceMappings?.find((b) => b.Ebs?.VolumeId === volume.VolumeId);
      if (m?.Ebs) m.Ebs.Status = 'attached';
    });
    return { ...attachment };
  }

  private detach(input: DetachVolumeRequest) {
    const volume = this.requireVolume(input.VolumeId ?? '');
    const attachment = volume.Attachments?.[0];
    if (!attachment || volume.State !== 'in-use') throw fail('ec2', 'IncorrectState', `Volume '${volume.VolumeId}' is in the '${volume.State}' state.`);
    if (input.InstanceId && input.InstanceId !== attachment.InstanceId) throw fail('ec2', 'InvalidAttachment.NotFound', `Volume ${volume.VolumeId} is not attached to ${input.InstanceId}`);
    const instance = this.ec2.requireInstance(attachment.InstanceId!);
    if (attachment.Device === instance.RootDeviceName && instance.State?.Name !== 'stopped') {
      throw fail('ec2', 'OperationNotPermitted', `The root volume '${volume.VolumeId}' of instance '${instance.InstanceId}' cannot be detached while it is ${instance.State?.Name}; stop it first.`);
    }
    if (attachment.State === 'detaching') return { ...attachment };
    attachment.State = 'detaching';
    const m = instance.BlockDeviceMappings?.find((b) => b.Ebs?.VolumeId === volume.VolumeId);
    if (m?.Ebs) m.Ebs.Status = 'detaching';
    this.later(this.detachMs, () => this.release(volume, instance));
    return { ...attachment };
  }

  private release(volume: Volume, instance: Instance): void {
    volume.Attachments = [];
    volume.State = 'available';
    instance.BlockDeviceMappings = (instance.BlockDeviceMappings ?? []).filter((b) => b.Ebs?.VolumeId !== volume.VolumeId);
  }

  /** On termination: DeleteOnTermination volumes are deleted, the others detach (and keep their data). */
  releaseOnTerminate(instance: Instance): void {
    for (const m of instance.BlockDeviceMappings ?? []) {
      const volume = this.ec2.volumes.get(m.Ebs?.VolumeId ?? '')?.data;
      if (!volume) continue;
      if (m.Ebs?.DeleteOnTermination) this.ec2.volumes.delete(volume.VolumeId!);
      else this.release(volume, instance);
    }
  }
}

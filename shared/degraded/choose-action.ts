import type { Instance } from '@aws-sdk/client-ec2';
import type { DegradedAction } from './config';
import type { CodeFamily } from './event-codes';

/** What the describe stage learned about an instance beyond DescribeInstances (type catalogue, attributes). */
export interface InstanceFacts {
  /** The type has instance-store volumes (DescribeInstanceTypes `InstanceStorageSupported`): a stop wipes them. */
  instanceStore: boolean;
  /** The type supports simplified automatic recovery (`AutoRecoverySupported`). */
  autoRecovery: boolean;
  /** `DisableApiStop`: StopInstances is refused, so neither stop-start nor a quiesced relaunch can run. */
  stopProtected: boolean;
  /** `DisableApiTermination`: carried to a replacement; `afterRelaunch: terminate` leaves the old one stopped. */
  terminationProtected: boolean;
}

export interface Choice {
  action: DegradedAction;
  /** Why, in words a reader of the summary can check against AWS's guidance. */
  why: string;
  /** Set when a person must act (the run alerts with it). */
  attention?: 'stop-protected';
}

/**
 * PURE: the `auto` action for one instance and one kind of notice, following AWS's own answers:
 * - retirement / stop / system maintenance of an EBS-only instance → stop-start: EC2 starts it on
 *   healthy hardware with the same ID, volumes, ENIs, private IPs and Elastic IPs.
 *   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-retirement.html
 *   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/schedevents_actions.html
 * - reboot events → notify: AWS reboots the instance in its window, which keeps instance-store
 *   data; a stop-start would wipe it and gains nothing.
 *   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/schedevents_actions_reboot.html
 * - a failing system status check on a type with simplified automatic recovery → notify: AWS
 *   recovers it itself (same ID, IPs, Elastic IPs, metadata, placement group); EBS-only types
 *   without it → stop-start.
 *   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-recover.html
 * - instance-store root or instance-store data → notify: stopping loses instance-store data even
 *   with an EBS root; AWS's advice for those is an image and a new instance, which loses the data
 *   too — a person decides (tag `relaunch` to let caretaker do it).
 *   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/InstanceStorage.html
 * - a Spot Instance → notify: a one-time Spot Instance cannot be stopped, and a persistent one is
 *   best left to its request's interruption behaviour (tag to opt in).
 *   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/how-spot-instances-work.html
 */
export function chooseAuto(instance: Instance, family: CodeFamily, facts: InstanceFacts): Choice {
  if (instance.RootDeviceType !== 'ebs') {
    return { action: 'notify', why: 'auto: instance-store root, which cannot be stopped and whose data a relaunch would lose; tag caretaker:on-degraded=relaunch to replace it' };
  }
  if (instance.InstanceLifecycle === 'spot') {
    return { action: 'notify', why: 'auto: Spot Instance (a one-time request cannot be stopped); tag caretaker:on-degraded to opt in' };
  }
  if (family === 'reboot') {
    return { action: 'notify', why: 'auto: a scheduled reboot keeps the instance and its instance-store data; AWS reboots it in the window (reboot it earlier yourself if you prefer)' };
  }
  if (family === 'drive-degraded') {
    return { action: 'notify', why: 'auto: an instance-store drive is degraded; copy its data off, then replace the instance' };
  }
  if (facts.instanceStore) {
    return {
      action: 'notify',
      why: `auto: ${instance.InstanceType} has instance-store volumes, which a stop wipes; tag caretaker:on-degraded=stop-start (or relaunch) to accept that`,
    };
  }
  if (family === 'impaired') {
    const disabled = instance.MaintenanceOptions?.AutoRecovery === 'disabled';
    if (facts.autoRecovery && !disabled) return { action: 'notify', why: `auto: ${instance.InstanceType} has simplified automatic recovery; AWS recovers it in place` };
    return { action: 'stop-start', why: `auto: system status impaired and no automatic recovery${disabled ? ' (disabled on the instance)' : ` for ${instance.InstanceType}`}; a stop-start moves it to healthy hardware` };
  }
  return { action: 'stop-start', why: 'auto: EBS-only instance; AWS recommends stop/start, which keeps its ID, volumes, network interfaces and Elastic IPs' };
}

/** Stop protection turns any action that stops the instance into a notice a person acts on, once. */
export function guardStopProtection(choice: Choice, facts: InstanceFacts | undefined): Choice {
  if (!facts?.stopProtected || choice.action === 'notify') return choice;
  return {
    action: 'notify',
    why: `${choice.why}; but stop protection (DisableApiStop) is on, so ${choice.action} cannot stop it: lift it (aws ec2 modify-instance-attribute --no-disable-api-stop) or act by hand`,
    attention: 'stop-protected',
  };
}

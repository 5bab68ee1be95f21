import {
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeVolumesCommand,
  type EC2Client,
  waitUntilImageAvailable,
  waitUntilInstanceStatusOk,
  waitUntilInstanceStopped,
} from '@aws-sdk/client-ec2';
import { checkExceptions, createWaiter, WaiterState } from '@smithy/core/client';
import { CaretakerError } from '../engine/errors';
import type { Deadline } from '../engine/types';
import type { WaiterLimits } from './config';

/** Time kept back from the Lambda budget to write the state tags and the report. */
const DEADLINE_MARGIN_MS = 30_000;

/**
 * The time budget ran out while waiting: the instance is left as the tags describe, and the next
 * trigger resumes it. Not a failure of the remediation.
 */
export class CutOffError extends CaretakerError {
  override name = 'CutOffError';
  constructor(readonly step: string) {
    super(`time budget ran out while waiting for ${step}; the next run resumes`);
  }
}

export type WaitFor = 'stopped' | 'status-ok' | 'image-available' | 'started' | 'volume-available' | 'volume-attached' | 'interface-available' | 'interface-attached';

/**
 * Waits with the SDK's own waiters, bounded by the configured limit and by what is left of the
 * invocation's time. A timeout caused by the invocation's budget becomes {@link CutOffError}.
 */
export async function waitFor(
  what: WaitFor,
  id: string,
  ec2: EC2Client,
  limits: WaiterLimits,
  deadline: Deadline,
): Promise<void> {
  const configured = {
    stopped: limits.stoppedSeconds,
    started: limits.runningSeconds,
    'status-ok': limits.statusOkSeconds,
    'image-available': limits.imageSeconds,
    'volume-available': limits.attachSeconds,
    'volume-attached': limits.attachSeconds,
    'interface-available': limits.attachSeconds,
    'interface-attached': limits.attachSeconds,
  }[what];
  const budget = (deadline.remainingMs() - DEADLINE_MARGIN_MS) / 1000;
  const maxWaitTime = Math.min(configured, budget);
  if (maxWaitTime <= limits.minDelaySeconds) throw new CutOffError(`${id} ${what}`);
  const params = { client: ec2, minDelay: limits.minDelaySeconds, maxDelay: Math.max(limits.minDelaySeconds, limits.maxDelaySeconds), maxWaitTime };
  try {
    if (what === 'stopped') await waitUntilInstanceStopped(params, { InstanceIds: [id] });
    else if (what === 'status-ok') await waitUntilInstanceStatusOk(params, { InstanceIds: [id] });
    else if (what === 'image-available') await waitUntilImageAvailable(params, { ImageIds: [id] });
    else {
      const result = await createWaiter(params, id, CHECKS[what]);
      if (result.state === WaiterState.FAILURE) throw new WaitFailedError(what, id, result.reason);
      checkExceptions(result);
    }
  } catch (error) {
    if (error instanceof WaitFailedError) throw error;
    if ((error as Error).name === 'TimeoutError' && budget < configured) throw new CutOffError(`${id} ${what}`);
    throw new WaitFailedError(what, id, error);
  }
}

type Check = (ec2: EC2Client, id: string) => Promise<{ state: WaiterState; reason?: unknown }>;
const retry = { state: WaiterState.RETRY };

/**
 * Acceptors the SDK has no waiter for. `started` succeeds on `running` and fails when the instance
 * falls back to `stopped` (a start EC2 could not complete, e.g. a KMS key the starter may not use:
 * Client.InternalError), which the SDK's InstanceRunning waiter would wait out to its timeout.
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/troubleshooting-launch.html
 */
const CHECKS: Record<'started' | 'volume-available' | 'volume-attached' | 'interface-available' | 'interface-attached', Check> = {
  started: async (ec2, id) => {
    const i = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0];
    const state = i?.State?.Name;
    if (state === 'running') return { state: WaiterState.SUCCESS };
    if (state === 'stopped' || state === 'terminated' || state === 'shutting-down') {
      return { state: WaiterState.FAILURE, reason: Object.assign(new Error(`${id} went back to ${state}: ${i?.StateReason?.Message ?? 'no reason given'}`), { name: i?.StateReason?.Code ?? 'StartFailed' }) };
    }
    return retry;
  },
  'volume-available': async (ec2, id) => {
    const v = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] }))).Volumes?.[0];
    return v?.State === 'available' ? { state: WaiterState.SUCCESS } : retry;
  },
  'volume-attached': async (ec2, id) => {
    const v = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] }))).Volumes?.[0];
    return v?.Attachments?.[0]?.State === 'attached' ? { state: WaiterState.SUCCESS } : retry;
  },
  'interface-available': async (ec2, id) => {
    const e = (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [id] }))).NetworkInterfaces?.[0];
    return e?.Status === 'available' ? { state: WaiterState.SUCCESS } : retry;
  },
  'interface-attached': async (ec2, id) => {
    const e = (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [id] }))).NetworkInterfaces?.[0];
    return e?.Attachment?.Status === 'attached' ? { state: WaiterState.SUCCESS } : retry;
  },
};

/**
 * A waiter of our own on the SDK's machinery (same delays, same clock as the other waits), bounded
 * by `limitSeconds` and the invocation's budget: `check` answers true when done.
 */
export async function pollUntil(label: string, limitSeconds: number, limits: WaiterLimits, deadline: Deadline, check: () => Promise<boolean>): Promise<void> {
  const budget = (deadline.remainingMs() - DEADLINE_MARGIN_MS) / 1000;
  const maxWaitTime = Math.min(limitSeconds, budget);
  if (maxWaitTime <= limits.minDelaySeconds) throw new CutOffError(label);
  const result = await createWaiter(
    { client: undefined, minDelay: limits.minDelaySeconds, maxDelay: Math.max(limits.minDelaySeconds, limits.maxDelaySeconds), maxWaitTime },
    label,
    async () => ((await check()) ? { state: WaiterState.SUCCESS } : retry),
  );
  if (result.state === WaiterState.SUCCESS) return;
  if (budget < limitSeconds) throw new CutOffError(label);
  throw Object.assign(new Error(`${label}: not reached in ${limitSeconds} s`), { name: 'WaiterTimeout' });
}

/** A waiter timed out or saw a failure state: the step failed. */
export class WaitFailedError extends CaretakerError {
  override name = 'WaitFailedError';
  constructor(
    readonly what: WaitFor,
    readonly id: string,
    cause: unknown,
  ) {
    const timeout = (cause as Error).name === 'TimeoutError';
    super(`${id} did not reach ${what}${timeout ? ' in time' : ` (${firstLine(cause)})`}`, { cause });
    const inner = (cause as { name?: string })?.name;
    // A start that fell back keeps EC2's own code (Client.InternalError), so the alert can say why.
    this.name = timeout ? 'WaiterTimeout' : what === 'started' && inner ? inner : 'WaiterFailure';
  }
}

function firstLine(e: unknown): string {
  return String((e as Error).message ?? e).split('\n')[0]!.slice(0, 200);
}

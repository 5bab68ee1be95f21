import {
  type EC2Client,
  waitUntilImageAvailable,
  waitUntilInstanceRunning,
  waitUntilInstanceStatusOk,
  waitUntilInstanceStopped,
} from '@aws-sdk/client-ec2';
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

export type WaitFor = 'stopped' | 'running' | 'status-ok' | 'image-available';

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
  const configured = { stopped: limits.stoppedSeconds, running: limits.runningSeconds, 'status-ok': limits.statusOkSeconds, 'image-available': limits.imageSeconds }[what];
  const budget = (deadline.remainingMs() - DEADLINE_MARGIN_MS) / 1000;
  const maxWaitTime = Math.min(configured, budget);
  if (maxWaitTime <= limits.minDelaySeconds) throw new CutOffError(`${id} ${what}`);
  const params = { client: ec2, minDelay: limits.minDelaySeconds, maxDelay: Math.max(limits.minDelaySeconds, limits.maxDelaySeconds), maxWaitTime };
  try {
    if (what === 'stopped') await waitUntilInstanceStopped(params, { InstanceIds: [id] });
    else if (what === 'running') await waitUntilInstanceRunning(params, { InstanceIds: [id] });
    else if (what === 'status-ok') await waitUntilInstanceStatusOk(params, { InstanceIds: [id] });
    else await waitUntilImageAvailable(params, { ImageIds: [id] });
  } catch (error) {
    if ((error as Error).name === 'TimeoutError' && budget < configured) throw new CutOffError(`${id} ${what}`);
    throw new WaitFailedError(what, id, error);
  }
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
    this.name = timeout ? 'WaiterTimeout' : 'WaiterFailure';
  }
}

function firstLine(e: unknown): string {
  return String((e as Error).message ?? e).split('\n')[0]!.slice(0, 200);
}

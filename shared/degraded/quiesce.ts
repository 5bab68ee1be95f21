import { StopInstancesCommand } from '@aws-sdk/client-ec2';
import type { JobContext } from '../engine/types';
import type { ApplyEnv } from './apply-env';
import { waitFor, WaitFailedError } from './wait';

/**
 * Stops an instance and waits until it is `stopped`. An instance whose OS does not shut down stays
 * `stopping`; after `forceStopAfterSeconds` it is stopped with `Force` (EC2's answer for a stuck
 * stop: no file-system flush, so only after the normal stop had its chance).
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/TroubleshootingInstancesStopping.html
 */
export async function quiesce(id: string, ctx: JobContext, env: ApplyEnv, askToStop = true): Promise<{ forced: boolean }> {
  const { ec2 } = ctx.clients;
  if (askToStop) await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
  try {
    await waitFor('stopped', id, ec2, { ...env.waiters, stoppedSeconds: Math.min(env.waiters.forceStopAfterSeconds, env.waiters.stoppedSeconds) }, ctx.deadline);
    return { forced: false };
  } catch (error) {
    if (!(error instanceof WaitFailedError) || error.name !== 'WaiterTimeout') throw error;
    ctx.log.warn('instance stuck in stopping: forcing the stop', { instanceId: id });
    await ec2.send(new StopInstancesCommand({ InstanceIds: [id], Force: true }));
    await waitFor('stopped', id, ec2, env.waiters, ctx.deadline);
    return { forced: true };
  }
}

import { StartInstancesCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import type { WorkerResult } from '../engine/apply';
import type { JobContext } from '../engine/types';
import { type ApplyEnv, stepError, stepTime } from './apply-env';
import { describeInstance } from './describe-degraded';
import { pointRecordsAt, recordsFor } from './move-identity';
import type { DegradedPayload } from './plan-degraded';
import { readState, TAG_EVENT, TAG_STARTED, writeState } from './tags';
import { CutOffError, waitFor } from './wait';
import { tagRecord } from '../aws/filters';

/**
 * Stop, wait stopped, start, wait running + status ok: EC2 starts a stopped EBS-backed instance on
 * a healthy host. An Elastic IP stays; a changed public IP is written to the configured records.
 * Resumable: a restart newer than the in-progress tag is not done twice.
 */
export async function stopStart(p: DegradedPayload, ctx: JobContext, env: ApplyEnv): Promise<WorkerResult> {
  const { ec2 } = ctx.clients;
  const id = p.instance.InstanceId!;
  const before = p.instance.PublicIpAddress;
  const tags = tagRecord(p.instance.Tags);
  const recorded = p.resume ? new Date(tags[TAG_STARTED] ?? readState(tags)?.at ?? Number.NaN) : undefined;
  const startedAt = recorded && !Number.isNaN(recorded.getTime()) ? recorded : stepTime(ctx);
  // Renews the lease on every (re)start, so no other run picks the instance up meanwhile.
  await writeState(ec2, id, { action: 'stop-start', phase: 'in-progress', at: stepTime(ctx) }, {
    [TAG_STARTED]: startedAt.toISOString(),
    ...(p.notice ? { [TAG_EVENT]: p.notice.code } : {}),
  });

  const now = await describeInstance(ec2, id);
  const state = now?.State?.Name;
  const restartedSince = now?.LaunchTime !== undefined && now.LaunchTime.getTime() >= startedAt.getTime();
  try {
    if (state === 'running' && !restartedSince) {
      await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
      await waitFor('stopped', id, ec2, env.waiters, ctx.deadline);
      await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    } else if (state === 'stopping' || state === 'stopped') {
      await waitFor('stopped', id, ec2, env.waiters, ctx.deadline);
      await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    } else if (state !== 'running' && state !== 'pending') {
      throw new Error(`instance is ${state ?? 'gone'}`);
    }
    await waitFor('running', id, ec2, env.waiters, ctx.deadline);
    await waitFor('status-ok', id, ec2, env.waiters, ctx.deadline);
  } catch (error) {
    // instanceof, never a name: a minified bundle renames classes (this check once failed there).
    if (error instanceof CutOffError) throw error;
    await writeState(ec2, id, { action: 'stop-start', phase: 'failed', at: stepTime(ctx) }).catch(() => undefined);
    throw stepError('stop-start', error);
  }
  const after = await describeInstance(ec2, id);
  const records = recordsFor(env.config.records, p.instance);
  const moved = after?.PublicIpAddress !== before && records.length > 0;
  if (moved) await pointRecordsAt(ctx.clients.route53, records, after!, `caretaker ${ctx.runId}: ${id} restarted on a new host`);
  await writeState(ec2, id, { action: 'stop-start', phase: 'done', at: stepTime(ctx) });
  return {
    outcome: 'done',
    reason: `stopped and started on a new host; public IP ${before ?? 'none'} → ${after?.PublicIpAddress ?? 'none'}${moved ? `; ${records.length} DNS record(s) updated` : ''}`,
    details: { publicIp: after?.PublicIpAddress ?? 'none', recordsUpdated: moved ? records.length : 0 },
  };
}

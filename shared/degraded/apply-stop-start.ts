import { StartInstancesCommand } from '@aws-sdk/client-ec2';
import { errorCode } from '../aws/errors';
import { tagRecord } from '../aws/filters';
import type { WorkerResult } from '../engine/apply';
import type { JobContext } from '../engine/types';
import { type ApplyEnv, stepError, stepTime } from './apply-env';
import { describeInstance } from './describe-degraded';
import { pointRecordsAt, recordsFor } from './identity/dns-records';
import type { DegradedPayload } from './plan-degraded';
import { quiesce } from './quiesce';
import { readState, TAG_EVENT, TAG_FAILURES, TAG_LAST_ERROR, TAG_STARTED, writeState } from './tags';
import { CutOffError, waitFor } from './wait';

/** Start attempts within one run before the instance is left to the next trigger (and a person). */
const START_ATTEMPTS = 2;

/** A stop-start that left the instance stopped: an outage, alerted as URGENT and retried by the next trigger. */
export class LeftStoppedError extends Error {
  constructor(
    readonly instanceId: string,
    readonly code: string,
    message: string,
    cause: unknown,
  ) {
    super(message, { cause });
    this.name = code;
  }
}

/**
 * Stop (forced after `forceStopAfterSeconds` in `stopping`), wait stopped, start, wait running +
 * status ok: EC2 starts a stopped EBS-backed instance on healthy hardware with the same ID,
 * volumes, interfaces and Elastic IPs. A start that falls back to `stopped` is tried again; if it
 * still fails the instance is tagged `stop-start:failed` and the error is a {@link LeftStoppedError}.
 * Resumable: a restart newer than the in-progress tag is not done twice.
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Stop_Start.html
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
  let forced = false;
  try {
    if ((state === 'running' && !restartedSince) || state === 'stopping') {
      forced = (await quiesce(id, ctx, env, state === 'running')).forced;
    } else if (state !== 'stopped' && state !== 'running' && state !== 'pending') {
      throw new Error(`instance is ${state ?? 'gone'}`);
    }
    if (state !== 'running' || !restartedSince) await startWithRetry(id, ctx, env);
    await waitFor('status-ok', id, ec2, env.waiters, ctx.deadline);
  } catch (error) {
    // instanceof, never a name: a minified bundle renames classes (this check once failed there).
    if (error instanceof CutOffError) throw error;
    const left = await describeInstance(ec2, id).catch(() => undefined);
    const code = errorCode(error);
    const failures = String(Number(tags[TAG_FAILURES] ?? 0) + 1);
    await writeState(ec2, id, { action: 'stop-start', phase: 'failed', at: stepTime(ctx) }, { [TAG_FAILURES]: failures, [TAG_LAST_ERROR]: code.slice(0, 256) }).catch(() => undefined);
    if (left?.State?.Name === 'stopped') {
      throw new LeftStoppedError(id, code, `URGENT: ${id} is STOPPED: stop-start could not start it again (${String((error as Error).message).split('\n')[0]}); the next scan retries`, error);
    }
    throw stepError('stop-start', error);
  }
  const after = await describeInstance(ec2, id);
  const records = recordsFor(env.config.records, p.instance);
  const moved = after?.PublicIpAddress !== before && records.length > 0;
  if (moved) await pointRecordsAt(ctx.clients.route53, records, after!, `caretaker ${ctx.runId}: ${id} restarted on a new host`);
  await writeState(ec2, id, { action: 'stop-start', phase: 'done', at: stepTime(ctx) });
  return {
    outcome: 'done',
    reason: `stopped${forced ? ' (forced: it hung in stopping)' : ''} and started on a new host; public IP ${before ?? 'none'} → ${after?.PublicIpAddress ?? 'none'}${moved ? `; ${records.length} DNS record(s) updated` : ''}`,
    details: { publicIp: after?.PublicIpAddress ?? 'none', recordsUpdated: moved ? records.length : 0, ...(forced ? { forcedStop: true } : {}) },
  };
}

/** StartInstances, then wait until running; a start that falls back to stopped is tried again once. */
export async function startWithRetry(id: string, ctx: JobContext, env: ApplyEnv): Promise<void> {
  const { ec2 } = ctx.clients;
  for (let attempt = 1; ; attempt++) {
    try {
      await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
      await waitFor('started', id, ec2, env.waiters, ctx.deadline);
      return;
    } catch (error) {
      if (error instanceof CutOffError || attempt >= START_ATTEMPTS) throw error;
      ctx.log.warn('start failed, trying again', { instanceId: id, error: String(error) });
      await ctx.sleep(env.waiters.minDelaySeconds * 1000);
    }
  }
}

import { CreateTagsCommand, ModifyInstanceAttributeCommand, StartInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { errorCode } from '../../aws/errors';
import { tagRecord } from '../../aws/filters';
import type { WorkerResult } from '../../engine/apply';
import type { JobContext } from '../../engine/types';
import { type ApplyEnv, stepError, stepTime } from '../apply-env';
import { describeInstance } from '../describe-degraded';
import { Journal } from '../identity/journal';
import { attachToReplacement, detachFromOld } from '../identity/move-server';
import { readIdentity, type ServerIdentity } from '../identity/read-identity';
import { deregisterOld, findMemberships, type Memberships, registerReplacement } from '../load-balancers/memberships';
import { pointRecordsAt, recordsFor } from '../identity/dns-records';
import type { DegradedPayload } from '../plan-degraded';
import { quiesce } from '../quiesce';
import { TAG_EVENT, TAG_FAILURES, TAG_LAST_ERROR, TAG_REPLACED_BY, TAG_STARTED, TAG_TOKEN, writeState } from '../tags';
import { CutOffError, waitFor } from '../wait';
import { ClaimedElsewhereError, hostAvailable, imageOfRoot, launch, templateOf } from './launch';
import { launchRequest } from './launch-request';
import { ROLLED_BACK_FOR_TIME } from './rolled-back';
import { keepsSummary } from './keeps';


/**
 * Moves the server to new hardware as a new instance: read its whole identity; stop it (forced
 * after a limit), so no write is lost; image its root only; detach its data volumes and secondary
 * interfaces; launch the replacement with every attribute it had (a launch template supplies
 * launch settings only); attach the same volumes and interfaces; move its secondary IPs, IPv6
 * addresses and every Elastic IP; wait for status checks; register it wherever the old one was a
 * load-balancer member and wait healthy; point DNS. Only then is the move final: protections are
 * restored on the replacement and the old one is deregistered and stopped or terminated. Any
 * failure before that undoes every step (journal, newest first) and starts the old server again.
 */
export async function relaunch(p: DegradedPayload, ctx: JobContext, env: ApplyEnv): Promise<WorkerResult> {
  const { ec2 } = ctx.clients;
  const old = p.instance;
  const oldId = old.InstanceId!;
  const tags = tagRecord(old.Tags);
  if (p.resume) return interrupted(p, ctx);
  await writeState(ec2, oldId, { action: 'relaunch', phase: 'in-progress', at: stepTime(ctx) }, {
    [TAG_TOKEN]: p.token,
    [TAG_STARTED]: stepTime(ctx).toISOString(),
    ...(p.notice ? { [TAG_EVENT]: p.notice.code } : {}),
  });

  // Everything is read before anything changes: the undo restores exactly this.
  const identity = await readIdentity(ec2, old);
  const memberships = await findMemberships(ctx, oldId, old.VpcId);
  const template = await templateOf(ec2, tags);
  const records = recordsFor(env.config.records, old);
  const ebs = old.RootDeviceType === 'ebs';
  const journal = new Journal(ctx.log);
  const wasRunning = old.State?.Name === 'running';
  let newId: string | undefined;
  let downtimeFrom: number | undefined;
  let forced = false;
  try {
    let imageId = old.ImageId!;
    if (ebs) {
      downtimeFrom = ctx.nowMs();
      forced = (await quiesce(oldId, ctx, env)).forced;
      if (wasRunning) journal.record(`start ${oldId} again`, () => ec2.send(new StartInstancesCommand({ InstanceIds: [oldId] })));
      imageId = await imageOfRoot(ec2, identity, p.token);
      await detachFromOld(identity, ctx, env, journal);
      await waitFor('image-available', imageId, ec2, env.waiters, ctx.deadline);
    }
    const request = launchRequest(identity, { imageId, template, hostAvailable: await hostAvailable(ec2, old) }, p.token);
    const launched = await launch(request, oldId, ctx, env);
    newId = launched.instanceId;
    const replacementId = newId;
    journal.record(`terminate replacement ${newId}`, () => ec2.send(new TerminateInstancesCommand({ InstanceIds: [replacementId] })));
    await waitFor('started', newId, ec2, env.waiters, ctx.deadline);
    downtimeFrom ??= ctx.nowMs();
    const replacement = await describeInstance(ec2, newId);
    if (!replacement) throw stepError('DescribeInstances', new Error(`${newId} vanished`));
    // An instance-store instance keeps running: its volumes and extra interfaces stay (named in the summary).
    await attachToReplacement(ebs ? identity : { ...identity, dataVolumes: [], secondary: [] }, replacement, ctx, env, journal);
    // Status checks and load-balancer health checks run side by side (both only watch the replacement);
    // both settle before the undo may start, so nothing runs on behind it.
    const checks = await Promise.allSettled([waitFor('status-ok', newId, ec2, env.waiters, ctx.deadline), registerReplacement(memberships, newId, ctx, env, journal)]);
    const failed = checks.find((c): c is PromiseRejectedResult => c.status === 'rejected');
    if (failed) throw failed.reason;
    if (records.length > 0) {
      const current = await describeInstance(ec2, newId);
      await pointRecordsAt(ctx.clients.route53, records, current!, `caretaker ${ctx.runId}: ${oldId} replaced by ${newId}`);
      journal.record('restore DNS', () => pointRecordsAt(ctx.clients.route53, records, old, `caretaker ${ctx.runId}: relaunch of ${oldId} undone`));
    }
  } catch (error) {
    if (error instanceof ClaimedElsewhereError) return { outcome: 'skipped', reason: error.message };
    const undoFailed = await journal.undo();
    const code = error instanceof CutOffError ? ROLLED_BACK_FOR_TIME : errorCode(error);
    const failures = String(Number(tags[TAG_FAILURES] ?? 0) + 1);
    await writeState(ec2, oldId, { action: 'relaunch', phase: 'failed', at: stepTime(ctx) }, { [TAG_FAILURES]: failures, [TAG_LAST_ERROR]: code.slice(0, 256) }).catch(() => undefined);
    const restored = undoFailed.length === 0 ? `; ${oldId} is as it was${wasRunning && ebs ? ' (started again)' : ''}` : `; UNDO INCOMPLETE, fix by hand: ${undoFailed.join('; ')}`;
    const err = stepError('relaunch', error, `${newId ? `; replacement ${newId} terminated` : ''}${restored}`);
    err.name = code;
    throw err;
  }

  // The identity has moved: from here on nothing is undone.
  const movedAt = ctx.nowMs();
  await ec2.send(new CreateTagsCommand({ Resources: [oldId], Tags: [{ Key: TAG_REPLACED_BY, Value: newId }] }));
  const notes = await finish(identity, memberships, newId!, ctx, env);
  await writeState(ec2, oldId, { action: 'relaunch', phase: 'done', at: stepTime(ctx) });
  const keeps = keepsSummary(identity, memberships, { template: template !== undefined, records: records.length, forced, instanceStore: p.facts?.instanceStore === true });
  return {
    outcome: 'done',
    reason: `moved to ${newId}: ${keeps.text}; ${notes.join('; ')}`,
    details: {
      replacement: newId!,
      elasticIps: identity.addresses.map((a) => a.publicIp).join(' ') || 'none',
      records: records.map((r) => r.name).join(' ') || 'none',
      identityItemsCarried: keeps.carried,
      identityItemsTotal: keeps.total,
      ...(downtimeFrom !== undefined ? { downtimeSeconds: Math.round((movedAt - downtimeFrom) / 1000) } : {}),
    },
  };
}

/**
 * A relaunch starts only with `relaunchBudgetSeconds` of the invocation left; otherwise it is left to
 * the next scan. Checked before the run claims the instance, so a relaunch it does not start leaves
 * no claim behind that would hold the next run off.
 */
export function outOfRelaunchBudget(p: DegradedPayload, ctx: JobContext, env: ApplyEnv): WorkerResult | undefined {
  if (p.action !== 'relaunch' || p.resume || ctx.deadline.remainingMs() >= env.config.relaunchBudgetSeconds * 1000) return undefined;
  return { outcome: 'skipped', reason: `less than ${env.config.relaunchBudgetSeconds} s left in this invocation for a relaunch; the next scan starts it`, details: { cutOff: true } };
}

/** After the move: protections on the replacement, the old one out of its load balancers, then stopped or terminated. */
async function finish(identity: ServerIdentity, m: Memberships, newId: string, ctx: JobContext, env: ApplyEnv): Promise<string[]> {
  const { ec2 } = ctx.clients;
  const oldId = identity.instance.InstanceId!;
  const notes: string[] = [];
  // Restored only now, so that a failed replacement could still be terminated by the undo.
  if (identity.disableApiTermination) await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: newId, DisableApiTermination: { Value: true } }));
  if (identity.disableApiStop) await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: newId, DisableApiStop: { Value: true } }));
  const left = await deregisterOld(m, oldId, ctx);
  if (left.length) notes.push(`old instance still registered in ${left.join(', ')}`);
  if (env.config.afterRelaunch === 'terminate') {
    if (identity.disableApiTermination) notes.push(`old instance left stopped: termination protection is on (it moved to ${newId})`);
    else {
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [oldId] }));
      notes.push('old instance terminating');
    }
  } else if (identity.instance.RootDeviceType === 'ebs') {
    notes.push('old instance stopped');
  } else {
    notes.push('old instance left running (instance store cannot be stopped; terminate it once the replacement is confirmed)');
  }
  return notes;
}

/**
 * A relaunch found in progress past its lease was interrupted (the invocation died mid-move: a
 * cut-off within a run is undone in that run). What was half-moved cannot be known for sure, so a
 * person checks: the alert names the replacement the token launched, if any.
 */
async function interrupted(p: DegradedPayload, ctx: JobContext): Promise<WorkerResult> {
  const oldId = p.instance.InstanceId!;
  await writeState(ctx.clients.ec2, oldId, { action: 'relaunch', phase: 'failed', at: stepTime(ctx) }, { [TAG_LAST_ERROR]: 'Interrupted' });
  throw Object.assign(
    new Error(`relaunch of ${oldId} was interrupted mid-way: check its volumes and interfaces, and any instance tagged caretaker:replaces=${oldId}, then remove tag caretaker:remediation to retry`),
    { name: 'Interrupted' },
  );
}

import { createHash } from 'node:crypto';
import type { Instance } from '@aws-sdk/client-ec2';
import type { Decision } from '../engine/types';
import { type Choice, chooseAuto, guardStopProtection, type InstanceFacts } from './choose-action';
import { type DegradedAction, type DegradedConfig, degradedActions } from './config';
import type { DegradedNotice, SkippedEntity } from './event';
import { codeInfo } from './event-codes';
import { readState, TAG_ASG, TAG_FAILURES, TAG_LAST_ERROR, TAG_ON_DEGRADED, TAG_TOKEN } from './tags';
import { TRANSIENT_CODES } from '../aws/errors';
import { ROLLED_BACK_FOR_TIME } from './relaunch/rolled-back';
import { tagRecord } from '../aws/filters';

/** Relaunches retried by later triggers after a transient failure (throttling, 5xx, capacity); then a person decides. */
const AUTO_RETRIES = 3;

/** Reasons that start with this are outages (an instance left stopped): the run lists them under ACTION NEEDED. */
export const URGENT = 'URGENT:';

/** What apply needs for one instance. */
export interface DegradedPayload {
  instance: Instance;
  action: DegradedAction;
  /** The most urgent notice for the instance (absent when only resuming a cut-off run). */
  notice?: DegradedNotice;
  /** A run was cut off mid-way: continue from where the tags say, never start over. */
  resume: boolean;
  /** RunInstances ClientToken for a relaunch (≤ 64 chars). */
  token: string;
  /** Type and attribute facts from describe (absent if describe could not read them). */
  facts?: InstanceFacts;
  /** A person must act: reported in the run's ACTION NEEDED list. */
  attention?: Choice['attention'];
}

export interface DegradedState {
  notices: DegradedNotice[];
  /** Entities the trigger named that will not be touched (other Region, not an instance, ...). */
  skipped: SkippedEntity[];
  instances: Map<string, Instance>;
  /** Instances tagged in progress (or left stopped by a failed stop-start), found by the scan. */
  inProgress: string[];
  /** Instance-type and attribute facts by instance id. */
  facts: Map<string, InstanceFacts>;
}

export type DegradedPolicy = Pick<DegradedConfig, 'defaultAction' | 'leaseMinutes' | 'cooldownHours'>;

const MINUTE = 60_000;

/** Token of (event, instance, attempt): a duplicate event gives the same token, hence no second instance. */
export function clientToken(eventKey: string, instanceId: string, attempt: number): string {
  const digest = createHash('sha256').update(`${eventKey}\n${instanceId}\n${attempt}`).digest('hex');
  return `caretaker-${digest.slice(0, 48)}`;
}

/**
 * PURE: notices + instances + policy + now → one decision per instance, most urgent deadline
 * first. Skips carry their reason; resumes of cut-off runs come before new work.
 */
export function planDegraded(state: DegradedState, policy: DegradedPolicy, now: Date): Array<Decision<DegradedPayload | undefined>> {
  const decisions: Array<Decision<DegradedPayload | undefined>> = state.skipped.map((s) => skip(s.target, s.reason));
  const byInstance = new Map<string, DegradedNotice[]>();
  for (const n of state.notices) byInstance.set(n.instanceId, [...(byInstance.get(n.instanceId) ?? []), n]);
  for (const id of state.inProgress) if (!byInstance.has(id)) byInstance.set(id, []);
  const planned = [...byInstance].map(([id, notices]) => decide(id, mostUrgent(notices), state.instances.get(id), state.facts.get(id), policy, now));
  planned.sort((a, b) => rank(a) - rank(b));
  return [...decisions, ...planned];
}

function rank(d: Decision<DegradedPayload | undefined>): number {
  if (!d.payload) return Number.MAX_SAFE_INTEGER;
  if (d.payload.resume) return Number.MIN_SAFE_INTEGER;
  return d.payload.notice?.deadline?.getTime() ?? Number.MAX_SAFE_INTEGER - 1;
}

function mostUrgent(notices: DegradedNotice[]): DegradedNotice | undefined {
  return [...notices].sort((a, b) => (a.deadline?.getTime() ?? Infinity) - (b.deadline?.getTime() ?? Infinity))[0];
}

function skip(target: string, reason: string): Decision<undefined> {
  return { target, action: 'skip', reason, payload: undefined };
}

function decide(
  id: string,
  notice: DegradedNotice | undefined,
  instance: Instance | undefined,
  facts: InstanceFacts | undefined,
  policy: DegradedPolicy,
  now: Date,
): Decision<DegradedPayload | undefined> {
  if (!instance) return skip(id, 'not found in this account and Region');
  const tags = tagRecord(instance.Tags);
  const state = readState(tags);
  const since = state?.at ? ` since ${state.at.toISOString()}` : '';
  const stateName = instance.State?.Name ?? 'unknown';

  // An instance our stop-start left stopped is an outage: start it again on every trigger, a few times.
  if (state?.phase === 'failed' && state.action === 'stop-start' && stateName === 'stopped') {
    const code = tags[TAG_LAST_ERROR] ? ` (${tags[TAG_LAST_ERROR]})` : '';
    if (failures(tags) >= AUTO_RETRIES) return skip(id, `${URGENT} left stopped by a failed stop-start${since}${code}; ${failures(tags)} start attempts failed, start it by hand`);
    const token = clientToken(notice?.eventKey ?? id, id, failures(tags));
    return {
      target: id,
      action: 'stop-start',
      reason: `${URGENT} left stopped by a failed stop-start${since}${code}; starting it again (attempt ${failures(tags) + 1} of ${AUTO_RETRIES})`,
      payload: { instance, action: 'stop-start', notice, resume: true, token, facts },
    };
  }

  if (state?.phase === 'in-progress') {
    const age = state.at ? now.getTime() - state.at.getTime() : Infinity;
    if (age < policy.leaseMinutes * MINUTE) return skip(id, `${state.action} in progress${since} (another run); nothing to do`);
    if (stateName === 'terminated' || stateName === 'shutting-down') return skip(id, `${state.action} was cut off and the instance is ${stateName}; check by hand`);
    const token = tags[TAG_TOKEN] ?? clientToken(notice?.eventKey ?? id, id, failures(tags));
    return {
      target: id,
      action: state.action,
      reason: `resuming ${state.action} cut off${since}`,
      payload: { instance, action: state.action, notice, resume: true, token, facts },
    };
  }
  if (!notice) return skip(id, 'no pending event');
  const info = codeInfo(notice.code);
  const what = `${notice.code} (${info?.consequence ?? 'unknown'})${notice.deadline ? `, deadline ${notice.deadline.toISOString()}` : ''}`;
  if (state?.phase === 'failed') {
    const code = tags[TAG_LAST_ERROR];
    // A relaunch rolled back for want of time (CutOff) is as retryable as a throttled one.
    const retry = code !== undefined && (TRANSIENT_CODES.has(code) || code === ROLLED_BACK_FOR_TIME) && failures(tags) < AUTO_RETRIES;
    if (!retry) return skip(id, `${what}: previous ${state.action} failed${since}${code ? ` (${code})` : ''}; remove tag caretaker:remediation to retry`);
  }
  if (state?.phase === 'done' && state.at && now.getTime() - state.at.getTime() < policy.cooldownHours * 60 * MINUTE) {
    return skip(id, `${what}: already handled (${state.action}) at ${state.at.toISOString()}`);
  }
  if (stateName === 'terminated' || stateName === 'shutting-down') return skip(id, `${what}: already ${stateName}`);
  if (stateName !== 'running') return skip(id, `${what}: instance is ${stateName}, not running; it starts on a healthy host`);
  const group = tags[TAG_ASG];
  if (group) return skip(id, `${what}: member of Auto Scaling group ${group}, which replaces it`);

  const choice = guardStopProtection(choose(instance, notice, facts, tags, policy), facts);
  const token = clientToken(notice.eventKey, id, failures(tags));
  return {
    target: id,
    action: choice.action,
    reason: `${what}; ${choice.why}`,
    payload: { instance, action: choice.action, notice, resume: false, token, facts, attention: choice.attention },
  };
}

/** The tag's action if it names one, else the config default (`auto`: AWS's answer for this instance and notice). */
function choose(instance: Instance, notice: DegradedNotice, facts: InstanceFacts | undefined, tags: Record<string, string>, policy: DegradedPolicy): Choice {
  const tagged = tags[TAG_ON_DEGRADED];
  let choice: Choice;
  if (tagged !== undefined && degradedActions.includes(tagged as DegradedAction)) {
    choice = { action: tagged as DegradedAction, why: `tag ${TAG_ON_DEGRADED}=${tagged}` };
  } else if (tagged !== undefined) {
    return { action: 'notify', why: `tag ${TAG_ON_DEGRADED}='${tagged}' is not one of ${degradedActions.join(', ')}, so only notifying` };
  } else if (policy.defaultAction === 'auto') {
    // Without facts (describe could not read the type) the safe answer is to tell a person.
    if (!facts) return { action: 'notify', why: 'auto: the instance type or attributes could not be read, so only notifying' };
    choice = chooseAuto(instance, notice.family, facts);
  } else {
    choice = { action: policy.defaultAction, why: `config default ${policy.defaultAction}` };
  }
  if (choice.action === 'stop-start' && instance.RootDeviceType !== 'ebs') {
    return { action: 'notify', why: `stop-start needs an EBS root device, this one is ${instance.RootDeviceType ?? 'unknown'}; notifying (tag relaunch to replace it)` };
  }
  return choice;
}

function failures(tags: Record<string, string>): number {
  const n = Number(tags[TAG_FAILURES] ?? 0);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

import { CreateTagsCommand, type EC2Client, type Tag } from '@aws-sdk/client-ec2';
import { type DegradedAction, degradedActions } from './config';

/** Per-instance choice of action; overrides `degraded.defaultAction`. */
export const TAG_ON_DEGRADED = 'caretaker:on-degraded';
/** Where a remediation stands: `<action>:in-progress|done|failed` or `notify:done`. */
export const TAG_STATE = 'caretaker:remediation';
/** When the state last changed (ISO 8601): the lease of an in-progress run. */
export const TAG_STATE_AT = 'caretaker:remediation-at';
/** When the remediation first started (the lease tag moves on each resume; this one does not). */
export const TAG_STARTED = 'caretaker:remediation-started';
/** The RunInstances ClientToken of a relaunch, so a resumed run (from any trigger) reuses it. */
export const TAG_TOKEN = 'caretaker:remediation-token';
/** The event code being handled, for people reading the console. */
export const TAG_EVENT = 'caretaker:remediation-event';
/** Failed relaunches so far; part of the next token, so a retry after a failure gets a new instance. */
export const TAG_FAILURES = 'caretaker:remediation-failures';
/** The error code of the last failed relaunch: a transient one lets the next trigger retry by itself. */
export const TAG_LAST_ERROR = 'caretaker:remediation-error';
export const TAG_REPLACED_BY = 'caretaker:replaced-by';
export const TAG_REPLACES = 'caretaker:replaces';
/** Set by EC2 Auto Scaling on its members. */
export const TAG_ASG = 'aws:autoscaling:groupName';

export type Phase = 'in-progress' | 'done' | 'failed';

export interface RemediationState {
  action: DegradedAction;
  phase: Phase;
  at?: Date;
}

/** Reads the state tags; anything unreadable counts as no state (the instance is treated as new). */
export function readState(tags: Record<string, string>): RemediationState | undefined {
  const [action, phase] = (tags[TAG_STATE] ?? '').split(':');
  if (!degradedActions.includes(action as DegradedAction) || !['in-progress', 'done', 'failed'].includes(phase ?? '')) return undefined;
  const at = tags[TAG_STATE_AT] ? new Date(tags[TAG_STATE_AT]) : undefined;
  return { action: action as DegradedAction, phase: phase as Phase, at: at && !Number.isNaN(at.getTime()) ? at : undefined };
}

/** Records a step on the instance itself, so another run (or this one, resumed) sees it. */
export async function writeState(
  ec2: EC2Client,
  instanceId: string,
  state: { action: DegradedAction; phase: Phase; at: Date },
  extra: Record<string, string> = {},
): Promise<void> {
  const tags: Tag[] = [
    { Key: TAG_STATE, Value: `${state.action}:${state.phase}` },
    { Key: TAG_STATE_AT, Value: state.at.toISOString() },
    ...Object.entries(extra).map(([Key, Value]) => ({ Key, Value })),
  ];
  await ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: tags }));
}

/** Tags a replacement inherits: the old instance's own, without AWS's and without remediation bookkeeping. */
export function inheritedTags(tags: Record<string, string>): Tag[] {
  return Object.entries(tags)
    .filter(([k]) => !k.toLowerCase().startsWith('aws:') && !k.startsWith('caretaker:remediation') && k !== TAG_REPLACED_BY && k !== TAG_REPLACES)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([Key, Value]) => ({ Key, Value }));
}

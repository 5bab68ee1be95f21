import type { MemberHealth } from './track-health';

/** One member as the planner sees it, in priority order (index 0 is preferred). */
export interface MemberView {
  name: string;
  /**
   * What the record (or the Elastic IP association) holds when this member is active: its
   * current address (A), hostname (CNAME) or instance id (elastic-ip). Undefined when the member
   * has no address right now (instance stopped).
   */
  key?: string;
  /** Older keys that still identify it, e.g. the address its self-name points at before an IP change. */
  formerKeys?: string[];
  health: MemberHealth;
}

export type FailoverAction = 'upsert' | 'create' | 'none' | 'all-down';

export interface FailoverDecision {
  action: FailoverAction;
  /** The member the record should point at (upsert, create). */
  to?: string;
  value?: string;
  /** The member currently active, if the record identifies one. */
  from?: string;
  reason: string;
}

export interface FailoverState {
  /** The record's value (or the address's instance); undefined when the record does not exist. */
  current: string | undefined;
  members: MemberView[];
  failback: 'auto' | 'sticky';
}

const norm = (v: string) => v.toLowerCase().replace(/\.$/, '');

/**
 * Pure: record + member health + policy → one decision with its reason. It never points the
 * record at a member that is not `up` (enough consecutive good probes), and changes nothing when
 * no member is up: an outage of everything is an alert, not a move.
 *
 * @example
 * planFailover({ current: '192.0.2.1', failback: 'auto', members }) // → { action: 'upsert', to: 'lb2', ... }
 */
export function planFailover(state: FailoverState): FailoverDecision {
  const { members } = state;
  const up = members.filter((m) => m.health.verdict === 'up' && m.key !== undefined);
  const best = up[0];
  const allDown = members.every((m) => m.health.verdict === 'down');
  const downList = () => members.map((m) => `${m.name}: ${m.health.last ?? 'no probe yet'}`).join('; ');

  if (state.current === undefined) {
    if (best) return move('create', best, undefined, `record missing; ${best.name} is the best healthy member`);
    if (allDown) return { action: 'all-down', reason: `record missing and every member is down (${downList()})` };
    return { action: 'none', reason: 'record missing; waiting for a member to be confirmed healthy' };
  }

  const current = norm(state.current);
  const byKey = members.find((m) => m.key !== undefined && norm(m.key) === current);
  const byFormer = byKey ? undefined : members.find((m) => m.formerKeys?.some((k) => norm(k) === current));
  const active = byKey ?? byFormer;

  if (!active) {
    if (best) return move('upsert', best, undefined, `record points at ${state.current}, which is no member's address; ${best.name} is healthy`);
    if (allDown) return { action: 'all-down', reason: `record points at ${state.current} (no member) and every member is down (${downList()})` };
    return { action: 'none', reason: `record points at ${state.current} (no member); waiting for a healthy member` };
  }

  const verdict = active.health.verdict;
  if (verdict === 'down') {
    if (best) {
      return move('upsert', best, active, `${active.name} is down after ${active.health.failures} failed probes (${active.health.last}); ${best.name} is healthy`);
    }
    if (allDown) return { action: 'all-down', from: active.name, reason: `every member is down (${downList()}); the record stays on ${active.name}` };
    return { action: 'none', from: active.name, reason: `${active.name} is down but no other member is confirmed healthy yet` };
  }

  // The active member moved (new instance IP): follow it once it answers at the new address.
  if (byFormer && verdict === 'up' && active.key !== undefined) {
    return move('upsert', active, active, `${active.name}'s address changed from ${state.current} to ${active.key}`);
  }

  const rank = members.indexOf(active);
  if (state.failback === 'auto' && best && members.indexOf(best) < rank) {
    return move('upsert', best, active, `failback: ${best.name} (priority ${members.indexOf(best) + 1}) is healthy again; ${active.name} has priority ${rank + 1}`);
  }
  return { action: 'none', from: active.name, reason: `${active.name} is active (${verdict}${active.health.last ? `: ${active.health.last}` : ''})` };
}

function move(action: 'upsert' | 'create', to: MemberView, from: MemberView | undefined, reason: string): FailoverDecision {
  return { action, to: to.name, value: to.key, ...(from ? { from: from.name } : {}), reason };
}

/** A self-name (`lb1.example.com`) and the value it should hold. */
export interface SelfNameChange {
  member: string;
  name: string;
  value: string;
  type: 'A' | 'CNAME';
}

/**
 * Pure: which self-names must be rewritten so each points at its member's current address.
 * Independent of health: a self-name says where the box is, not whether it is well.
 */
export function planSelfNames(
  members: Array<{ name: string; selfName?: string; key?: string }>,
  published: ReadonlyMap<string, string | undefined>,
): SelfNameChange[] {
  const changes: SelfNameChange[] = [];
  for (const m of members) {
    if (!m.selfName || m.key === undefined) continue;
    const now = published.get(norm(m.selfName));
    if (now !== undefined && norm(now) === norm(m.key)) continue;
    changes.push({ member: m.name, name: m.selfName, value: m.key, type: /^\d+\.\d+\.\d+\.\d+$/.test(m.key) ? 'A' : 'CNAME' });
  }
  return changes;
}

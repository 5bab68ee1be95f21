import type { ActionNeeded } from '../engine/types';
import { scheduleIntervalMs } from '../snapshot/schedule-interval';

/**
 * The freshness guard: is a volume still being backed up as its policy expects? Pure.
 *
 * A volume is stale when its newest completed snapshot (not dated in the future) is older than
 * `staleAfterMs` (the policy's schedule interval × 1.5, or its `staleAfter`), or when it has
 * snapshots but none completed and the oldest attempt is older than that. A volume with no
 * snapshot at all is new, not stale.
 */
export interface Freshness {
  stale: boolean;
  /** The last good snapshot, if any. */
  newestCompleted?: { id: string; startMs: number };
  staleAfterMs?: number;
  /**
   * Where the volume's backup age counts from: its newest completed snapshot's start, else its
   * oldest attempt's; undefined for a volume with no snapshot (not dated in the future) at all.
   */
  sinceMs?: number;
}

export function assessFreshness(
  rows: ReadonlyArray<{ id: string; startMs: number; state: string }>,
  staleAfterMs: number | undefined,
  now: number,
): Freshness {
  let newest: { id: string; startMs: number } | undefined;
  let oldestAttempt = Number.POSITIVE_INFINITY;
  for (const r of rows) {
    if (r.startMs > now) continue;
    oldestAttempt = Math.min(oldestAttempt, r.startMs);
    if (r.state !== 'completed') continue;
    if (!newest || r.startMs > newest.startMs || (r.startMs === newest.startMs && r.id > newest.id)) newest = { id: r.id, startMs: r.startMs };
  }
  const since = newest ? newest.startMs : Number.isFinite(oldestAttempt) ? oldestAttempt : undefined;
  const sinceMs = since === undefined ? {} : { sinceMs: since };
  if (staleAfterMs === undefined) return { stale: false, newestCompleted: newest, ...sinceMs };
  const stale = since !== undefined && now - since > staleAfterMs;
  return { stale, newestCompleted: newest, staleAfterMs, ...sinceMs };
}

/** The worst (largest) backup age over volumes, fed one {@link Freshness} at a time. */
export class WorstBackupAge {
  ageMs: number | undefined;
  volumes = 0;
  /** Whether the worst volume has a completed snapshot (else its age counts from its first attempt). */
  completed = true;
  add(f: Freshness, now: number): void {
    if (f.sinceMs === undefined) return;
    this.volumes++;
    if (this.ageMs === undefined || now - f.sinceMs > this.ageMs) {
      this.ageMs = now - f.sinceMs;
      this.completed = f.newestCompleted !== undefined;
    }
  }
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90m`, `36h`, `2d` → ms; undefined when the text is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)(m|h|d)$/.exec(text);
  if (!m) return undefined;
  const ms = Number(m[1]) * UNITS[m[2]!]!;
  return ms > 0 ? ms : undefined;
}

/** 129600000 → `36h`, 172800000 → `2d`, for messages. */
export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  return `${Math.round(ms / 60_000)}m`;
}

/** A policy's guard: its `staleAfter`, else its schedule's longest interval × 1.5. */
export function policyStaleAfterMs(policy: { schedule: string; retain?: { staleAfter?: string } }): number | undefined {
  if (policy.retain?.staleAfter !== undefined) return parseDuration(policy.retain.staleAfter);
  const interval = scheduleIntervalMs(policy.schedule);
  return interval === undefined ? undefined : interval * 1.5;
}

/** The ACTION NEEDED item of a stale volume, for the prune and the snapshot summaries alike. */
export function staleVolumeItem(v: { instanceId?: string; volumeId: string; scope: string; freshness: Freshness }, now: number): ActionNeeded {
  const f = v.freshness;
  const last = f.newestCompleted
    ? `newest completed snapshot ${f.newestCompleted.id} of ${iso(f.newestCompleted.startMs)} (${ago(now - f.newestCompleted.startMs)} ago)`
    : 'no completed snapshot at all';
  return {
    kind: 'stale-volume',
    subject: `${v.instanceId ?? 'instance unknown'} / ${v.volumeId}`,
    problem: `${last}; ${v.scope} expects one at least every ${formatDuration(f.staleAfterMs ?? 0)}`,
    todo:
      `check that the instance exists and its ${v.scope} snapshots run and complete (caretaker snapshot --policy ${v.scope.startsWith('policy ') ? v.scope.slice(7) : 'NAME'} --dry-run; ` +
      `aws ec2 describe-snapshots --filters Name=volume-id,Values=${v.volumeId}); until a new snapshot completes, prune deletes nothing by olderThanDays here. ` +
      'If the volume was retired on purpose, tag the snapshots to keep caretaker:keep and delete the rest by hand.',
  };
}

/** `Backup age of policy daily: worst volume 26.0 hours (newest completed snapshot), over 7 volume(s); stale after 36h.` */
export function backupAgeLine(scope: string, m: { worstBackupAgeMs?: number; volumes?: number; staleAfterMs?: number; worstCompleted?: boolean }): string | undefined {
  const { staleAfterMs } = m;
  if (m.worstBackupAgeMs === undefined) return undefined;
  const over = staleAfterMs !== undefined && m.worstBackupAgeMs > staleAfterMs;
  const since = m.worstCompleted === false ? 'its first snapshot attempt (none completed yet)' : 'its newest completed snapshot';
  return (
    `Backup age of ${scope}: worst volume ${ago(m.worstBackupAgeMs)} since ${since}, over ${m.volumes ?? 0} volume(s)` +
    (staleAfterMs === undefined ? '.' : `; stale after ${formatDuration(staleAfterMs)}${over ? ' (OVER: see ACTION NEEDED)' : ''}.`)
  );
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/:\d\d\.\d{3}Z$/, 'Z');

function ago(ms: number): string {
  return ms >= 2 * 86_400_000 ? `${(ms / 86_400_000).toFixed(1)} days` : `${(ms / 3_600_000).toFixed(1)} hours`;
}

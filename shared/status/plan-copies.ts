import type { CopyRow } from './describe-status';

const HOUR = 3_600_000;

/** Copies of one policy that landed in a Region. */
export interface CopiesStatus {
  /** The source's policy (`caretaker:policy` carried over), or `-` for a copy without one. */
  policy: string;
  completed: number;
  newestCompleted?: { snapshotId: string; at: string; ageHours: number };
  /** Copies still on their way: their sources must not be deleted until these complete. */
  pending: Array<{ snapshotId: string; copyOf: string; startedAt: string; progress: string }>;
  /** Copies that ended in `error`: the source has to be copied again. */
  failed: number;
}

/**
 * Pure: the copies of a Region per policy, newest completed and pending ones, from
 * {@link describeStatus}'s rows. `expected` (the policies whose `copyTo` names this Region) get a
 * row even before any copy landed, so "nothing arrived yet" shows as 0, not as silence.
 */
export function planCopies(rows: readonly CopyRow[], now: Date, expected: readonly string[] = []): CopiesStatus[] {
  const byPolicy = new Map<string, CopyRow[]>(expected.map((p) => [p, []]));
  for (const r of rows) byPolicy.set(r.policy ?? '-', [...(byPolicy.get(r.policy ?? '-') ?? []), r]);
  return [...byPolicy.keys()].sort().map((policy) => {
    const list = byPolicy.get(policy)!;
    const completed = list.filter((r) => r.state === 'completed');
    const newest = completed.reduce<CopyRow | undefined>((a, b) => (a && a.startMs >= b.startMs ? a : b), undefined);
    return {
      policy,
      completed: completed.length,
      ...(newest
        ? { newestCompleted: { snapshotId: newest.id, at: new Date(newest.startMs).toISOString(), ageHours: Math.floor((now.getTime() - newest.startMs) / HOUR) } }
        : {}),
      pending: list
        .filter((r) => r.state === 'pending')
        .sort((a, b) => a.startMs - b.startMs)
        .map((r) => ({ snapshotId: r.id, copyOf: r.copyOf, startedAt: new Date(r.startMs).toISOString(), progress: r.progress ?? '-' })),
      failed: list.filter((r) => r.state === 'error').length,
    };
  });
}

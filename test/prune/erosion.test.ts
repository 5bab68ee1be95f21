import { describe, expect, it } from 'vitest';
import type { Retain } from '../../shared/prune/config';
import { DELETE_ACTION, planRetention, type SnapshotRow } from '../../shared/prune/plan-retention';

const DAY = 86_400_000;

function rows(starts: number[]): SnapshotRow[] {
  return starts.map((startMs, i) => ({ id: `snap-${String(i).padStart(3, '0')}`, volumeId: 'vol-0000000000000001a', startMs, state: 'completed', sizeGiB: 8, keepTag: false, unmanaged: false }));
}

function kept(all: SnapshotRow[], retain: Partial<Retain>, now: string, staleAfterMs?: number): string[] {
  const decisions = planRetention(all, { minKeep: 1, timeZone: 'UTC', ...retain }, { now: new Date(now), minAgeHours: 24, amiSnapshotIds: new Set(), staleAfterMs });
  return decisions.filter((d) => d.action !== DELETE_ACTION).map((d) => new Date(d.payload.startMs).toISOString().slice(0, 10)).sort();
}

/** The erosion cases of issue 14: a schedule that stopped must not eat the history. */
describe('retention after a schedule stopped (issue 14)', () => {
  it('daily 7 with daily snapshots Jan 1-10 and now Jan 20 keeps 7, as restic does (we used to delete 9 of 10)', () => {
    const all = rows(Array.from({ length: 10 }, (_, i) => Date.UTC(2026, 0, i + 1, 3)));
    expect(kept(all, { daily: 7 }, '2026-01-20T12:00:00Z')).toEqual(['2026-01-04', '2026-01-05', '2026-01-06', '2026-01-07', '2026-01-08', '2026-01-09', '2026-01-10']);
    // ... and it stays so: a month later nothing more goes.
    expect(kept(all, { daily: 7 }, '2026-02-20T12:00:00Z')).toHaveLength(7);
  });

  it("the README's daily 7, weekly 4, monthly 6 with 12 weekly snapshots ending eight months ago keeps 8, as restic does (we used to keep 1)", () => {
    // Fridays 2026-01-09 .. 2026-03-27; now 2026-11-27.
    const all = rows(Array.from({ length: 12 }, (_, i) => Date.UTC(2026, 0, 9 + 7 * i, 3)));
    expect(kept(all, { daily: 7, weekly: 4, monthly: 6 }, '2026-11-27T12:00:00Z')).toEqual([
      '2026-01-30', // monthly: January's newest
      '2026-02-13', '2026-02-20', '2026-02-27', '2026-03-06', '2026-03-13', '2026-03-20', '2026-03-27', // the 7 newest days with a snapshot
    ]);
  });

  it('olderThanDays alone would erode to minKeep, so the freshness guard suspends it on the stale volume', () => {
    const all = rows(Array.from({ length: 10 }, (_, i) => Date.UTC(2026, 0, i + 1, 3)));
    expect(kept(all, { olderThanDays: 7 }, '2026-01-20T12:00:00Z')).toEqual(['2026-01-10']); // no guard: the seed's meaning
    expect(kept(all, { olderThanDays: 7 }, '2026-01-20T12:00:00Z', 1.5 * DAY)).toHaveLength(10);
  });
});

import { describe, expect, it } from 'vitest';
import { assessFreshness, backupAgeLine, WorstBackupAge } from '../../shared/prune/freshness';

const HOUR = 3_600_000;
const now = Date.parse('2026-03-05T03:00:00Z');

describe('WorstBackupAge', () => {
  it('keeps the largest age over volumes, from the newest completed snapshot or else the oldest attempt; volumes with no snapshot do not count', () => {
    const worst = new WorstBackupAge();
    worst.add(assessFreshness([{ id: 'a1', startMs: now - 30 * HOUR, state: 'completed' }, { id: 'a2', startMs: now - 6 * HOUR, state: 'completed' }], 36 * HOUR, now), now);
    expect([worst.ageMs, worst.completed]).toEqual([6 * HOUR, true]);
    // Never completed: counted from its first attempt, 10 h ago.
    worst.add(assessFreshness([{ id: 'b1', startMs: now - 10 * HOUR, state: 'error' }, { id: 'b2', startMs: now - 2 * HOUR, state: 'pending' }], undefined, now), now);
    worst.add(assessFreshness([], 36 * HOUR, now), now);
    // A snapshot dated in the future is no evidence of a backup.
    worst.add(assessFreshness([{ id: 'c1', startMs: now + HOUR, state: 'completed' }], 36 * HOUR, now), now);
    expect([worst.ageMs, worst.completed, worst.volumes]).toEqual([10 * HOUR, false, 2]);
  });

  it('says in the summary line what the age counts from, and flags it over the guard', () => {
    expect(backupAgeLine('policy daily', { worstBackupAgeMs: 40 * HOUR, volumes: 3, staleAfterMs: 36 * HOUR, worstCompleted: true })).toBe(
      'Backup age of policy daily: worst volume 40.0 hours since its newest completed snapshot, over 3 volume(s); stale after 36h (OVER: see ACTION NEEDED).',
    );
    expect(backupAgeLine('policy daily', { worstBackupAgeMs: 0.5 * HOUR, volumes: 1, worstCompleted: false })).toBe(
      'Backup age of policy daily: worst volume 0.5 hours since its first snapshot attempt (none completed yet), over 1 volume(s).',
    );
    expect(backupAgeLine('policy daily', { volumes: 0 })).toBeUndefined();
  });
});

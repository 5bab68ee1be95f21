import { describe, expect, it } from 'vitest';
import type { Retain } from '../../shared/prune/config';
import { DELETE_ACTION, planRetention, type RetentionContext, type SnapshotRow } from '../../shared/prune/plan-retention';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function row(id: string, at: string | number, extra: Partial<SnapshotRow> = {}): SnapshotRow {
  return { id, volumeId: 'vol-0000000000000001a', startMs: typeof at === 'number' ? at : Date.parse(at), state: 'completed', sizeGiB: 8, keepTag: false, unmanaged: false, ...extra };
}

const rules = (r: Partial<Retain>): Retain => ({ minKeep: 1, timeZone: 'UTC', ...r });
const ctxAt = (now: string, extra: Partial<RetentionContext> = {}): RetentionContext => ({ now: new Date(now), minAgeHours: 0, amiSnapshotIds: new Set(), ...extra });

/** The ids the plan deletes, and each decision's reason by id. */
function plan(rows: SnapshotRow[], retain: Partial<Retain>, ctx: RetentionContext) {
  const decisions = planRetention(rows, rules(retain), ctx);
  return {
    deleted: decisions.filter((d) => d.action === DELETE_ACTION).map((d) => d.target).sort(),
    reason: Object.fromEntries(decisions.map((d) => [d.target, d.reason])),
    rules: Object.fromEntries(decisions.map((d) => [d.target, d.payload.rules])),
  };
}

describe('planRetention', () => {
  describe('olderThanDays (the seed rule)', () => {
    it('deletes what is older than N days and names the rule', () => {
      const now = Date.parse('2026-05-20T12:00:00Z');
      const rows = [1, 5, 8, 30].map((d) => row(`d${d}`, now - d * DAY));
      const out = plan(rows, { olderThanDays: 7 }, ctxAt('2026-05-20T12:00:00Z'));
      expect(out.deleted).toEqual(['d30', 'd8']);
      expect(out.reason.d8).toBe('older than 7 days (olderThanDays)');
      expect(out.reason.d5).toBe('kept: not older than 7 days');
      expect(out.rules.d1).toEqual(['min-keep', 'newer-than']);
    });

    it('keeps exactly N days old (the boundary is "older than")', () => {
      const now = Date.parse('2026-05-20T12:00:00Z');
      const out = plan([row('new', now - DAY), row('edge', now - 7 * DAY), row('old', now - 7 * DAY - 1)], { olderThanDays: 7 }, ctxAt('2026-05-20T12:00:00Z'));
      expect(out.deleted).toEqual(['old']);
    });
  });

  describe('keepLast and minKeep', () => {
    it('keepLast keeps the newest N completed snapshots', () => {
      const now = Date.parse('2026-05-20T12:00:00Z');
      const rows = [1, 2, 3, 4, 5].map((d) => row(`d${d}`, now - d * DAY));
      const out = plan(rows, { keepLast: 2 }, ctxAt('2026-05-20T12:00:00Z'));
      expect(out.deleted).toEqual(['d3', 'd4', 'd5']);
      expect(out.reason.d3).toBe('kept by no rule (keepLast 2; minKeep 1)');
      expect(out.reason.d2).toBe('kept: keepLast 2');
    });

    it('minKeep keeps the newest snapshots even when every one is expired', () => {
      const now = Date.parse('2026-05-20T12:00:00Z');
      const rows = [10, 20, 30, 40].map((d) => row(`d${d}`, now - d * DAY));
      const out = plan(rows, { olderThanDays: 1, minKeep: 3 }, ctxAt('2026-05-20T12:00:00Z'));
      expect(out.deleted).toEqual(['d40']);
      expect(out.reason.d30).toBe('kept: newest 3 (minKeep)');
    });

    it('counts only completed snapshots: a pending one does not push the newest completed out', () => {
      const now = Date.parse('2026-05-20T12:00:00Z');
      const rows = [row('pending', now - HOUR, { state: 'pending' }), row('done', now - 2 * DAY), row('older', now - 3 * DAY)];
      const out = plan(rows, { keepLast: 1 }, ctxAt('2026-05-20T12:00:00Z'));
      expect(out.deleted).toEqual(['older']);
      expect(out.reason.pending).toBe('kept: state pending');
    });

    it('breaks a tie on start time by id, so the plan does not depend on listing order', () => {
      const at = '2026-05-10T00:00:00Z';
      const a = plan([row('snap-a', at), row('snap-b', at)], { keepLast: 1 }, ctxAt('2026-05-20T00:00:00Z'));
      const b = plan([row('snap-b', at), row('snap-a', at)], { keepLast: 1 }, ctxAt('2026-05-20T00:00:00Z'));
      expect(a.deleted).toEqual(['snap-a']);
      expect(b.deleted).toEqual(a.deleted);
    });
  });

  describe('grandfather-father-son buckets', () => {
    it('hourly keeps the newest snapshot of each of the last N hours', () => {
      const rows = ['09:50', '09:10', '08:40', '08:20', '07:59', '06:30'].map((t) => row(t, `2026-05-20T${t}:00Z`));
      const out = plan(rows, { hourly: 3 }, ctxAt('2026-05-20T09:55:00Z'));
      expect(out.deleted).toEqual(['06:30', '08:20', '09:10']);
      expect(out.reason['08:40']).toBe('kept: hourly 2026-05-20T08h');
    });

    it('daily follows the configured time zone, not UTC', () => {
      const rows = [
        row('a', '2026-03-10T05:00:00Z'), // New York: Mar 10, 01:00
        row('b', '2026-03-10T03:00:00Z'), // New York: Mar 9, 23:00
        row('c', '2026-03-09T05:00:00Z'), // New York: Mar 9, 01:00
        row('d', '2026-03-08T12:00:00Z'),
      ];
      const ny = plan(rows, { daily: 2, timeZone: 'America/New_York' }, ctxAt('2026-03-10T12:00:00Z'));
      const utc = plan(rows, { daily: 2 }, ctxAt('2026-03-10T12:00:00Z'));
      expect(ny.deleted).toEqual(['c', 'd']);
      expect(ny.reason.b).toBe('kept: daily 2026-03-09');
      expect(utc.deleted).toEqual(['b', 'd']);
    });

    it('daily counts the 23-hour day of a spring-forward change as one day (Europe/Berlin)', () => {
      const rows = [
        row('late', '2026-03-29T21:00:00Z'), // Mar 29, 23:00 CEST
        row('early', '2026-03-28T23:30:00Z'), // Mar 29, 00:30 CET
        row('eve', '2026-03-28T22:30:00Z'), // Mar 28, 23:30 CET
      ];
      const berlin = plan(rows, { daily: 2, timeZone: 'Europe/Berlin' }, ctxAt('2026-03-29T21:30:00Z'));
      const utc = plan(rows, { daily: 2 }, ctxAt('2026-03-29T21:30:00Z'));
      expect(berlin.deleted).toEqual(['early']);
      expect(utc.deleted).toEqual(['eve']);
    });

    it('hourly treats the repeated hour of a fall-back change as one bucket (Europe/Berlin)', () => {
      const rows = [
        row('second-0230', '2026-10-25T01:30:00Z'), // 02:30 CET (second time)
        row('first-0230', '2026-10-25T00:30:00Z'), // 02:30 CEST (first time)
        row('0130', '2026-10-24T23:30:00Z'), // 01:30 CEST
        row('0030', '2026-10-24T22:30:00Z'), // 00:30 CEST
        row('2330', '2026-10-24T21:30:00Z'), // 23:30 CEST the day before
      ];
      const out = plan(rows, { hourly: 3, timeZone: 'Europe/Berlin' }, ctxAt('2026-10-25T01:45:00Z'));
      expect(out.deleted).toEqual(['2330', 'first-0230']);
      expect(out.reason['0030']).toBe('kept: hourly 2026-10-25T00h');
    });

    it('weekly uses ISO weeks across a year boundary (2026-W01 starts on Monday 2025-12-29)', () => {
      const rows = [
        row('mon-w02', '2026-01-05T01:00:00Z'),
        row('sun-w01', '2026-01-04T23:00:00Z'),
        row('mon-w01', '2025-12-29T01:00:00Z'),
        row('sun-w52', '2025-12-28T23:00:00Z'),
      ];
      const out = plan(rows, { weekly: 2 }, ctxAt('2026-01-05T12:00:00Z'));
      expect(out.deleted).toEqual(['mon-w01', 'sun-w52']);
      expect(out.reason['sun-w01']).toBe('kept: weekly 2026-W01');
      expect(plan(rows, { weekly: 3 }, ctxAt('2026-01-05T12:00:00Z')).reason['sun-w52']).toBe('kept: weekly 2025-W52');
    });

    it('monthly puts a snapshot in the month of its local date (America/Los_Angeles)', () => {
      const rows = [
        row('mar', '2026-03-01T10:00:00Z'), // Mar 1, 02:00 PST
        row('feb-end', '2026-03-01T05:00:00Z'), // Feb 28, 21:00 PST
        row('feb-mid', '2026-02-15T12:00:00Z'),
      ];
      const la = plan(rows, { monthly: 2, timeZone: 'America/Los_Angeles' }, ctxAt('2026-03-01T12:00:00Z'));
      const utc = plan(rows, { monthly: 2 }, ctxAt('2026-03-01T12:00:00Z'));
      expect(la.deleted).toEqual(['feb-mid']);
      expect(la.reason['feb-end']).toBe('kept: monthly 2026-02');
      expect(utc.deleted).toEqual(['feb-end']);
    });

    it('yearly keeps the newest snapshot of each of the last N years', () => {
      const rows = [row('y26', '2026-01-01T00:00:00Z'), row('y25-end', '2025-12-31T23:00:00Z'), row('y25-mid', '2025-06-01T00:00:00Z'), row('y24', '2024-12-31T00:00:00Z')];
      const out = plan(rows, { yearly: 2 }, ctxAt('2026-06-01T00:00:00Z'));
      expect(out.deleted).toEqual(['y24', 'y25-mid']);
    });

    it('reaches back past empty periods: the N most recent days that have a snapshot (restic)', () => {
      const rows = [row('today', '2026-05-20T01:00:00Z'), row('4-days-ago', '2026-05-16T01:00:00Z'), row('9-days-ago', '2026-05-11T01:00:00Z'), row('older', '2026-05-01T01:00:00Z')];
      const out = plan(rows, { daily: 3, minKeep: 1 }, ctxAt('2026-05-20T12:00:00Z'));
      expect(out.deleted).toEqual(['older']);
      expect(out.reason['9-days-ago']).toBe('kept: daily 2026-05-11');
    });

    it('keeps the newest of the America/Goose_Bay October when its offset changed at 00:01 local (issue 14)', () => {
      // 2009-11-01 00:01 ADT (03:01Z) became 2009-10-31 23:01 AST: 03:01Z is still October there.
      const rows = [row('nov', '2009-11-01T04:00:00Z'), row('oct', '2009-11-01T03:01:00Z')];
      const out = plan(rows, { monthly: 2, timeZone: 'America/Goose_Bay' }, ctxAt('2009-11-01T04:00:00Z'));
      expect(out.deleted).toEqual([]);
      expect(out.reason.oct).toBe('kept: monthly 2009-10');
      expect(out.reason.nov).toBe('kept: newest 1 (minKeep), monthly 2009-11');
    });
  });

  describe('keepWithinDays', () => {
    it('keeps what was taken within N days before the newest completed snapshot, however old that is', () => {
      const rows = Array.from({ length: 10 }, (_, i) => row(`jan${i + 1}`, Date.UTC(2026, 0, i + 1, 3)));
      const out = plan(rows, { keepWithinDays: 3 }, ctxAt('2026-03-01T00:00:00Z'));
      expect(out.deleted).toEqual(['jan1', 'jan2', 'jan3', 'jan4', 'jan5', 'jan6']);
      expect(out.reason.jan7).toBe('kept: within 3 days of the newest (jan10)');
    });
  });

  describe('error and future-dated snapshots', () => {
    it('deletes an error snapshot only once older than the configured age, and never one tagged caretaker:keep', () => {
      const now = Date.parse('2026-05-20T12:00:00Z');
      const rows = [row('good', now - DAY), row('err-new', now - 2 * DAY, { state: 'error' }), row('err-old', now - 20 * DAY, { state: 'error' }), row('err-kept', now - 30 * DAY, { state: 'error', keepTag: true })];
      const out = plan(rows, { keepLast: 5 }, ctxAt('2026-05-20T12:00:00Z', { errorMaxAgeMs: 14 * DAY }));
      expect(out.deleted).toEqual(['err-old']);
      expect(out.rules['err-old']).toEqual(['error-snapshot']);
      expect(out.reason['err-new']).toBe('kept: state error');
      expect(plan(rows, { keepLast: 5 }, ctxAt('2026-05-20T12:00:00Z')).deleted).toEqual([]);
    });

    it('keeps a snapshot dated in the future and does not let it count for keepLast or the buckets', () => {
      const now = Date.parse('2026-05-20T12:00:00Z');
      const rows = [row('future', now + 30 * DAY), row('d1', now - DAY), row('d2', now - 2 * DAY)];
      const out = plan(rows, { keepLast: 1, daily: 1 }, ctxAt('2026-05-20T12:00:00Z'));
      expect(out.deleted).toEqual(['d2']);
      expect(out.rules.future).toEqual(['future']);
      expect(out.rules.d1).toEqual(['min-keep', 'keep-last', 'daily']);
    });
  });

  describe('freshness guard', () => {
    const now = Date.parse('2026-01-20T12:00:00Z');
    const rows = Array.from({ length: 10 }, (_, i) => row(`jan${i + 1}`, Date.UTC(2026, 0, i + 1, 3)));

    it('olderThanDays deletes nothing on a stale volume and says why', () => {
      const out = plan(rows, { olderThanDays: 7 }, ctxAt('2026-01-20T12:00:00Z', { staleAfterMs: 36 * HOUR }));
      expect(out.deleted).toEqual([]);
      expect(out.reason.jan1).toBe('kept: volume stale (newest completed 2026-01-10T03:00:00.000Z): olderThanDays suspended');
    });

    it('olderThanDays counts from now on a fresh volume (the seed rule)', () => {
      const fresh = [...rows, row('jan20', now - 2 * HOUR)];
      const out = plan(fresh, { olderThanDays: 7 }, ctxAt('2026-01-20T12:00:00Z', { staleAfterMs: 36 * HOUR }));
      expect(out.deleted).toHaveLength(10);
    });

    it('does not suspend counting rules, which never erode', () => {
      const out = plan(rows, { daily: 7 }, ctxAt('2026-01-20T12:00:00Z', { staleAfterMs: 36 * HOUR }));
      expect(out.deleted).toEqual(['jan1', 'jan2', 'jan3']);
    });
  });

  describe('safety rails', () => {
    it('never deletes a pending, keep-tagged, AMI-held or too young snapshot, and says which rail held it', () => {
      const now = Date.parse('2026-05-20T12:00:00Z');
      const rows = [
        row('newest', now - 100 * DAY),
        row('pending', now - 200 * DAY, { state: 'pending' }),
        row('tagged', now - 300 * DAY, { keepTag: true }),
        row('ami', now - 400 * DAY),
        row('young', now - 2 * HOUR, { startMs: now - 2 * HOUR }),
        row('expired', now - 500 * DAY),
      ];
      const out = plan(rows, { olderThanDays: 7 }, ctxAt('2026-05-20T12:00:00Z', { minAgeHours: 24, amiSnapshotIds: new Set(['ami']) }));
      expect(out.deleted).toEqual(['expired', 'newest']);
      expect(out.reason).toMatchObject({
        pending: 'kept: state pending',
        tagged: 'kept: tagged caretaker:keep',
        ami: 'kept: used by an AMI',
        young: 'kept: younger than minAgeHours 24, newest 1 (minKeep), not older than 7 days',
      });
    });

    it('marks unmanaged snapshots selected by includeUnmanaged in every reason', () => {
      const now = Date.parse('2026-05-20T12:00:00Z');
      const out = plan([row('new', now - DAY, { unmanaged: true }), row('old', now - 30 * DAY, { unmanaged: true })], { olderThanDays: 7 }, ctxAt('2026-05-20T12:00:00Z'));
      expect(out.reason.old).toBe('unmanaged (selected by includeUnmanaged); older than 7 days (olderThanDays)');
    });
  });

  describe('combined rules', () => {
    it('keeps the union of every rule and charges each deletion to olderThanDays when set', () => {
      const now = Date.parse('2026-05-31T12:00:00Z');
      // One snapshot a day for 90 days.
      const rows = Array.from({ length: 90 }, (_, d) => row(`d${String(d).padStart(2, '0')}`, now - d * DAY - HOUR));
      const out = plan(rows, { olderThanDays: 10, keepLast: 3, weekly: 4, monthly: 3 }, ctxAt('2026-05-31T12:00:00Z'));
      const kept = rows.map((r) => r.id).filter((id) => !out.deleted.includes(id));
      // 0..10 by age; weekly: newest of the 4 ISO weeks ending Sun May 31 → May 31, 24, 17, 10 (d0, d7, d14, d21);
      // monthly: May 31 (d0), Apr 30 (d31), Mar 31 (d61).
      expect(kept).toEqual(['d00', 'd01', 'd02', 'd03', 'd04', 'd05', 'd06', 'd07', 'd08', 'd09', 'd14', 'd21', 'd31', 'd61']);
      expect(out.reason.d31).toBe('kept: monthly 2026-04');
      expect(out.reason.d30).toBe('older than 10 days (olderThanDays), outside keepLast 3, weekly 4, monthly 3');
      expect(out.rules.d00).toEqual(['min-keep', 'keep-last', 'weekly', 'monthly', 'newer-than']);
    });
  });
});

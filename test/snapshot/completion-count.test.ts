import type { SnapshotState } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { CompletionCount } from '../../shared/snapshot/completion-count';

const ms = (iso: string) => Date.parse(iso);
const snap = (slot: string | undefined, state: SnapshotState, completed?: string, started?: string) => ({
  State: state,
  ...(completed ? { CompletionTime: new Date(completed) } : {}),
  ...(started ? { StartTime: new Date(started) } : {}),
  Tags: slot ? [{ Key: 'caretaker:slot', Value: slot }] : [],
});

describe('CompletionCount', () => {
  it('starts the window at the newest earlier slot that has a snapshot, in any order of the pages', () => {
    const count = new CompletionCount(ms('2026-03-10T03:00:00Z'));
    // Read newest-first: the counted point moves back never, forward when a newer slot shows up.
    count.add(snap('2026-03-06T03:00:00Z', 'completed', '2026-03-06T03:05:00Z'));
    count.add(snap('2026-03-05T03:00:00Z', 'completed', '2026-03-05T03:05:00Z'));
    count.add(snap('2026-03-07T03:00:00Z', 'completed', '2026-03-07T03:05:00Z'));
    count.add(snap('2026-03-07T03:00:00Z', 'error', undefined, '2026-03-07T03:00:01Z'));
    // A slow snapshot of the 6th that completed after the 7th's slot.
    count.add(snap('2026-03-06T03:00:00Z', 'completed', '2026-03-07T04:00:00Z'));
    // Pending, and one completed after this slot: neither is this window's.
    count.add(snap('2026-03-07T03:00:00Z', 'pending'));
    count.add(snap('2026-03-07T03:00:00Z', 'completed', '2026-03-10T03:00:01Z'));
    expect(count.result(ms('2026-03-09T03:00:00Z'))).toEqual({
      fromMs: ms('2026-03-07T03:00:00Z'),
      toMs: ms('2026-03-10T03:00:00Z'),
      // The 7th's own and the slow one of the 6th.
      count: 2,
      fromSlot: true,
      newerSlot: false,
    });
  });

  it('falls back to the given start when no earlier slot has a snapshot, and ignores snapshots without a slot tag as marks', () => {
    const count = new CompletionCount(ms('2026-03-10T03:00:00Z'));
    count.add(snap(undefined, 'completed', '2026-03-09T05:00:00Z'));
    count.add(snap(undefined, 'completed', '2026-03-08T05:00:00Z'));
    expect(count.result(ms('2026-03-09T03:00:00Z'))).toMatchObject({ fromMs: ms('2026-03-09T03:00:00Z'), count: 1, fromSlot: false });
  });

  it('says when a later slot already has snapshots (a late run of an old slot must not count)', () => {
    const count = new CompletionCount(ms('2026-03-10T03:00:00Z'));
    count.add(snap('2026-03-11T03:00:00Z', 'pending'));
    expect(count.result(0).newerSlot).toBe(true);
  });
});

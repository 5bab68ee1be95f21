import type { Snapshot } from '@aws-sdk/client-ec2';
import { TAG } from '../tags';

/**
 * When a completed snapshot completed: EC2's `completionTime`
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Snapshot.html, "Required: No"), else
 * its start. The fallback still counts a snapshot that completed before the next counted slot; one
 * still pending then is counted by the slot after.
 */
export function completedAtMs(s: { StartTime?: Date; CompletionTime?: Date }): number {
  return (s.CompletionTime ?? s.StartTime)?.getTime() ?? 0;
}

/** What one pass over a policy's snapshots says about counting this slot's completions. */
export interface Completions {
  /** The window, start exclusive, end inclusive: after the last counted slot, up to this one. */
  fromMs: number;
  toMs: number;
  /** Snapshots that completed inside it. */
  count: number;
  /** Whether the window starts at a slot read from the account (else at the schedule's previous firing). */
  fromSlot: boolean;
  /** A snapshot of a later slot exists: this run is a late one for an old slot, and counts nothing. */
  newerSlot: boolean;
}

/**
 * Counts, during the one pass the describe step makes over a policy's snapshots, the completions a
 * slot's run reports as `SnapshotsCompleted`, with no state store: the account itself says where
 * the last count stopped. Every snapshot carries its slot (`caretaker:slot`), and a run counts only
 * when it is the first to make snapshots in its slot (see `countsCompletions`), so the newest slot
 * before this one that has snapshots is the last counted point. The window runs from there to this
 * slot: a slot that never ran (or made no snapshot) leaves its completions to the next run that
 * does, and consecutive counted windows tile time, so each completion is counted once.
 * Memory stays small: only completion times after the newest slot seen so far are kept.
 */
export class CompletionCount {
  private mark: number | undefined;
  private newer = false;
  private pending: number[] = [];

  constructor(private readonly slotMs: number) {}

  add(s: Pick<Snapshot, 'State' | 'StartTime' | 'CompletionTime' | 'Tags'>): void {
    const slot = Date.parse(s.Tags?.find((t) => t.Key === TAG.slot)?.Value ?? '');
    if (slot > this.slotMs) this.newer = true;
    if (slot < this.slotMs && (this.mark === undefined || slot > this.mark)) {
      this.mark = slot;
      this.pending = this.pending.filter((at) => at > slot);
    }
    if (s.State !== 'completed') return;
    const at = completedAtMs(s);
    if (at <= this.slotMs && (this.mark === undefined || at > this.mark)) this.pending.push(at);
  }

  /** The count; `fallbackFromMs` starts the window when no earlier slot has a snapshot. */
  result(fallbackFromMs: number): Completions {
    const fromMs = this.mark ?? fallbackFromMs;
    return { fromMs, toMs: this.slotMs, count: this.pending.filter((at) => at > fromMs).length, fromSlot: this.mark !== undefined, newerSlot: this.newer };
  }
}

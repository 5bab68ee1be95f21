import type { RunReport } from '../engine/types';
import { ARCHIVE_MINIMUM_DAYS } from './config';
import { ARCHIVE_ACTION } from './plan-archive';

/** What the summary says of the archive tier, counted while planning and applying. */
export interface ArchiveTally {
  /** Kept snapshots planned for a move to the archive tier. */
  moves: number;
  /** Snapshots seen in the archive tier (or on their way): counted by the rules as any other. */
  inArchive: number;
  /** Archived snapshots the rules condemn, kept only because their 90-day minimum has not ended. */
  heldByMinimum: number;
  heldGiB: number;
  /** Archives already in progress in the Region when the run started, and the quota it respects. */
  inProgress: number;
  maxInProgress: number;
  /** Moves left for a later run (no room in the quota, or the time budget). */
  deferred: number;
}

export function emptyArchiveTally(): ArchiveTally {
  return { moves: 0, inArchive: 0, heldByMinimum: 0, heldGiB: 0, inProgress: 0, maxInProgress: 0, deferred: 0 };
}

/** How many moves a run may start: the room left in EBS's in-progress archive quota. */
export function archiveSlots(tally: Pick<ArchiveTally, 'inProgress' | 'maxInProgress'>): number {
  return Math.max(0, tally.maxInProgress - tally.inProgress);
}

/**
 * The summary lines of the archive tier: moves started (or that a dry run would start) and those
 * left for later, archived snapshots counted, and deletions held back by the 90-day minimum (the
 * plan's choice: deleting sooner is billed for the remaining days anyway, so they stay until it
 * ends and the first run after deletes them).
 */
export function archiveNotes(report: RunReport, t: ArchiveTally): string[] {
  const notes: string[] = [];
  if (t.moves === 0 && t.inArchive === 0 && t.heldByMinimum === 0) return notes;
  const quota = `${t.inProgress} archive(s) already in progress, prune.maxArchivesInProgress ${t.maxInProgress}`;
  if (t.moves > 0 && (report.dryRun || report.error)) {
    const now = Math.min(t.moves, archiveSlots(t));
    notes.push(`${report.dryRun ? 'Would move' : 'Planned to move'} ${t.moves} kept snapshot(s) to the archive tier; ${now} can start now (${quota}), the rest in later runs.`);
  } else if (t.moves > 0) {
    const results = report.results.filter((r) => r.action === ARCHIVE_ACTION);
    const done = results.filter((r) => r.outcome === 'done').length;
    const skipped = results.filter((r) => r.outcome === 'skipped');
    notes.push(
      `Archive tier: started ${done} move(s) (ModifySnapshotTier; archiving takes hours, the snapshot stays usable meanwhile)` +
        `${t.deferred ? `; ${t.deferred} wait for a later run (${quota})` : ''}` +
        `${skipped.length ? `; ${skipped.length} refused by EBS (${[...new Set(skipped.map((r) => r.errorCode))].join(', ')}), decided again next run` : ''}.`,
    );
  }
  if (t.inArchive > 0) notes.push(`${t.inArchive} snapshot(s) are in the archive tier (or on their way): counted by the retention rules like any other.`);
  if (t.heldByMinimum > 0) {
    notes.push(
      `${t.heldByMinimum} archived snapshot(s) (≈ ${t.heldGiB.toLocaleString('en-US')} GiB) that the rules would delete are kept until their ${ARCHIVE_MINIMUM_DAYS}-day archive minimum ends: ` +
        'deleting them sooner is billed for the remaining days anyway; the first run after it deletes them.',
    );
  }
  return notes;
}

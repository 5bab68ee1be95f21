import type { PlanCount, RunReport } from '../engine/types';
import { ARCHIVE_ACTION } from './plan-archive';
import { DELETE_ACTION, type PruneDecision } from './plan-retention';
import { archiveNotes, type ArchiveTally, emptyArchiveTally } from './summarize-archive';

export const FOREIGN_REASON = 'unmanaged: not tagged caretaker:managed=true; left alone (select it with prune.includeUnmanaged)';

/** Facts of the describe step worth a line in the summary. */
export interface PruneFacts {
  pages: number;
  volumes: number;
  amiSnapshots: number;
  foreign: number;
}

/**
 * What the summary and the report's plan counts need of a prune plan, counted as it is planned:
 * a run over 100,000 snapshots then holds no decision for what it keeps (see runPrune).
 */
export interface PruneTally {
  /** Planned deletions, and the source volume size they add up to (GiB). */
  deletions: number;
  deletionGiB: number;
  /** Deletions by the rule that condemned them. */
  condemnedBy: Map<string, number>;
  kept: number;
  /** Kept snapshots by every rule that keeps them (one snapshot may count under several). */
  keptBy: Map<string, number>;
  /** Decisions on unmanaged snapshots selected by includeUnmanaged. */
  selected: number;
  /** Plan entries per report group and action. */
  perGroup: Map<string, PlanCount>;
  /** The archive tier: moves planned, archived snapshots seen, deletions held by the 90-day minimum. */
  archive: ArchiveTally;
}

export function emptyTally(): PruneTally {
  return { deletions: 0, deletionGiB: 0, condemnedBy: new Map(), kept: 0, keptBy: new Map(), selected: 0, perGroup: new Map(), archive: emptyArchiveTally() };
}

/** Counts one decision (planned under report group `decision.group`) into the tally. */
export function tallyDecision(tally: PruneTally, decision: Pick<PruneDecision, 'action' | 'group' | 'payload'>): void {
  const { rules } = decision.payload;
  if (decision.action === DELETE_ACTION) {
    tally.deletions++;
    tally.deletionGiB += decision.payload.sizeGiB;
    bump(tally.condemnedBy, rules[0] ?? 'retention');
  } else {
    // An archive move keeps the snapshot (in another tier): it counts as kept.
    tally.kept++;
    for (const rule of rules) bump(tally.keptBy, rule);
    if (decision.action === ARCHIVE_ACTION) tally.archive.moves++;
    if (rules.length === 1 && rules[0] === 'archive-minimum') {
      tally.archive.heldByMinimum++;
      tally.archive.heldGiB += decision.payload.sizeGiB;
    }
  }
  if (decision.payload.archived) tally.archive.inArchive++;
  if (decision.payload.unmanaged) tally.selected++;
  countPlanEntry(tally, decision.group, decision.action);
}

/** Counts a plan entry that is not a decision (a foreign snapshot left alone). */
export function countPlanEntry(tally: PruneTally, group: string | undefined, action: string, n = 1): void {
  const key = `${group ?? ''}\u0000${action}`;
  const entry = tally.perGroup.get(key);
  if (entry) entry.count += n;
  else tally.perGroup.set(key, { ...(group !== undefined ? { group } : {}), action, count: n });
}

/**
 * The summary lines of a prune run: deleted count and bytes-equivalent (source volume size ×
 * count: AWS bills snapshot blocks, which the API does not show, so this is an upper bound), kept
 * count per rule, skips with reasons, failures, the remaining backlog.
 */
export function summarizePrune(report: RunReport, tally: PruneTally, facts: PruneFacts): string[] {
  const notes: string[] = [];
  notes.push(
    `Looked at ${tally.deletions + tally.kept + facts.foreign} snapshot(s) on ${facts.volumes} volume(s) (${facts.pages} DescribeSnapshots page(s)); ${facts.amiSnapshots} snapshot(s) are held by AMIs.`,
  );
  if (report.dryRun || report.error) {
    notes.push(`${report.dryRun ? 'Would delete' : 'Planned'} ${tally.deletions} snapshot(s), ≈ ${gib(tally.deletionGiB)} (volume size × count).`);
  } else {
    const done = report.results.filter((r) => r.action === DELETE_ACTION && r.outcome === 'done');
    const gone = done.filter((r) => r.details?.alreadyGone === true).length;
    notes.push(
      `Deleted ${done.length} snapshot(s), ≈ ${gib(done.reduce((n, r) => n + Number(r.details?.sizeGiB ?? 0), 0))} (volume size × count)${gone ? `; ${gone} of them were already gone` : ''}.`,
    );
  }
  notes.push(`Condemned by: ${list(tally.condemnedBy) || 'nothing'}.`);
  notes.push(`Kept ${tally.kept} snapshot(s); by rule (one snapshot may count under several): ${list(tally.keptBy) || 'none'}.`);
  const skippedAtDelete = report.results.filter((r) => r.action === DELETE_ACTION && r.outcome === 'skipped');
  if (skippedAtDelete.length) notes.push(`Skipped when deleting: ${counts(skippedAtDelete.map((r) => r.errorCode ?? r.reason))}.`);
  if (facts.foreign || tally.selected) {
    const selectedDeleted = report.results.filter((r) => r.outcome === 'done' && r.details?.unmanaged === true).length;
    notes.push(
      `Unmanaged snapshots: ${facts.foreign} left alone (not tagged caretaker:managed=true); ${tally.selected} selected by includeUnmanaged, ${selectedDeleted} of them deleted.`,
    );
  }
  const failed = report.results.filter((r) => r.outcome === 'failed');
  if (failed.length) notes.push(`Failed: ${failed.length} (${counts(failed.map((r) => r.errorCode ?? 'Error'))}); the next run retries them.`);
  if (report.remaining > 0) notes.push(`Remaining backlog: ${report.remaining} deletion(s) not started (time budget); the next run continues.`);
  notes.push(...archiveNotes(report, tally.archive));
  return notes;
}

function bump(m: Map<string, number>, key: string): void {
  m.set(key, (m.get(key) ?? 0) + 1);
}

function counts(keys: Iterable<string>): string {
  const m = new Map<string, number>();
  for (const k of keys) bump(m, k);
  return list(m);
}

function list(m: Map<string, number>): string {
  return [...m].map(([k, n]) => `${k} ${n}`).join(', ');
}

function gib(total: number): string {
  return `${total.toLocaleString('en-US')} GiB`;
}

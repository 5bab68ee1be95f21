import type { RunReport } from '../engine/types';
import { DELETE_ACTION, type PruneDecision } from './plan-retention';

export const FOREIGN_REASON = 'unmanaged: not tagged caretaker:managed=true; left alone (select it with prune.includeUnmanaged)';

/** Facts of the describe step worth a line in the summary. */
export interface PruneFacts {
  pages: number;
  volumes: number;
  amiSnapshots: number;
  foreign: number;
}

/**
 * The summary lines of a prune run: deleted count and bytes-equivalent (source volume size ×
 * count: AWS bills snapshot blocks, which the API does not show, so this is an upper bound), kept
 * count per rule, skips with reasons, failures, the remaining backlog.
 */
export function summarizePrune(report: RunReport, decisions: readonly PruneDecision[], facts: PruneFacts): string[] {
  const notes: string[] = [];
  const deletions = decisions.filter((d) => d.action === DELETE_ACTION);
  const kept = decisions.filter((d) => d.action !== DELETE_ACTION);
  notes.push(
    `Looked at ${decisions.length + facts.foreign} snapshot(s) on ${facts.volumes} volume(s) (${facts.pages} DescribeSnapshots page(s)); ${facts.amiSnapshots} snapshot(s) are held by AMIs.`,
  );
  if (report.dryRun || report.error) {
    notes.push(`${report.dryRun ? 'Would delete' : 'Planned'} ${deletions.length} snapshot(s), ≈ ${gib(deletions.map((d) => d.payload.sizeGiB))} (volume size × count).`);
  } else {
    const done = report.results.filter((r) => r.action === DELETE_ACTION && r.outcome === 'done');
    const gone = done.filter((r) => r.details?.alreadyGone === true).length;
    notes.push(
      `Deleted ${done.length} snapshot(s), ≈ ${gib(done.map((r) => Number(r.details?.sizeGiB ?? 0)))} (volume size × count)${gone ? `; ${gone} of them were already gone` : ''}.`,
    );
  }
  notes.push(`Condemned by: ${counts(deletions.map((d) => d.payload.rules[0] ?? 'retention')) || 'nothing'}.`);
  notes.push(`Kept ${kept.length} snapshot(s); by rule (one snapshot may count under several): ${counts(kept.flatMap((d) => d.payload.rules)) || 'none'}.`);
  const skippedAtDelete = report.results.filter((r) => r.action === DELETE_ACTION && r.outcome === 'skipped');
  if (skippedAtDelete.length) notes.push(`Skipped when deleting: ${counts(skippedAtDelete.map((r) => r.errorCode ?? r.reason))}.`);
  const selected = decisions.filter((d) => d.payload.unmanaged);
  if (facts.foreign || selected.length) {
    const selectedDeleted = report.results.filter((r) => r.outcome === 'done' && r.details?.unmanaged === true).length;
    notes.push(
      `Unmanaged snapshots: ${facts.foreign} left alone (not tagged caretaker:managed=true); ${selected.length} selected by includeUnmanaged, ${selectedDeleted} of them deleted.`,
    );
  }
  const failed = report.results.filter((r) => r.outcome === 'failed');
  if (failed.length) notes.push(`Failed: ${failed.length} (${counts(failed.map((r) => r.errorCode ?? 'Error'))}); the next run retries them.`);
  if (report.remaining > 0) notes.push(`Remaining backlog: ${report.remaining} deletion(s) not started (time budget); the next run continues.`);
  return notes;
}

function counts(keys: Iterable<string>): string {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return [...m].map(([k, n]) => `${k} ${n}`).join(', ');
}

function gib(sizes: number[]): string {
  return `${sizes.reduce((a, b) => a + b, 0).toLocaleString('en-US')} GiB`;
}

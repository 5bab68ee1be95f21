import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/prune-snapshots';
import type { ItemResult, RunReport } from '../../shared/engine/types';
import { LOG_CHUNK_MAX_BYTES, logRunDetail, SUMMARY_MAX_BYTES, summarizeRun } from '../../shared/lambda/summary';
import { buildDemoAccount } from '../../sandbox/demo-account';
import { lambdaContext, sandboxDeps } from '../../sandbox/handler-deps';

/** A prune-sized report: 100,000 items with long reasons and details, 1 % failed. */
function hugeReport(): RunReport {
  const results: ItemResult[] = Array.from({ length: 100_000 }, (_, i) => ({
    id: `snap-${i.toString(16).padStart(17, '0')}`,
    action: i % 2 ? 'delete-snapshot' : 'skip',
    outcome: i % 100 === 0 ? 'failed' : i % 2 ? 'done' : 'skipped',
    reason: `kept: newer-than, daily 2026-11-${String((i % 28) + 1).padStart(2, '0')}, ${'x'.repeat(i % 997 === 0 ? 5_000 : 40)}`,
    ...(i % 100 === 0 ? { errorCode: 'RequestLimitExceeded' } : {}),
    details: { volumeId: `vol-${i}`, sizeGiB: 8, rule: 'older-than', ...(i % 1_000 === 0 ? { long: 'y'.repeat(3_000) } : {}) },
  }));
  return {
    job: 'prune',
    runId: 'prune-20261122T040000-abcd1234',
    dryRun: false,
    startedAt: '2026-11-22T04:00:00.000Z',
    finishedAt: '2026-11-22T04:15:00.000Z',
    plan: results.map(({ id, action, reason }) => ({ target: id, action, reason })),
    results,
    remaining: 45_000,
    notes: Array.from({ length: 500 }, (_, i) => `note ${i} ${'n'.repeat(10_000)}`),
    actionNeeded: Array.from({ length: 1_000 }, (_, i) => ({ kind: 'stale-volume', subject: `vol-${i}`, problem: 'p'.repeat(5_000), todo: 't' })),
  };
}

describe('summarizeRun', () => {
  it('stays under 256 KB for 100,000 items, with counts, backlog, first failures and the run id', () => {
    const report = hugeReport();
    const summary = summarizeRun(report);
    expect(Buffer.byteLength(JSON.stringify(summary))).toBeLessThanOrEqual(SUMMARY_MAX_BYTES);
    expect(summary).toMatchObject({
      runId: report.runId,
      remaining: 45_000,
      itemsTotal: 100_000,
      actionNeededTotal: 1_000,
      counts: { planned: 100_000, actions: 50_000, done: 50_000, skipped: 49_000, failed: 1_000 },
    });
    expect(summary.items[0]).toMatchObject({ outcome: 'failed', errorCode: 'RequestLimitExceeded' });
    expect(summary).not.toHaveProperty('results');
    expect(summary).not.toHaveProperty('plan');
  });

  it('keeps every item of a small run', () => {
    const big = hugeReport();
    const small = { ...big, results: big.results.slice(0, 3), notes: ['one'], actionNeeded: [] };
    expect(summarizeRun(small).items.map((i) => i.id)).toEqual(['snap-00000000000000000', 'snap-00000000000000001', 'snap-00000000000000002']);
  });
});

describe('logRunDetail', () => {
  it('logs every item in numbered chunks, each under CloudWatch Logs\' 256 KB event limit', () => {
    const report = hugeReport();
    const events: Array<Record<string, unknown>> = [];
    const log = { debug() {}, warn() {}, error() {}, info: (message: string, extra: Record<string, unknown>) => void events.push({ message, ...extra }) };

    const parts = logRunDetail(log, report);

    expect(parts).toBe(events.length);
    expect(parts).toBeGreaterThan(10);
    for (const e of events) {
      expect(e).toMatchObject({ message: 'run detail', runId: report.runId, kind: 'results', parts });
      expect(Buffer.byteLength(JSON.stringify(e))).toBeLessThanOrEqual(LOG_CHUNK_MAX_BYTES + 1024);
    }
    const ids = events.flatMap((e) => (e.items as ItemResult[]).map((i) => i.id));
    expect(ids).toEqual(report.results.map((r) => r.id));
  });
});

describe('a handler', () => {
  it('returns the compact summary of its run, not the full report', async () => {
    const demo = buildDemoAccount();
    const deps = sandboxDeps(demo.sandbox, demo.config, demo.topicArn);
    const handler = makeHandler(deps);

    const returned = await handler({ time: '2026-11-22T04:00:00Z' }, lambdaContext('caretaker-test-prune-snapshots', 900_000, () => demo.sandbox.clock.nowMs()));

    expect(returned).toEqual(summarizeRun(deps.lastReport()));
    expect(returned).not.toHaveProperty('results');
    expect(returned.counts.done).toBe(98); // 96 deletions and the demo's 2 archive moves
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { runBundledPrune100k } from '../../bench/bundle-prune';
import { SUMMARY_MAX_BYTES } from '../../shared/lambda/summary';
import { logEvents } from '../../sandbox/lambda-runtime/invoke';
import { DEPLOYED } from './harness';
import { ensurePackaged, unpack } from './build';

beforeAll(() => ensurePackaged(), 600_000);

describe('bundled prune-snapshots over 100,000 snapshots', () => {
  it('finishes inside its 15-minute budget and 256 MB, returns a small summary with the backlog, deletes only what is expired', async () => {
    // Prepare + Act: one scheduled invocation of the zip's handler in a fresh process, the account
    // (AWS's token buckets on) served over HTTP; both clocks run 5× (15 minutes take 3 minutes: the describe phase costs real CPU, which a scale must leave room for on a loaded machine).
    const run = await runBundledPrune100k(unpack('prune-snapshots').entry, { timeScale: 5 });
    const { result } = run;

    // Assess: a successful invocation, as Lambda would record it.
    expect(result.status, `${result.errorType}: ${result.errorMessage}`).toBe('ok');
    expect(result.responseBytes).toBeLessThanOrEqual(SUMMARY_MAX_BYTES);
    // Lambda stops a function that outgrows its memory; the 180 MB goal is measured in `npm run bench -- bundles`.
    expect(result.peakRssMb).toBeLessThan(DEPLOYED['prune-snapshots'].memoryMb);
    const counts = result.response!.counts as Record<string, number>;
    expect(counts).toMatchObject({ planned: 100_000, actions: run.expired, failed: 0 });
    // 5 deletions a second for what is left of 15 minutes: a backlog the next run continues.
    expect(counts.done).toBe(run.deleted);
    expect(run.deleted).toBeGreaterThan(500);
    expect(result.response!.remaining).toBe(run.expired - run.deleted);
    expect(run.wronglyDeleted).toBe(0);
    expect(run.describeCalls).toBe(100);
    // Every deletion is an item of the log; kept snapshots are counted (counts.skipped), not listed.
    const logged = logEvents(result, 'run detail').flatMap((e) => e.items as Array<{ action: string; outcome: string }>);
    expect(logged.filter((i) => i.action === 'delete-snapshot' && i.outcome === 'done')).toHaveLength(run.deleted);
    expect(logged.length).toBe(run.deleted);
  }, 600_000);
});

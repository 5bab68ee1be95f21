import { describe, expect, it } from 'vitest';
import { runCopies } from '../../shared/copy/run-copies';
import { runMetrics } from '../../shared/metrics/run-metrics';
import { copyWorld, HOUR } from '../copy/helpers';

/** The run-level and the policy-level values of a copy report's metrics. */
function metricsOf(report: Parameters<typeof runMetrics>[0]) {
  const sets = runMetrics(report, 'us-east-1');
  return { run: sets.find((s) => s.level === 'run')!.values, policy: sets.find((s) => s.level === 'policy')?.values };
}

describe('copy metrics: SnapshotCopies, SnapshotCopiesFailed, CopyErrors', () => {
  it('counts copies started and none failed or in error', async () => {
    const w = copyWorld();
    const volume = w.fleet.volume({ sizeGiB: 8 }).VolumeId!;
    w.source(volume, 2 * HOUR);
    w.source(volume, HOUR);
    const { run, policy } = metricsOf(await runCopies(w.ctx(), w.policyOf()));
    expect(policy).toMatchObject({ SnapshotCopies: 2, SnapshotCopiesFailed: 0 });
    expect(run).toMatchObject({ CopyErrors: 0, ItemsFailed: 0 });
  });

  it('counts a copy CopySnapshot refused, apart from the snapshots the policy failed to make', async () => {
    const w = copyWorld();
    w.source(w.fleet.volume({ sizeGiB: 8 }).VolumeId!, HOUR);
    // Not retried by the SDK: the copy fails for this run.
    w.sandbox.injectFault({ operation: 'CopySnapshot', code: 'UnauthorizedOperation', httpStatusCode: 403, times: 1 });
    const { run, policy } = metricsOf(await runCopies(w.ctx(), w.policyOf()));
    expect(policy).toMatchObject({ SnapshotCopies: 0, SnapshotCopiesFailed: 1, SnapshotsFailed: 0 });
    expect(run).toMatchObject({ ItemsFailed: 1 });
  });

  it('counts a copy that ended in error (a KMS key that does not exist there) in every sweep that still finds it', async () => {
    const w = copyWorld({ kmsKeyId: 'alias/missing' });
    w.source(w.fleet.volume({ sizeGiB: 8 }).VolumeId!, HOUR);
    await runCopies(w.ctx(), w.policyOf());
    w.sandbox.clock.advance(600_000);
    const next = metricsOf(await runCopies(w.ctx({ now: w.sandbox.clock.now() }), w.policyOf()));
    expect(next.run).toMatchObject({ CopyErrors: 1, ActionNeeded: 1 });
  });

  it('measures nothing about copies for a run that had none to plan', async () => {
    const w = copyWorld();
    const { run, policy } = metricsOf(await runCopies(w.ctx(), w.policyOf()));
    expect(run).not.toHaveProperty('CopyErrors');
    expect(policy ?? {}).not.toHaveProperty('SnapshotCopiesFailed');
  });
});

import { describe, expect, it, vi } from 'vitest';
import { applyDecisions } from '../../shared/engine/apply';
import { BlastRadiusError } from '../../shared/engine/errors';
import { retryOn } from '../../shared/engine/retry';
import { enforceCap, type JobDefinition, runFailed, runJob } from '../../shared/engine/run';
import type { Decision, JobContext } from '../../shared/engine/types';
import { SandboxAccount } from '../../sandbox/account';
import { sandboxJobContext } from '../../sandbox/job-context';
import { awsError } from '../../sandbox/errors';

const decisions = (n: number, action = 'act'): Decision<number>[] =>
  Array.from({ length: n }, (_, i) => ({ target: `t${i}`, action, reason: 'because', payload: i }));

const context = (overrides: Partial<JobContext> = {}) =>
  sandboxJobContext(new SandboxAccount({ timeScale: 0 }), { now: new Date('2026-01-01T00:00:00Z'), runId: 'test-run', ...overrides });

describe('applyDecisions', () => {
  it('never runs more than `concurrency` items at once', async () => {
    let active = 0;
    let peak = 0;
    await applyDecisions(
      decisions(20),
      async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 2));
        active--;
        return { outcome: 'done', reason: 'ok' };
      },
      { concurrency: 4 },
    );
    expect(peak).toBe(4);
  });

  it('records a thrown AWS error as failed with its code and goes on with the rest', async () => {
    const { results } = await applyDecisions(
      decisions(3),
      async (d) => {
        if (d.payload === 1) throw awsError('ec2', 'InvalidSnapshot.NotFound', 'gone');
        return { outcome: 'done', reason: 'ok' };
      },
      { concurrency: 1 },
    );
    expect(results.map((r) => r.outcome)).toEqual(['done', 'failed', 'done']);
    expect(results[1]).toMatchObject({ id: 't1', errorCode: 'InvalidSnapshot.NotFound', reason: 'gone' });
  });

  it('stops starting items when the deadline is within the safety margin and returns the rest', async () => {
    let remaining = 100_000;
    const { results, notStarted } = await applyDecisions(
      decisions(10),
      async () => {
        remaining -= 20_000;
        return { outcome: 'done', reason: 'ok' };
      },
      { concurrency: 1, deadline: { remainingMs: () => remaining }, safetyMarginMs: 30_000 },
    );
    expect(results).toHaveLength(4);
    expect(notStarted.map((d) => d.target)).toEqual(['t4', 't5', 't6', 't7', 't8', 't9']);
  });
});

describe('retryOn', () => {
  it('waits and retries the named codes only', async () => {
    const sleep = vi.fn(async () => {});
    const call = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(awsError('ec2', 'SnapshotCreationPerVolumeRateExceeded', 'slow down'))
      .mockResolvedValueOnce('ok');
    await expect(retryOn(call, { codes: ['SnapshotCreationPerVolumeRateExceeded'], retries: 1, delayMs: () => 15_000 }, sleep)).resolves.toBe('ok');
    expect(sleep).toHaveBeenCalledWith(15_000);
    const other = vi.fn<() => Promise<string>>().mockRejectedValue(awsError('ec2', 'InvalidVolume.NotFound', 'x'));
    await expect(retryOn(other, { codes: ['SnapshotCreationPerVolumeRateExceeded'], retries: 3, delayMs: () => 1 }, sleep)).rejects.toMatchObject({
      name: 'InvalidVolume.NotFound',
    });
    expect(other).toHaveBeenCalledTimes(1);
  });
});

describe('runJob', () => {
  const job = (n: number, apply = vi.fn(async () => ({ outcome: 'done' as const, reason: 'ok' }))): JobDefinition<number, number> => ({
    job: 'snapshot',
    describe: async () => n,
    plan: (count) => [...decisions(count), { target: 'skipped-one', action: 'skip', reason: 'excluded', payload: -1 }],
    apply,
    cap: { name: 'maxThings', limit: 5 },
    concurrency: 2,
  });

  it('applies actionable decisions and reports skips as results', async () => {
    const report = await runJob(job(3), context());
    expect(report.results.map((r) => r.outcome).sort()).toEqual(['done', 'done', 'done', 'skipped']);
    expect(runFailed(report)).toBe(false);
  });

  it('in a dry run reports the plan and applies nothing', async () => {
    const apply = vi.fn(async () => ({ outcome: 'done' as const, reason: 'ok' }));
    const report = await runJob(job(3, apply), context({ dryRun: true }));
    expect(apply).not.toHaveBeenCalled();
    expect(report.plan).toHaveLength(4);
  });

  it('refuses the whole plan when it exceeds the blast-radius cap', async () => {
    const apply = vi.fn(async () => ({ outcome: 'done' as const, reason: 'ok' }));
    const report = await runJob(job(6, apply), context());
    expect(apply).not.toHaveBeenCalled();
    expect(report.error?.code).toBe('BlastRadiusError');
    expect(runFailed(report)).toBe(true);
    expect(() => enforceCap(6, { name: 'maxThings', limit: 5 })).toThrow(BlastRadiusError);
  });

  it('ends with an error and no action when describe fails', async () => {
    const apply = vi.fn(async () => ({ outcome: 'done' as const, reason: 'ok' }));
    const report = await runJob({ ...job(1, apply), describe: async () => Promise.reject(awsError('ec2', 'UnauthorizedOperation', 'no')) }, context());
    expect(report.error).toMatchObject({ code: 'UnauthorizedOperation' });
    expect(apply).not.toHaveBeenCalled();
  });
});

describe('lazyClients', () => {
  it('builds only the clients a function names, on first use, Route 53 in us-east-1', async () => {
    const { lazyClients } = await import('../../shared/aws/lazy-clients');
    const { EC2Client } = await import('@aws-sdk/client-ec2');
    const { Route53Client } = await import('@aws-sdk/client-route-53');
    const clients = lazyClients({ ec2: EC2Client, route53: Route53Client }, { region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    expect(clients.ec2).toBe(clients.ec2);
    expect(await clients.ec2.config.region()).toBe('eu-west-1');
    expect(await clients.route53.config.region()).toBe('us-east-1');
    expect(() => clients.ssm).toThrow('this function is built without the ssm client');
  });
});

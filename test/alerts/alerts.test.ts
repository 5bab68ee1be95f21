import type { Context } from 'aws-lambda';
import middy from '@middy/core';
import { describe, expect, it } from 'vitest';
import { alertOnError } from '../../shared/alerts/alert-on-error';
import { formatReport, reportSubject } from '../../shared/alerts/format';
import { cleanSubject, fitBody, memoryAlertSink, SNS_MESSAGE_MAX_BYTES } from '../../shared/alerts/sink';
import { InputError, JobFailedError } from '../../shared/engine/errors';
import type { RunReport } from '../../shared/engine/types';

const lambdaContext = { functionName: 'caretaker-dev-prune-snapshots', awsRequestId: 'req-123', getRemainingTimeInMillis: () => 1000 } as unknown as Context;

const report = (over: Partial<RunReport> = {}): RunReport => ({
  job: 'prune',
  runId: 'prune-1',
  dryRun: false,
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:01:00.000Z',
  plan: [],
  results: [
    { id: 'snap-1', action: 'delete', outcome: 'done', reason: 'older than 7 days' },
    { id: 'snap-2', action: 'delete', outcome: 'failed', errorCode: 'RequestLimitExceeded', reason: 'throttled' },
    { id: 'snap-3', action: 'skip', outcome: 'skipped', reason: 'held by ami-1' },
  ],
  remaining: 0,
  notes: [],
  ...over,
});

describe('run summary', () => {
  it('puts failures first with their error codes and keeps the subject under 100 chars', () => {
    const body = formatReport(report());
    expect(body.indexOf('Failed (1)')).toBeLessThan(body.indexOf('Done (1)'));
    expect(body).toContain('delete snap-2 [RequestLimitExceeded]: throttled');
    expect(reportSubject(report())).toBe('[caretaker] Prune FAILED 1, done 1');
    expect(cleanSubject(`x\n${'y'.repeat(300)}é`).length).toBe(100);
  });

  it('puts ACTION NEEDED items first, in the subject and the body, each with what to do', () => {
    const r = report({ actionNeeded: [{ kind: 'stale-volume', subject: 'i-1 / vol-1', problem: 'no completed snapshot for 3 days', todo: 'check the snapshot schedule' }] });
    const body = formatReport(r);
    expect(reportSubject(r)).toBe('[caretaker] Prune ACTION NEEDED (1), FAILED 1, done 1');
    expect(body.indexOf('ACTION NEEDED (1):')).toBeLessThan(body.indexOf('Failed (1)'));
    expect(body).toContain('  i-1 / vol-1: no completed snapshot for 3 days\n    -> check the snapshot schedule');
  });

  it('shows the plan in a dry run', () => {
    const body = formatReport(report({ dryRun: true, results: [], plan: [{ target: 'snap-9', action: 'delete', reason: 'older than 7 days' }] }));
    expect(body).toContain('DRY RUN');
    expect(body).toContain('delete           snap-9: older than 7 days');
  });

  it('cuts a huge body under the SNS limit at a line boundary and says so', () => {
    const huge = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'x'.repeat(40)}`).join('\n');
    const fitted = fitBody(huge);
    expect(Buffer.byteLength(fitted)).toBeLessThan(SNS_MESSAGE_MAX_BYTES);
    expect(fitted).toMatch(/more line\(s\) cut to fit SNS's 256 KiB limit/);
  });
});

describe('alertOnError', () => {
  it('alerts once with function name and request id, then rethrows', async () => {
    const sink = memoryAlertSink();
    const handler = middy(async () => {
      throw new InputError('prune event', [{ path: 'dryRun', message: 'expected boolean' }]);
    }).use(alertOnError({ sink: () => sink }));
    await expect(handler({}, lambdaContext)).rejects.toThrow(InputError);
    expect(sink.alerts).toHaveLength(1);
    expect(sink.alerts[0]!.subject).toBe('[caretaker] caretaker-dev-prune-snapshots: bad input InputError');
    expect(sink.alerts[0]!.body).toContain('Request id: req-123');
    expect(sink.alerts[0]!.body).toContain('dryRun: expected boolean');
  });

  it('does not alert a second time for a run that already sent its summary', async () => {
    const sink = memoryAlertSink();
    const handler = middy(async () => {
      throw new JobFailedError('prune-snapshots', '2 item(s) failed');
    }).use(alertOnError({ sink: () => sink }));
    await expect(handler({}, lambdaContext)).rejects.toThrow(JobFailedError);
    expect(sink.alerts).toHaveLength(0);
  });

  it('rejects unknown options, so a typo fails loudly', () => {
    expect(() => alertOnError({ sink: () => memoryAlertSink(), subjectPrefx: 'x' } as never)).toThrow(/subjectPrefx/);
  });
});

describe('an e-mail a person reads in a minute', () => {
  const many = (n: number, outcome: 'done' | 'failed' | 'skipped', group = 'daily') =>
    Array.from({ length: n }, (_, i) => ({
      id: `snap-${outcome}-${i}`,
      action: 'delete-snapshot',
      outcome,
      group,
      reason: 'older than 7 days (olderThanDays)',
      ...(outcome === 'failed' ? { errorCode: i % 2 ? 'RequestLimitExceeded' : 'InternalError' } : {}),
    }));

  it('opens with the verdict, then ACTION NEEDED, then counts per policy and action, then items, then where the detail is', () => {
    const r = report({
      results: [...many(3, 'done'), ...many(1, 'failed', 'weekly')],
      actionNeeded: [{ kind: 'stale-volume', subject: 'vol-1', problem: 'no completed snapshot for 3 days', todo: 'check the schedule' }],
    });
    const body = formatReport(r, { region: 'eu-west-1', logGroup: '/aws/lambda/caretaker-prod-prune-snapshots', dashboardUrl: 'https://example/dash' });
    const at = (s: string) => body.indexOf(s);
    expect(body.split('\n')[0]).toBe('VERDICT: FAILED: 1 item(s) failed, 3 done; ACTION NEEDED: 1 stale-volume.');
    expect(at('ACTION NEEDED (1):')).toBeLessThan(at('Counts in eu-west-1'));
    expect(body).toContain('Counts in eu-west-1 (policy / action: outcomes):\n  daily / delete-snapshot: done 3\n  weekly / delete-snapshot: failed 1');
    expect(at('Counts in eu-west-1')).toBeLessThan(at('Failed (1):'));
    expect(at('Failed (1):')).toBeLessThan(at('Done (3):'));
    expect(body).toContain('every item: CloudWatch Logs /aws/lambda/caretaker-prod-prune-snapshots, filter { $.runId = "prune-1" }');
    expect(body.endsWith('  dashboard: https://example/dash')).toBe(true);
  });

  it('a run that went fine but found something to fix does not open with OK', () => {
    const actionNeeded = [
      { kind: 'stale-volume', subject: 'vol-1', problem: 'p', todo: 't' },
      { kind: 'snapshot-error', subject: 'vol-2', problem: 'p', todo: 't' },
      { kind: 'stale-volume', subject: 'vol-3', problem: 'p', todo: 't' },
    ];
    expect(formatReport(report({ results: many(4, 'done'), actionNeeded })).split('\n')[0]).toBe(
      'VERDICT: ACTION NEEDED: 2 stale-volume, 1 snapshot-error; the run itself went fine: 4 done, 0 skipped.',
    );
    expect(formatReport(report({ results: many(4, 'done') })).split('\n')[0]).toBe('VERDICT: OK: 4 done, 0 skipped.');
  });

  it('lists at most 50 items with "and N more", whatever the run size', () => {
    const body = formatReport(report({ results: [...many(100_000, 'done'), ...many(2_000, 'skipped')] }));
    expect(body.split('\n').filter((l) => l.startsWith('  delete-snapshot '))).toHaveLength(50);
    expect(body).toContain('  ... and 99950 more done');
    expect(body).toContain('Skipped (2000, first 0):\n  ... and 2000 more skipped');
    expect(Buffer.byteLength(body)).toBeLessThan(8 * 1024);
  });

  it('never cuts a failure: past 50 lines every failed id is still named, by error code', () => {
    const failed = many(300, 'failed');
    const body = formatReport(report({ results: [...many(5_000, 'done'), ...failed] }));
    for (const f of failed) expect(body).toContain(f.id);
    expect(body).toContain('  ... and 250 more failed, by error code:');
    expect(body).toMatch(/\[RequestLimitExceeded\] 125: /);
    expect(body).toContain('Done (5000, first 0):');
  });

  it('a dry run lists the planned actions before the skips, at most 50', () => {
    const plan = [
      ...Array.from({ length: 30 }, (_, i) => ({ target: `snap-k${i}`, action: 'skip', reason: 'kept', group: 'daily' })),
      ...Array.from({ length: 70 }, (_, i) => ({ target: `snap-d${i}`, action: 'delete-snapshot', reason: 'expired', group: 'daily' })),
    ];
    const body = formatReport(report({ dryRun: true, results: [], plan }));
    expect(body.split('\n')[0]).toBe('VERDICT: DRY RUN: 70 action(s) planned, nothing was changed.');
    expect(body).toContain('daily / delete-snapshot: planned 70');
    expect(body).toContain('  ... and 50 more (20 action(s))');
    expect(body).not.toContain('snap-k0');
  });
});

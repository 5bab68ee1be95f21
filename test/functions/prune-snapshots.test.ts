import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/prune-snapshots';
import { InputError } from '../../shared/engine/errors';
import { buildDemoAccount } from '../../sandbox/demo-account';
import { lambdaContext, sandboxDeps } from '../../sandbox/handler-deps';

function setup() {
  const demo = buildDemoAccount();
  const deps = sandboxDeps(demo.sandbox, demo.config, demo.topicArn);
  const handler = makeHandler(deps);
  // The handler returns its compact summary; the tests read the run's full report.
  const run = async (event: unknown, context: Context) => (await handler(event, context), deps.lastReport());
  return { ...demo, handler, run, context: (budgetMs?: number) => lambdaContext('caretaker-test-prune-snapshots', budgetMs, () => demo.sandbox.clock.nowMs()) };
}

describe('prune-snapshots handler', () => {
  it('prunes by each policy\'s retention on the scheduled event and sends one summary', async () => {
    const { run, context, sandbox } = setup();
    const before = sandbox.ec2.snapshots.size;

    const report = await run({ time: '2026-11-22T04:00:00Z' }, context());

    // 96 deletions and 2 archive moves (the demo archives monthly snapshots older than 30 days).
    expect(report.results.filter((r) => r.outcome === 'done')).toHaveLength(98);
    expect(sandbox.ec2.snapshots.size).toBe(before - 96);
    expect(sandbox.sns.messages).toHaveLength(1);
    expect(sandbox.sns.messages[0]!.subject).toBe('[caretaker-demo] Prune ok: 98 done, 22 skipped');
    expect(sandbox.sns.messages[0]!.message).toContain('Deleted 96 snapshot(s), ≈ 2,784 GiB (volume size × count).');
  });

  it.each([
    [{ dryrun: true }, 'dryrun: unknown key'],
    [{ time: 'yesterday' }, 'time: expected the ISO 8601 time of the scheduled event'],
    [{ dryRun: 'yes' }, 'dryRun: expected true or false'],
    [{ continuation: { origin: 'o', run: 2, rules: 'abc' } }, 'continuation.rules: expected the 16-hex-digit rules fingerprint'],
    [{ continuation: { origin: 'o', run: 2, approved: { 'us-east-1': -1 } } }, 'continuation.approved.us-east-1: expected a count of deletions ≥ 0'],
  ])('rejects %j naming the field, alerts, and makes no mutating call', async (event, message) => {
    const { handler, context, sandbox } = setup();
    await expect(handler(event, context())).rejects.toThrow(InputError);
    expect(sandbox.mutatingCalls()).toHaveLength(0);
    expect(sandbox.sns.messages).toHaveLength(1);
    expect(sandbox.sns.messages[0]!.message).toContain(message);
  });

  it('honours dryRun in the event', async () => {
    const { run, context, sandbox } = setup();
    const report = await run({ dryRun: true }, context());
    expect(report.dryRun).toBe(true);
    expect(sandbox.mutatingCalls()).toHaveLength(0);
    expect(sandbox.sns.messages[0]!.subject).toBe('[caretaker-demo] Prune dry run: 98 planned');
  });

  it('starts nothing inside the 30 s safety margin of the Lambda budget, and the next invocation finishes', async () => {
    const { run, context, sandbox } = setup();

    const cut = await run({ time: '2026-11-22T04:00:00Z' }, context(25_000));
    const next = await run({ time: '2026-11-23T04:00:00Z' }, context());

    expect(cut.remaining).toBe(96);
    expect(sandbox.sns.messages[0]!.message).toContain('Remaining backlog: 96 deletion(s) not started (time budget); the next run continues.');
    // The next run deletes the 96 and starts the demo's 2 archive moves.
    expect(next.results.filter((r) => r.outcome === 'done')).toHaveLength(98);
    expect(sandbox.callsOf('DeleteSnapshot')).toHaveLength(96);
  });
});

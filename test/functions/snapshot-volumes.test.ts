import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/snapshot-volumes';
import { InputError, JobFailedError } from '../../shared/engine/errors';
import { buildDemoAccount } from '../../sandbox/demo-account';
import { lambdaContext, sandboxDeps } from '../../sandbox/handler-deps';
import { config } from '../helpers';

function setup() {
  const demo = buildDemoAccount();
  const deps = sandboxDeps(demo.sandbox, demo.config, demo.topicArn);
  const handler = makeHandler(deps);
  // The handler returns its compact summary; the tests read the run's full report.
  const run = async (event: unknown, context: Context) => (await handler(event, context), deps.lastReport());
  return { ...demo, handler, run, context: lambdaContext('caretaker-test-snapshot-volumes') };
}

describe('snapshot-volumes handler', () => {
  it('runs the policy named by the scheduled event and sends one summary', async () => {
    const { run, context, sandbox } = setup();
    const report = await run({ policy: 'daily', time: '2026-11-22T03:00:00Z' }, context);
    // 4 instances in us-east-1 and web-eu-1 in eu-west-1: the demo account spans two Regions.
    expect(report.results.filter((r) => r.outcome === 'done')).toHaveLength(5);
    expect(sandbox.sns.messages).toHaveLength(1);
    expect(sandbox.sns.messages[0]!.subject).toBe('[caretaker-demo] Snapshot ok: 5 done, 0 skipped');
  });

  it.each([
    [{ policy: 'daily', dryrun: true }, 'dryrun: unknown key'],
    [{ time: '2026-11-22T03:00:00Z' }, 'policy: required'],
    [{ policy: 'daily', time: 'yesterday' }, 'time: expected the ISO 8601 time of the scheduled event'],
    [{ policy: 'hourly' }, "policy: unknown snapshot policy 'hourly' (known: daily, db-consistent)"],
    ['not json at all', '(root): Invalid input'],
  ])('rejects %j naming the field, alerts, and makes no mutating call', async (event, message) => {
    const { handler, context, sandbox } = setup();
    await expect(handler(event, context)).rejects.toThrow(InputError);
    expect(sandbox.mutatingCalls()).toHaveLength(0);
    expect(sandbox.sns.messages).toHaveLength(1);
    expect(sandbox.sns.messages[0]!.subject).toBe('[caretaker] caretaker-test-snapshot-volumes: bad input InputError');
    expect(sandbox.sns.messages[0]!.message).toContain(message);
  });

  it('an invalid config is an alert naming the field, with no AWS mutation', async () => {
    const demo = buildDemoAccount();
    const deps = sandboxDeps(demo.sandbox, demo.config, demo.topicArn);
    const handler = makeHandler({ ...deps, config: async () => config({ snapshot: { policies: [{ name: 'x', schedule: 'daily' }] } }) });
    await expect(handler({ policy: 'x' }, lambdaContext('fn'))).rejects.toThrow('snapshot.policies[0].schedule');
    expect(demo.sandbox.mutatingCalls()).toHaveLength(0);
    expect(demo.sandbox.sns.messages).toHaveLength(1);
  });

  it('a run with failed items sends its summary once and fails the invocation', async () => {
    const { handler, context, sandbox } = setup();
    sandbox.injectFault({ operation: 'CreateSnapshots', code: 'UnauthorizedOperation', httpStatusCode: 403 });
    await expect(handler({ policy: 'daily' }, context)).rejects.toThrow(JobFailedError);
    expect(sandbox.sns.messages).toHaveLength(1);
    expect(sandbox.sns.messages[0]!.subject).toBe('[caretaker-demo] Snapshot FAILED 5, done 0');
    expect(sandbox.sns.messages[0]!.message).toContain('[UnauthorizedOperation]');
  });

  it('honours dryRun in the event', async () => {
    const { run, context, sandbox } = setup();
    const report = await run({ policy: 'daily', dryRun: true }, context);
    expect(report.dryRun).toBe(true);
    expect(sandbox.mutatingCalls()).toHaveLength(0);
    expect(sandbox.sns.messages[0]!.message).toContain('DRY RUN');
  });
});

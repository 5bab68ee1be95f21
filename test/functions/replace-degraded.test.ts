import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/replace-degraded';
import { parseDegradedTrigger } from '../../shared/degraded/event';
import { InputError } from '../../shared/engine/errors';
import { buildDemoAccount } from '../../sandbox/demo-account';
import { demoHealthEvent } from '../../sandbox/demo-degraded';
import { lambdaContext, sandboxDeps } from '../../sandbox/handler-deps';

const EVENTS = join(import.meta.dirname, '..', '..', 'events', 'replace-degraded');

function setup() {
  const demo = buildDemoAccount();
  const deps = sandboxDeps(demo.sandbox, demo.config, demo.topicArn);
  const handler = makeHandler(deps);
  // The handler returns its compact summary; the tests read the run's full report.
  const run = async (event: unknown, context: Context) => (await handler(event, context), deps.lastReport());
  const app = [...demo.sandbox.ec2.instances.values()].find((i) => i.data.Tags?.some((t) => t.Key === 'Name' && t.Value === 'app-1'))!.data;
  return { ...demo, handler, run, app, context: lambdaContext('caretaker-test-replace-degraded') };
}

describe('replace-degraded handler', () => {
  it('relaunches the instance a Health event names, moves its identity and sends one summary', async () => {
    const { run, context, sandbox, app } = setup();
    const report = await run(demoHealthEvent(sandbox, app.InstanceId!), context);
    expect(report.results).toEqual([expect.objectContaining({ id: app.InstanceId, action: 'relaunch', outcome: 'done' })]);
    const newId = report.results[0]!.details!.replacement as string;
    expect([...sandbox.ec2.addresses.values()].find((a) => a.data.PublicIp === '52.20.0.10')!.data.InstanceId).toBe(newId);
    expect(sandbox.sns.messages).toHaveLength(1);
    expect(sandbox.sns.messages[0]!.subject).toBe('[caretaker-demo] Degraded hosts ok: 1 done, 0 skipped');
  });

  it('skips an event from another account (taken from the function ARN) without a mutating call', async () => {
    const { run, sandbox, app } = setup();
    const context = { ...lambdaContext('fn'), invokedFunctionArn: 'arn:aws:lambda:us-east-1:210987654321:function:fn' };
    const report = await run(demoHealthEvent(sandbox, `arn:aws:ec2:us-east-1:123456789012:instance/${app.InstanceId}`), context);
    expect(report.results[0]).toMatchObject({ outcome: 'skipped', reason: 'in account 123456789012, this job runs in 210987654321' });
    expect(sandbox.mutatingCalls()).toHaveLength(0);
  });

  it.each([
    [{ source: 'aws.health', 'detail-type': 'AWS Health Event', id: 'x', account: '123456789012', region: 'us-east-1', detail: { service: 'EC2' } }, 'detail.eventArn'],
    [{ action: 'scan', instanceIds: ['web-1'] }, 'instanceIds'],
    [{ action: 'scan', dryrun: true }, 'dryrun: unknown key'],
    ['{"source":', '(root)'],
  ])('rejects %j naming the field, alerts, and makes no mutating call', async (event, message) => {
    const { handler, context, sandbox } = setup();
    await expect(handler(event, context)).rejects.toThrow(InputError);
    expect(sandbox.mutatingCalls()).toHaveLength(0);
    expect(sandbox.sns.messages).toHaveLength(1);
    expect(sandbox.sns.messages[0]!.message).toContain(message);
  });

  it('honours dryRun of a manual scan', async () => {
    const { run, context, sandbox } = setup();
    const report = await run({ action: 'scan', dryRun: true }, context);
    expect(report.dryRun).toBe(true);
    expect(report.plan).toEqual([expect.objectContaining({ action: 'relaunch' })]);
    expect(sandbox.mutatingCalls()).toHaveLength(0);
  });

  it('accepts every sample event in events/replace-degraded', () => {
    const files = readdirSync(EVENTS).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const f of files) expect(() => parseDegradedTrigger(JSON.parse(readFileSync(join(EVENTS, f), 'utf8'))), f).not.toThrow();
  });
});

import type { Context } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/dns-failover';
import { parseConfig } from '../../shared/config/load';
import { InputError, JobFailedError } from '../../shared/engine/errors';
import type { HealthMemory } from '../../shared/failover/run-failover';
import { failoverScene, type FailoverScene, LB1_IP, LB2_IP } from '../../sandbox/failover-scene';
import { lambdaContext, sandboxDeps } from '../../sandbox/handler-deps';

const event = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'events', 'dns-failover', name), 'utf8'));

let scene: FailoverScene;
afterEach(() => scene?.close());

async function setup(memory?: HealthMemory) {
  scene = await failoverScene();
  const topicArn = scene.sandbox.sns.addTopic('alerts');
  const config = { ...parseConfig({}), failover: scene.config };
  const deps = sandboxDeps(scene.sandbox, config, topicArn);
  const handler = makeHandler(deps, memory);
  // The handler returns its compact summary; the tests read the run's full report.
  const run = async (event: unknown, context: Context) => (await handler(event, context), deps.lastReport());
  // A 60 s Lambda timeout on the sandbox clock: the watch loop probes every 5 s, every 2 s while confirming a failure.
  const context = () => lambdaContext('caretaker-test-dns-failover', 60_000, () => scene.sandbox.clock.nowMs());
  return { handler, run, context };
}

describe('dns-failover handler', () => {
  it('watches for a whole invocation on the scheduled event, moves the record and sends one summary', async () => {
    const { run, context } = await setup();
    await scene.lb1.kill();
    const report = await run(event('scheduled.json'), context());
    expect(scene.active()).toBe(LB2_IP);
    expect(report.results).toEqual([expect.objectContaining({ action: 'upsert', outcome: 'done' })]);
    expect(scene.sandbox.callsOf('ListResourceRecordSets').filter((c) => JSON.stringify(c.input).includes('"lb.example.com"'))).toHaveLength(13);
    expect(scene.sandbox.sns.messages.map((m) => m.subject)).toEqual(['[caretaker] DNS failover ok: 1 done, 0 skipped']);
  });

  it('dry-run event: reports the planned move and changes nothing', async () => {
    const { run, context } = await setup();
    await scene.lb1.kill();
    const report = await run(event('dry-run.json'), context());
    expect(report.plan).toEqual([expect.objectContaining({ action: 'upsert', target: 'lb.example.com' })]);
    expect(scene.sandbox.mutatingCalls()).toEqual([]);
    expect(scene.active()).toBe(LB1_IP);
    expect(scene.sandbox.sns.messages[0]!.subject).toBe('[caretaker] DNS failover dry run: 1 planned');
  });

  it('once event: one decision for the named group, then returns', async () => {
    const { run, context } = await setup();
    const report = await run(event('once-web.json'), context());
    expect(report.results).toEqual([expect.objectContaining({ action: 'skip', reason: expect.stringMatching(/^lb1 is active \(up/) })]);
    expect(scene.sandbox.callsOf('DescribeInstances')).toHaveLength(0);
  });

  it('all members down: fails the invocation after one loud summary, changes nothing', async () => {
    const { handler, context } = await setup();
    await Promise.all([scene.lb1.kill(), scene.lb2.kill()]);
    await expect(handler(event('scheduled.json'), context())).rejects.toThrow(JobFailedError);
    expect(scene.sandbox.mutatingCalls()).toEqual([]);
    expect(scene.sandbox.sns.messages).toHaveLength(1);
    expect(scene.sandbox.sns.messages[0]!.message).toContain('ALL MEMBERS DOWN');
  });

  it.each([
    [{ dryrun: true }, 'dryrun: unknown key'],
    [{ 'detail-type': 'Scheduled Event', source: 'aws.events', time: 'now' }, 'time: expected the ISO 8601 time of the scheduled event'],
    // A Scheduled Event without its time names the time, not its other keys as unknown.
    [{ version: '0', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '123456789012', region: 'us-east-1', resources: [], detail: {} }, 'time: required'],
    [{ groups: ['web', 'nope'] }, "groups[1]: no failover group named 'nope'"],
  ])('rejects %j with an alert and no AWS change', async (bad, message) => {
    const { handler, context } = await setup();
    await expect(handler(bad, context())).rejects.toThrow(InputError);
    expect(scene.sandbox.mutatingCalls()).toEqual([]);
    expect(scene.sandbox.sns.messages[0]!.message).toContain(message);
  });

  it('keeps member health between warm invocations of the same container', async () => {
    const memory: HealthMemory = new Map();
    const { handler } = await setup(memory);
    await scene.lb1.kill();
    // An invocation that ends after two probes (9 s budget: passes at 0 and 2 s), then the next minute's.
    await handler(event('scheduled.json'), lambdaContext('fn', 9_000, () => scene.sandbox.clock.nowMs()));
    expect(scene.active()).toBe(LB1_IP);
    await scene.sandbox.clock.sleep(3_000);
    await handler(event('scheduled.json'), lambdaContext('fn', 60_000, () => scene.sandbox.clock.nowMs()));
    // The first pass of the second invocation is LB1's third failure: moved at once.
    expect(scene.sandbox.callsOf('ChangeResourceRecordSets').filter((c) => !c.error)[0]!.atMs - scene.sandbox.calls[0]!.atMs).toBeLessThanOrEqual(13_000);
    expect(scene.active()).toBe(LB2_IP);
  });
});

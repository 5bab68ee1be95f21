import { describe, expect, it } from 'vitest';
import { makeHandler as failoverHandler } from '../../functions/dns-failover';
import { makeHandler as pruneHandler } from '../../functions/prune-snapshots';
import { makeHandler as snapshotHandler } from '../../functions/snapshot-volumes';
import { parseConfig } from '../../shared/config/load';
import { InputError, JobFailedError } from '../../shared/engine/errors';
import { buildDemoAccount, DEMO_CONFIG } from '../../sandbox/demo-account';
import { lambdaContext, sandboxDeps } from '../../sandbox/handler-deps';
import { Fuzzer } from './generate';

const RUNS = 1_000;

describe('config loader under fuzzing', () => {
  it(`gives a config or an InputError naming fields for ${RUNS} hostile documents`, () => {
    const fuzz = new Fuzzer(11);
    let valid = 0;
    for (let i = 0; i < RUNS; i++) {
      const doc = i % 3 === 0 ? fuzz.value(4) : fuzz.mutate(DEMO_CONFIG);
      try {
        parseConfig(doc);
        valid++;
      } catch (error) {
        expect(error).toBeInstanceOf(InputError);
        expect((error as InputError).problems.length).toBeGreaterThan(0);
        for (const p of (error as InputError).problems) expect(p.message.length).toBeGreaterThan(0);
      }
    }
    // Some mutations (e.g. an optional field removed) are still valid documents.
    expect(valid).toBeGreaterThan(0);
    expect(valid).toBeLessThan(RUNS);
  });
});

const HANDLERS = [
  { name: 'snapshot-volumes', make: snapshotHandler, valid: { policy: 'daily', time: '2026-11-22T03:00:00Z', dryRun: true } },
  { name: 'prune-snapshots', make: pruneHandler, valid: { time: '2026-11-22T04:00:00Z', dryRun: true } },
  { name: 'dns-failover', make: failoverHandler, valid: { once: true, dryRun: true } },
] as const;

describe.each(HANDLERS)('$name event parsing under fuzzing', ({ make, valid }) => {
  it(`never throws anything but InputError, and never mutates on a rejected event, for ${RUNS} hostile events`, async () => {
    const fuzz = new Fuzzer(12);
    const demo = buildDemoAccount();
    // No failover groups: a valid dns-failover event then returns at once instead of watching for a minute.
    const config = { ...demo.config, failover: { ...demo.config.failover, groups: [] } };
    const handler = make(sandboxDeps(demo.sandbox, config, demo.topicArn));
    let accepted = 0;
    for (let i = 0; i < RUNS; i++) {
      const event = i % 2 === 0 ? fuzz.mutate(valid) : fuzz.value(3);
      const before = demo.sandbox.mutatingCalls().length;
      const outcome = await handler(event, lambdaContext('fuzz', 900_000, () => demo.sandbox.clock.nowMs())).then(
        (report) => report,
        (error: unknown) => error,
      );
      if (outcome instanceof Error) {
        expect(outcome instanceof InputError || outcome instanceof JobFailedError, String(outcome)).toBe(true);
        if (outcome instanceof InputError) expect(demo.sandbox.mutatingCalls().length).toBe(before);
      } else {
        accepted++;
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });
});

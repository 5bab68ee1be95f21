import { describe, expect, it } from 'vitest';
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

describe('snapshot-volumes event parsing under fuzzing', () => {
  it(`never throws anything but InputError, and never mutates, for ${RUNS} hostile events`, async () => {
    const fuzz = new Fuzzer(12);
    const demo = buildDemoAccount();
    const handler = snapshotHandler(sandboxDeps(demo.sandbox, demo.config, demo.topicArn));
    const valid = { policy: 'daily', time: '2026-11-22T03:00:00Z', dryRun: true };
    let accepted = 0;
    for (let i = 0; i < RUNS; i++) {
      const event = i % 2 === 0 ? fuzz.mutate(valid) : fuzz.value(3);
      const before = demo.sandbox.mutatingCalls().length;
      const outcome = await handler(event, lambdaContext('fuzz')).then(
        (report) => report,
        (error: unknown) => error,
      );
      if (outcome instanceof Error) {
        expect(outcome instanceof InputError || outcome instanceof JobFailedError, String(outcome)).toBe(true);
        expect(demo.sandbox.mutatingCalls().length).toBe(before);
      } else {
        accepted++;
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });
});

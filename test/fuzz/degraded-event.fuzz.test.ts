import { describe, expect, it } from 'vitest';
import { noticesFromHealthEvents, parseDegradedTrigger } from '../../shared/degraded/event';
import { InputError } from '../../shared/engine/errors';
import { fixture } from '../degraded/helpers';
import { Fuzzer } from './generate';

const RUNS = 1_000;
const HOME = { region: 'us-east-1', accountId: '123456789012' };

describe('replace-degraded event parsing under fuzzing', () => {
  it(`gives a trigger or an InputError naming fields for ${RUNS} hostile events; notices never throw`, () => {
    const fuzz = new Fuzzer(21);
    const samples = ['retirement-ebs', 'retirement-instance-store-arn', 'drive-degraded', 'network-maintenance', 'scan-dry-run'].map(fixture);
    let accepted = 0;
    for (let i = 0; i < RUNS; i++) {
      const event = i % 4 === 3 ? fuzz.value(3) : fuzz.mutate(samples[i % samples.length]);
      let trigger;
      try {
        trigger = parseDegradedTrigger(event);
      } catch (error) {
        expect(error, String(error)).toBeInstanceOf(InputError);
        for (const p of (error as InputError).problems) expect(p.message.length).toBeGreaterThan(0);
        continue;
      }
      accepted++;
      if (trigger.kind !== 'health') continue;
      const { notices, skipped } = noticesFromHealthEvents(trigger.events, HOME);
      for (const n of notices) expect(n.instanceId).toMatch(/^i-[0-9a-f]{8,17}$/);
      for (const s of skipped) expect(s.reason.length).toBeGreaterThan(0);
    }
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(RUNS);
  });
});

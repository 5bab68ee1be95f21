import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../shared/config/load';
import { InputError } from '../../shared/engine/errors';

const policy = (extra = '') => `
    - name: daily
      schedule: cron(0 3 * * ? *)
      selector:
        tags: { "caretaker:snapshot": [daily] }
${extra}`;

function problems(text: string): string[] {
  try {
    parseConfigText(text);
  } catch (error) {
    if (error instanceof InputError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('config', () => {
  it('accepts a minimal document and fills defaults', () => {
    const config = parseConfigText(`snapshot:\n  policies:${policy()}`);
    expect(config.snapshot.policies[0]).toMatchObject({ consistency: 'crash', excludeBootVolume: false, maxInstancesPerRun: 500 });
    expect(config.prune.maxDeletesPerRun).toBe(1000);
    expect(config.alerts.subjectPrefix).toBe('[caretaker]');
  });

  it('names the path of a bad nested field', () => {
    const text = `snapshot:\n  policies:${policy()}${policy('      retain: { daily: -1 }').replace('name: daily', 'name: weekly')}`;
    expect(problems(text)).toEqual(['snapshot.policies[1].retain.daily: expected a positive integer']);
  });

  it('rejects unknown keys with their path and suggests the likely key', () => {
    expect(problems(`snapshot:\n  policies:${policy('      excludeBootVolum: true')}`)).toEqual([
      "snapshot.policies[0].excludeBootVolum: unknown key (did you mean 'excludeBootVolume'?)",
    ]);
    expect(problems('snapshots: {}')).toEqual(["snapshots: unknown key (did you mean 'snapshot'?)"]);
  });

  it('rejects malformed schedules, duplicate names and empty selectors', () => {
    const text = `snapshot:\n  policies:${policy()}${policy()}    - name: other\n      schedule: every day\n      selector: {}\n`;
    expect(problems(text).sort()).toEqual([
      "snapshot.policies[1].name: duplicate policy name 'daily' (also at snapshot.policies[0])",
      'snapshot.policies[2].schedule: expected an EventBridge schedule: rate(N minute|minutes|hour|hours|day|days) or cron(6 fields)',
      'snapshot.policies[2].selector: a selector needs tags or instanceIds, or it would match nothing',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(problems('snapshot:\n  policies: [\n')[0]).toMatch(/^line \d+: /);
  });

  it('rejects a retention with no rule', () => {
    expect(problems(`snapshot:\n  policies:${policy('      retain: { minKeep: 2 }')}`)).toEqual([
      'snapshot.policies[0].retain: set at least one of olderThanDays, keepWithinDays, keepLast, hourly, daily, weekly, monthly, yearly',
    ]);
  });
});

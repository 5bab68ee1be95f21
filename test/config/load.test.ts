import { describe, expect, it } from 'vitest';
import { configProblems } from '../helpers';
import { parseConfigText, parseInput } from '../../shared/config/load';
import { failoverEventSchema } from '../../shared/failover/event';
import { snapshotEventSchema } from '../../shared/snapshot/event';
import { InputError } from '../../shared/engine/errors';

const policy = (extra = '') => `
    - name: daily
      schedule: cron(0 3 * * ? *)
      selector:
        tags: { "caretaker:snapshot": [daily] }
${extra}`;

const problems = configProblems;

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
      'snapshot.policies[2].schedule: expected rate(value unit) or cron(6 fields), e.g. rate(1 day) or cron(0 3 * * ? *)',
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

describe('parseInput (events)', () => {
  const scheduledEnvelope = { version: '0', id: 'e1', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '123456789012', region: 'us-east-1', resources: [], detail: {} };
  const problemsOf = (schema: Parameters<typeof parseInput>[0], value: unknown) => {
    let thrown: unknown;
    try {
      parseInput(schema, value, 'event');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InputError);
    return (thrown as InputError).problems.map((p) => `${p.path}: ${p.message}`);
  };

  it('suggests keys of the schema that was parsed, never the config keys, and never the key itself', () => {
    // `region` is a config key: suggesting it for an event's `region` read "did you mean 'region'?".
    expect(problemsOf(snapshotEventSchema, { ...scheduledEnvelope, policy: 'daily' })).toContain('region: unknown key');
    expect(problemsOf(snapshotEventSchema, { policy: 'daily', dryrun: true })).toEqual(["dryrun: unknown key (did you mean 'dryRun'?)"]);
  });

  it('names a missing time of a Scheduled Event instead of calling its other keys unknown', () => {
    expect(problemsOf(failoverEventSchema, scheduledEnvelope)).toEqual(['time: required']);
    expect(problemsOf(failoverEventSchema, { ...scheduledEnvelope, time: 'now' })).toEqual(['time: expected the ISO 8601 time of the scheduled event']);
    expect(parseInput(failoverEventSchema, { ...scheduledEnvelope, time: '2026-03-05T03:00:00Z' }, 'event')).toMatchObject({ source: 'aws.events' });
    expect(problemsOf(failoverEventSchema, { once: 'yes' })).toEqual(['once: expected true or false']);
  });
});

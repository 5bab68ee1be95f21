import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDegradedTrigger } from '../../shared/degraded/event';
import { pruneEventSchema } from '../../shared/prune/event';
import { snapshotEventSchema } from '../../shared/snapshot/event';
import { validateAgainstSpec } from './cfn-spec';

const require = createRequire(import.meta.url);
const schedules = require('../../deploy/schedules.cjs');

const file = join(tmpdir(), `caretaker-local-schedules-${process.pid}.yml`);
const previous = process.env.CARETAKER_CONFIG_FILE;
afterEach(() => {
  if (previous === undefined) delete process.env.CARETAKER_CONFIG_FILE;
  else process.env.CARETAKER_CONFIG_FILE = previous;
});

function withConfig(yaml: string) {
  writeFileSync(file, yaml);
  process.env.CARETAKER_CONFIG_FILE = file;
}

const CONFIG = `
snapshot:
  policies:
    - { name: nightly-db, schedule: cron(0 3 * * ? *), timeZone: Europe/Berlin, selector: { tags: { a: [] } } }
    - { name: utc, schedule: cron(0 5 * * ? *), selector: { tags: { a: [] } } }
prune: { schedule: cron(30 4 * * ? *), timeZone: America/New_York }
degraded: { schedule: rate(15 minutes), timeZone: UTC, flexibleWindowMinutes: 5 }
`;

describe('deploy/schedules.cjs: local-time schedules', () => {
  it('makes a Scheduler schedule of each section with timeZone, and a UTC rule of the others', () => {
    withConfig(CONFIG);
    expect(schedules.snapshotSchedules().flatMap((e: { schedule?: { rate: string[] } }) => (e.schedule ? [e.schedule.rate[0]] : []))).toEqual(['cron(0 5 * * ? *)']);
    expect(schedules.pruneSchedules()).toEqual([]);
    expect(schedules.degradedEvents().map((e: object) => Object.keys(e)[0])).toEqual(['eventBridge']);
    const { Resources } = schedules.schedulerResources();
    expect(Object.keys(Resources)).toEqual(['CaretakerSchedulerRole', 'SnapshotNightlyDbLocalSchedule', 'PruneLocalSchedule', 'DegradedScanLocalSchedule']);
    expect(Resources.SnapshotNightlyDbLocalSchedule.Properties).toMatchObject({
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      FlexibleTimeWindow: { Mode: 'OFF' },
    });
    expect(Resources.DegradedScanLocalSchedule.Properties.FlexibleTimeWindow).toEqual({ Mode: 'FLEXIBLE', MaximumWindowInMinutes: 5 });
    expect(Resources.CaretakerSchedulerRole.Properties.Policies[0].PolicyDocument.Statement[0].Resource).toEqual([
      { 'Fn::GetAtt': ['SnapshotDashvolumesLambdaFunction', 'Arn'] },
      { 'Fn::GetAtt': ['PruneDashsnapshotsLambdaFunction', 'Arn'] },
      { 'Fn::GetAtt': ['ReplaceDashdegradedLambdaFunction', 'Arn'] },
    ]);
    expect(validateAgainstSpec({ Resources })).toEqual([]);
  });

  it('sends each function an input its event parser accepts, once Scheduler fills in the scheduled time', () => {
    withConfig(CONFIG);
    const { Resources } = schedules.schedulerResources();
    const input = (id: string) => JSON.parse(Resources[id].Properties.Target.Input.replace('<aws.scheduler.scheduled-time>', '2026-03-29T01:00:00Z'));
    expect(snapshotEventSchema.parse(input('SnapshotNightlyDbLocalSchedule'))).toEqual({ policy: 'nightly-db', time: '2026-03-29T01:00:00Z' });
    expect(pruneEventSchema.parse(input('PruneLocalSchedule'))).toEqual({ time: '2026-03-29T01:00:00Z' });
    expect(parseDegradedTrigger(input('DegradedScanLocalSchedule'))).toEqual({ kind: 'scan', instanceIds: undefined, dryRun: undefined });
  });

  it('adds nothing when no schedule has a time zone', () => {
    withConfig('snapshot: { policies: [] }\n');
    expect(schedules.schedulerResources()).toEqual({ Resources: {} });
  });
});

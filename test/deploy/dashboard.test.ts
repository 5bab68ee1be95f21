import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateAgainstSpec } from './cfn-spec';

const require = createRequire(import.meta.url);
const dashboard = require('../../deploy/dashboard.cjs');
const catalogText = readFileSync(join(import.meta.dirname, '..', '..', 'shared', 'metrics', 'catalog.json'), 'utf8');

const config = (policies: number, groups: string[] = []) => ({
  snapshot: { policies: Array.from({ length: policies }, (_, i) => ({ name: `p${i}`, retain: { daily: 7 } })) },
  failover: { groups: groups.map((name) => ({ name })) },
});

type Alarm = { Type?: string; Properties: { AlarmName: string; EvaluationPeriods: number; DatapointsToAlarm?: number; Metrics: Array<{ Id: string; ReturnData: boolean; MetricStat?: { Period: number } }> } };

/**
 * What PutMetricAlarm refuses (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html):
 * a period that is not 10, 20, 30 or a multiple of 60; Period × EvaluationPeriods over 7 days, or
 * over one day for a period under an hour; DatapointsToAlarm above EvaluationPeriods; a metric math
 * alarm with more than 10 metrics or not exactly one result (ReturnData).
 */
function putMetricAlarmProblems(alarms: Record<string, Alarm> | Record<string, { Properties: Record<string, any> }>): string[] {
  const problems: string[] = [];
  for (const [id, { Properties: p }] of Object.entries(alarms as Record<string, Alarm>)) {
    const periods = p.Metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat.Period] : []));
    for (const period of periods) {
      if (![10, 20, 30].includes(period) && period % 60 !== 0) problems.push(`${id}: period ${period}`);
      const limit = period < 3600 ? 86_400 : 604_800;
      if (period * p.EvaluationPeriods > limit) problems.push(`${id}: ${period} s × ${p.EvaluationPeriods} periods is over ${limit} s`);
    }
    if ((p.DatapointsToAlarm ?? p.EvaluationPeriods) > p.EvaluationPeriods) problems.push(`${id}: DatapointsToAlarm over EvaluationPeriods`);
    if (periods.length > 10) problems.push(`${id}: ${periods.length} metrics`);
    if (p.Metrics.filter((m) => m.ReturnData).length !== 1) problems.push(`${id}: not exactly one result`);
  }
  return problems;
}

describe('deploy/dashboard.cjs', () => {
  it('refuses a metric name used twice in the catalog, even when only the case differs', () => {
    expect(() => dashboard.loadCatalog(catalogText)).not.toThrow();
    const twice = catalogText.replace('"ItemsDone": {', '"ItemsFailed": { "unit": "Count", "level": "run", "description": "x" },\n    "ItemsDone": {');
    expect(() => dashboard.loadCatalog(twice)).toThrow("metric name collision in shared/metrics/catalog.json: 'ItemsFailed' and 'ItemsFailed'");
    const caseOnly = catalogText.replace('"ItemsDone": {', '"itemsfailed": { "unit": "Count", "level": "run", "description": "x" },\n    "ItemsDone": {');
    expect(() => dashboard.loadCatalog(caseOnly)).toThrow("'ItemsFailed' and 'itemsfailed'");
  });

  it('refuses a panel naming a metric that is not emitted, or with other dimensions than it is emitted with', () => {
    const catalog = dashboard.loadCatalog(catalogText);
    const renamed = { ...catalog, metrics: Object.fromEntries(Object.entries(catalog.metrics).filter(([k]) => k !== 'StaleVolumes')) };
    expect(() => dashboard.panels(config(1), renamed)).toThrow("dashboard names metric 'StaleVolumes', which the functions do not emit");
    const moved = { ...catalog, metrics: { ...catalog.metrics, StaleVolumes: { ...catalog.metrics.StaleVolumes, level: 'policy' } } };
    expect(() => dashboard.panels(config(1), moved)).toThrow('dashboard uses StaleVolumes with dimensions [Job,Region], but it is emitted with [Job,Region,Policy]');
  });

  it('fails when the dashboard would exceed CloudWatch\'s quotas (500 metrics per widget)', () => {
    const catalog = dashboard.loadCatalog(catalogText);
    const body = (n: number) => dashboard.dashboardBody(dashboard.panels(config(n), catalog), { service: 's', namespace: catalog.namespace });
    expect(() => body(150)).not.toThrow();
    // Freshness draws 3 lines per policy plus 2: 170 policies make 512.
    expect(() => body(170)).toThrow("dashboard widget 'Freshness: snapshots started, completed, failed per policy; stale volumes' has 512 metrics; CloudWatch allows 500");
  });

  it('fails when the body would exceed the byte limit', () => {
    const catalog = dashboard.loadCatalog(catalogText);
    const longNames = { snapshot: { policies: Array.from({ length: 160 }, (_, i) => ({ name: `${'x'.repeat(36)}${i}`, retain: { daily: 1 } })) }, failover: { groups: [] } };
    expect(() => dashboard.dashboardBody(dashboard.panels(longNames, catalog), { service: 's'.repeat(200), namespace: catalog.namespace })).toThrow(
      /dashboard body is \d+ bytes; our limit is 262144/,
    );
  });

  it('adds a no-healthy-member alarm and failover panels per failover group', () => {
    const catalog = dashboard.loadCatalog(catalogText);
    const alarms = dashboard.alarms(config(1, ['web', 'api-lb']), catalog, { service: 'ec2-caretaker-prod', stage: 'prod' });
    expect(Object.keys(alarms)).toEqual(['StaleVolumesAlarm', 'FailedItemsAlarm', 'BackupAgeP0Alarm', 'NoHealthyMemberWebAlarm', 'NoHealthyMemberApiLbAlarm']);
    expect(alarms.NoHealthyMemberWebAlarm.Properties.Metrics[1].MetricStat).toEqual({
      Metric: {
        Namespace: 'EC2Caretaker',
        MetricName: 'NoHealthyMember',
        Dimensions: [
          { Name: 'service', Value: 'ec2-caretaker-prod' },
          { Name: 'Job', Value: 'failover' },
          { Name: 'Region', Value: { Ref: 'AWS::Region' } },
          { Name: 'Group', Value: 'web' },
        ],
      },
      Period: 60,
      Stat: 'Maximum',
    });
    // The shipped config has no failover group, so the packaged template cannot show these: check them here.
    expect(validateAgainstSpec({ Resources: alarms })).toEqual([]);
    expect(putMetricAlarmProblems(alarms)).toEqual([]);
    const titles = dashboard.panels(config(1, ['web']), catalog).map((p: { title: string }) => p.title);
    expect(titles).toContain('Failover: probe latency (p50, p99) and failed probes');
  });

  it('alarms per policy when its worst backup age passes its guard, and when its runs stop measuring (missing data breaches)', () => {
    const catalog = dashboard.loadCatalog(catalogText);
    const policy = (name: string, schedule: string, extra = {}) => ({ name, schedule, ...extra });
    const cfg = {
      snapshot: {
        policies: [
          policy('daily', 'cron(0 3 * * ? *)'),
          policy('weekdays', 'cron(0 3 ? * MON-FRI *)'),
          policy('hourly', 'rate(1 hour)'),
          policy('berlin', 'cron(0 3 * * ? *)', { timeZone: 'Europe/Berlin', flexibleWindowMinutes: 120 }),
          policy('weekly', 'rate(7 days)'),
          policy('month-end', 'cron(0 3 L * ? *)'),
        ],
      },
    };
    const alarms = dashboard.alarms(cfg, catalog, { service: 'ec2-caretaker-prod', stage: 'prod' }) as Record<string, { Type: string; Properties: Record<string, any> }>;
    const ages = Object.entries(alarms).filter(([id]) => id.startsWith('BackupAge'));
    expect(ages.map(([id]) => id)).toEqual(['BackupAgeDailyAlarm', 'BackupAgeWeekdaysAlarm', 'BackupAgeHourlyAlarm', 'BackupAgeBerlinAlarm', 'BackupAgeWeeklyAlarm', 'BackupAgeMonthEndAlarm']);
    const daily = alarms.BackupAgeDailyAlarm!.Properties;
    expect(daily).toMatchObject({
      AlarmName: 'ec2-caretaker-prod-backup-age-daily',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: 'AlertTopic' }],
    });
    // Age minus guard, both from the same EMF line of the policy's snapshot run.
    expect(daily.Metrics[0]).toEqual({ Id: 'e1', Expression: 'm1 - m2', Label: 'backup-age-daily', ReturnData: true });
    expect(daily.Metrics.slice(1).map((m: any) => [m.MetricStat.Metric.MetricName, m.MetricStat.Stat, m.MetricStat.Metric.Dimensions.map((d: any) => d.Value)])).toEqual([
      ['WorstBackupAgeHours', 'Maximum', ['ec2-caretaker-prod', 'snapshot', { Ref: 'AWS::Region' }, 'daily']],
      ['StaleAfterHours', 'Maximum', ['ec2-caretaker-prod', 'snapshot', { Ref: 'AWS::Region' }, 'daily']],
    ]);
    // A period holds one run when all is well: the longest gap between firings plus an hour (or the flexible window).
    const periodOf = (id: string) => (alarms[id]!.Properties.Metrics[1].MetricStat.Period as number) / 3600;
    expect(['Daily', 'Weekdays', 'Hourly', 'Berlin', 'Weekly', 'MonthEnd'].map((p) => [p, periodOf(`BackupAge${p}Alarm`), alarms[`BackupAge${p}Alarm`]!.Properties.TreatMissingData])).toEqual([
      ['Daily', 25, 'breaching'],
      ['Weekdays', 73, 'breaching'],
      ['Hourly', 2, 'breaching'],
      ['Berlin', 26, 'breaching'],
      // CloudWatch evaluates at most 7 days back: a weekly schedule fills it; a monthly one cannot tell a gap from a stop.
      ['Weekly', 168, 'breaching'],
      ['MonthEnd', 168, 'ignore'],
    ]);
    expect(validateAgainstSpec({ Resources: alarms })).toEqual([]);
    expect(putMetricAlarmProblems(alarms)).toEqual([]);
  });

  it('refuses two policies whose alarm ids would be the same', () => {
    const catalog = dashboard.loadCatalog(catalogText);
    const cfg = { snapshot: { policies: [{ name: 'web-1', schedule: 'rate(1 day)' }, { name: 'web1', schedule: 'rate(1 day)' }] } };
    expect(() => dashboard.alarms(cfg, catalog, { service: 's', stage: 'prod' })).toThrow('two alarms would both be BackupAgeWeb1Alarm');
  });

  it('the check above refuses what PutMetricAlarm refuses', () => {
    const alarm = (period: number, evaluationPeriods: number): Alarm => ({
      Properties: { AlarmName: 'a', EvaluationPeriods: evaluationPeriods, Metrics: [{ Id: 'e1', ReturnData: true }, { Id: 'm1', ReturnData: false, MetricStat: { Period: period } }] },
    });
    expect(putMetricAlarmProblems({ ok: alarm(604_800, 1), long: alarm(86_400, 8), short: alarm(60, 1441), odd: alarm(90, 1) })).toEqual([
      'long: 86400 s × 8 periods is over 604800 s',
      'short: 60 s × 1441 periods is over 86400 s',
      'odd: period 90',
    ]);
  });

  it('draws copies and alarms on copies in error only when a policy copies to another Region', () => {
    const catalog = dashboard.loadCatalog(catalogText);
    const cfg = { snapshot: { policies: [{ name: 'db', schedule: 'rate(1 day)', copyTo: [{ region: 'eu-west-1' }] }, { name: 'web', schedule: 'rate(1 day)' }] } };
    const copies = dashboard.panels(cfg, catalog).find((p: { title: string }) => p.title.startsWith('Copies to other Regions'));
    expect(copies.metrics.map((m: { label: string }) => m.label)).toEqual(['copies started db', 'copies failed db', 'copies in error']);
    const alarms = dashboard.alarms(cfg, catalog, { service: 's', stage: 'prod' });
    expect(alarms.CopyErrorsAlarm.Properties).toMatchObject({ AlarmName: 's-copy-errors', TreatMissingData: 'notBreaching', Metrics: [{ Expression: 'FILL(m1, 0)' }, { MetricStat: { Metric: { MetricName: 'CopyErrors' }, Period: 3600 } }] });
    expect(validateAgainstSpec({ Resources: alarms })).toEqual([]);
    expect(putMetricAlarmProblems(alarms)).toEqual([]);
    const none = { snapshot: { policies: [{ name: 'web', schedule: 'rate(1 day)' }] } };
    expect(dashboard.panels(none, catalog).map((p: { title: string }) => p.title).filter((t: string) => t.startsWith('Copies'))).toEqual([]);
    expect(dashboard.alarms(none, catalog, { service: 's', stage: 'prod' })).not.toHaveProperty('CopyErrorsAlarm');
  });

  it('alarms in every Region the config names: each Region\'s runs emit under their own Region dimension', () => {
    const catalog = dashboard.loadCatalog(catalogText);
    const cfg = { regions: ['us-east-1', 'eu-west-1'], snapshot: { policies: [{ name: 'eu-only', schedule: 'rate(1 day)', regions: ['eu-west-1'] }, { name: 'web', schedule: 'rate(1 day)' }] } };
    const alarms = dashboard.alarms(cfg, catalog, { service: 's', stage: 'prod' });
    expect(Object.keys(alarms)).toEqual([
      'StaleVolumesUsEast1Alarm',
      'FailedItemsUsEast1Alarm',
      'StaleVolumesEuWest1Alarm',
      'FailedItemsEuWest1Alarm',
      'BackupAgeEuOnlyEuWest1Alarm',
      'BackupAgeWebUsEast1Alarm',
      'BackupAgeWebEuWest1Alarm',
    ]);
    const regionOf = (id: string) => alarms[id].Properties.Metrics.slice(1).map((q: any) => q.MetricStat.Metric.Dimensions.find((d: any) => d.Name === 'Region').Value);
    expect(regionOf('FailedItemsEuWest1Alarm')).toEqual(['eu-west-1', 'eu-west-1', 'eu-west-1', 'eu-west-1']);
    expect(regionOf('BackupAgeEuOnlyEuWest1Alarm')).toEqual(['eu-west-1', 'eu-west-1']);
    expect(alarms.BackupAgeWebUsEast1Alarm.Properties.AlarmName).toBe('s-backup-age-web-us-east-1');
    expect(validateAgainstSpec({ Resources: alarms })).toEqual([]);
    expect(putMetricAlarmProblems(alarms)).toEqual([]);
  });
});

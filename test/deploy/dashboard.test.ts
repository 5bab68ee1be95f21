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
    expect(Object.keys(alarms)).toEqual(['StaleVolumesAlarm', 'FailedItemsAlarm', 'NoHealthyMemberWebAlarm', 'NoHealthyMemberApiLbAlarm']);
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
    const titles = dashboard.panels(config(1, ['web']), catalog).map((p: { title: string }) => p.title);
    expect(titles).toContain('Failover: probe latency (p50, p99) and failed probes');
  });
});

/**
 * Every metric the suite emits, with its unit and the one dimension set it is emitted under.
 * The dashboard and the alarms (deploy/dashboard.cjs) read this list through
 * `shared/metrics/catalog.json`, so a panel can only show a metric that is emitted, under the
 * dimensions it is emitted with; a test fails on a name used twice or a panel naming an unknown one.
 */
import catalog from './catalog.json';

export const NAMESPACE: string = catalog.namespace;

/** Where a metric is emitted: per run, per policy, per replacement action and outcome, per failover group. */
export type MetricLevel = keyof typeof catalog.levels;

export type MetricName = keyof typeof catalog.metrics;

/** CloudWatch unit names (hours have none: `None`). */
export type MetricUnitName = 'Count' | 'Seconds' | 'Milliseconds' | 'None';

export interface MetricDefinition {
  unit: MetricUnitName;
  level: MetricLevel;
  description: string;
}

export const METRICS = catalog.metrics as Record<MetricName, MetricDefinition>;

/** Dimension names of each level, besides Powertools' own `service` (always first). */
export const LEVEL_DIMENSIONS = catalog.levels as Record<MetricLevel, string[]>;

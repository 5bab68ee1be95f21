import { expect } from 'vitest';
import { LEVEL_DIMENSIONS, METRICS, NAMESPACE, type MetricName } from '../../shared/metrics/catalog';

export interface EmfLine {
  dimensions: Record<string, string>;
  values: Record<string, number | number[]>;
}

/**
 * Parses EMF lines as CloudWatch Logs would and checks each against the catalog: the namespace,
 * one dimension set (service first, then the metric's level), every metric catalogued with its unit.
 */
export function parseEmf(lines: string[]): EmfLine[] {
  return lines.map((line) => {
    const doc = JSON.parse(line) as Record<string, unknown> & {
      _aws: { Timestamp: number; CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
    };
    expect(doc._aws.CloudWatchMetrics).toHaveLength(1);
    const [directive] = doc._aws.CloudWatchMetrics;
    expect(directive!.Namespace).toBe(NAMESPACE);
    expect(directive!.Dimensions).toHaveLength(1);
    const dims = directive!.Dimensions[0]!;
    const values: Record<string, number | number[]> = {};
    for (const m of directive!.Metrics) {
      const def = METRICS[m.Name as MetricName];
      expect(def, `metric ${m.Name} is in the catalog`).toBeDefined();
      expect(m.Unit).toBe(def.unit);
      expect(dims).toEqual(['service', ...LEVEL_DIMENSIONS[def.level]]);
      values[m.Name] = doc[m.Name] as number | number[];
    }
    return { dimensions: Object.fromEntries(dims.map((d) => [d, String(doc[d])])), values };
  });
}

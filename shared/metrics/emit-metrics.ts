import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Logger } from '../log';
import { METRICS, NAMESPACE, type MetricName, type MetricUnitName } from './catalog';
import type { MetricSet } from './run-metrics';

/** The catalog's CloudWatch unit names as Powertools' constants. */
const UNITS = { Count: MetricUnit.Count, Seconds: MetricUnit.Seconds, Milliseconds: MetricUnit.Milliseconds, None: MetricUnit.NoUnit } satisfies Record<MetricUnitName, string>;

/** Where EMF lines go: stdout in Lambda (CloudWatch Logs extracts them), an array in tests. */
export type EmfWriter = (line: string) => void;

/**
 * EMF allows at most 100 values per metric in one document
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html);
 * Powertools flushes on its own, to its own console, when a metric reaches 100 values. We chunk
 * at 99 first, so every line goes through `write`.
 */
const MAX_VALUES_PER_LINE = 99;

export interface EmitOptions {
  /** The `service` dimension (Powertools adds it to every metric): the deployed service and stage. */
  service: string;
  /** The metrics' timestamp: the run's end, on the run's clock. */
  timestamp: Date;
  write: EmfWriter;
  /** Powertools' warnings (timestamp out of CloudWatch's window, bad dimension). */
  log?: Logger;
}

/**
 * Writes each metric set as one EMF log line serialised by Powertools Metrics: no API call,
 * CloudWatch Logs turns the line into metrics. Returns the lines written.
 *
 * @example
 * emitMetrics(runMetrics(report, region), { service: 'ec2-caretaker-prod', timestamp: new Date(report.finishedAt), write: stdoutWriter });
 */
export function emitMetrics(sets: readonly MetricSet[], options: EmitOptions): string[] {
  const lines: string[] = [];
  for (const s of sets) {
    for (const chunk of chunks(s.values)) {
      const metrics = new Metrics({ namespace: NAMESPACE, serviceName: options.service, logger: powertoolsLogger(options.log) });
      metrics.addDimensions(s.dimensions);
      metrics.setTimestamp(options.timestamp);
      for (const [name, values] of Object.entries(chunk) as Array<[MetricName, number[]]>) {
        for (const v of values) metrics.addMetric(name, UNITS[METRICS[name].unit], v);
      }
      const line = JSON.stringify(metrics.serializeMetrics());
      metrics.clearMetrics();
      options.write(line);
      lines.push(line);
    }
  }
  return lines;
}

/** Splits a set's values so that no line carries more than 100 values of one metric. */
function chunks(values: MetricSet['values']): Array<Partial<Record<MetricName, number[]>>> {
  const arrays = Object.entries(values).map(([k, v]) => [k, Array.isArray(v) ? v : [v]] as const);
  const longest = Math.max(1, ...arrays.map(([, v]) => v.length));
  const out: Array<Partial<Record<MetricName, number[]>>> = [];
  for (let start = 0; start < longest; start += MAX_VALUES_PER_LINE) {
    const chunk: Partial<Record<MetricName, number[]>> = {};
    for (const [k, v] of arrays) {
      const part = v.slice(start, start + MAX_VALUES_PER_LINE);
      if (part.length) chunk[k as MetricName] = part;
    }
    out.push(chunk);
  }
  return out;
}

function powertoolsLogger(log?: Logger) {
  const warn = (message: string) => log?.warn(message);
  return { debug: () => undefined, info: () => undefined, warn, error: (m: string) => log?.error(m) };
}

/** Lambda: a bare JSON line on stdout (the runtime's console would prefix it, and EMF needs the JSON alone). */
export const stdoutWriter: EmfWriter = (line) => void process.stdout.write(`${line}\n`);

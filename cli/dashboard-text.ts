import { createRequire } from 'node:module';

/** A panel of deploy/dashboard.cjs: the stack's dashboard and this text rendering draw the same list. */
interface Panel {
  title: string;
  metrics: Array<{ name: string; dims: Record<string, string>; stat: string; label: string }>;
}

const require = createRequire(import.meta.url);
const dashboard = require('../deploy/dashboard.cjs') as { panels(config: unknown): Panel[] };

/** Parsed EMF line: its dimensions and metric values. */
interface Datum {
  dims: Record<string, string>;
  values: Record<string, number[]>;
}

function parse(lines: readonly string[]): Datum[] {
  return lines.map((line) => {
    const doc = JSON.parse(line) as Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string }> }> } };
    const directive = doc._aws.CloudWatchMetrics[0]!;
    const dims = Object.fromEntries(directive.Dimensions[0]!.map((d) => [d, String(doc[d])]));
    const values = Object.fromEntries(directive.Metrics.map((m) => [m.Name, ([] as number[]).concat(doc[m.Name] as number | number[])]));
    return { dims, values };
  });
}

function aggregate(stat: string, values: number[]): number {
  if (stat === 'Sum') return values.reduce((a, b) => a + b, 0);
  if (stat === 'Maximum') return Math.max(...values);
  if (stat === 'Minimum') return Math.min(...values);
  const p = /^p(\d+(\.\d+)?)$/.exec(stat);
  if (p) {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((Number(p[1]) / 100) * sorted.length) - 1)]!;
  }
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * The stack's dashboard panels drawn as text from EMF lines (the demo's): each metric of each
 * panel with its statistic over the lines, and a bar scaled to the panel's largest value. What a
 * screenshot of the CloudWatch dashboard would show after the same runs, as one number per line.
 */
export function renderDashboard(config: unknown, emfLines: readonly string[], region: string, width = 24): string[] {
  const data = parse(emfLines);
  const out: string[] = [];
  for (const panel of dashboard.panels(config)) {
    const rows = panel.metrics.map((m) => {
      const dims = Object.fromEntries(Object.entries(m.dims).map(([k, v]) => [k, v === '${AWS::Region}' ? region : v]));
      const values = data
        .filter((d) => m.name in d.values && Object.entries(dims).every(([k, v]) => d.dims[k] === v))
        .flatMap((d) => d.values[m.name]!);
      return { label: `${m.label} (${m.stat})`, value: values.length ? aggregate(m.stat, values) : undefined };
    });
    const max = Math.max(1, ...rows.map((r) => r.value ?? 0));
    const labelWidth = Math.max(...rows.map((r) => r.label.length));
    out.push(`┌ ${panel.title}`);
    for (const r of rows) {
      const bar = r.value === undefined ? '' : '█'.repeat(Math.round((Math.max(0, r.value) / max) * width)) || (r.value > 0 ? '▏' : '');
      const value = r.value === undefined ? 'no data' : Number.isInteger(r.value) ? String(r.value) : r.value.toFixed(1);
      out.push(`│ ${r.label.padEnd(labelWidth)} ${value.padStart(7)} ${bar}`);
    }
    out.push('└');
  }
  return out;
}

/** One EMF line, compact, for the demo: `EC2Caretaker {Job=prune, Region=us-east-1, Policy=daily} SnapshotsDeleted=96 ...`. */
export function compactEmf(line: string): string {
  const [d] = parse([line]);
  const dims = Object.entries(d!.dims)
    .filter(([k]) => k !== 'service')
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const values = Object.entries(d!.values)
    .map(([k, v]) => `${k}=${v.length > 3 ? `[${v.length} values, max ${Math.max(...v)}]` : v.join(',')}`)
    .join(' ');
  return `{${dims}} ${values}`;
}

import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RESULTS_DIR, table } from './lib';

type Result = Record<string, unknown> & { job: string };

const trio = (r: Result, a: string, b: string, c: string) => [r[a], r[b], r[c]].map((v) => (v === undefined ? '—' : String(v))).join(' / ');

const pct = (v: unknown) => (typeof v === 'number' ? `${Math.round(v * 1000) / 10} %` : '—');

/**
 * bench/results.md and bench/results.json from the per-job JSON files: one comparison table
 * (ours vs the seed's naive loop vs a fixed 2-worker pool, as shares of the token bucket's limit),
 * then every figure of every job.
 */
export async function writeSummary(): Promise<string> {
  const files = (await readdir(RESULTS_DIR)).filter((f) => f.endsWith('.json')).sort();
  const results: Result[] = [];
  for (const f of files) results.push(JSON.parse(await readFile(join(RESULTS_DIR, f), 'utf8')));
  const lines = ['# Benchmark results', '', 'Written by `npm run bench` (sandbox account, AWS token-bucket sizes, time-scaled; see README).', ''];
  const compared = results.filter((r) => 'ratioToLimit' in r);
  if (compared.length) {
    lines.push('## Throughput as a share of the API token bucket', '');
    lines.push(
      table(
        compared.map((r) => ({
          job: r.job,
          caretaker: pct(r.ratioToLimit),
          'naive serial': pct(r.naiveRatioToLimit),
          '2 workers': pct(r.twoWorkerRatioToLimit),
          'throttled calls (ours / naive / 2w)': trio(r, 'throttledCalls', 'naiveThrottledCalls', 'twoWorkerThrottledCalls'),
          'failed items (ours / naive / 2w)': trio(r, 'failedItems', 'naiveFailedItems', 'twoWorkerFailedItems'),
          'AWS seconds (ours / naive / 2w)': trio(r, 'awsSeconds', 'naiveAwsSeconds', 'twoWorkerAwsSeconds'),
          'peak RSS MB': String(r.peakRssMb ?? '—'),
        })),
      ),
      '',
    );
  }
  for (const r of results) {
    lines.push(`## ${r.job}`, '');
    if (r.job === 'bundles' && Array.isArray(r.bundles)) {
      lines.push(table(r.bundles as Array<Record<string, string | number>>), '', `node -e 0: ${r.nodeBaselineMs} ms`, '');
      if (r.prune100k) {
        const p = r.prune100k as Record<string, unknown>;
        lines.push('Bundled prune-snapshots, one scheduled invocation over 100,000 snapshots (sandbox behind HTTP):', '');
        lines.push(table(Object.entries(p).map(([figure, value]) => ({ figure, value: String(value) }))), '');
      }
      continue;
    }
    lines.push(table(Object.entries(r).filter(([k]) => k !== 'job').map(([figure, value]) => ({ figure, value: typeof value === 'object' ? JSON.stringify(value) : String(value) }))), '');
  }
  const text = lines.join('\n');
  await writeFile(join(RESULTS_DIR, '..', 'results.md'), text);
  await writeFile(join(RESULTS_DIR, '..', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  return text;
}

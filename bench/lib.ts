import { sandboxJobContext } from '../sandbox/job-context';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SandboxAccount } from '../sandbox/account';

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'results');

/** A job context whose waits really pass (scaled), so token buckets see true rates. */
export const benchContext = (sandbox: SandboxAccount) => sandboxJobContext(sandbox, { runId: 'bench' }, { realTime: true, maxAttempts: 8 });

/** Samples RSS while `work` runs; returns its result and the peak in MB. */
export async function withPeakRss<T>(work: () => Promise<T>): Promise<{ result: T; peakRssMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, peakRssMb: Math.round((peak / 1024 / 1024) * 10) / 10 };
  } finally {
    clearInterval(timer);
  }
}

/**
 * Share of a token bucket's allowance used over a window of sandbox time: calls that got
 * through ÷ (burst + refill × seconds). 1.0 means the bucket was never idle.
 */
export function ratioToLimit(calls: number, windowMs: number, bucket: { capacity: number; refillPerSecond: number }): number {
  const allowed = bucket.capacity + (bucket.refillPerSecond * windowMs) / 1000;
  return Math.round((calls / allowed) * 1000) / 1000;
}

export async function writeResult(job: string, result: object): Promise<void> {
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(join(RESULTS_DIR, `${job}.json`), `${JSON.stringify(result, null, 2)}\n`);
}

export function table(rows: Array<Record<string, string | number>>): string {
  const cols = Object.keys(rows[0] ?? {});
  const width = (c: string) => Math.max(c.length, ...rows.map((r) => String(r[c]).length));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width(cols[i]!))).join(' | ')} |`;
  return [line(cols), line(cols.map((c) => '-'.repeat(width(c)))), ...rows.map((r) => line(cols.map((c) => String(r[c]))))].join('\n');
}

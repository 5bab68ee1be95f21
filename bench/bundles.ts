import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readZip } from '../test/deploy/zip';
import { ensurePackaged, PACKAGE_DIR, unpack } from '../test/bundle/build';
import { runBundledPrune100k } from './bundle-prune';
import { table, writeResult } from './lib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Median wall time of `node args` over `runs` runs, in ms. */
function medianMs(args: string[], cwd: string, runs = 7): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd, stdio: 'pipe', env: { ...process.env, AWS_REGION: 'us-east-1' } });
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr.toString()}`);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/**
 * Packages every function as a deploy would (`osls package`, offline) and measures each zip's
 * size and how long Node takes to load the bundled handler, as a ratio to `node -e 0`; then runs
 * the bundled prune handler over 100,000 snapshots and reports its peak RSS and response bytes.
 */
/** The goal for the bundled prune handler's peak RSS at 100,000 snapshots (256 MB function, headroom kept). */
const PRUNE_RSS_GOAL_MB = 180;
const PRUNE_TIME_SCALE = 5;

/**
 * One scheduled invocation of the bundled prune handler over 100,000 snapshots, in a child process
 * with Lambda's flags for 256 MB, the sandbox in this process behind HTTP (bench/bundle-prune.ts).
 */
async function benchPrune100k() {
  const { entry } = unpack('prune-snapshots');
  const run = await runBundledPrune100k(entry, { timeScale: PRUNE_TIME_SCALE });
  const { result } = run;
  if (result.status !== 'ok') throw new Error(`bundled prune failed: ${result.errorType}: ${result.errorMessage}`);
  const out = {
    snapshots: run.snapshots,
    expired: run.expired,
    status: result.status,
    peakRssMb: result.peakRssMb,
    rssGoalMb: PRUNE_RSS_GOAL_MB,
    withinGoal: result.peakRssMb <= PRUNE_RSS_GOAL_MB,
    heapTotalAtPeakMb: result.memoryAtPeak?.heapTotalMb ?? 0,
    heapUsedAtPeakMb: result.memoryAtPeak?.heapUsedMb ?? 0,
    responseBytes: result.responseBytes,
    deletedInOneInvocation: run.deleted,
    remaining: result.response?.remaining,
    wronglyDeleted: run.wronglyDeleted,
    runDetailLogEvents: run.detailLogEvents,
    timeoutSeconds: run.timeoutSeconds,
    timeScale: run.timeScale,
  };
  console.log(table([out as unknown as Record<string, string | number>]));
  return out;
}

export async function benchBundles() {
  await ensurePackaged();
  const out = PACKAGE_DIR;
  const baseline = medianMs(['-e', '0'], root);
  const bundles = [];
  for (const zip of readdirSync(out).filter((f) => f.endsWith('.zip'))) {
    const dir = mkdtempSync(join(tmpdir(), 'caretaker-bundle-'));
    let entry = '';
    for (const [name, data] of readZip(join(out, zip))) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), data);
      if (name.endsWith('.mjs')) entry = name;
    }
    const load = medianMs(['--input-type=module', '-e', `await import('./${entry}')`], dir);
    // Memory of a cold function before its first event: the floor every run adds to.
    const rss = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', `await import('./${entry}'); gc(); console.log(process.memoryUsage().rss)`], {
      cwd: dir,
      env: { ...process.env, AWS_REGION: 'us-east-1' },
    });
    bundles.push({
      function: zip.replace(/\.zip$/, ''),
      zipBytes: statSync(join(out, zip)).size,
      loadMs: Math.round(load),
      loadRatioToNodeBaseline: Math.round((load / baseline) * 100) / 100,
      loadedRssMb: Math.round(Number(rss.stdout.toString().trim()) / 1048576),
    });
  }
  console.log(table(bundles.map((b) => ({ ...b, zipKiB: Math.round(b.zipBytes / 1024) }))));
  console.log(`node -e 0: ${Math.round(baseline)} ms`);
  const prune100k = await benchPrune100k();
  const result = { job: 'bundles', nodeBaselineMs: Math.round(baseline), bundles, prune100k };
  await writeResult('bundles', result);
  return result;
}

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readZip } from '../test/deploy/zip';
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
 * size and how long Node takes to load the bundled handler, as a ratio to `node -e 0`.
 */
export async function benchBundles() {
  execFileSync('npx', ['osls', 'package', '--stage', 'bench'], { cwd: root, stdio: 'pipe', env: { ...process.env, CI: 'true' } });
  const out = join(root, '.serverless');
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
  const result = { job: 'bundles', nodeBaselineMs: Math.round(baseline), bundles };
  await writeResult('bundles', result);
  return result;
}

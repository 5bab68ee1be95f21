import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readZip } from '../deploy/zip';

export const ROOT = join(import.meta.dirname, '..', '..');
export const PACKAGE_DIR = join(ROOT, '.serverless');
const STAMP = join(PACKAGE_DIR, '.caretaker-inputs');
const LOCK = join(ROOT, '.serverless.lock');

/** Everything `osls package` reads: a change to any of these means the zips are stale. */
const INPUTS = ['shared', 'functions', 'deploy', 'ssm', 'serverless.yml', 'caretaker.config.yml', 'package-lock.json'];

function inputsHash(): string {
  const hash = createHash('sha256');
  const add = (path: string) => {
    if (!existsSync(path)) return;
    if (statSync(path).isDirectory()) for (const name of readdirSync(path).sort()) add(join(path, name));
    else hash.update(path.slice(ROOT.length)).update(readFileSync(path));
  };
  for (const input of INPUTS) add(join(ROOT, input));
  return hash.digest('hex');
}

/**
 * Packages the service exactly as a deploy does (`osls package`, offline, no credentials), once
 * for all the test files that need it: a lock directory serialises the forks vitest runs in
 * parallel, and a hash of the inputs lets a later run reuse zips built from the same sources.
 */
export async function ensurePackaged(): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // Another test file is building; a lock older than 10 minutes belongs to a killed run.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 600_000) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() - started > 600_000) throw new Error('timed out waiting for another osls package');
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    const hash = inputsHash();
    if (existsSync(STAMP) && readFileSync(STAMP, 'utf8') === hash && readdirSync(PACKAGE_DIR).some((f) => f.endsWith('.zip'))) return;
    execFileSync('npx', ['osls', 'package', '--stage', 'test'], {
      cwd: ROOT,
      env: { ...process.env, CI: 'true', SLS_TELEMETRY_DISABLED: '1' },
      stdio: 'pipe',
    });
    writeFileSync(STAMP, hash);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

export const FUNCTIONS = ['snapshot-volumes', 'prune-snapshots', 'replace-degraded', 'dns-failover'] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

/** Unzips one function's package into a fresh directory, as Lambda does into /var/task. */
export function unpack(fn: FunctionName): { dir: string; entry: string; code: string } {
  const dir = mkdtempSync(join(tmpdir(), `caretaker-${fn}-`));
  let entry = '';
  for (const [name, data] of readZip(join(PACKAGE_DIR, `${fn}.zip`))) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), data);
    if (name.endsWith('.mjs')) entry = join(dir, name);
  }
  if (!entry) throw new Error(`${fn}.zip has no .mjs handler`);
  return { dir, entry, code: readFileSync(entry, 'utf8') };
}

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

/** Runs `fn` holding the lock every `osls package` of the suite takes (they share `.esbuild/`). */
async function withPackageLock<T>(fn: () => T): Promise<T> {
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
    return fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

function osls(args: string[], env: Record<string, string> = {}): void {
  execFileSync('npx', ['osls', 'package', ...args], {
    cwd: ROOT,
    env: { ...process.env, CI: 'true', SLS_TELEMETRY_DISABLED: '1', ...env },
    stdio: 'pipe',
  });
}

/**
 * Packages the service exactly as a deploy does (`osls package`, offline, no credentials), once
 * for all the test files that need it: a lock directory serialises the forks vitest runs in
 * parallel, and a hash of the inputs lets a later run reuse zips built from the same sources.
 */
export async function ensurePackaged(): Promise<void> {
  await withPackageLock(() => {
    const hash = inputsHash();
    if (existsSync(STAMP) && readFileSync(STAMP, 'utf8') === hash && readdirSync(PACKAGE_DIR).some((f) => f.endsWith('.zip'))) return;
    osls(['--stage', 'test']);
    writeFileSync(STAMP, hash);
  });
}

/**
 * The CloudFormation template of another deployment (`--stage`, `--region`, optionally another
 * config), packaged into a fresh temporary directory.
 */
export async function packagedTemplate(stage: string, region: string, env: Record<string, string> = {}): Promise<Record<string, any>> {
  const dir = mkdtempSync(join(tmpdir(), `caretaker-package-${stage}-${region}-`));
  try {
    await withPackageLock(() => osls(['--stage', stage, '--region', region, '--package', dir], env));
    return JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
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

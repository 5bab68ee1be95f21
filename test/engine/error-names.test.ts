import { readdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/** Every `class XError extends …` in shared/, with the file that declares it. */
function errorClasses(): Array<{ name: string; file: string }> {
  const found: Array<{ name: string; file: string }> = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/export class (\w+Error) extends/g)) found.push({ name: m[1]!, file: path });
      }
    }
  };
  walk(join(root, 'shared'));
  return found;
}

/** Constructor arguments per class, and the name an instance must carry. */
const MAKE: Record<string, { args: unknown[]; name?: string }> = {
  CaretakerError: { args: ['m'] },
  InputError: { args: ['event', [{ path: 'time', message: 'bad' }]] },
  BlastRadiusError: { args: ['maxDeletesPerRun', 1, 2] },
  JobFailedError: { args: ['prune-snapshots', 'why'] },
  CutOffError: { args: ['i-1 running'] },
  // Names itself after what happened to the waiter, on purpose.
  WaitFailedError: { args: ['running', 'i-1', new Error('x')], name: 'WaiterFailure' },
  // Carries EC2's error code as its name on purpose (the degraded branch, issue 13): the item's errorCode is the start's real failure.
  // A literal code-like name (the degraded branch): the summary's errorCode says another run holds the relaunch.
  ClaimedElsewhereError: { args: ['caretaker-relaunch-x'], name: 'ClaimedElsewhere' },
  LeftStoppedError: { args: ['i-1', 'InsufficientInstanceCapacity', 'URGENT: i-1 is STOPPED', new Error('x')], name: 'InsufficientInstanceCapacity' },
};

describe('error class names', () => {
  it('survive minification without esbuild keepNames (every error class states a literal name)', async () => {
    // Prepare: bundle every error class the way the functions are bundled, but WITHOUT keepNames.
    const classes = errorClasses();
    expect(classes.length).toBeGreaterThanOrEqual(6);
    const entry = classes.map((c) => `export { ${c.name} } from './${relative(root, c.file).replace(/\\/g, '/')}';`).join('\n');
    const out = await build({
      stdin: { contents: entry, resolveDir: root, loader: 'ts' },
      bundle: true,
      minify: true,
      keepNames: false,
      format: 'esm',
      platform: 'node',
      target: 'node22',
      mainFields: ['module', 'main'],
      write: false,
      logLevel: 'silent',
      banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
    });
    const file = join(mkdtempSync(join(tmpdir(), 'caretaker-names-')), 'errors.mjs');
    writeFileSync(file, out.outputFiles[0]!.text);

    // Act
    const mod = (await import(pathToFileURL(file).href)) as Record<string, new (...args: unknown[]) => Error>;

    // Assess: the minifier renamed the classes, the names stayed.
    for (const { name } of classes) {
      const make = MAKE[name];
      expect(make, `add constructor arguments for ${name} to MAKE`).toBeDefined();
      const error = new mod[name]!(...make!.args);
      expect(error.name, `${name} in a minified bundle`).toBe(make!.name ?? name);
    }
  });
});

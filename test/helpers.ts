import { afterEach, beforeEach, expect, vi } from 'vitest';
import { runFailed } from '../shared/engine/run';
import type { RunReport } from '../shared/engine/types';
import { parseConfig, parseConfigText } from '../shared/config/load';
import { InputError } from '../shared/engine/errors';
import type { Config } from '../shared/config/schema';
import type { JobContext } from '../shared/engine/types';
import { SandboxAccount, type SandboxOptions } from '../sandbox/account';
import { FleetBuilder } from '../sandbox/fleet';
import { sandboxJobContext } from '../sandbox/job-context';

/** A sandbox account with a frozen clock (time moves only through `sleep`), and its fleet builder. */
export function sandboxWithFleet(options: SandboxOptions = {}) {
  const sandbox = new SandboxAccount({ start: new Date('2026-03-05T03:00:00Z'), timeScale: 0, ...options });
  return { sandbox, fleet: new FleetBuilder(sandbox) };
}

/** A job context on the sandbox (see sandbox/job-context.ts). */
export const sandboxContext = (sandbox: SandboxAccount, overrides: Partial<JobContext> = {}) => sandboxJobContext(sandbox, overrides);

export function config(value: unknown): Config {
  return parseConfig(value, 'test config');
}

/** The `path: message` lines of a config text that must be refused (fails the test if it is accepted). */
export function configProblems(text: string): string[] {
  try {
    parseConfigText(text);
  } catch (error) {
    if (error instanceof InputError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

/** Captures console output (and silences progress on stderr) for each test of a CLI suite. */
export function captureConsole(): { out: string[]; err: string[] } {
  const captured = { out: [] as string[], err: [] as string[] };
  beforeEach(() => {
    captured.out.length = 0;
    captured.err.length = 0;
    vi.spyOn(console, 'log').mockImplementation((...a) => void captured.out.push(a.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...a) => void captured.err.push(a.join(' ')));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => vi.restoreAllMocks());
  return captured;
}

/** Every failed item names its AWS error code, and a run with failures fails (exit 1, alert). */
export function expectFailuresReported(report: RunReport): void {
  const failed = report.results.filter((r) => r.outcome === 'failed');
  for (const f of failed) expect(f.errorCode, `failure of ${f.id} has a code`).toBeTruthy();
  if (failed.length > 0) expect(runFailed(report)).toBe(true);
}

import { memoryAlertSink } from '../shared/alerts/sink';
import { parseConfig } from '../shared/config/load';
import type { Config } from '../shared/config/schema';
import type { JobContext } from '../shared/engine/types';
import { silentLogger } from '../shared/log';
import { SandboxAccount, type SandboxOptions } from '../sandbox/account';
import { FleetBuilder } from '../sandbox/fleet';

/** A sandbox account with a frozen clock (time moves only through `sleep`), and its fleet builder. */
export function sandboxWithFleet(options: SandboxOptions = {}) {
  const sandbox = new SandboxAccount({ start: new Date('2026-03-05T03:00:00Z'), timeScale: 0, ...options });
  return { sandbox, fleet: new FleetBuilder(sandbox) };
}

/** A job context on the sandbox: its clients, its clock, alerts collected in memory. */
export function sandboxContext(sandbox: SandboxAccount, overrides: Partial<JobContext> = {}): JobContext & { alerts: ReturnType<typeof memoryAlertSink> } {
  return {
    clients: sandbox.clients(),
    now: sandbox.clock.now(),
    dryRun: false,
    alerts: memoryAlertSink(),
    log: silentLogger,
    deadline: { remainingMs: () => Number.POSITIVE_INFINITY },
    sleep: sandbox.clock.sleep,
    nowMs: () => sandbox.clock.nowMs(),
    runId: 'test-run',
    ...overrides,
  } as JobContext & { alerts: ReturnType<typeof memoryAlertSink> };
}

export function config(value: unknown): Config {
  return parseConfig(value, 'test config');
}

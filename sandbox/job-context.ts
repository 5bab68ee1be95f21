import { memoryAlertSink } from '../shared/alerts/sink';
import { clientsPerRegion } from '../shared/aws/lazy-clients';
import type { JobContext } from '../shared/engine/types';
import { silentLogger } from '../shared/log';
import type { SandboxAccount } from './account';

export type SandboxJobContext = JobContext & { alerts: ReturnType<typeof memoryAlertSink> };

/**
 * A job context on the sandbox: its clients and clock, alerts collected in memory. `budgetMs`
 * gives it a Lambda-like deadline on sandbox time; `realTime` makes waits really pass (scaled),
 * as benchmarks need so that token buckets see true rates.
 */
export function sandboxJobContext(
  sandbox: SandboxAccount,
  overrides: Partial<JobContext> = {},
  options: { budgetMs?: number; realTime?: boolean; maxAttempts?: number } = {},
): SandboxJobContext {
  const end = options.budgetMs === undefined ? Number.POSITIVE_INFINITY : sandbox.clock.nowMs() + options.budgetMs;
  const retries = options.maxAttempts ? { maxAttempts: options.maxAttempts } : {};
  // Built once per Region, as HandlerDeps.clients builds them.
  const clients = sandbox.clients(retries);
  const clientsIn = clientsPerRegion((region) => sandbox.clients({ ...retries, region }), { region: sandbox.region, clients });
  return {
    clients,
    clientsIn,
    now: sandbox.clock.now(),
    dryRun: false,
    alerts: memoryAlertSink(),
    log: silentLogger,
    deadline: { remainingMs: () => end - sandbox.clock.nowMs() },
    sleep: options.realTime ? sandbox.clock.scaledSleep : sandbox.clock.sleep,
    nowMs: () => sandbox.clock.nowMs(),
    runId: 'sandbox-run',
    ...overrides,
  } as SandboxJobContext;
}

import { sandboxJobContext } from './job-context';
import { memoryAlertSink } from '../shared/alerts/sink';
import type { JobContext } from '../shared/engine/types';
import { type FailoverConfig, failoverSchema } from '../shared/failover/config';
import { SandboxAccount, type SandboxOptions } from './account';
import { LocalLb } from './lb-servers';

/** Published addresses of the two fake load balancers (TEST-NET-1); they are probed on 127.0.0.1. */
export const LB1_IP = '192.0.2.10';
export const LB2_IP = '192.0.2.20';

export interface FailoverScene {
  sandbox: SandboxAccount;
  zoneId: string;
  lb1: LocalLb;
  lb2: LocalLb;
  /** Parsed `failover:` section with one group `web` (lb.example.com → LB1 or LB2). */
  config: FailoverConfig;
  /** A job context on the sandbox clock whose deadline is `budgetMs` of sandbox time away. */
  context(budgetMs: number, overrides?: Partial<JobContext>): JobContext & { alerts: ReturnType<typeof memoryAlertSink> };
  /** The service record's current value. */
  active(): string | undefined;
  close(): Promise<void>;
}

/**
 * The failover stage of tests, the demo and the benchmark: a sandbox account with the zone
 * example.com, two real HTTP servers on 127.0.0.1 playing LB1 and LB2, and a group config
 * (group fields can be overridden; `record: false` leaves the service record and the self-names missing).
 */
export async function failoverScene(
  options: { sandbox?: SandboxOptions; group?: Record<string, unknown>; probe?: Record<string, unknown>; record?: boolean } = {},
): Promise<FailoverScene> {
  const sandbox = new SandboxAccount({ timeScale: 0, ...options.sandbox, timings: { route53SyncMs: 0, ...options.sandbox?.timings } });
  const zoneId = sandbox.route53.addZone('example.com').Id!;
  const [lb1, lb2] = await Promise.all([LocalLb.start(), LocalLb.start()]);
  const probe = (port: number) => ({ type: 'http', host: '127.0.0.1', port, path: '/health', bodyContains: 'healthy', timeoutMs: 200, ...options.probe });
  const config = failoverSchema.parse({
    groups: [
      {
        name: 'web',
        hostedZoneId: zoneId,
        recordName: 'lb.example.com',
        members: [
          { name: 'lb1', ip: LB1_IP, selfName: 'lb1.example.com', probe: probe(lb1.port) },
          { name: 'lb2', ip: LB2_IP, selfName: 'lb2.example.com', probe: probe(lb2.port) },
        ],
        insync: { maxWaitSeconds: 2, minDelaySeconds: 0.01, maxDelaySeconds: 0.05 },
        ...options.group,
      },
    ],
  });
  if (options.record !== false) {
    const records = sandbox.route53.zones.get(zoneId.replace('/hostedzone/', ''))!.records;
    records.push({ Name: 'lb.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: LB1_IP }] });
    records.push({ Name: 'lb1.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: LB1_IP }] });
    records.push({ Name: 'lb2.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: LB2_IP }] });
  }
  return {
    sandbox,
    zoneId,
    lb1,
    lb2,
    config,
    context: (budgetMs, overrides = {}) => sandboxJobContext(sandbox, { runId: 'failover-test', ...overrides }, { budgetMs }),
    active: () => sandbox.route53.record(zoneId, 'lb.example.com', 'A')?.ResourceRecords?.[0]?.Value,
    close: async () => {
      await Promise.all([lb1.kill(), lb2.kill()]);
    },
  };
}

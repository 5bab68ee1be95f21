import type { ProbeConfig } from './config';
import { probeHttp } from './probe-http';
import { type ProbeResult, probeTcp } from './probe-tcp';

/**
 * Probes one member at `address` (or the probe's own `host`). A member without a current address
 * (instance stopped or gone) fails without a socket, with the reason: it could not be published anyway.
 */
export function probeMember(probe: ProbeConfig, address: string | undefined, missingReason = 'no address'): Promise<ProbeResult> {
  if (!address) return Promise.resolve({ ok: false, detail: missingReason, ms: 0 });
  const host = probe.host ?? address;
  if (probe.type === 'tcp') return probeTcp({ host, port: probe.port, timeoutMs: probe.timeoutMs });
  return probeHttp({
    scheme: probe.type,
    host,
    port: probe.port ?? (probe.type === 'https' ? 443 : 80),
    method: probe.method,
    path: probe.path,
    expectStatus: probe.expectStatus,
    bodyContains: probe.bodyContains,
    timeoutMs: probe.timeoutMs,
    hostHeader: probe.hostHeader,
    verifyTls: probe.verifyTls,
  });
}

import { connect } from 'node:net';

/** The verdict of one probe attempt: never thrown, always returned, so a bad target is "down", not a crash. */
export interface ProbeResult {
  ok: boolean;
  /** Why: `HTTP 200 in 3 ms`, `ECONNREFUSED`, `timeout after 2000 ms`, ... */
  detail: string;
  ms: number;
}

export interface TcpProbe {
  host: string;
  port: number;
  timeoutMs: number;
}

/** Healthy when a TCP connection opens within the timeout; the socket is closed at once. */
export function probeTcp(probe: TcpProbe): Promise<ProbeResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const socket = connect({ host: probe.host, port: probe.port });
    const finish = (ok: boolean, detail: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok, detail, ms: Math.round(performance.now() - started) });
    };
    const timer = setTimeout(() => finish(false, `timeout after ${probe.timeoutMs} ms`), probe.timeoutMs);
    socket.once('connect', () => finish(true, `TCP connect in ${Math.round(performance.now() - started)} ms`));
    socket.once('error', (error: NodeJS.ErrnoException) => finish(false, error.code ?? error.message));
  });
}

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ProbeResult } from './probe-tcp';

export interface HttpProbe {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  method: 'GET' | 'HEAD';
  path: string;
  expectStatus: { min: number; max: number };
  bodyContains?: string;
  timeoutMs: number;
  hostHeader?: string;
  verifyTls: boolean;
}

/** Only the start of a body is searched: a health page is small, a huge one must not hold the probe. */
const BODY_LIMIT = 64 * 1024;

/**
 * One HTTP(S) request whose whole life (DNS, connect, TLS, headers and body) fits in `timeoutMs`:
 * a server that accepts and then trickles its body is as down as one that refuses. Resets, parse
 * errors (a non-HTTP service on the port) and DNS failures are verdicts, not exceptions.
 */
export function probeHttp(probe: HttpProbe): Promise<ProbeResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (ok: boolean, detail: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ ok, detail, ms: elapsed() });
    };
    const request = probe.scheme === 'https' ? httpsRequest : httpRequest;
    const req = request({
      host: probe.host,
      port: probe.port,
      method: probe.method,
      path: probe.path,
      // A fresh connection per probe: a pooled socket would prove nothing about accepting new ones.
      agent: false,
      headers: { 'user-agent': 'ec2-caretaker-failover', connection: 'close', ...(probe.hostHeader ? { host: probe.hostHeader } : {}) },
      ...(probe.scheme === 'https' ? { servername: probe.hostHeader, rejectUnauthorized: probe.verifyTls } : {}),
    });
    const timer = setTimeout(() => finish(false, `timeout after ${probe.timeoutMs} ms`), probe.timeoutMs);
    req.once('error', (error: NodeJS.ErrnoException) => finish(false, error.code ?? error.message));
    req.once('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if (status < probe.expectStatus.min || status > probe.expectStatus.max) {
        finish(false, `HTTP ${status}, expected ${probe.expectStatus.min}-${probe.expectStatus.max}`);
        return;
      }
      const needle = probe.bodyContains;
      if (!needle) {
        // The status is all we need; do not wait for a body that might never end.
        finish(true, `HTTP ${status} in ${elapsed()} ms`);
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        if (body.includes(needle)) finish(true, `HTTP ${status} with "${needle}" in ${elapsed()} ms`);
        else if (body.length >= BODY_LIMIT) finish(false, `HTTP ${status} but "${needle}" not in the first ${BODY_LIMIT} bytes`);
      });
      res.once('end', () => finish(false, `HTTP ${status} but the body lacks "${needle}"`));
      res.once('error', (error: NodeJS.ErrnoException) => finish(false, error.code ?? error.message));
    });
    req.end();
  });
}

import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpProbeSchema, tcpProbeSchema } from '../../shared/failover/config';
import { probeMember } from '../../shared/failover/probe-member';
import { bannerServer, closedPort, LocalLb } from '../../sandbox/lb-servers';

const http = (port: number, extra: Record<string, unknown> = {}) => httpProbeSchema.parse({ type: 'http', port, timeoutMs: 150, ...extra });

describe('probeMember', () => {
  let lb: LocalLb;
  beforeAll(async () => {
    lb = await LocalLb.start();
  });
  afterAll(() => lb.kill());

  it('is healthy when the server answers 200 with the expected body', async () => {
    lb.behaviour = 'up';
    const result = await probeMember(http(lb.port, { bodyContains: 'healthy', path: '/health' }), '127.0.0.1');
    expect(result).toMatchObject({ ok: true, detail: expect.stringMatching(/^HTTP 200 with "healthy"/) });
  });

  it('is down when the port is closed (connection refused)', async () => {
    const result = await probeMember(http(await closedPort()), '127.0.0.1');
    expect(result).toMatchObject({ ok: false, detail: 'ECONNREFUSED' });
  });

  it('is down when the status is outside the expected range', async () => {
    lb.behaviour = 'status';
    lb.status = 503;
    const result = await probeMember(http(lb.port), '127.0.0.1');
    expect(result).toMatchObject({ ok: false, detail: 'HTTP 503, expected 200-399' });
  });

  it('accepts a status inside a custom range', async () => {
    lb.behaviour = 'status';
    lb.status = 401;
    const result = await probeMember(http(lb.port, { expectStatus: { min: 200, max: 401 } }), '127.0.0.1');
    expect(result.ok).toBe(true);
  });

  it('is down when the body lacks the expected text', async () => {
    lb.behaviour = 'wrong-body';
    const result = await probeMember(http(lb.port, { bodyContains: 'healthy' }), '127.0.0.1');
    expect(result).toMatchObject({ ok: false, detail: 'HTTP 200 but the body lacks "healthy"' });
  });

  it('is down, within its timeout, when the body trickles and never completes', async () => {
    lb.behaviour = 'slow';
    const result = await probeMember(http(lb.port, { bodyContains: 'healthy' }), '127.0.0.1');
    expect(result).toMatchObject({ ok: false, detail: 'timeout after 150 ms' });
    expect(result.ms).toBeLessThan(400);
  });

  it('is down, within its timeout, when the server accepts but never answers', async () => {
    lb.behaviour = 'hang';
    const result = await probeMember(http(lb.port), '127.0.0.1');
    expect(result).toMatchObject({ ok: false, detail: 'timeout after 150 ms' });
  });

  it('is down when the server resets the connection', async () => {
    lb.behaviour = 'reset';
    const result = await probeMember(http(lb.port), '127.0.0.1');
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/ECONNRESET|socket hang up/);
  });

  it('is down when something that is not HTTP answers on the port', async () => {
    const banner = await bannerServer();
    const result = await probeMember(http(banner.port), '127.0.0.1');
    await banner.close();
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/HPE_|Parse Error/);
  });

  it('is down when the hostname does not resolve', async () => {
    const result = await probeMember(http(80, { timeoutMs: 2000 }), 'no-such-host.invalid');
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/ENOTFOUND|EAI_AGAIN|timeout/);
  });

  it('sends the configured Host header and method', async () => {
    lb.behaviour = 'up';
    await probeMember(http(lb.port, { method: 'HEAD', hostHeader: 'lb.example.com', path: '/ping' }), '127.0.0.1');
    expect(lb.lastRequest).toEqual({ method: 'HEAD', host: 'lb.example.com', url: '/ping' });
  });

  it('fails without a socket when the member has no address', async () => {
    const result = await probeMember(http(lb.port), undefined, 'instance i-0123456789abcdef0 is stopped');
    expect(result).toEqual({ ok: false, detail: 'instance i-0123456789abcdef0 is stopped', ms: 0 });
  });

  it('tcp: healthy on connect, down on a closed port, down on timeout to a blackhole address', async () => {
    const up = await probeMember(tcpProbeSchema.parse({ type: 'tcp', port: lb.port, timeoutMs: 150 }), '127.0.0.1');
    const refused = await probeMember(tcpProbeSchema.parse({ type: 'tcp', port: await closedPort(), timeoutMs: 150 }), '127.0.0.1');
    // 192.0.2.0/24 (TEST-NET-1) is never routed: the SYN goes unanswered or is rejected at once.
    const blackhole = await probeMember(tcpProbeSchema.parse({ type: 'tcp', port: 80, timeoutMs: 100 }), '192.0.2.1');
    expect(up.ok).toBe(true);
    expect(refused).toMatchObject({ ok: false, detail: 'ECONNREFUSED' });
    expect(blackhole.ok).toBe(false);
    expect(blackhole.ms).toBeLessThan(400);
  });

  it('https: checks the certificate against the Host name unless verifyTls is off', async () => {
    // A self-signed certificate for lb.example.com, made for this test only.
    const fixture = (f: string) => readFileSync(join(import.meta.dirname, 'fixtures', f));
    const server = createHttpsServer({ key: fixture('test-only-lb.key'), cert: fixture('test-only-lb.crt') }, (_req, res) => res.end('OK healthy'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as { port: number }).port;
    const https = (extra: Record<string, unknown>) => httpProbeSchema.parse({ type: 'https', port, timeoutMs: 1000, hostHeader: 'lb.example.com', bodyContains: 'healthy', ...extra });
    const strict = await probeMember(https({}), '127.0.0.1');
    const lax = await probeMember(https({ verifyTls: false }), '127.0.0.1');
    await new Promise((resolve) => server.close(resolve));
    expect(strict).toMatchObject({ ok: false, detail: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(lax.ok).toBe(true);
  });
});

import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';

/**
 * How a fake load balancer answers: `up` (200 + body), `status` (the given status), `wrong-body`,
 * `slow` (headers at once, body never finishes), `hang` (accepts, never answers), `reset`
 * (destroys the connection), `garbage` (a non-HTTP banner, like an SSH daemon on the port).
 */
export type LbBehaviour = 'up' | 'status' | 'wrong-body' | 'slow' | 'hang' | 'reset' | 'garbage';

/**
 * A real HTTP server on 127.0.0.1 (ephemeral port) that plays one load balancer for tests, the
 * demo and the benchmark. `kill()` closes the port (connection refused), `revive()` reopens it.
 */
export class LocalLb {
  behaviour: LbBehaviour = 'up';
  status = 503;
  body = 'OK healthy';
  /** Requests seen, for flapping scripts that answer by request number. */
  requests = 0;
  /** What the last request asked for (method, Host header, path), to check what probes send. */
  lastRequest?: { method?: string; host?: string; url?: string };
  /** Decides the behaviour per request when set (overrides `behaviour`). */
  script?: (request: number) => LbBehaviour;
  port = 0;
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  static async start(): Promise<LocalLb> {
    const lb = new LocalLb();
    await lb.revive();
    return lb;
  }

  get alive(): boolean {
    return this.server !== undefined;
  }

  async revive(): Promise<void> {
    if (this.server) return;
    const server = createHttpServer((req, res) => {
      this.requests++;
      this.lastRequest = { method: req.method, host: req.headers.host, url: req.url };
      const behaviour = this.script?.(this.requests) ?? this.behaviour;
      switch (behaviour) {
        case 'up':
          res.writeHead(200, { 'content-type': 'text/plain' }).end(this.body);
          return;
        case 'status':
          res.writeHead(this.status).end('unhealthy');
          return;
        case 'wrong-body':
          res.writeHead(200).end('maintenance page');
          return;
        case 'slow':
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('O');
          return;
        case 'hang':
          return;
        case 'reset':
          req.socket.destroy();
          return;
        case 'garbage':
          req.socket.end('SSH-2.0-OpenSSH_9.6\r\n');
          return;
      }
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Closes the listening port and every open connection, as a crashed box would. */
  async kill(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A port on 127.0.0.1 that nothing listens on (opened, then closed): connection refused. */
export async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A raw TCP server that greets with a banner (non-HTTP service) and keeps the connection open. */
export async function bannerServer(banner = 'SSH-2.0-OpenSSH_9.6\r\n'): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.write(banner);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

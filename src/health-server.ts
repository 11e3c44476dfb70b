/**
 * The worker's small HTTP server (the web process has Bolt's): GET /healthz (the process is alive),
 * GET /readyz (it can take jobs: Redis answers and it is not shutting down) and GET /metrics.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeError } from './errors.ts';
import { type Metrics, metricsHandler } from './metrics.ts';
import { withTimeout } from './timeout.ts';

interface HealthServerOptions {
  port: number;
  host?: string;
  metrics: Metrics;
  /** Resolves when the process can take work; its rejection is the reason it cannot. */
  checkReady(): Promise<void>;
  readyTimeoutMs?: number;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Readiness with a deadline: a hung Redis must not hang the probe. */
function checkWithin(check: () => Promise<void>, ms: number): Promise<void> {
  return withTimeout(check(), ms, () => new Error(`readiness check did not answer in ${ms} ms`));
}

export function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const serveMetrics = metricsHandler(options.metrics);
  const readyTimeoutMs = options.readyTimeoutMs ?? 1000;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, { ok: false, reason: 'method not allowed' });
      return;
    }
    if (path === '/healthz') send(res, 200, { ok: true });
    else if (path === '/readyz')
      checkWithin(options.checkReady, readyTimeoutMs).then(
        () => send(res, 200, { ok: true }),
        (error: unknown) => send(res, 503, { ok: false, reason: describeError(error) }),
      );
    else if (path === '/metrics') serveMetrics(req, res);
    else send(res, 404, { ok: false, reason: 'not found' });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/**
 * A fault-injecting HTTP proxy in front of the fake Slack (point SLACK_API_URL at `apiUrl`).
 * A plan decides, per Web API call, whether to pass it through or to answer with a fault:
 *
 *   { before: 429, retryAfter }  answer 429 + Retry-After; Slack never saw the call
 *   { before: 500 | 502 | 503 }  answer that status; Slack never saw the call
 *   { after: 500 | 503 }         forward (Slack acts on it), then answer that status instead:
 *                                the ambiguous failure where a retry can double a message
 */
import { createServer, request as httpRequest, type Server } from 'node:http';

export type Fault = { before: number; retryAfter?: number } | { after: number };

/** `nth` counts from 1 per method. */
export type FaultPlan = (method: string, nth: number) => Fault | undefined;

export interface InjectedFault {
  method: string;
  nth: number;
  fault: Fault;
}

export interface SlackFaultProxy {
  apiUrl: string;
  injected: InjectedFault[];
  setPlan(plan: FaultPlan): void;
  close(): Promise<void>;
}

export async function startSlackFaultProxy(
  upstreamBaseUrl: string,
  plan: FaultPlan,
): Promise<SlackFaultProxy> {
  const upstream = new URL(upstreamBaseUrl);
  const counts = new Map<string, number>();
  const injected: InjectedFault[] = [];
  let current = plan;
  const server: Server = createServer((req, res) => {
    const method = decodeURIComponent((req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '');
    const nth = (counts.get(method) ?? 0) + 1;
    counts.set(method, nth);
    const fault = current(method, nth);
    if (fault) injected.push({ method, nth, fault });
    if (fault && 'before' in fault) {
      req.resume();
      req.on('end', () => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (fault.before === 429) headers['retry-after'] = String(fault.retryAfter ?? 1);
        res.writeHead(fault.before, headers);
        res.end(JSON.stringify({ ok: false, error: fault.before === 429 ? 'ratelimited' : 'fatal_error' }));
      });
      return;
    }
    const out = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        if (fault && 'after' in fault) {
          answer.resume();
          answer.on('end', () => {
            res.writeHead(fault.after, { 'content-type': 'text/plain' });
            res.end('injected after the upstream acted');
          });
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    injected,
    setPlan(next) {
      current = next;
      counts.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A private redis-server on a free loopback port, for the tests that stop Redis (the machine's
 * shared Redis on 6379 is never touched). It can be stopped (SIGKILL) and started again on the
 * same port with the same password: empty, as a restarted Redis without a volume is, or with its
 * data when given a directory for its append-only file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Redis, type RedisOptions } from 'ioredis';
import { freePort } from '../stack/ports.ts';
import { waitUntil } from './intensity.ts';

export interface PrivateRedis {
  port: number;
  /** redis://[:password@]127.0.0.1:port */
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  running(): boolean;
}

/** Waits until the Redis these options reach answers PING (it refuses until it listens). */
export async function waitForRedis(what: string, options: RedisOptions): Promise<void> {
  const client = new Redis({
    ...options,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await waitUntil(what, 10_000, async () => {
      try {
        if (client.status !== 'ready') await client.connect();
        return (await client.ping()) === 'PONG';
      } catch {
        client.disconnect();
        return false;
      }
    });
  } finally {
    client.disconnect();
  }
}

export async function startPrivateRedis(
  options: {
    password?: string /** Keep the data across restarts (AOF, fsync always) in this dir. */;
    persistDir?: string;
  } = {},
): Promise<PrivateRedis> {
  const port = await freePort();
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  const url = `redis://${auth}127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  const start = async () => {
    if (running()) return;
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', ''];
    if (options.persistDir)
      args.push('--appendonly', 'yes', '--appendfsync', 'always', '--dir', options.persistDir);
    else args.push('--appendonly', 'no');
    if (options.password) args.push('--requirepass', options.password);
    child = spawn('redis-server', args, { stdio: 'ignore' });
    await waitForRedis('redis-server to answer', {
      port,
      host: '127.0.0.1',
      ...(options.password ? { password: options.password } : {}),
    });
  };
  const stop = async () => {
    const c = child;
    if (!c || !running()) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGKILL');
    await exited;
  };
  await start();
  return { port, url, start, stop, running };
}

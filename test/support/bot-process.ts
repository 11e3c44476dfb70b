/** Runs the real `oom-bot` binary as a child process, the way a user starts it, for end-to-end tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../stack/ports.ts';
import { HANG_MS } from './hang.ts';

export const BIN = resolve(import.meta.dirname, '../../bin/oom-bot');

export interface BotProcess {
  url: string;
  port: number;
  logFile: string;
  child: ChildProcess;
  logs(): string;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export interface BotOptions {
  args: string[];
  env: Record<string, string | undefined>;
  /** Wait for /healthz (web on PORT, a worker on METRICS_PORT; both are set to `port`). Default true. */
  waitForHttp?: boolean;
  /** Listen on this port (a restarted bot where a client already points); default a free one. */
  port?: number;
  /** The program and its first arguments; default the `oom-bot` launcher (the TypeScript sources). */
  command?: [string, ...string[]];
}

export async function startBot(options: BotOptions): Promise<BotProcess> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'oom-bot-e2e-'));
  const logFile = join(dir, 'bot.log');
  const fd = openSync(logFile, 'a');
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: String(port),
    METRICS_PORT: String(port),
    // a test-only key; a test that needs another (or none) sets it in options.env
    APPROVAL_SIGNING_KEY: 'test-only-approval-signing-key-0123456789',
    ...options.env,
  };
  const [program, ...leading] = options.command ?? [BIN];
  const child = spawn(program, [...leading, ...options.args], {
    stdio: ['ignore', fd, fd],
    env: env as NodeJS.ProcessEnv,
  });
  closeSync(fd);
  const exited = new Promise<number | string>((res) =>
    child.once('exit', (code, signal) => res(code ?? signal ?? 'unknown')),
  );
  const url = `http://127.0.0.1:${port}`;
  const logs = () => readFileSync(logFile, 'utf8');
  if (options.waitForHttp !== false) {
    const deadline = Date.now() + HANG_MS;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`oom-bot exited early:\n${logs()}`);
      try {
        const res = await fetch(`${url}/healthz`);
        if (res.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(`oom-bot did not answer /healthz in ${HANG_MS} ms:\n${logs()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    port,
    logFile,
    child,
    logs,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      // a hang guard only: a loaded machine may take long to drain, a SIGKILL would fail the test
      const timer = setTimeout(() => child.kill('SIGKILL'), HANG_MS);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/**
 * The processes a benchmark measures: `oom-bot serve` and `oom-bot worker` as the image runs them
 * (the compiled dist/, with the NODE_OPTIONS of manifests/), and the baseline, a bare Bolt app
 * (bare-bolt-app.ts, compiled to JavaScript the same way) on the same Node. Each on a free loopback
 * port, logging to a temp file; stop() sends SIGTERM (SIGKILL after 10 s).
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { parse } from 'yaml';
import { freePort } from '../../test/stack/ports.ts';
import { type BotProcess, startBot } from '../../test/support/bot-process.ts';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const SIGNING_SECRET = 'bench-signing-secret-0123456789abcdef';
export const WEBHOOK_TOKEN = 'bench-alertmanager-token-0123456789';
export const BOT_TOKEN = 'xoxb-bench-token-0123456789';

const ROOT = resolve(import.meta.dirname, '../..');

/** The Node the `oom-bot` launcher runs (the project's own), so both sides run the same. */
export function projectNode(): string {
  const own = join(ROOT, 'node_modules/node/bin/node');
  return existsSync(own) ? own : process.execPath;
}

export interface Measured {
  name: string;
  url: string;
  pid: number;
  logs(): string;
  stop(): Promise<number | string>;
}

function fromBot(name: string, bot: BotProcess): Measured {
  return {
    name,
    url: bot.url,
    pid: bot.child.pid as number,
    logs: bot.logs,
    stop: () => bot.stop(),
  };
}

/** A fresh Redis key prefix for one run (queues and incidents), removed by clearPrefix. */
export function runPrefix(suite: string): string {
  return `oom-bench-${suite}-${process.pid}-${Date.now().toString(36)}`;
}

export async function clearPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** The environment of the bot's processes in a benchmark: production defaults unless given. */
export function botEnv(options: {
  prefix: string;
  slackApiUrl: string;
  extra?: Record<string, string | undefined>;
}): Record<string, string | undefined> {
  return {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: options.slackApiUrl,
    REDIS_URL,
    QUEUE_PREFIX: options.prefix,
    LOG_LEVEL: 'info',
    ...options.extra,
  };
}

let built = false;

/** `node dist/cli.js`, built once per benchmark run from the current sources (`npm run build`). */
function shippedCommand(): [string, ...string[]] {
  if (!built) {
    execFileSync(projectNode(), [join(ROOT, 'scripts/build.ts')], { stdio: 'inherit' });
    built = true;
  }
  return [projectNode(), join(ROOT, 'dist/cli.js')];
}

interface ManifestEnv {
  name: string;
  value?: string;
}

/** The variables a manifests/ Deployment sets to a literal value (NODE_OPTIONS, MALLOC_ARENA_MAX...). */
export function shippedEnv(role: 'web' | 'worker'): Record<string, string> {
  const deployment = parse(readFileSync(join(ROOT, `manifests/deployment-${role}.yaml`), 'utf8'));
  const env: ManifestEnv[] = deployment?.spec?.template?.spec?.containers?.[0]?.env ?? [];
  return Object.fromEntries(env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string]));
}

/** The bot as deployed: the compiled sources, the manifests' literal variables unless `env` sets them. */
async function startShipped(
  role: 'web' | 'worker',
  env: Record<string, string | undefined>,
  port?: number,
): Promise<Measured> {
  const args = role === 'web' ? ['serve'] : ['worker'];
  const bot = await startBot({
    args,
    command: shippedCommand(),
    env: { ...shippedEnv(role), ...env },
    ...(port ? { port } : {}),
  });
  return fromBot(`oom-bot ${args[0]}`, bot);
}

export async function startWeb(env: Record<string, string | undefined>, port?: number): Promise<Measured> {
  return startShipped('web', env, port);
}

export async function startWorker(env: Record<string, string | undefined>): Promise<Measured> {
  return startShipped('worker', env);
}

/** bare-bolt-app.ts as JavaScript beside the build, so the baseline does not load the type stripper either. */
function bareBoltScript(): string {
  const dir = join(ROOT, 'dist-bench');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'bare-bolt-app.js');
  writeFileSync(
    out,
    stripTypeScriptTypes(readFileSync(join(import.meta.dirname, 'bare-bolt-app.ts'), 'utf8')),
  );
  return out;
}

/** The baseline: a Bolt app with an empty `/oom` ack handler (and a bare webhook route). */
export async function startBareBolt(): Promise<Measured> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'oom-bench-bare-'));
  const logFile = join(dir, 'bare.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(projectNode(), [bareBoltScript()], {
    stdio: ['ignore', fd, fd],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      ALERTMANAGER_TOKEN: WEBHOOK_TOKEN,
    },
  });
  closeSync(fd);
  const exited = new Promise<number | string>((res) =>
    child.once('exit', (code, signal) => res(code ?? signal ?? 'unknown')),
  );
  const url = `http://127.0.0.1:${port}`;
  const logs = () => readFileSync(logFile, 'utf8');
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the bare Bolt app exited early:\n${logs()}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the bare Bolt app did not start in 30 s:\n${logs()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name: 'bare Bolt app',
    url,
    pid: child.pid as number,
    logs,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

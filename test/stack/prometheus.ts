// Real Prometheus and Alertmanager on loopback, for tests and `oom-bot replay` (Debian packages
// `prometheus` and `prometheus-alertmanager`). Prometheus can be preloaded from an OpenMetrics file with promtool.
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { stringify } from 'yaml';
import { freePort } from './ports.ts';
import { keepLogsFromEnv, logTail, type ManagedProcess, startProcess, waitForHttpOk } from './proc.ts';

export interface StoppableServer {
  /** http://127.0.0.1:PORT */
  url: string;
  logDir: string;
  stop(opts?: { keepLogs?: boolean }): Promise<void>;
}

export interface StartPrometheusOptions {
  /** OpenMetrics text to preload (.om, or gzipped .om.gz): timestamps in seconds, ends with `# EOF`. */
  openMetricsFile?: string;
  /** Alerting/recording rules file content (YAML); loaded with `rule_files`. */
  rulesYaml?: string;
  /** Alertmanager base URL to send alerts to (also sets --rules.alert.resend-delay=2s). */
  alertmanagerUrl?: string;
  /** Rule evaluation interval (default 15s). */
  evaluationInterval?: string;
  extraArgs?: string[];
  readyTimeoutMs?: number;
}

const PROMETHEUS = process.env.PROMETHEUS_BIN || 'prometheus';
const PROMTOOL = process.env.PROMTOOL_BIN || 'promtool';
const ALERTMANAGER = process.env.ALERTMANAGER_BIN || 'prometheus-alertmanager';

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('error', (err) =>
      reject(
        new Error(
          `cannot run ${cmd}: ${err.message} (install Debian packages prometheus and prometheus-alertmanager)`,
        ),
      ),
    );
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} failed (exit ${code}):\n${out.slice(-4000)}`));
    });
  });
}

/** Write a plain-text copy of a (possibly gzipped) OpenMetrics file into dir; returns its path. */
async function plainOpenMetrics(file: string, dir: string): Promise<string> {
  if (!file.endsWith('.gz')) return file;
  const out = join(dir, 'metrics.om');
  await pipeline(createReadStream(file), createGunzip(), createWriteStream(out));
  return out;
}

function makeStopper(root: string, logDir: string, proc: () => ManagedProcess | undefined) {
  let stopped = false;
  return async (opts: { keepLogs?: boolean } = {}): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await proc()?.stop();
    if (opts.keepLogs ?? keepLogsFromEnv()) {
      process.stderr.write(`test stack: logs kept in ${logDir} (temp dir ${root})\n`);
    } else {
      await rm(root, { recursive: true, force: true });
    }
  };
}

export async function startPrometheus(opts: StartPrometheusOptions = {}): Promise<StoppableServer> {
  const root = await mkdtemp(join(tmpdir(), 'oom-bot-prometheus-'));
  const dataDir = join(root, 'data');
  const logDir = join(root, 'logs');
  await Promise.all([mkdir(dataDir), mkdir(logDir)]);
  let proc: ManagedProcess | undefined;
  const stop = makeStopper(root, logDir, () => proc);
  try {
    if (opts.openMetricsFile) {
      const plain = await plainOpenMetrics(opts.openMetricsFile, root);
      await run(PROMTOOL, ['tsdb', 'create-blocks-from', 'openmetrics', plain, dataDir]);
      if (plain !== opts.openMetricsFile) await rm(plain, { force: true });
    }
    const config: Record<string, unknown> = {
      global: { evaluation_interval: opts.evaluationInterval ?? '15s' },
      scrape_configs: [],
    };
    if (opts.rulesYaml) {
      const rulesFile = join(root, 'rules.yml');
      await writeFile(rulesFile, opts.rulesYaml);
      config.rule_files = [rulesFile];
    }
    if (opts.alertmanagerUrl) {
      const am = new URL(opts.alertmanagerUrl);
      config.alerting = {
        alertmanagers: [
          {
            scheme: am.protocol.replace(':', ''),
            path_prefix: am.pathname === '/' ? undefined : am.pathname,
            static_configs: [{ targets: [am.host] }],
          },
        ],
      };
    }
    const configFile = join(root, 'prometheus.yml');
    await writeFile(configFile, stringify(config));

    const url = await startOnFreePort(
      'prometheus',
      PROMETHEUS,
      (port) => [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${dataDir}`,
        '--storage.tsdb.retention.time=100y',
        `--web.listen-address=127.0.0.1:${port}`,
        ...(opts.alertmanagerUrl ? ['--rules.alert.resend-delay=2s'] : []),
        ...(opts.extraArgs ?? []),
      ],
      { logDir, readyTimeoutMs: opts.readyTimeoutMs ?? 60_000, track: (p) => (proc = p) },
    );
    return { url, logDir, stop };
  } catch (err) {
    await stop({ keepLogs: true });
    throw err;
  }
}

/**
 * Start `bin` on a free loopback port and wait for `/-/ready`; when the port was taken between
 * choosing and binding it, try another (three attempts). Resolves to the server's URL.
 */
async function startOnFreePort(
  name: string,
  bin: string,
  argsFor: (port: number) => string[],
  opts: { logDir: string; readyTimeoutMs: number; track: (proc: ManagedProcess) => void },
): Promise<string> {
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const proc = startProcess(name, bin, argsFor(port), join(opts.logDir, `${name}-${attempt}.log`));
    opts.track(proc);
    try {
      await waitForHttpOk(proc, `${url}/-/ready`, { timeoutMs: opts.readyTimeoutMs });
      return url;
    } catch (err) {
      lastError = err as Error;
      await proc.stop();
      if (!/address already in use/i.test(logTail(proc.logFile))) break;
    }
  }
  throw lastError;
}

export interface StartAlertmanagerOptions {
  /** alertmanager.yml content. */
  configYaml: string;
  readyTimeoutMs?: number;
  extraArgs?: string[];
}

export async function startAlertmanager(opts: StartAlertmanagerOptions): Promise<StoppableServer> {
  const root = await mkdtemp(join(tmpdir(), 'oom-bot-alertmanager-'));
  const dataDir = join(root, 'data');
  const logDir = join(root, 'logs');
  await Promise.all([mkdir(dataDir), mkdir(logDir)]);
  let proc: ManagedProcess | undefined;
  const stop = makeStopper(root, logDir, () => proc);
  try {
    const configFile = join(root, 'alertmanager.yml');
    await writeFile(configFile, opts.configYaml);
    const url = await startOnFreePort(
      'alertmanager',
      ALERTMANAGER,
      (port) => [
        `--config.file=${configFile}`,
        `--storage.path=${dataDir}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
        ...(opts.extraArgs ?? []),
      ],
      { logDir, readyTimeoutMs: opts.readyTimeoutMs ?? 60_000, track: (p) => (proc = p) },
    );
    return { url, logDir, stop };
  } catch (err) {
    await stop({ keepLogs: true });
    throw err;
  }
}

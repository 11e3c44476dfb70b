// A real kube-apiserver + etcd on loopback, as envtest runs them: for the integration tests and
// `oom-bot replay`. The binaries are built from the Go module in test/kube/ by test/kube/build.sh
// into a cache dir outside the checkout.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { freePorts } from './ports.ts';
import { keepLogsFromEnv, logTail, type ManagedProcess, startProcess, waitForHttpOk } from './proc.ts';

export const KUBE_VERSION = 'v1.36.3';
export const KUBE_CONTEXT = 'oom-bot-test';

export interface KubeStack {
  /** https://127.0.0.1:PORT */
  server: string;
  /** Bearer token of a user in group system:masters. */
  token: string;
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  logDir: string;
  /** Kills both processes; removes temp dirs unless keepLogs (default: env KEEP_STACK_LOGS). */
  stop(opts?: { keepLogs?: boolean }): Promise<void>;
}

export interface StartKubeOptions {
  /** Where etcd.log and kube-apiserver.log go (default: inside the stack's temp dir). Never deleted. */
  logDir?: string;
  /** How long to wait for /readyz (default 180 s). */
  readyTimeoutMs?: number;
}

/** The cache dir that test/kube/build.sh builds into. */
export function kubeBinDir(): string {
  const root =
    process.env.OOM_BOT_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'oom-bot');
  return join(root, `kube-${KUBE_VERSION}`);
}

const buildScript = fileURLToPath(new URL('../kube/build.sh', import.meta.url));
let building: Promise<string> | undefined;

/** Paths of the etcd and kube-apiserver binaries, building them first when missing. */
export async function ensureKubeBinaries(): Promise<{ etcd: string; apiserver: string }> {
  const dir = kubeBinDir();
  const etcd = join(dir, 'etcd');
  const apiserver = join(dir, 'kube-apiserver');
  if (existsSync(etcd) && existsSync(apiserver)) return { etcd, apiserver };
  building ??= runBuild();
  await building;
  if (!existsSync(etcd) || !existsSync(apiserver)) {
    throw new Error(`${buildScript} finished but ${etcd} and ${apiserver} are not both there`);
  }
  return { etcd, apiserver };
}

function runBuild(): Promise<string> {
  process.stderr.write(
    `test stack: kube-apiserver/etcd ${KUBE_VERSION} not found in ${kubeBinDir()}; ` +
      `building them with ${buildScript} (the first build takes several minutes)\n`,
  );
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [buildScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('error', (err) => reject(new Error(`cannot run ${buildScript}: ${err.message}`)));
    child.on('exit', (code) => {
      if (code === 0) resolve(out.trim());
      else reject(new Error(`${buildScript} failed with exit code ${code}; see its output above`));
    });
  });
}

export async function startKube(opts: StartKubeOptions = {}): Promise<KubeStack> {
  const bins = await ensureKubeBinaries();
  let lastError: Error | undefined;
  // Free ports are picked then released; another process can grab one in between. Retry then.
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await startOnce(bins, opts);
    } catch (err) {
      lastError = err as Error;
      if (!/address already in use|bind: /i.test(lastError.message)) throw lastError;
    }
  }
  throw lastError;
}

async function startOnce(
  bins: { etcd: string; apiserver: string },
  opts: StartKubeOptions,
): Promise<KubeStack> {
  const root = await mkdtemp(join(tmpdir(), 'oom-bot-kube-'));
  const logDir = opts.logDir ?? join(root, 'logs');
  const certDir = join(root, 'certs');
  const etcdData = join(root, 'etcd-data');
  await Promise.all([mkdir(logDir, { recursive: true }), mkdir(certDir, { mode: 0o700 })]);

  const token = randomBytes(24).toString('hex');
  const tokenFile = join(root, 'tokens.csv');
  await writeFile(tokenFile, `${token},oom-bot-test-admin,oom-bot-test-admin,"system:masters"\n`, {
    mode: 0o600,
  });
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const saKey = join(root, 'sa.key');
  await writeFile(saKey, privateKey, { mode: 0o600 });

  const [clientPort, peerPort, securePort] = (await freePorts(3)) as [number, number, number];
  const etcdUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const server = `https://127.0.0.1:${securePort}`;

  const procs: ManagedProcess[] = [];
  let stopped = false;
  const stop = async (stopOpts: { keepLogs?: boolean } = {}): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // apiserver first, so it does not spin on a vanished etcd
    for (const p of [...procs].reverse()) await p.stop();
    const keep = stopOpts.keepLogs ?? keepLogsFromEnv();
    if (keep) {
      await rm(etcdData, { recursive: true, force: true });
      process.stderr.write(`test stack: kube logs kept in ${logDir} (temp dir ${root})\n`);
    } else {
      await rm(root, { recursive: true, force: true });
    }
  };

  try {
    const etcd = startProcess(
      'etcd',
      bins.etcd,
      [
        '--name=default',
        `--data-dir=${etcdData}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=default=${peerUrl}`,
        '--initial-cluster-state=new',
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      join(logDir, 'etcd.log'),
    );
    procs.push(etcd);
    await waitForHttpOk(etcd, `${etcdUrl}/health`, { timeoutMs: 60_000 });

    const apiserver = startProcess(
      'kube-apiserver',
      bins.apiserver,
      [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${securePort}`,
        `--cert-dir=${certDir}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        '--authorization-mode=RBAC',
        `--token-auth-file=${tokenFile}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${saKey}`,
        `--service-account-signing-key-file=${saKey}`,
        '--disable-admission-plugins=ServiceAccount,TaintNodesByCondition',
        '--allow-privileged=true',
        '--endpoint-reconciler-type=none',
      ],
      join(logDir, 'kube-apiserver.log'),
    );
    procs.push(apiserver);
    await waitForHttpOk(apiserver, `${server}/readyz`, {
      token,
      timeoutMs: opts.readyTimeoutMs ?? 180_000,
      intervalMs: 250,
    });

    const kubeconfigPath = join(root, 'kubeconfig');
    await writeFile(
      kubeconfigPath,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: KUBE_CONTEXT, cluster: { server, 'insecure-skip-tls-verify': true } }],
        users: [{ name: `${KUBE_CONTEXT}-admin`, user: { token } }],
        contexts: [
          {
            name: KUBE_CONTEXT,
            context: { cluster: KUBE_CONTEXT, user: `${KUBE_CONTEXT}-admin`, namespace: 'default' },
          },
        ],
        'current-context': KUBE_CONTEXT,
      }),
      { mode: 0o600 },
    );
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);
    return { server, token, kubeconfigPath, kubeConfig, logDir, stop };
  } catch (err) {
    const logs = procs.map((p) => `--- ${p.name} (${p.logFile}) ---\n${logTail(p.logFile, 20)}`).join('\n');
    await stop({ keepLogs: true });
    const e = err as Error;
    if (!e.message.includes('log ')) e.message += `\n${logs}`;
    throw e;
  }
}

/** A KubeConfig for `server` that authenticates with a bearer token (TLS not verified: self-signed). */
export function kubeConfigWithToken(server: string, token: string, user = 'token-user'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: KUBE_CONTEXT, server, skipTLSVerify: true }],
    users: [{ name: user, token }],
    contexts: [{ name: user, cluster: KUBE_CONTEXT, user, namespace: 'default' }],
    currentContext: user,
  });
  return kc;
}

/** A short-lived token for a ServiceAccount, through the TokenRequest API. */
export async function requestServiceAccountToken(
  admin: KubeConfig,
  namespace: string,
  name: string,
  expirationSeconds = 3600,
): Promise<string> {
  const core = admin.makeApiClient(CoreV1Api);
  const answer = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds } },
  });
  const token = answer.status?.token;
  if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
  return token;
}

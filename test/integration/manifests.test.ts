/**
 * manifests/ as a cluster receives it: the kustomization rendered the way `kustomize build` does
 * for the features it uses, then every object sent to a real kube-apiserver as a server-side
 * apply with dryRun=All and fieldValidation=Strict (raw JSON, so no client drops a misspelt
 * field). The custom resources are checked against their CRDs' structural schemas (the
 * Prometheus Operator CRDs cut down in test/support/prometheus-operator-crds.yaml), the pod
 * templates against the `restricted` Pod Security Standard, and the objects against each other
 * (selectors, ports, probes, references).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { DEFAULT_WEBHOOK_PATH } from '../../src/config.ts';
import { waitUntil } from '../reliability/intensity.ts';
import { type KubeStack, kubeBinDir, startKube } from '../stack/kube.ts';
import { HANG_MS } from '../support/hang.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const MANIFESTS = join(ROOT, 'manifests');
const CRDS = join(ROOT, 'test/support/prometheus-operator-crds.yaml');

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
};
type Rendered = { file: string; obj: Obj };
// biome-ignore lint/suspicious/noExplicitAny: walking free-form manifests
type Any = any;

function docsOf(file: string): Obj[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]?.message}`);
      return d.toJS() as Obj | null;
    })
    .filter((o): o is Obj => o !== null);
}

/**
 * `kustomize build` for what manifests/kustomization.yaml uses: resources (files), a
 * configMapGenerator with fixed names, images. Anything else fails, so this never silently
 * renders something kustomize would not.
 */
function renderKustomization(dir: string): Rendered[] {
  const k = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Any;
  const known = new Set(['apiVersion', 'kind', 'resources', 'configMapGenerator', 'images']);
  for (const key of Object.keys(k))
    assert.ok(known.has(key), `kustomization: "${key}" is not rendered by this test`);
  assert.equal(k.kind, 'Kustomization');
  const out: Rendered[] = [];
  for (const resource of k.resources as string[]) {
    const file = join(dir, resource);
    assert.ok(
      existsSync(file) && resource.endsWith('.yaml'),
      `kustomization lists ${resource}: not a YAML file`,
    );
    for (const obj of docsOf(file)) out.push({ file: resource, obj });
  }
  for (const gen of (k.configMapGenerator ?? []) as Any[]) {
    assert.equal(gen.options?.disableNameSuffixHash, true, `${gen.name}: only fixed names are rendered here`);
    const data: Record<string, string> = {};
    for (const entry of (gen.files ?? []) as string[]) {
      const [key, path] = entry.includes('=') ? entry.split('=', 2) : [basename(entry), entry];
      data[key as string] = readFileSync(join(dir, path as string), 'utf8');
    }
    for (const entry of (gen.literals ?? []) as string[]) {
      const at = entry.indexOf('=');
      data[entry.slice(0, at)] = entry.slice(at + 1);
    }
    out.push({
      file: 'kustomization.yaml',
      obj: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: gen.name,
          ...(gen.namespace ? { namespace: gen.namespace } : {}),
          ...(gen.options?.labels ? { labels: gen.options.labels } : {}),
        },
        data,
      },
    });
  }
  for (const image of (k.images ?? []) as Any[]) {
    for (const { obj } of out) {
      for (const c of podSpec(obj)?.containers ?? []) {
        const name = String(c.image).replace(/[:@].*$/, '');
        if (name !== image.name) continue;
        const tag = image.digest
          ? `@${image.digest}`
          : `:${image.newTag ?? String(c.image).split(':')[1] ?? 'latest'}`;
        c.image = `${image.newName ?? name}${tag}`;
      }
    }
  }
  return out;
}

function podSpec(obj: Obj): Any | undefined {
  return ['Deployment', 'StatefulSet', 'DaemonSet'].includes(obj.kind)
    ? (obj as Any).spec.template.spec
    : undefined;
}

// ---------------------------------------------------------------------------------------------
// A raw client: JSON in, JSON out, nothing dropped on the way
// ---------------------------------------------------------------------------------------------

interface Answer {
  status: number;
  body: Any;
  warnings: string[];
}

function call(
  kube: KubeStack,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
) {
  return new Promise<Answer>((resolvePromise, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpsRequest(
      new URL(path, kube.server),
      {
        method,
        rejectUnauthorized: false,
        timeout: 15_000,
        headers: {
          authorization: `Bearer ${kube.token}`,
          accept: 'application/json',
          ...(payload ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON
          }
          const warning = res.headers.warning;
          resolvePromise({
            status: res.statusCode ?? 0,
            body: parsed,
            warnings: (Array.isArray(warning) ? warning : warning ? [warning] : []).map(String),
          });
        });
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    if (payload) req.write(payload);
    req.end();
  });
}

const discovery = new Map<string, Array<{ name: string; kind: string; namespaced: boolean }>>();

async function resourceFor(kube: KubeStack, apiVersion: string, kind: string, refresh = false) {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  if (refresh || !discovery.has(base)) {
    const answer = await call(kube, 'GET', base);
    discovery.set(base, answer.status === 200 ? answer.body.resources : []);
  }
  const found = discovery.get(base)?.find((r) => r.kind === kind && !r.name.includes('/'));
  return found ? { base, plural: found.name, namespaced: found.namespaced } : undefined;
}

async function pathOf(kube: KubeStack, obj: Obj): Promise<string> {
  const r = await resourceFor(kube, obj.apiVersion, obj.kind);
  assert.ok(r, `the apiserver does not serve ${obj.apiVersion} ${obj.kind}`);
  const ns = r.namespaced ? `/namespaces/${obj.metadata.namespace ?? 'default'}` : '';
  return `${r.base}${ns}/${r.plural}/${obj.metadata.name}`;
}

/** `kubectl apply --server-side --dry-run=server --validate=strict` for one object. */
async function dryRunApply(kube: KubeStack, obj: Obj): Promise<Answer> {
  const query = 'dryRun=All&fieldManager=oom-bot-manifests-test&force=true&fieldValidation=Strict';
  return call(kube, 'PATCH', `${await pathOf(kube, obj)}?${query}`, obj, 'application/apply-patch+yaml');
}

/** A real server-side apply (setup only: CRDs and namespaces). */
async function apply(kube: KubeStack, obj: Obj): Promise<void> {
  const query = 'fieldManager=oom-bot-manifests-test&force=true';
  const answer = await call(
    kube,
    'PATCH',
    `${await pathOf(kube, obj)}?${query}`,
    obj,
    'application/apply-patch+yaml',
  );
  assert.ok(answer.status < 300, `${obj.kind} ${obj.metadata.name}: ${JSON.stringify(answer.body)}`);
}

const describeObj = ({ file, obj }: Rendered) =>
  `${file}: ${obj.kind} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name}`;

const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('manifests/ (kustomize base) against a real kube-apiserver', function () {
  this.timeout(120_000);
  let kube: KubeStack | undefined;
  const rendered = renderKustomization(MANIFESTS);
  const objects = rendered.map((r) => r.obj);
  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  const named = (kind: string, name: string) =>
    objects.find((o) => o.kind === kind && o.metadata.name === name);

  before(async function () {
    this.timeout(30 * 60 * 1000); // the first run builds kube-apiserver and etcd
    kube = await startKube();
    const k = kube;
    for (const crd of docsOf(CRDS)) await apply(k, crd);
    const deadline = Date.now() + 120_000; // a hang guard: the apiserver establishes a CRD when it can
    for (const crd of docsOf(CRDS)) {
      const spec = crd.spec as Any;
      const apiVersion = `${spec.group}/${spec.versions[0].name}`;
      while (!(await resourceFor(k, apiVersion, spec.names.kind, true))) {
        assert.ok(Date.now() < deadline, `${crd.metadata.name} was not established`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    // a dry run cannot create the namespace its objects go into
    for (const name of new Set(objects.map((o) => o.metadata.namespace).filter(Boolean)))
      await apply(k, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: name as string } });
  });

  after(async function () {
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    await kube?.stop({ keepLogs: failed || undefined });
  });

  it('renders every core object, the approval-policy ConfigMap and the alerting objects, and no Secret values', () => {
    const kinds = new Set(objects.map((o) => o.kind));
    for (const kind of [
      'Namespace',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'ConfigMap',
      'Deployment',
      'Service',
      'PodDisruptionBudget',
      'NetworkPolicy',
      'ServiceMonitor',
    ])
      assert.ok(kinds.has(kind), `no ${kind} in the kustomization`);
    assert.deepEqual(
      of('Deployment')
        .map((d) => d.metadata.name)
        .sort(),
      ['oom-bot-web', 'oom-bot-worker'],
    );
    assert.equal((named('Deployment', 'oom-bot-web') as Any).spec.replicas, 2);
    const policy = named('ConfigMap', 'oom-bot-approval-policy') as Any;
    assert.ok(
      policy?.data['approval-policy.yaml'].includes('approvers'),
      'the approval policy is in a ConfigMap',
    );
    if (existsSync(join(MANIFESTS, 'alerts/prometheusrule.yaml'))) assert.ok(kinds.has('PrometheusRule'));
    if (existsSync(join(MANIFESTS, 'alerts/alertmanagerconfig.yaml')))
      assert.ok(kinds.has('AlertmanagerConfig'));
    // the bot's credentials never come from the kustomization
    assert.ok(!objects.some((o) => o.kind === 'Secret' && o.metadata.namespace === 'oom-bot'));
    const example = docsOf(join(MANIFESTS, 'secret.example.yaml'))[0] as Any;
    assert.equal(example.metadata.name, 'oom-bot-secrets');
    for (const [key, value] of Object.entries(example.stringData))
      assert.equal(value, '', `${key} has a value`);
    // the image tag follows the package version
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    for (const d of of('Deployment'))
      for (const c of podSpec(d).containers)
        assert.equal(c.image, `oom-bot:${version}`, `${d.metadata.name} image`);
  });

  it('passes a server-side dry-run apply with strict field validation, object by object', async () => {
    assert.ok(kube);
    const failures: string[] = [];
    for (const r of [
      ...rendered,
      { file: 'secret.example.yaml', obj: docsOf(join(MANIFESTS, 'secret.example.yaml'))[0] as Obj },
    ]) {
      const answer = await dryRunApply(kube, r.obj);
      if (answer.status >= 300)
        failures.push(`${describeObj(r)}: HTTP ${answer.status} ${answer.body?.message ?? ''}`);
      else if (answer.warnings.length > 0)
        failures.push(`${describeObj(r)}: warnings ${answer.warnings.join('; ')}`);
    }
    assert.deepEqual(failures, []);
    // dryRun=All stored nothing
    const stored = await call(kube, 'GET', '/apis/apps/v1/namespaces/oom-bot/deployments');
    assert.equal(stored.body.items.length, 0);
  });

  it('checks the custom resources against their CRD schemas, which reject a bad one (as the core schemas do)', async () => {
    assert.ok(kube);
    const custom = rendered.filter((r) => r.obj.apiVersion.startsWith('monitoring.coreos.com/'));
    assert.ok(custom.length >= 1);
    for (const r of custom) {
      const answer = await dryRunApply(kube, r.obj);
      assert.ok(answer.status < 300, `${describeObj(r)}: ${answer.body?.message}`);
    }
    const monitor = structuredClone(named('ServiceMonitor', 'oom-bot')) as Any;
    const deployment = structuredClone(named('Deployment', 'oom-bot-web')) as Any;
    deployment.spec.template.spec.containers[0].securityContext = { readOnlyRootFilesytem: true };
    const refused: Array<[string, Obj, RegExp]> = [
      // the same strictness reaches the core objects (the test sends raw JSON)
      ['a misspelt field in a Deployment', deployment, /readOnlyRootFilesytem: field not declared in schema/],
      [
        'a duration Prometheus cannot parse',
        { ...monitor, spec: { ...monitor.spec, endpoints: [{ port: 'http', interval: '30 seconds' }] } },
        /interval.*should match/,
      ],
      [
        'a misspelt field',
        { ...monitor, spec: { ...monitor.spec, endpoints: [{ port: 'http', scrapeTimout: '10s' }] } },
        /scrapeTimout: field not declared in schema/,
      ],
      [
        'a rule without expr',
        {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'PrometheusRule',
          metadata: { name: 'bad', namespace: 'oom-bot' },
          spec: { groups: [{ name: 'g', rules: [{ alert: 'A' }] }] },
        },
        /expr: Required value/,
      ],
      [
        'an unknown matchType',
        {
          apiVersion: 'monitoring.coreos.com/v1alpha1',
          kind: 'AlertmanagerConfig',
          metadata: { name: 'bad', namespace: 'oom-bot' },
          spec: { route: { receiver: 'x', matchers: [{ name: 'a', value: 'b', matchType: '==' }] } },
        },
        /matchType: Unsupported value/,
      ],
    ];
    for (const [what, obj, message] of refused) {
      const answer = await dryRunApply(kube, obj);
      assert.ok(answer.status >= 400, `${what} was accepted`);
      assert.match(String(answer.body?.message), message, `${what}: ${answer.body?.message}`);
    }
  });

  it('runs both pod templates under the restricted Pod Security Standard', async () => {
    assert.ok(kube);
    const ns = 'psa-restricted';
    await apply(kube, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ns,
        labels: {
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
        },
      },
    });
    const podFrom = (name: string, spec: Any) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns },
      spec,
    });
    for (const d of of('Deployment')) {
      const answer = await call(
        kube,
        'POST',
        `/api/v1/namespaces/${ns}/pods?dryRun=All&fieldValidation=Strict`,
        podFrom(d.metadata.name, podSpec(d)),
      );
      assert.equal(answer.status, 201, `${d.metadata.name}: ${answer.body?.message}`);
      for (const c of podSpec(d).containers) {
        assert.equal(c.securityContext.readOnlyRootFilesystem, true);
        assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
        assert.equal(c.securityContext.allowPrivilegeEscalation, false);
      }
      assert.equal(podSpec(d).securityContext.runAsNonRoot, true);
    }
    // the namespace does enforce: a pod with no securityContext is refused
    const plain = await call(kube, 'POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, {
      ...podFrom('plain', { containers: [{ name: 'c', image: 'busybox' }] }),
    });
    assert.equal(plain.status, 403);
    assert.match(String(plain.body?.message), /violates PodSecurity "restricted/);
  });

  it('wires the objects to each other: selectors, ports, probes, resources, references', () => {
    const services = of('Service') as Any[];
    for (const d of of('Deployment') as Any[]) {
      const labels = d.spec.template.metadata.labels;
      assert.ok(matches(d.spec.selector.matchLabels, labels), `${d.metadata.name}: selector`);
      const spec = podSpec(d);
      assert.ok(named('ServiceAccount', spec.serviceAccountName), `${d.metadata.name}: service account`);
      const covering = services.filter((s) => matches(s.spec.selector, labels));
      assert.equal(covering.length, 1, `${d.metadata.name}: one Service selects its pods`);
      assert.ok(
        of('PodDisruptionBudget').some((p) => matches((p as Any).spec.selector.matchLabels, labels)),
        `${d.metadata.name}: a PodDisruptionBudget`,
      );
      for (const volume of spec.volumes ?? [])
        if (volume.configMap) assert.ok(named('ConfigMap', volume.configMap.name), `volume ${volume.name}`);
      for (const c of spec.containers) {
        const ports = new Map<string, number>(c.ports.map((p: Any) => [p.name, p.containerPort]));
        assert.equal(c.livenessProbe.httpGet.path, '/healthz');
        assert.equal(c.readinessProbe.httpGet.path, '/readyz');
        assert.ok(ports.has(c.readinessProbe.httpGet.port), `${c.name}: probe port`);
        for (const key of ['cpu', 'memory'])
          assert.ok(c.resources.requests[key], `${c.name}: ${key} request`);
        assert.ok(c.resources.limits.memory, `${c.name}: memory limit`);
        // the bot's own namespace, which DENY_NAMESPACES closes to its writes by default
        const podNamespace = (c.env ?? []).find((e: Any) => e.name === 'POD_NAMESPACE');
        assert.deepEqual(podNamespace?.valueFrom, { fieldRef: { fieldPath: 'metadata.namespace' } }, c.name);
        for (const from of c.envFrom) {
          if (from.configMapRef) assert.ok(named('ConfigMap', from.configMapRef.name));
          if (from.secretRef) assert.equal(from.secretRef.name, 'oom-bot-secrets');
        }
        // each Service port reaches a container port, and the NetworkPolicies let it in
        for (const s of covering)
          for (const p of s.spec.ports)
            assert.ok(ports.has(p.targetPort), `${s.metadata.name} → ${p.targetPort}`);
        for (const port of ports.values()) {
          const allowed = (of('NetworkPolicy') as Any[]).some(
            (np) =>
              matches(np.spec.podSelector.matchLabels ?? {}, labels) &&
              (np.spec.ingress ?? []).some((rule: Any) => rule.ports?.some((p: Any) => p.port === port)),
          );
          assert.ok(allowed, `${d.metadata.name}: port ${port} is allowed in`);
        }
      }
    }
    // the config keeps the ports the probes and Services use
    const config = (named('ConfigMap', 'oom-bot-config') as Any).data;
    const web = podSpec(named('Deployment', 'oom-bot-web') as Obj).containers[0];
    const worker = podSpec(named('Deployment', 'oom-bot-worker') as Obj).containers[0];
    assert.equal(Number(config.PORT), web.ports[0].containerPort);
    assert.equal(Number(config.METRICS_PORT), worker.ports[0].containerPort);
    assert.equal(config.APPROVAL_POLICY_FILE, '/etc/oom-bot/approval-policy.yaml');
    // the ServiceMonitor scrapes named ports that the selected Services have
    const monitor = named('ServiceMonitor', 'oom-bot') as Any;
    const scraped = services.filter((s) => matches(monitor.spec.selector.matchLabels, s.metadata.labels));
    for (const e of monitor.spec.endpoints)
      assert.ok(
        scraped.some((s) => s.spec.ports.some((p: Any) => p.name === e.port)),
        `endpoint port ${e.port}`,
      );
    // Alertmanager's webhook reaches the web Service on the bot's webhook path
    const amc = named('AlertmanagerConfig', 'oom-bot') as Any;
    if (amc) {
      const url = new URL(amc.spec.receivers[0].webhookConfigs[0].url);
      const [service, namespace] = url.hostname.split('.');
      const target = services.find((s) => s.metadata.name === service && s.metadata.namespace === namespace);
      assert.ok(target, `${url.hostname} is a Service of the kustomization`);
      assert.ok(target.spec.ports.some((p: Any) => p.port === Number(url.port)));
      assert.equal(url.pathname, DEFAULT_WEBHOOK_PATH);
    }
  });
  it('gives the worker pods only the Secret keys a worker uses, never the signing secret or the Alertmanager token', () => {
    const example = docsOf(join(MANIFESTS, 'secret.example.yaml'))[0] as Any;
    const worker = podSpec(named('Deployment', 'oom-bot-worker') as Obj);
    const text = JSON.stringify(worker);
    for (const key of [
      'SLACK_SIGNING_SECRET',
      'ALERTMANAGER_TOKEN',
      'ALERTMANAGER_BASIC_AUTH',
      'SLACK_APP_TOKEN',
    ])
      assert.ok(!text.includes(key), `the worker pod references ${key}`);
    for (const c of [...worker.containers, ...(worker.initContainers ?? [])]) {
      assert.ok(!(c.envFrom ?? []).some((f: Any) => f.secretRef), `${c.name}: no whole-Secret envFrom`);
      const refs = (c.env ?? []).map((e: Any) => e.valueFrom?.secretKeyRef).filter(Boolean);
      assert.ok(
        refs.some((r: Any) => r.key === 'SLACK_BOT_TOKEN' && !r.optional),
        'the bot token is required',
      );
      for (const r of refs) {
        assert.equal(r.name, 'oom-bot-secrets');
        assert.ok(r.optional || r.key in example.stringData, `${r.key}: in the Secret or optional`);
      }
    }
    for (const v of worker.volumes ?? []) assert.ok(!v.secret, `volume ${v.name} mounts a Secret`);
    // the web process still reads the whole Secret: it checks Slack's signatures and Alertmanager's token
    const web = podSpec(named('Deployment', 'oom-bot-web') as Obj).containers[0];
    assert.ok(web.envFrom.some((f: Any) => f.secretRef?.name === 'oom-bot-secrets'));
  });

  it('lets only the ingress controller and the monitoring namespace reach the web pods', () => {
    const web = podSpec(named('Deployment', 'oom-bot-web') as Obj);
    const labels = (named('Deployment', 'oom-bot-web') as Any).spec.template.metadata.labels;
    const rules = (of('NetworkPolicy') as Any[])
      .filter((np) => matches(np.spec.podSelector.matchLabels ?? {}, labels))
      .flatMap((np) => np.spec.ingress ?? []);
    assert.ok(rules.length > 0 && web);
    const sources = new Set<string>();
    for (const rule of rules) {
      assert.ok((rule.from ?? []).length > 0, 'no ingress rule is open to every source');
      for (const peer of rule.from) {
        assert.ok(!peer.ipBlock, 'no address block');
        sources.add(peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name']);
      }
    }
    assert.deepEqual([...sources].sort(), ['ingress-nginx', 'monitoring']);
  });

  it('renders the write-per-namespace component with kustomize: writes bound only in the listed namespaces', async () => {
    assert.ok(kube);
    const k = kube;
    // an overlay next to a copy of manifests/, as the component's comment tells an operator to write
    const dir = mkdtempSync(join(tmpdir(), 'oom-bot-overlay-'));
    try {
      cpSync(MANIFESTS, join(dir, 'manifests'), { recursive: true });
      mkdirSync(join(dir, 'overlay'));
      writeFileSync(
        join(dir, 'overlay/kustomization.yaml'),
        'resources: [../manifests]\ncomponents: [../manifests/write-per-namespace]\n',
      );
      const text = execFileSync(join(kubeBinDir(), 'kubectl'), ['kustomize', join(dir, 'overlay')], {
        encoding: 'utf8',
      });
      const out = parseAllDocuments(text).map((d) => d.toJS() as Obj);
      assert.ok(!out.some((o) => o.kind === 'ClusterRoleBinding' && o.metadata.name === 'oom-bot-write'));
      const bindings = out.filter((o) => o.kind === 'RoleBinding');
      assert.deepEqual(bindings.map((b) => b.metadata.namespace).sort(), ['payments', 'shop']);
      // everything else of the base is still there, and the whole render passes a dry run
      assert.equal(out.length, objects.length - 1 + bindings.length);
      for (const ns of ['shop', 'payments', 'elsewhere'])
        await apply(k, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      for (const obj of out) {
        const answer = await dryRunApply(k, obj);
        assert.ok(answer.status < 300, `${obj.kind} ${obj.metadata.name}: ${answer.body?.message}`);
      }
      // applied for real, RBAC lets the bot patch in a listed namespace only
      for (const obj of out.filter((o) => ['ClusterRole', 'RoleBinding', 'ServiceAccount'].includes(o.kind)))
        await apply(k, obj);
      const mayPatch = async (namespace: string) => {
        const review = await call(k, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: 'system:serviceaccount:oom-bot:oom-bot',
            groups: ['system:serviceaccounts', 'system:serviceaccounts:oom-bot', 'system:authenticated'],
            resourceAttributes: { group: 'apps', resource: 'deployments', verb: 'patch', namespace },
          },
        });
        return review.body.status.allowed === true;
      };
      // the apiserver's authorizer learns new bindings from its informer, a moment after they are stored
      await waitUntil(
        'the RoleBindings to take effect',
        HANG_MS,
        async () => (await mayPatch('shop')) && (await mayPatch('payments')),
      );
      assert.equal(await mayPatch('elsewhere'), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse, parseAllDocuments } from 'yaml';
import {
  corpusSpecs,
  type GeneratedScenario,
  generateCorpus,
  generateScenario,
  type KubeDocument,
  renderClusterYaml,
  renderOpenMetrics,
  renderScenarioYaml,
  SCENARIO_CAUSES,
  seedIncident,
  TRAFFIC_CHOICES,
  VARIANTS,
  writeScenario,
} from '../../scenarios/generator.ts';
import { Random } from '../../scenarios/random.ts';

const MI = 2 ** 20;

interface ParsedSeries {
  name: string;
  labels: Record<string, string>;
  t: number[];
  v: number[];
}

/** A strict reader of the generated OpenMetrics: checks the format while it parses. */
function parseStrict(text: string): Map<string, ParsedSeries[]> {
  assert.ok(text.endsWith('# EOF\n'), 'metrics end with # EOF');
  const lines = text.slice(0, -1).split('\n');
  assert.equal(lines.pop(), '# EOF');
  const families = new Map<string, ParsedSeries[]>();
  const seriesByKey = new Map<string, ParsedSeries>();
  let current: string | undefined;
  const closed = new Set<string>();
  for (const line of lines) {
    if (line.startsWith('#')) {
      const m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter)$/.exec(line);
      assert.ok(m, `unexpected comment line: ${line}`);
      const name = m[1] as string;
      assert.ok(!families.has(name), `one # TYPE per family (${name})`);
      if (current) closed.add(current);
      current = name;
      families.set(name, []);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})? (\S+) (\S+)$/.exec(line);
    assert.ok(m, `bad sample line: ${line.slice(0, 120)}`);
    const name = m[1] as string;
    assert.equal(name, current, `families contiguous: ${name} under # TYPE ${current}`);
    assert.ok(!closed.has(name));
    const ts = m[4] as string;
    assert.match(ts, /^\d{10}$/, 'timestamps are whole seconds');
    const key = `${name}${m[2] ?? ''}`;
    let s = seriesByKey.get(key);
    if (!s) {
      const labels: Record<string, string> = {};
      for (const lm of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
        labels[lm[1] as string] = lm[2] as string;
      }
      s = { name, labels, t: [], v: [] };
      seriesByKey.set(key, s);
      families.get(name)?.push(s);
    }
    const t = Number(ts);
    const last = s.t[s.t.length - 1];
    if (last !== undefined) assert.ok(t > last, `samples of ${key} in time order`);
    s.t.push(t);
    s.v.push(Number(m[3]));
  }
  return families;
}

function objectsOf(s: GeneratedScenario, kind: string): KubeDocument[] {
  return s.clusterObjects.filter((o) => o.kind === kind);
}

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are open-ended JSON
type Any = any;

function checkScenario(s: GeneratedScenario): void {
  const what = s.dirName;
  const spec = s.spec;
  const e = s.scenarioYaml.expect;
  const L = spec.limitBytes;
  const T0 = s.truth.windowStart;
  const at = s.truth.at;
  assert.equal(e.cause, spec.cause, what);
  assert.equal(s.scenarioYaml.at, spec.at);
  assert.equal(at - T0, spec.windowHours * 3600);

  // --- expect block vs the generator's own truth
  const ooms = s.truth.terminations.filter((t) => t.reason === 'OOMKilled');
  assert.equal(e.oomKills, ooms.length, `${what}: oomKills`);
  for (const t of s.truth.terminations) assert.ok(t.at > T0 && t.at <= at, `${what}: kill inside the window`);
  if (spec.cause === 'limit_too_low' || spec.cause === 'traffic_surge') {
    assert.ok(e.recommendation, `${what}: recommendation`);
    assert.equal(e.recommendation.container, spec.container);
    assert.equal(
      e.recommendation.memoryLimitBytes.min,
      s.truth.peakDemandBytes,
      `${what}: min is the true peak demand`,
    );
    assert.equal(e.recommendation.memoryLimitBytes.max, 4 * e.recommendation.memoryLimitBytes.min);
    assert.ok(e.recommendation.memoryLimitBytes.min > L, `${what}: the demand exceeded the limit`);
    assert.ok(e.recommendation.memoryLimitBytes.min < 3 * L, `${what}: a plausible demand`);
    assert.ok(e.oomKills >= 1, `${what}: kills`);
    assert.equal(e.noLimitIncrease, undefined);
  } else {
    assert.equal(e.recommendation, undefined, `${what}: no recommendation`);
  }
  if (spec.cause === 'traffic_surge') {
    assert.ok(e.surgeStartedAt, `${what}: surgeStartedAt`);
    const surge = Date.parse(e.surgeStartedAt) / 1000;
    assert.ok(surge > T0 && surge < at);
    assert.ok(
      ooms.every((k) => k.at > surge),
      `${what}: the kills start after the jump`,
    );
  } else {
    assert.equal(e.surgeStartedAt, undefined);
  }
  if (spec.cause === 'node_pressure' || spec.cause === 'memory_leak')
    assert.equal(e.noLimitIncrease, true, what);
  if (spec.cause === 'memory_leak' || spec.cause === 'heap_misconfigured')
    assert.ok(e.oomKills >= 1, `${what}: kills`);
  if (spec.cause === 'heap_misconfigured') {
    assert.ok(e.runtime === 'jvm' || e.runtime === 'node' || e.runtime === 'go', what);
    assert.equal(e.runtime, spec.runtime);
    assert.ok(
      (s.truth.heapCeilingBytes ?? 0) >= 0.9 * L - 1024,
      `${what}: heap ceiling near or above the limit`,
    );
  } else {
    assert.equal(e.runtime, undefined);
    if (s.truth.heapCeilingBytes !== undefined)
      assert.ok(s.truth.heapCeilingBytes <= 0.85 * L, `${what}: safe heap`);
  }
  if (spec.cause === 'no_oom') assert.equal(e.oomKills, 0);
  if (spec.cause === 'node_pressure') {
    assert.ok(s.truth.pressureNode, what);
    // the victim runs close to its own limit; the older shapes well under it
    const under = spec.variant === 'victim' ? 0.9 : 0.75;
    for (const t of ooms) assert.ok(t.workingSetBytes < under * L, `${what}: killed under its limit`);
    assert.ok(ooms.length + s.truth.evictions.length >= 1, `${what}: a node-level kill or an eviction`);
  }

  // --- metrics
  const fams = parseStrict(renderOpenMetrics(s.metrics));
  for (const name of [
    'container_memory_working_set_bytes',
    'container_spec_memory_limit_bytes',
    'kube_pod_container_resource_limits',
    'kube_pod_container_resource_requests',
    'kube_pod_container_status_restarts_total',
    'kube_node_status_condition',
    'node_memory_MemAvailable_bytes',
    'node_memory_MemTotal_bytes',
    'node_vmstat_oom_kill',
  ]) {
    assert.ok(fams.has(name), `${what}: ${name}`);
  }
  if (spec.trafficFamily === 'none') {
    for (const f of TRAFFIC_CHOICES) assert.ok(!fams.has(f));
  } else {
    assert.ok(fams.has(spec.trafficFamily), `${what}: traffic family`);
  }
  for (const series of fams.values()) {
    for (const x of series) {
      for (const t of x.t) assert.ok(t >= T0 && t <= at, `${what}: sample inside the window`);
    }
  }
  for (const x of fams.get('container_memory_working_set_bytes') ?? []) {
    if (x.labels.container !== spec.container) continue;
    for (const v of x.v) assert.ok(v < L, `${what}: working set never reaches the limit`);
    if (spec.cause === 'no_oom' || (spec.cause === 'node_pressure' && spec.variant !== 'victim')) {
      assert.ok(Math.max(...x.v) < 0.8 * L, `${what}: well under the limit`);
    }
    if (spec.variant === 'victim') assert.ok(Math.max(...x.v) < 0.95 * L, `${what}: under the limit`);
  }
  for (const x of fams.get('kube_pod_container_status_restarts_total') ?? []) {
    if (x.labels.container === 'istio-proxy')
      assert.ok(
        x.v.every((v) => v === 0),
        'the sidecar never restarts',
      );
  }
  for (const x of fams.get('kube_node_status_condition') ?? []) {
    assert.equal(x.labels.condition, 'MemoryPressure');
    assert.ok(x.labels.status === 'true' || x.labels.status === 'false');
    assert.ok(x.v.every((v) => v === 0 || v === 1));
  }
  if (spec.cause === 'no_oom') {
    const reasons = fams.get('kube_pod_container_status_last_terminated_reason') ?? [];
    assert.ok(
      reasons.every((x) => x.labels.reason !== 'OOMKilled'),
      `${what}: no OOMKilled`,
    );
  }
  if (spec.cause === 'node_pressure') {
    const node = s.truth.pressureNode as string;
    const avail = (fams.get('node_memory_MemAvailable_bytes') ?? []).find((x) => x.labels.node === node);
    assert.ok(avail && Math.min(...avail.v) < 600 * MI, `${what}: the node ran out of memory`);
  }
  if (spec.trafficFamily === 'nginx_ingress_controller_requests') {
    for (const x of fams.get('nginx_ingress_controller_requests') ?? []) {
      assert.equal(x.labels.exported_namespace, spec.namespace);
      assert.equal(x.labels.service, spec.service);
    }
  }
  if (spec.trafficFamily === 'istio_requests_total') {
    for (const x of fams.get('istio_requests_total') ?? []) {
      assert.equal(x.labels.destination_workload, spec.workload);
      assert.equal(x.labels.destination_workload_namespace, spec.namespace);
      assert.equal(x.labels.reporter, 'destination');
      assert.equal(x.labels.pod, undefined);
    }
  }

  // --- cluster.yaml
  const docs = parseAllDocuments(renderClusterYaml(s.clusterObjects));
  assert.equal(docs.length, s.clusterObjects.length);
  for (const d of docs) assert.equal(d.errors.length, 0);
  const objects = docs.map((d) => d.toJS() as Any);
  assert.deepEqual(objects, JSON.parse(JSON.stringify(s.clusterObjects)), `${what}: YAML round trip`);
  const workload = objects.find((o) => o.kind === spec.workloadKind && o.metadata.name === spec.workload);
  assert.ok(workload, `${what}: the workload`);
  const service = objects.find((o) => o.kind === 'Service');
  assert.equal(service.metadata.name, spec.service);
  const pods = objects.filter((o) => o.kind === 'Pod');
  assert.ok(pods.length >= spec.replicas, `${what}: pods`);
  const rsets = new Map(objects.filter((o) => o.kind === 'ReplicaSet').map((o) => [o.metadata.name, o]));
  for (const rs of rsets.values()) {
    assert.equal(rs.metadata.ownerReferences[0].kind, 'Deployment');
    assert.equal(rs.metadata.ownerReferences[0].uid, workload.metadata.uid);
  }
  if (spec.workloadKind === 'Deployment') {
    const progressing = workload.status.conditions.find((c: Any) => c.type === 'Progressing');
    assert.match(progressing.message, /ReplicaSet ".+" has successfully progressed\./);
    assert.ok(rsets.size >= 2, `${what}: current and older ReplicaSets`);
  }
  const sel = service.spec.selector as Record<string, string>;
  for (const pod of pods) {
    const owner = pod.metadata.ownerReferences[0];
    if (spec.workloadKind === 'Deployment') {
      assert.equal(owner.kind, 'ReplicaSet');
      const rs = rsets.get(owner.name);
      assert.ok(rs, `${what}: ${pod.metadata.name} owned by an existing ReplicaSet`);
      assert.equal(owner.uid, rs.metadata.uid);
      assert.equal(pod.metadata.labels['pod-template-hash'], rs.metadata.labels['pod-template-hash']);
    } else {
      assert.equal(owner.kind, 'StatefulSet');
      assert.equal(owner.name, spec.workload);
      assert.equal(owner.uid, workload.metadata.uid);
      assert.match(pod.metadata.name, new RegExp(`^${spec.workload}-\\d$`));
    }
    for (const [k, v] of Object.entries(sel))
      assert.equal(pod.metadata.labels[k], v, `${what}: selector matches`);
    const main = pod.status.containerStatuses.find((c: Any) => c.name === spec.container);
    assert.ok(main);
    // The pod status agrees with the metrics at `at`.
    const restarts = (fams.get('kube_pod_container_status_restarts_total') ?? []).find(
      (x) =>
        x.labels.pod === pod.metadata.name &&
        x.labels.container === spec.container &&
        x.labels.node === pod.spec.nodeName,
    );
    if (restarts && restarts.t.length > 0) {
      const lastT = restarts.t[restarts.t.length - 1] as number;
      const lastV = restarts.v[restarts.v.length - 1] as number;
      const later = s.truth.terminations.filter((k) => k.pod === pod.metadata.name && k.at > lastT).length;
      assert.equal(main.restartCount, lastV + later, `${what}: ${pod.metadata.name} restartCount`);
      const reasons = (fams.get('kube_pod_container_status_last_terminated_reason') ?? []).filter(
        (x) =>
          x.labels.pod === pod.metadata.name && x.labels.node === pod.spec.nodeName && x.t.includes(lastT),
      );
      if (reasons.length > 0 && later === 0) {
        assert.equal(reasons.length, 1);
        assert.equal(
          main.lastState.terminated?.reason,
          reasons[0]?.labels.reason,
          `${what}: lastState reason`,
        );
      }
    }
    if (main.lastState.terminated?.reason === 'OOMKilled')
      assert.equal(main.lastState.terminated.exitCode, 137);
    if (main.state.waiting?.reason === 'CrashLoopBackOff') {
      const finished = Date.parse(main.lastState.terminated.finishedAt) / 1000;
      assert.ok(at - finished <= 305, `${what}: in back-off right after a termination`);
    }
    if (pod.status.reason === 'Evicted') {
      assert.equal(pod.status.phase, 'Failed');
      assert.equal(spec.cause, 'node_pressure');
    }
  }
  for (const ev of objects.filter((o) => o.kind === 'Event')) {
    assert.ok(Date.parse(ev.lastTimestamp) / 1000 <= at, 'events are in the past');
    assert.ok(Date.parse(ev.firstTimestamp) <= Date.parse(ev.lastTimestamp));
    assert.ok(ev.count >= 1);
  }

  // --- scenario.yaml
  const meta = parse(renderScenarioYaml(s));
  assert.equal(meta.at, spec.at);
  assert.equal(typeof meta.at, 'string');
  assert.deepEqual(meta.expect, JSON.parse(JSON.stringify(e)));
  if (spec.namespaceInRequest) assert.equal(meta.request.namespace, spec.namespace);
  else assert.equal(meta.request.namespace, undefined);
}

describe('scenario generator', function () {
  this.timeout(120_000);

  describe('random', () => {
    it('is deterministic and in range', () => {
      const a = new Random(42);
      const b = new Random(42);
      for (let i = 0; i < 1000; i++) {
        const x = a.next();
        assert.equal(x, b.next());
        assert.ok(x >= 0 && x < 1);
      }
      const r = new Random(7);
      for (let i = 0; i < 1000; i++) {
        const k = r.int(3, 5);
        assert.ok(k >= 3 && k <= 5 && Number.isInteger(k));
      }
      let sum = 0;
      let sq = 0;
      for (let i = 0; i < 20_000; i++) {
        const z = r.normal();
        sum += z;
        sq += z * z;
      }
      assert.ok(Math.abs(sum / 20_000) < 0.05);
      assert.ok(Math.abs(sq / 20_000 - 1) < 0.05);
      assert.notEqual(Random.derive(1, 'a').next(), Random.derive(1, 'b').next());
    });
  });

  describe('determinism', () => {
    it('writes identical bytes for the same seed', async () => {
      const spec = { seed: 99, cause: 'traffic_surge' as const, windowHours: 4, gaps: true };
      const dirA = await mkdtemp(join(tmpdir(), 'gen-a-'));
      const dirB = await mkdtemp(join(tmpdir(), 'gen-b-'));
      try {
        await writeScenario(dirA, generateScenario(spec));
        await writeScenario(dirB, generateScenario(spec));
        for (const file of ['scenario.yaml', 'cluster.yaml', 'metrics.om.gz']) {
          assert.ok((await readFile(join(dirA, file))).equals(await readFile(join(dirB, file))), file);
        }
        const text = gunzipSync(await readFile(join(dirA, 'metrics.om.gz'))).toString('utf8');
        assert.equal(text, renderOpenMetrics(generateScenario(spec).metrics));
        assert.ok(text.endsWith('# EOF\n'));
      } finally {
        await rm(dirA, { recursive: true, force: true });
        await rm(dirB, { recursive: true, force: true });
      }
    });

    it('varies with the seed', () => {
      const a = generateScenario({ seed: 1, cause: 'limit_too_low', windowHours: 2 });
      const b = generateScenario({ seed: 2, cause: 'limit_too_low', windowHours: 2 });
      assert.notEqual(renderClusterYaml(a.clusterObjects), renderClusterYaml(b.clusterObjects));
    });
  });

  describe('corpus', function () {
    const count = Number(process.env.SCENARIO_TEST_COUNT ?? 12);
    this.timeout(Math.max(120_000, count * 3000));
    let corpus: GeneratedScenario[] = [];
    before(() => {
      corpus = generateCorpus({ seed: 2026, count });
    });

    it('cycles through every cause evenly, one folder name each', () => {
      for (const cause of SCENARIO_CAUSES) {
        const n = corpus.filter((s) => s.spec.cause === cause).length;
        assert.ok(
          n >= Math.floor(count / SCENARIO_CAUSES.length) && n <= Math.ceil(count / SCENARIO_CAUSES.length),
        );
      }
      const names = corpus.map((s) => s.dirName);
      assert.equal(new Set(names).size, names.length);
      for (const [i, s] of corpus.entries()) {
        assert.equal(
          s.dirName,
          `${String(i + 1).padStart(3, '0')}-${s.spec.cause}-${s.scenarioYaml.request.service}`,
        );
        assert.equal(s.scenarioYaml.name, s.dirName);
      }
    });

    it('produces scenarios whose files agree with their expect block', () => {
      const failures: string[] = [];
      for (const s of corpus) {
        try {
          checkScenario(s);
        } catch (error) {
          failures.push(`${s.dirName}: ${(error as Error).message.split('\n')[0]}`);
        }
      }
      assert.deepEqual(failures, []);
    });

    it('spreads variants, traffic families, intervals and workload kinds over a corpus', () => {
      const specs = corpusSpecs({ seed: 5, count: 120 });
      for (const cause of SCENARIO_CAUSES) {
        const ofCause = specs.filter((s) => s.cause === cause);
        for (const v of VARIANTS[cause])
          assert.ok(
            ofCause.some((s) => s.variant === v),
            `${cause}/${v}`,
          );
        assert.ok(
          ofCause.some((s) => s.workloadKind === 'StatefulSet'),
          `${cause} StatefulSet`,
        );
        for (const interval of [15, 30, 60]) assert.ok(ofCause.some((s) => s.intervalSeconds === interval));
        const families =
          cause === 'traffic_surge' ? TRAFFIC_CHOICES.filter((f) => f !== 'none') : TRAFFIC_CHOICES;
        for (const f of families)
          assert.ok(
            ofCause.some((s) => s.trafficFamily === f),
            `${cause} ${f}`,
          );
      }
      assert.deepEqual(corpusSpecs({ seed: 5, count: 120 }), specs);
    });
  });

  describe('causes and confounders', () => {
    for (const cause of SCENARIO_CAUSES) {
      for (const variant of VARIANTS[cause]) {
        it(`${cause} / ${variant}`, () => {
          const s = generateScenario({ seed: 11, cause, variant, windowHours: 8 });
          checkScenario(s);
        });
      }
    }

    it('makes the node-pressure victim run close to its own limit and marks it in the truth', () => {
      for (const seed of [3, 4, 5]) {
        const s = generateScenario({ seed, cause: 'node_pressure', variant: 'victim', windowHours: 8 });
        checkScenario(s);
        assert.equal(s.scenarioYaml.expect.cause, 'node_pressure');
        assert.equal(s.scenarioYaml.expect.noLimitIncrease, true);
        assert.equal(s.truth.nodePressureVictim, true);
        const onNode = s.truth.terminations.filter((k) => k.node === s.truth.pressureNode);
        const evicted = s.truth.evictions.filter((e) => e.node === s.truth.pressureNode);
        assert.ok(onNode.length + evicted.length > 0, 'killed or evicted on the starved node');
        const series = (
          parseStrict(renderOpenMetrics(s.metrics)).get('container_memory_working_set_bytes') ?? []
        ).filter((x) => x.labels.container === s.spec.container);
        const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;
        const level = median(series.flatMap((x) => x.v)) / s.truth.limitBytes;
        assert.ok(
          level > 0.6 && level < 0.95,
          `the victim's usual level is ${level.toFixed(2)} of its limit`,
        );
      }
      const older = generateScenario({
        seed: 3,
        cause: 'node_pressure',
        variant: 'eviction',
        windowHours: 8,
      });
      assert.equal(older.truth.nodePressureVictim, true, 'the older node_pressure shapes are victims too');
    });

    it('lays out the cause-family corpus: the victim, the rollout confounders, JVM direct buffers, regressions', () => {
      const specs = corpusSpecs({ seed: 42, count: 12, families: 'causes' });
      assert.deepEqual(
        specs.slice(0, 6).map((x) => `${x.cause}/${x.variant}`),
        [
          'node_pressure/victim',
          'traffic_surge/with-rollout',
          'limit_too_low/limit-lowered',
          'native_memory/direct-buffers',
          'deploy_regression/image',
          'deploy_regression/config',
        ],
      );
      assert.equal(specs[3]?.runtime, 'jvm');
      assert.deepEqual(corpusSpecs({ seed: 42, count: 12, families: 'causes' }), specs, 'deterministic');
    });

    it('repeats the climb of a leak in every lifetime, whatever the traffic', () => {
      const s = generateScenario({
        seed: 3,
        cause: 'memory_leak',
        variant: 'linear',
        replicas: 1,
        gaps: false,
      });
      const ws = s.metrics.find((f) => f.name === 'container_memory_working_set_bytes');
      const series = ws?.series.find((x) => x.labels.container === s.spec.container);
      assert.ok(series);
      const kills = s.truth.terminations.map((k) => k.at);
      assert.ok(kills.length >= 2);
      // Each complete lifetime ends much higher than it started.
      for (let k = 1; k < kills.length; k++) {
        const inLife = series.t
          .map((t, i) => [t, series.v[i] as number] as const)
          .filter(([t]) => t > (kills[k - 1] as number) && t <= (kills[k] as number));
        const first = inLife.slice(0, 5).reduce((a, [, v]) => Math.max(a, v), 0);
        const last = inLife.slice(-5).reduce((a, [, v]) => Math.max(a, v), 0);
        assert.ok(last > first * 1.4, 'memory climbs within the lifetime');
      }
    });

    it('gives a slow leak a single kill', () => {
      const s = generateScenario({ seed: 8, cause: 'memory_leak', variant: 'slow-single-kill' });
      assert.equal(s.scenarioYaml.expect.oomKills, 1);
    });

    it('keeps the surge kills after the jump and the pre-surge footprint under the limit', () => {
      const s = generateScenario({
        seed: 4,
        cause: 'traffic_surge',
        trafficFamily: 'nginx_ingress_controller_requests',
      });
      const surge = s.truth.surgeStartedAt as number;
      const ws = s.metrics.find((f) => f.name === 'container_memory_working_set_bytes');
      for (const x of ws?.series ?? []) {
        const before = x.v.filter((_, i) => (x.t[i] as number) < surge);
        if (before.length > 0) assert.ok(Math.max(...before) < 0.9 * s.spec.limitBytes);
      }
      assert.ok(s.truth.surgeFactor && s.truth.surgeFactor >= 2 && s.truth.surgeFactor <= 4);
    });

    it('puts an istio-proxy sidecar in the pods that never dies', () => {
      const s = generateScenario({
        seed: 5,
        cause: 'limit_too_low',
        sidecar: true,
        trafficFamily: 'istio_requests_total',
      });
      checkScenario(s);
      for (const pod of objectsOf(s, 'Pod') as Any[]) {
        assert.ok(pod.spec.containers.some((c: Any) => c.name === 'istio-proxy'));
        const sc = pod.status.containerStatuses.find((c: Any) => c.name === 'istio-proxy');
        assert.equal(sc.restartCount, 0);
      }
      assert.ok(s.truth.terminations.every((k) => k.container === s.spec.container));
      const ws = s.metrics.find((f) => f.name === 'container_memory_working_set_bytes');
      assert.ok(ws?.series.some((x) => x.labels.container === 'istio-proxy'));
    });

    it('names StatefulSet pods by ordinal and can differ in Service and workload names', () => {
      const s = generateScenario({
        seed: 6,
        cause: 'memory_leak',
        workloadKind: 'StatefulSet',
        replicas: 3,
        workload: 'ledger-writer',
        service: 'ledger',
        namespaceInRequest: false,
      });
      checkScenario(s);
      const names = (objectsOf(s, 'Pod') as Any[]).map((p) => p.metadata.name).sort();
      assert.deepEqual(names, ['ledger-writer-0', 'ledger-writer-1', 'ledger-writer-2']);
      assert.equal(s.scenarioYaml.request.namespace, undefined);
      assert.equal(objectsOf(s, 'ControllerRevision').length >= 2, true);
    });

    it('leaves scrape gaps when asked', () => {
      const s = generateScenario({ seed: 12, cause: 'no_oom', gaps: true, intervalSeconds: 15, replicas: 4 });
      let widest = 0;
      for (const f of s.metrics) {
        for (const x of f.series) {
          for (let i = 1; i < x.t.length; i++)
            widest = Math.max(widest, (x.t[i] as number) - (x.t[i - 1] as number));
        }
      }
      assert.ok(widest >= 60, 'some target misses samples for minutes');
    });

    it('puts a safe heap setting on other causes so a heap flag alone is no giveaway', () => {
      let safe = 0;
      for (let seed = 0; seed < 12; seed++) {
        const s = generateScenario({ seed, cause: 'limit_too_low', runtime: 'jvm', windowHours: 2 });
        if (s.truth.heapCeilingBytes !== undefined) {
          safe++;
          assert.ok(s.truth.heapCeilingBytes <= 0.75 * s.spec.limitBytes);
        }
      }
      assert.ok(safe > 0);
    });

    it('writes heap flags where the runtime reads them', () => {
      for (const [runtime, variant, pattern] of [
        ['jvm', 'env', /-Xmx\d+[mMgG]/],
        ['jvm', 'args', /-Xmx\d+[mMgG]/],
        ['jvm', 'percentage', /-XX:MaxRAMPercentage=\d+/],
        ['node', 'env', /--max-old-space-size=\d+/],
        ['go', 'env', /\d+(MiB|GiB)?/],
      ] as const) {
        const s = generateScenario({
          seed: 21,
          cause: 'heap_misconfigured',
          runtime,
          variant,
          windowHours: 6,
        });
        const c = (objectsOf(s, 'Pod')[0] as Any).spec.containers[0];
        const text = JSON.stringify([c.env ?? [], c.args ?? []]);
        assert.match(text, pattern, `${runtime}/${variant}`);
        if (runtime === 'go') assert.match(text, /GOMEMLIMIT/);
        assert.equal(s.scenarioYaml.expect.runtime, runtime);
      }
    });
  });

  describe('seed incident', () => {
    const s = seedIncident();

    it('is the auth-service incident with a traffic-surge answer', () => {
      assert.equal(s.scenarioYaml.at, '2026-11-24T09:30:00Z');
      assert.deepEqual(s.scenarioYaml.request, { service: 'auth-service', namespace: 'prod' });
      const e = s.scenarioYaml.expect;
      assert.equal(e.cause, 'traffic_surge');
      assert.equal(e.surgeStartedAt, '2026-11-24T06:30:00Z');
      assert.equal(e.recommendation?.container, 'auth');
      assert.ok((e.recommendation?.memoryLimitBytes.min ?? 0) > 512 * MI);
      checkScenario(s);
      assert.equal(renderClusterYaml(seedIncident().clusterObjects), renderClusterYaml(s.clusterObjects));
    });

    it('has three CrashLoopBackOff pods, OOMKilled at the 512Mi limit', () => {
      const deploy = objectsOf(s, 'Deployment')[0] as Any;
      assert.equal(deploy.metadata.namespace, 'prod');
      assert.equal(deploy.spec.replicas, 3);
      const c = deploy.spec.template.spec.containers[0];
      assert.equal(c.name, 'auth');
      assert.deepEqual(c.resources.limits, { memory: '512Mi' });
      assert.equal(c.resources.requests.memory, '256Mi');
      const pods = objectsOf(s, 'Pod') as Any[];
      assert.equal(pods.length, 3);
      for (const pod of pods) {
        const st = pod.status.containerStatuses[0];
        assert.equal(st.state.waiting?.reason, 'CrashLoopBackOff');
        assert.equal(st.lastState.terminated.reason, 'OOMKilled');
        assert.equal(st.lastState.terminated.exitCode, 137);
        const life =
          (Date.parse(st.lastState.terminated.finishedAt) - Date.parse(st.lastState.terminated.startedAt)) /
          1000;
        assert.ok(life >= 15 && life <= 60, `killed about 30 s after the start (${life}s)`);
      }
      const ws = s.metrics.find((f) => f.name === 'container_memory_working_set_bytes');
      const peak = Math.max(...(ws?.series.flatMap((x) => x.v) ?? [0]));
      assert.ok(peak >= 510 * MI && peak < 512 * MI, `working set peaks at ~511Mi (${peak / MI})`);
    });

    it('had no rollout for a week, and traffic tripled since 06:30', () => {
      const deploy = objectsOf(s, 'Deployment')[0] as Any;
      const progressing = deploy.status.conditions.find((x: Any) => x.type === 'Progressing');
      const days = (Date.parse('2026-11-24T09:30:00Z') - Date.parse(progressing.lastUpdateTime)) / 86_400_000;
      assert.ok(days > 6.5 && days < 7.5, `last rollout ${days} days ago`);
      const fam = s.metrics.find((f) => f.name === 'http_requests_total');
      assert.ok(fam);
      const surge = Date.parse('2026-11-24T06:30:00Z') / 1000;
      const rate = (from: number, to: number) => {
        let total = 0;
        for (const x of fam.series) {
          const i = x.t.findIndex((t) => t >= from);
          const j = x.t.findLastIndex((t) => t <= to);
          total += ((x.v[j] as number) - (x.v[i] as number)) / ((x.t[j] as number) - (x.t[i] as number));
        }
        return total;
      };
      const ratio = rate(surge + 1800, surge + 3 * 3600) / rate(surge - 3 * 3600, surge - 600);
      assert.ok(ratio > 2.6 && ratio < 3.4, `traffic x${ratio.toFixed(2)}`);
      const first = s.truth.terminations[0];
      assert.ok(first && first.at > surge, 'kills start after the surge');
    });
  });
});

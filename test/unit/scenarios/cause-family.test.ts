// Two cases of the generator's cause-family corpus, checked on the files they produce: a CronJob
// whose runs grow run over run until the latest is OOM-killed, and a regression in a sidecar's
// image where the sidecar is the container that dies.
import assert from 'node:assert/strict';
import {
  corpusSpecs,
  type GeneratedScenario,
  generateScenario,
  type KubeDocument,
  type MetricSeries,
} from '../../scenarios/generator.ts';

interface Meta {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ kind: string; name: string }>;
}
interface Container {
  name: string;
  image: string;
}

const meta = (o: KubeDocument) => o.metadata as Meta;
const ofKind = (s: GeneratedScenario, kind: string) => s.clusterObjects.filter((o) => o.kind === kind);

/** The scenarios of one case in the cause-family corpus, for a few seeds. */
function generateCases(variant: string, seeds: number[]): GeneratedScenario[] {
  return seeds.map((seed) => {
    const spec = corpusSpecs({ seed, count: 16, families: 'causes' }).find((s) => s.variant === variant);
    assert.ok(spec, `no ${variant} case in the corpus`);
    return generateScenario(spec);
  });
}

function series(s: GeneratedScenario, family: string): MetricSeries[] {
  return s.metrics.find((f) => f.name === family)?.series ?? [];
}

/** The container's working set in one pod, as cAdvisor reported it. */
function workingSet(s: GeneratedScenario, pod: string, container: string): MetricSeries {
  const found = series(s, 'container_memory_working_set_bytes').find(
    (x) => x.labels.pod === pod && x.labels.container === container,
  );
  assert.ok(found && found.v.length > 0, `no working set for ${pod}/${container}`);
  return found;
}

const max = (v: number[]) => v.reduce((a, b) => Math.max(a, b), 0);

describe('scenario generator: batch growth (a CronJob whose runs grow)', () => {
  const cases = generateCases('batch-growth', [42, 7, 2026, 1, 99, 123]);

  it('is asked for by the CronJob, whose Jobs own one pod each with OnFailure restarts', () => {
    for (const s of cases) {
      const [cron] = ofKind(s, 'CronJob');
      assert.ok(cron);
      assert.equal(s.scenarioYaml.request.service, meta(cron).name);
      assert.equal(ofKind(s, 'Deployment').length + ofKind(s, 'Service').length, 0);
      const jobs = ofKind(s, 'Job');
      assert.ok(jobs.length >= 2);
      for (const job of jobs) assert.deepEqual(meta(job).ownerReferences?.[0]?.name, meta(cron).name);
      const jobNames = new Set(jobs.map((j) => meta(j).name));
      for (const pod of ofKind(s, 'Pod')) {
        const owner = meta(pod).ownerReferences?.[0];
        assert.equal(owner?.kind, 'Job');
        assert.ok(jobNames.has(owner?.name ?? ''), `${meta(pod).name} is not owned by a kept Job`);
        assert.ok(meta(pod).name.startsWith(`${owner?.name}-`));
        assert.equal(meta(pod).labels?.['job-name'], owner?.name);
        assert.equal((pod.spec as { restartPolicy: string }).restartPolicy, 'OnFailure');
      }
    }
  });

  it('has runs that each start near zero and peak higher than the run before; only the latest is killed', () => {
    for (const s of cases) {
      const runs = s.truth.batch?.runs ?? [];
      assert.ok(runs.length >= 3, 'too few runs in the window');
      const container = s.spec.container;
      const podOf = (job: string) => {
        const names = new Set(
          series(s, 'container_memory_working_set_bytes')
            .map((x) => x.labels.pod as string)
            .filter((p) => p.startsWith(`${job}-`)),
        );
        assert.equal(names.size, 1, `one pod for ${job}`);
        return [...names][0] as string;
      };
      const peaks = runs.map((run) => {
        const ws = workingSet(s, podOf(run.job), container);
        const peak = max(ws.v);
        assert.ok((ws.v[0] as number) < 0.3 * peak, `${run.job} does not start near zero`);
        return peak;
      });
      for (let k = 1; k < peaks.length; k++)
        assert.ok((peaks[k] as number) > (peaks[k - 1] as number), `run ${k} does not outgrow run ${k - 1}`);
      const killed = new Set(s.truth.terminations.filter((t) => t.reason === 'OOMKilled').map((t) => t.pod));
      const latest = podOf((runs[runs.length - 1] as { job: string }).job);
      assert.deepEqual([...killed], [latest]);
      for (const peak of peaks.slice(0, -1)) assert.ok(peak < s.truth.limitBytes);
    }
  });

  it('expects limit_too_low with a limit sized for the latest, largest run', () => {
    for (const s of cases) {
      const expect = s.scenarioYaml.expect;
      assert.equal(expect.cause, 'limit_too_low');
      assert.equal(expect.noLimitIncrease, undefined);
      const range = expect.recommendation?.memoryLimitBytes;
      assert.ok(range);
      // The latest run needed more than the limit, so more than any completed run reached.
      assert.ok(range.min > s.truth.limitBytes);
      const runs = s.truth.batch?.runs ?? [];
      assert.ok(range.min > 0.9 * (runs[runs.length - 1] as { peakBytes: number }).peakBytes);
    }
  });
});

describe('scenario generator: a regression in a sidecar image', () => {
  const cases = generateCases('sidecar-image', [42, 7, 2026, 1, 99, 123]);

  const templateContainers = (rs: KubeDocument) =>
    (rs.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers;

  function revisionsByNumber(s: GeneratedScenario): KubeDocument[] {
    const revision = (rs: KubeDocument) =>
      Number(meta(rs).annotations?.['deployment.kubernetes.io/revision']);
    return ofKind(s, 'ReplicaSet').sort((a, b) => revision(b) - revision(a));
  }

  it('kills the sidecar, never the application beside it', () => {
    for (const s of cases) {
      const sidecar = s.spec.container;
      const app = s.spec.appContainer;
      assert.ok(app && app !== sidecar);
      const kills = s.truth.terminations.filter((t) => t.reason === 'OOMKilled');
      assert.ok(kills.length > 0);
      assert.ok(kills.every((k) => k.container === sidecar));
      const reasons = series(s, 'kube_pod_container_status_last_terminated_reason');
      assert.ok(reasons.some((x) => x.labels.container === sidecar && x.labels.reason === 'OOMKilled'));
      assert.ok(reasons.every((x) => x.labels.container !== app));
      for (const pod of ofKind(s, 'Pod')) {
        const statuses = (pod.status as { containerStatuses: Array<{ name: string; restartCount: number }> })
          .containerStatuses;
        assert.equal(statuses.find((c) => c.name === app)?.restartCount, 0);
      }
    }
  });

  it("changes only the sidecar's image in the rollout; the application comes first in the template", () => {
    for (const s of cases) {
      const [current, previous] = revisionsByNumber(s);
      assert.ok(current && previous);
      const before = templateContainers(previous);
      const after = templateContainers(current);
      assert.equal(after[0]?.name, s.spec.appContainer);
      const image = (cs: Container[], name: string) => cs.find((c) => c.name === name)?.image;
      assert.equal(image(before, s.spec.appContainer as string), image(after, s.spec.appContainer as string));
      assert.notEqual(image(before, s.spec.container), image(after, s.spec.container));
      assert.equal(
        s.truth.rollout?.toRevision,
        Number(meta(current).annotations?.['deployment.kubernetes.io/revision']),
      );
      // The killed pods run the new sidecar image.
      const killedPods = new Set(s.truth.terminations.map((t) => t.pod));
      for (const x of series(s, 'container_memory_working_set_bytes'))
        if (killedPods.has(x.labels.pod as string) && x.labels.container === s.spec.container)
          assert.equal(x.labels.image, image(after, s.spec.container));
      assert.equal(s.scenarioYaml.expect.cause, 'deploy_regression');
    }
  });
});

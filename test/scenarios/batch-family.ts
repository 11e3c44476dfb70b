/**
 * The batch family: a CronJob whose runs grow run over run (its input got bigger) until the latest
 * run is OOM-killed. One Job per scheduled run, one pod per Job (restartPolicy OnFailure, so the
 * killed run restarts in place). Each run starts from almost nothing and climbs to a peak that is
 * higher than the run before; every run before the latest completes under the limit.
 * The truth is limit_too_low on the CronJob, sized for the latest (largest) run.
 * All draws come from streams derived by name, never from the world's shared streams.
 */
import { Random } from './random.ts';
import { formatIso, HOUR, K8S_ALPHABET, MI, roundTo, STEP } from './shared.ts';
import { makePod } from './topology.ts';
import type { KubeDocument } from './types.ts';
import { makeArNoise, type PodInstance, type Revision, type World } from './world.ts';

export const BATCH_VARIANT = 'batch-growth';

/** Whether a spec is the batch family's. */
export function isBatchSpec(spec: { cause: string; variant: string }): boolean {
  return spec.cause === 'limit_too_low' && spec.variant === BATCH_VARIANT;
}

/** One scheduled run: its Job, when it was scheduled, and (for the runs that finished) when it completed. */
export interface BatchRunPlan {
  job: string;
  scheduledAt: number;
  /** Absent for the latest run, which is still being retried at the moment of diagnosis. */
  completedAt?: number;
  /** The run's peak demand (bytes), what its input needs. */
  peakBytes: number;
}

/** The CronJob's schedule and its runs inside the window, oldest first. */
export interface BatchPlan {
  schedule: string;
  periodHours: number;
  /** Peak of a run over the peak of the run before it. */
  growthPerRun: number;
  runs: BatchRunPlan[];
}

function batchRng(w: World, name: string): Random {
  return Random.derive(w.spec.seed, `batch-family:${name}`);
}

/**
 * Plan the runs: the latest scheduled 25-60 min before the diagnosis, the others one period apart
 * back to the window's start; each run's peak is the next one's divided by the growth per run.
 * The run before the latest peaks at 82-94% of the limit; the latest needs more than the limit.
 */
export function planBatchRuns(w: World): BatchPlan {
  const r = batchRng(w, 'plan');
  const periodHours = r.pick([3, 4, 6]);
  const latest = roundTo(w.at - r.float(25, 60) * 60, 60);
  const minute = Math.floor((latest % HOUR) / 60);
  const hour = Math.floor((latest % (24 * HOUR)) / HOUR);
  const schedule = `${minute} ${hour % periodHours}-23/${periodHours} * * *`;
  const prevFraction = r.float(0.82, 0.94);
  const growthPerRun = Math.max(r.float(1.12, 1.3), (1.06 * w.killAt) / w.L / prevFraction);
  const latestPeak = w.L * prevFraction * growthPerRun;
  const times: number[] = [];
  for (let t = latest; t > w.T0 + 10 * 60; t -= periodHours * HOUR) times.unshift(t);
  const runs = times.map((scheduledAt, k) => {
    const peakBytes = latestPeak / growthPerRun ** (times.length - 1 - k);
    const job = `${w.spec.workload}-${Math.floor(scheduledAt / 60)}`;
    const last = k === times.length - 1;
    // Bigger inputs take longer: 15-40 min for the first run, longer as it grows.
    const minutes = r.float(15, 40) * (peakBytes / latestPeak) ** 0.5 + r.float(8, 20);
    return {
      job,
      scheduledAt,
      ...(last ? {} : { completedAt: Math.round(scheduledAt + minutes * 60) }),
      peakBytes,
    };
  });
  return { schedule, periodHours, growthPerRun, runs };
}

/** One pod per run, named as the Job controller names them: `<job>-<5 chars>`. */
export function makeBatchPods(w: World, plan: BatchPlan): PodInstance[] {
  const r = batchRng(w, 'pods');
  const rev = w.revisions[0] as Revision;
  const kept = new Set(keptRuns(plan).map((run) => run.job));
  return plan.runs.map((run) => {
    const node = r.pick(w.nodes);
    const created = run.scheduledAt + r.float(0.5, 3);
    // A run that completed simply stops: its container exits 0 and is not restarted (no restart, no
    // last-terminated reason); the Jobs past the history limit are deleted with their pods.
    const end = run.completedAt !== undefined ? run.completedAt + STEP : Number.POSITIVE_INFINITY;
    const pod = makePod(w, 0, rev, node, created, end, kept.has(run.job) ? 'none' : 'deleted', r);
    pod.name = `${run.job}-${r.chars(5, K8S_ALPHABET)}`;
    pod.uid = `uid-${pod.name}`;
    pod.firstLifeStart = created + r.float(2, 8);
    pod.share = 1;
    return pod;
  });
}

/**
 * Each run's demand: from 1-4% of its peak at the start, up to its peak with a time constant of a
 * quarter to a sixth of a run (of two thirds of the time since the latest started). A run restarted
 * after a kill starts from nothing again.
 */
export function buildBatchDemand(w: World, plan: BatchPlan): void {
  const r = batchRng(w, 'demand');
  plan.runs.forEach((run, k) => {
    const pod = w.pods[k] as PodInstance;
    const pr = r.fork(pod.name);
    // The latest run is still going: it climbs fast enough to pass the limit well before `at`.
    const length =
      run.completedAt !== undefined ? run.completedAt - run.scheduledAt : (w.at - run.scheduledAt) / 1.5;
    pod.model = {
      base: run.peakBytes * 0.985,
      perReq: 0,
      warmStart: pr.float(0.01, 0.04),
      warmTau: length / pr.float(4, 6),
      noise: makeArNoise(pr, w.n, Math.max(MI, run.peakBytes * 0.004), pr.float(20, 120)),
    };
  });
}

function jobTemplate(w: World, rev: Revision, container: Record<string, unknown>) {
  const annotations = { ...rev.templateAnnotations };
  return {
    metadata: {
      labels: { ...w.labels },
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec: {
      containers: [container],
      restartPolicy: 'OnFailure',
      terminationGracePeriodSeconds: 30,
      serviceAccountName: w.spec.workload,
    },
  };
}

/** The CronJob and the Jobs it keeps (the last three that completed, and the one running). */
export function buildBatchObjects(
  w: World,
  plan: BatchPlan,
  container: Record<string, unknown>,
): KubeDocument[] {
  const spec = w.spec;
  const rev = w.revisions[0] as Revision;
  const cronUid = `uid-${spec.workload}`;
  const kept = keptRuns(plan);
  const latest = plan.runs[plan.runs.length - 1] as BatchRunPlan;
  const lastDone = [...plan.runs].reverse().find((run) => run.completedAt !== undefined);
  const docs: KubeDocument[] = [
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: spec.workload, namespace: spec.namespace, uid: cronUid, labels: { ...w.labels } },
      spec: {
        schedule: plan.schedule,
        concurrencyPolicy: 'Forbid',
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 1,
        jobTemplate: { spec: { backoffLimit: 10, template: jobTemplate(w, rev, container) } },
      },
      status: {
        active: [{ kind: 'Job', namespace: spec.namespace, name: latest.job, uid: `uid-${latest.job}` }],
        lastScheduleTime: formatIso(latest.scheduledAt),
        ...(lastDone?.completedAt !== undefined
          ? { lastSuccessfulTime: formatIso(lastDone.completedAt) }
          : {}),
      },
    },
  ];
  for (const run of kept) {
    const done = run.completedAt !== undefined;
    docs.push({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: run.job,
        namespace: spec.namespace,
        uid: `uid-${run.job}`,
        labels: { ...w.labels, 'batch.kubernetes.io/job-name': run.job, 'job-name': run.job },
        annotations: { 'batch.kubernetes.io/cronjob-scheduled-timestamp': formatIso(run.scheduledAt) },
        ownerReferences: [
          {
            apiVersion: 'batch/v1',
            kind: 'CronJob',
            name: spec.workload,
            uid: cronUid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { backoffLimit: 10, completions: 1, parallelism: 1, template: jobTemplate(w, rev, container) },
      status: done
        ? {
            startTime: formatIso(run.scheduledAt + 1),
            completionTime: formatIso(run.completedAt as number),
            succeeded: 1,
            // as the Job controller writes them since Kubernetes 1.31: the apiserver refuses Complete
            // without SuccessCriteriaMet
            conditions: [
              {
                type: 'SuccessCriteriaMet',
                status: 'True',
                lastProbeTime: formatIso(run.completedAt as number),
                lastTransitionTime: formatIso(run.completedAt as number),
              },
              {
                type: 'Complete',
                status: 'True',
                lastProbeTime: formatIso(run.completedAt as number),
                lastTransitionTime: formatIso(run.completedAt as number),
              },
            ],
          }
        : { startTime: formatIso(run.scheduledAt + 1), active: 1, ready: 0 },
    });
  }
  return docs;
}

/** The runs whose Job and pod objects still exist: the CronJob keeps three successful Jobs. */
export function keptRuns(plan: BatchPlan): BatchRunPlan[] {
  const done = plan.runs.filter((run) => run.completedAt !== undefined).slice(-3);
  return [...done, ...plan.runs.filter((run) => run.completedAt === undefined)];
}

/** Turn a generic pod object into a Job's pod: its owner, labels, restart policy and, once done, its status. */
export function asJobPod(doc: KubeDocument, run: BatchRunPlan, containerName: string): KubeDocument {
  const metadata = doc.metadata as Record<string, unknown>;
  const labels = { ...(metadata.labels as Record<string, string>) };
  delete labels['pod-template-hash'];
  Object.assign(labels, {
    'batch.kubernetes.io/controller-uid': `uid-${run.job}`,
    'batch.kubernetes.io/job-name': run.job,
    'controller-uid': `uid-${run.job}`,
    'job-name': run.job,
  });
  metadata.labels = labels;
  metadata.ownerReferences = [
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      name: run.job,
      uid: `uid-${run.job}`,
      controller: true,
      blockOwnerDeletion: true,
    },
  ];
  const spec = doc.spec as Record<string, unknown>;
  spec.restartPolicy = 'OnFailure';
  for (const c of spec.containers as Array<Record<string, unknown>>) {
    delete c.livenessProbe;
    delete c.readinessProbe;
  }
  if (run.completedAt === undefined) return doc;
  const status = doc.status as Record<string, unknown>;
  const statuses = status.containerStatuses as Array<Record<string, unknown>>;
  const main = statuses.find((s) => s.name === containerName) as Record<string, unknown>;
  const started = (run.scheduledAt as number) + 5;
  main.state = {
    terminated: {
      exitCode: 0,
      reason: 'Completed',
      startedAt: formatIso(started),
      finishedAt: formatIso(run.completedAt),
      containerID: main.containerID,
    },
  };
  main.lastState = {};
  main.restartCount = 0;
  main.started = false;
  main.ready = false;
  status.phase = 'Succeeded';
  delete status.podIP;
  delete status.podIPs;
  for (const c of status.conditions as Array<Record<string, unknown>>) {
    if (c.type === 'Ready' || c.type === 'ContainersReady') {
      c.status = 'False';
      c.reason = 'PodCompleted';
      delete c.message;
      c.lastTransitionTime = formatIso(run.completedAt);
    }
  }
  return doc;
}

/**
 * Diagnosis fixtures built in code: a realistic default (the seed incident: auth-service,
 * traffic surge, 512Mi limit) with overrides, one preset per cause, and a synthetic chart.
 */
import type { Action } from '../../src/domain/action-types.ts';
import type {
  Cause,
  ChartData,
  Diagnosis,
  KillSummary,
  Recommendation,
  Target,
} from '../../src/domain/types.ts';

export const MI = 2 ** 20;
export const GI = 2 ** 30;
/** 2026-11-24T09:30:00Z */
export const AT = 1795512600;
export const DAY = 86400;

/** Where the resolver (src/sources/owners.ts) says a patch goes: none for a bare Pod or a Job. */
function podTemplateFor(workload: Target['workload']): Target['podTemplate'] {
  if (workload.kind === 'Pod' || workload.kind === 'Job') return undefined;
  const path = workload.kind === 'CronJob' ? 'spec.jobTemplate.spec.template' : 'spec.template';
  return { kind: workload.kind, name: workload.name, path };
}

export function buildTarget(overrides: Partial<Target> = {}): Target {
  const workload = overrides.workload ?? { kind: 'Deployment', name: 'auth-service' };
  const podTemplate = 'podTemplate' in overrides ? overrides.podTemplate : podTemplateFor(workload);
  return {
    namespace: 'prod',
    workload,
    service: 'auth-service',
    selector: { app: 'auth-service' },
    ...overrides,
    ...(podTemplate ? { podTemplate } : {}),
  };
}

export interface ChartOptions {
  pods?: string[];
  start?: number;
  end?: number;
  stepSeconds?: number;
  /** Working set of pod `i` at time `t`, in bytes. */
  value?: (t: number, i: number) => number;
}

/** A chart whose series come from a formula: deterministic, any length. */
export function buildChart(overrides: Partial<ChartData> = {}, options: ChartOptions = {}): ChartData {
  const pods = options.pods ?? [
    'auth-service-7d9f8-abcde',
    'auth-service-7d9f8-fghij',
    'auth-service-7d9f8-klmno',
  ];
  const end = options.end ?? AT;
  const start = options.start ?? end - DAY;
  const step = options.stepSeconds ?? 300;
  const value =
    options.value ?? ((t: number, i: number) => (300 + 20 * Math.sin((t - start) / 7200 + i)) * MI);
  const series = pods.map((pod, i) => {
    const t: number[] = [];
    const v: number[] = [];
    for (let x = start; x <= end; x += step) {
      t.push(x);
      v.push(Math.round(value(x, i)));
    }
    return { pod, series: { t, v } };
  });
  const trafficT: number[] = [];
  const trafficV: number[] = [];
  for (let x = start; x <= end; x += 600) {
    trafficT.push(x);
    trafficV.push(x < end - 3 * 3600 ? 600 : 1800);
  }
  return {
    window: { start, end, stepSeconds: 15 },
    pods: series,
    limitBytes: 512 * MI,
    requestBytes: 256 * MI,
    proposedLimitBytes: GI,
    kills: [
      { pod: pods[0] ?? 'pod-0', t: end - 3 * 3600, oom: true },
      { pod: pods[1] ?? 'pod-1', t: end - 2 * 3600, oom: true },
      { pod: pods[2] ?? 'pod-2', t: end - 3600, oom: false },
    ],
    traffic: { t: trafficT, v: trafficV, label: 'http_requests_total (req/s)' },
    ...overrides,
  };
}

const PATCH =
  'kubectl -n prod patch deployment/auth-service --type=strategic -p \'{"spec":{"template":{"spec":{"containers":[{"name":"auth","resources":{"limits":{"memory":"1Gi"},"requests":{"memory":"512Mi"}}}]}}}}\'';

export function buildRecommendation(overrides: Partial<Recommendation> = {}): Recommendation {
  return {
    container: 'auth',
    memoryLimitBytes: GI,
    memoryRequestBytes: 512 * MI,
    memoryLimit: '1Gi',
    memoryRequest: '512Mi',
    currentLimitBytes: 512 * MI,
    currentRequestBytes: 256 * MI,
    rationale: '102Mi base + 969Ki per req/s x 610 req/s peak per pod, +50% for a further rise',
    replay: { projectedKills: 0, minHeadroomBytes: 180 * MI, observedKills: 102, censoredSamples: 14 },
    ...overrides,
  };
}

function kills(overrides: Partial<KillSummary> = {}): KillSummary {
  return {
    oomKills: 102,
    otherRestarts: 0,
    evictions: 0,
    firstKillAt: AT - 3 * 3600,
    lastKillAt: AT - 120,
    exitCodes: [137],
    ...overrides,
  };
}

/** A VPA action for `container` (the shown text is abridged; the typed spec is what is applied). */
function vpaAction(container: string): Action {
  return {
    kind: 'create_vpa',
    title: 'Add a VPA in Off mode to keep the limit honest as load changes',
    command:
      "kubectl -n prod apply -f - <<'EOF'\napiVersion: autoscaling.k8s.io/v1\nkind: VerticalPodAutoscaler\nmetadata:\n  name: auth-service\nEOF",
    vpa: {
      updateMode: 'Off',
      containerPolicies: [{ containerName: container, controlledResources: ['memory'] }],
    },
  };
}

/** An Apply action that sets what `rec` proposes (the shown text is the seed incident's). */
export function patchActionFor(rec: Recommendation): Action {
  return {
    kind: 'patch_memory_limit',
    title: `Raise ${rec.container} to ${rec.memoryLimit} limit / ${rec.memoryRequest} request`,
    detail: rec.rationale,
    command: `${PATCH}\nkubectl -n prod rollout status deployment/auth-service --timeout=5m`,
    memoryPatch: {
      container: rec.container,
      limitBytes: rec.memoryLimitBytes,
      requestBytes: rec.memoryRequestBytes,
    },
  };
}

/** The seed incident's actions; Apply sets what the recommendation proposes. */
function seedActions(rec: Recommendation | undefined): Action[] {
  return [
    rec
      ? patchActionFor(rec)
      : {
          kind: 'patch_memory_limit',
          title: 'Raise auth to 1Gi limit / 512Mi request',
          command: `${PATCH}\nkubectl -n prod rollout status deployment/auth-service --timeout=5m`,
        },
    {
      kind: 'scale_out',
      title: 'Scale out to 9 replicas, then keep an HPA',
      detail: '1831 req/s peak / 208 req/s per pod before the jump = 9 replicas (now 3)',
      command: 'kubectl -n prod scale deployment/auth-service --replicas=9',
      hpa: { minReplicas: 9, maxReplicas: 18, cpuPercent: 70 },
    },
    vpaAction('auth'),
  ];
}

/**
 * The seed incident: auth-service OOM-killed at its 512Mi limit after traffic tripled. Unless
 * `actions` is given, the Apply action sets what `recommendation` proposes.
 */
export function buildDiagnosis(overrides: Partial<Diagnosis> = {}): Diagnosis {
  const recommendation = 'recommendation' in overrides ? overrides.recommendation : buildRecommendation();
  return {
    target: buildTarget(),
    container: 'auth',
    at: AT,
    cause: 'traffic_surge',
    confidence: 0.9,
    headline:
      'prod/auth-service: traffic surge — 2.9x requests since 06:41 UTC pushed auth past its 512Mi limit',
    summary: 'peak 506Mi of 512Mi (99%) · 102 OOM kill(s) · 102 restart(s) in 24 h · since 06:30 UTC',
    evidence: [
      'http_requests_total: 1809 req/s since 06:41 UTC, 2.9x the top of its earlier range (558 req/s typical before)',
      '98% of the OOM kills came after the jump',
      'memory follows traffic: rank correlation 0.90 over 7588 samples, about 969Ki per req/s per pod',
    ],
    rejected: [
      { cause: 'memory_leak', reason: 'no growth after warm-up: 0/h median over 3 lifetime(s)' },
      { cause: 'node_pressure', reason: 'no evictions, no SystemOOM events, no MemoryPressure' },
      { cause: 'limit_too_low', reason: 'the footprint rose with a traffic jump, not on its own' },
    ],
    ranking: [
      { cause: 'traffic_surge', score: 0.9 },
      { cause: 'memory_leak', score: 0.05 },
      { cause: 'node_pressure', score: 0 },
      { cause: 'limit_too_low', score: 0 },
    ],
    investigateFirst:
      'Confirm memory tracks traffic rather than time: if auth climbs steadily inside each lifetime even when requests fall, it is a leak.',
    recommendation,
    actions: seedActions(recommendation),
    kills: kills(),
    facts: {
      limitBytes: 512 * MI,
      requestBytes: 256 * MI,
      peakBytes: 506 * MI,
      restarts: 102,
      podCount: 3,
      since: AT - 3 * 3600,
    },
    missing: [],
    chart: buildChart(),
    ...overrides,
  };
}

function withTarget(ns: string, name: string, container: string): Partial<Diagnosis> {
  return {
    target: buildTarget({
      namespace: ns,
      workload: { kind: 'Deployment', name },
      service: name,
      selector: { app: name },
    }),
    container,
  };
}

/** One realistic diagnosis per cause, for golden files and table-driven tests. */
export function diagnosisFor(cause: Cause): Diagnosis {
  switch (cause) {
    case 'traffic_surge':
      return buildDiagnosis();
    case 'limit_too_low':
      return buildDiagnosis({
        ...withTarget('payments', 'payments-api', 'payments'),
        cause,
        confidence: 0.75,
        headline:
          'payments/payments-api: memory limit too low — payments is OOM-killed at its 768Mi limit with a steady footprint',
        evidence: ['34 OOM kills at 99% of the 768Mi limit', 'the footprint is flat: 640Mi typical'],
        rejected: [{ cause: 'traffic_surge', reason: 'traffic steady: 0.9x of its earlier range' }],
        ranking: [
          { cause: 'limit_too_low', score: 0.75 },
          { cause: 'traffic_surge', score: 0.05 },
        ],
        investigateFirst:
          'Confirm nothing grows: watch `kubectl -n payments top pod -l app=payments-api --containers`.',
        recommendation: buildRecommendation({
          container: 'payments',
          memoryLimitBytes: 1280 * MI,
          memoryRequestBytes: 768 * MI,
          memoryLimit: '1280Mi',
          memoryRequest: '768Mi',
          currentLimitBytes: 768 * MI,
          currentRequestBytes: 384 * MI,
          rationale: 'killed at the 768Mi limit, so demand was above it: OOM bump 1.5x',
          replay: { projectedKills: 0, minHeadroomBytes: 384 * MI, observedKills: 34, censoredSamples: 0 },
        }),
        actions: [
          {
            kind: 'patch_memory_limit',
            title: 'Raise payments to 1280Mi limit / 768Mi request',
            command: 'kubectl -n payments patch deployment/payments-api --type=strategic -p \'{"spec":{}}\'',
            memoryPatch: { container: 'payments', limitBytes: 1280 * MI, requestBytes: 768 * MI },
          },
          vpaAction('payments'),
        ],
        kills: kills({ oomKills: 34, firstKillAt: AT - 80000, lastKillAt: AT - 600 }),
        facts: {
          limitBytes: 768 * MI,
          requestBytes: 384 * MI,
          peakBytes: 760 * MI,
          restarts: 34,
          podCount: 2,
          since: AT - 80000,
        },
        chart: buildChart({ limitBytes: 768 * MI, requestBytes: 384 * MI, proposedLimitBytes: 1280 * MI }),
      });
    case 'memory_leak':
      return buildDiagnosis({
        ...withTarget('batch', 'report-worker', 'report'),
        cause,
        confidence: 0.95,
        headline:
          'batch/report-worker: memory leak — report grows in every lifetime until the 1Gi limit kills it',
        evidence: [
          'memory climbs 137Mi/h after warm-up in 15 of 15 lifetime(s)',
          'report-worker-dtkv6-vbtgg now at 949Mi: the next kill in about 33 min',
        ],
        rejected: [
          { cause: 'traffic_surge', reason: 'traffic steady' },
          {
            cause: 'limit_too_low',
            reason: 'memory grows within every lifetime: a bigger limit only delays the kill',
          },
        ],
        ranking: [
          { cause: 'memory_leak', score: 0.95 },
          { cause: 'traffic_surge', score: 0.05 },
          { cause: 'limit_too_low', score: 0 },
        ],
        investigateFirst: 'Capture a heap profile of report-worker-dtkv6-vbtgg now, while it is large.',
        // A recommendation that slipped through must still not become a primary Apply.
        recommendation: buildRecommendation({ container: 'report' }),
        actions: [
          {
            kind: 'investigate_leak',
            title: 'Take a heap profile of report-worker-dtkv6-vbtgg before it is killed again',
            command:
              'kubectl -n batch debug -it report-worker-dtkv6-vbtgg --image=busybox:1.37 --target=report -- sh',
          },
          {
            kind: 'patch_memory_limit',
            title: 'Temporary only: 1536Mi buys about 3.7 h per lifetime, not a fix',
            command: 'kubectl -n batch patch deployment/report-worker --type=strategic -p \'{"spec":{}}\'',
            memoryPatch: { container: 'report', limitBytes: 1536 * MI, requestBytes: 512 * MI },
          },
        ],
        kills: kills({ oomKills: 12, firstKillAt: AT - 69000, lastKillAt: AT - 16000 }),
        facts: {
          limitBytes: GI,
          requestBytes: 512 * MI,
          peakBytes: 1020 * MI,
          restarts: 12,
          podCount: 3,
          since: AT - 69000,
        },
        chart: buildChart({ limitBytes: GI, requestBytes: 512 * MI, proposedLimitBytes: undefined }),
      });
    case 'node_pressure':
      return buildDiagnosis({
        ...withTarget('search', 'search-indexer', 'search'),
        cause,
        confidence: 0.9,
        headline: 'search/search-indexer: node memory pressure — the node, not the 2Gi limit, killed search',
        evidence: [
          '1 pod(s) evicted by the kubelet for node memory: "The node was low on resource: memory."',
          'node ip-10-0-9-57.ec2.internal fell to 80Mi available of 16Gi (0.5%)',
        ],
        rejected: [{ cause: 'limit_too_low', reason: 'no OOM kills in the window' }],
        ranking: [
          { cause: 'node_pressure', score: 0.9 },
          { cause: 'limit_too_low', score: 0 },
        ],
        investigateFirst: 'Look at the node, not the pod: which pods without requests filled it.',
        recommendation: undefined,
        actions: [
          {
            kind: 'adjust_requests',
            title: 'Set the memory request to the real footprint (1280Mi)',
            command: 'kubectl -n search patch deployment/search-indexer --type=strategic -p \'{"spec":{}}\'',
            memoryPatch: { container: 'search', limitBytes: 2 * GI, requestBytes: 1280 * MI },
          },
          {
            kind: 'add_node_capacity',
            title: 'Find what filled the node, then add capacity or move the heavy pods',
            command: 'kubectl describe node ip-10-0-9-57.ec2.internal',
          },
        ],
        kills: kills({
          oomKills: 0,
          evictions: 1,
          firstKillAt: undefined,
          lastKillAt: undefined,
          exitCodes: [],
        }),
        facts: { limitBytes: 2 * GI, requestBytes: GI, peakBytes: 1100 * MI, restarts: 0, podCount: 2 },
        chart: buildChart({ limitBytes: 2 * GI, requestBytes: GI, proposedLimitBytes: undefined, kills: [] }),
      });
    case 'heap_misconfigured':
      return buildDiagnosis({
        ...withTarget('shop', 'orders', 'orders'),
        cause,
        confidence: 0.93,
        headline: 'shop/orders: runtime heap above the limit — -Xmx2044m does not fit in 1Gi',
        evidence: ['JAVA_TOOL_OPTIONS: -Xmx2044m sets a 2Gi heap ceiling, 200% of the 1Gi limit'],
        rejected: [{ cause: 'memory_leak', reason: 'the growth is the runtime filling its heap' }],
        ranking: [
          { cause: 'heap_misconfigured', score: 0.93 },
          { cause: 'memory_leak', score: 0.1 },
        ],
        investigateFirst: 'Check the runtime flags the process really runs with.',
        recommendation: undefined,
        actions: [
          {
            kind: 'fix_runtime_heap',
            title: 'Set the jvm heap to -Xmx768m (about 75% of the 1Gi limit)',
            command: "kubectl -n shop set env deployment/orders -c orders JAVA_TOOL_OPTIONS='-Xmx768m'",
          },
        ],
        kills: kills({ oomKills: 24 }),
        facts: {
          limitBytes: GI,
          requestBytes: 768 * MI,
          peakBytes: 1020 * MI,
          restarts: 24,
          podCount: 2,
          since: AT - 78600,
        },
        chart: buildChart({ limitBytes: GI, requestBytes: 768 * MI, proposedLimitBytes: undefined }),
      });
    case 'no_oom':
      return buildDiagnosis({
        ...withTarget('shop', 'cart', 'cart'),
        cause,
        confidence: 0.92,
        headline: 'shop/cart: not an OOM kill — cart restarts for another reason',
        evidence: ['2 restart(s) in the window, none OOMKilled; last: Error exit 143'],
        rejected: [{ cause: 'limit_too_low', reason: 'no OOM kills in the window' }],
        ranking: [
          { cause: 'no_oom', score: 0.92 },
          { cause: 'limit_too_low', score: 0 },
        ],
        investigateFirst:
          "Read the previous container's log: `kubectl -n shop describe pod cart-lk4nk-84flf`.",
        recommendation: undefined,
        actions: [
          {
            kind: 'none',
            title: 'No memory change: find why the kubelet restarted it',
            command: 'kubectl -n shop logs cart-lk4nk-84flf -c cart --previous --tail=100',
          },
        ],
        kills: kills({
          oomKills: 0,
          otherRestarts: 2,
          firstKillAt: undefined,
          lastKillAt: undefined,
          exitCodes: [143],
        }),
        facts: {
          limitBytes: 512 * MI,
          requestBytes: 384 * MI,
          peakBytes: 357 * MI,
          restarts: 2,
          podCount: 2,
        },
        chart: buildChart({ proposedLimitBytes: undefined }),
      });
    default:
      return buildDiagnosis({
        cause: 'unknown',
        confidence: 0.2,
        headline: 'prod/auth-service: cause unknown — the evidence does not separate the causes',
        evidence: [],
        recommendation: undefined,
        investigateFirst: 'Restore the missing data sources first; the diagnosis lists them.',
        actions: [
          {
            kind: 'none',
            title: 'Not enough evidence to act: fill the gaps listed below and re-diagnose',
            command: 'kubectl -n prod describe pod auth-service-7d9f8-abcde',
          },
        ],
        facts: { restarts: 3, podCount: 3 },
        kills: kills({
          oomKills: 0,
          otherRestarts: 3,
          firstKillAt: undefined,
          lastKillAt: undefined,
          exitCodes: [],
        }),
        missing: [
          'memory working set (no series for these pods)',
          'node memory (node-exporter)',
          'traffic: no request-rate metric found for app=auth-service',
        ],
        chart: buildChart({ pods: [], kills: [], traffic: undefined, proposedLimitBytes: undefined }),
      });
  }
}

export const ALL_CAUSES: Cause[] = [
  'traffic_surge',
  'limit_too_low',
  'memory_leak',
  'node_pressure',
  'heap_misconfigured',
  'no_oom',
  'unknown',
];

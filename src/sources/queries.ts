/**
 * Every metric query the bot makes, in one place. A query is data (QuerySpec); `toPromQL`
 * renders it for Prometheus, and the scenario-file source evaluates the same spec itself,
 * so both answer the same question the same way.
 */

export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export type RangeFunction = 'max_over_time' | 'min_over_time' | 'rate' | 'deriv';

export interface QuerySpec {
  metric: string;
  matchers: Matcher[];
  fn: RangeFunction;
  /** Range of the range-vector selector; defaults to the query step. */
  rangeSeconds?: number;
  /** Aggregate with `sum by (...)` after the range function. */
  sumBy?: string[];
}

/** Prometheus refuses more than 11,000 points per series; stay under it, never finer than 15 s. */
export function chooseStep(rangeSeconds: number, minStepSeconds = 15): number {
  return Math.max(minStepSeconds, Math.ceil(rangeSeconds / 10_000));
}

const RATE_WINDOW_SECONDS = 300;

function eq(label: string, value: string): Matcher {
  return { label, op: '=', value };
}
function re(label: string, value: string): Matcher {
  return { label, op: '=~', value };
}

/** A regex alternation of literal names. */
export function anyOf(names: string[]): string {
  return names.map(escapeRegex).join('|');
}

export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface PodScope {
  namespace: string;
  /** Regex (RE2, fully anchored by Prometheus) matching the workload's pod names. */
  podRegex: string;
}

const CONTAINER_ONLY: Matcher[] = [
  { label: 'container', op: '!=', value: '' },
  { label: 'container', op: '!=', value: 'POD' },
];

export const containerQueries = {
  workingSet: (s: PodScope): QuerySpec => ({
    metric: 'container_memory_working_set_bytes',
    matchers: [eq('namespace', s.namespace), re('pod', s.podRegex), ...CONTAINER_ONLY],
    fn: 'max_over_time',
  }),
  limits: (s: PodScope): QuerySpec => ({
    metric: 'kube_pod_container_resource_limits',
    matchers: [eq('namespace', s.namespace), re('pod', s.podRegex), eq('resource', 'memory')],
    fn: 'max_over_time',
  }),
  requests: (s: PodScope): QuerySpec => ({
    metric: 'kube_pod_container_resource_requests',
    matchers: [eq('namespace', s.namespace), re('pod', s.podRegex), eq('resource', 'memory')],
    fn: 'max_over_time',
  }),
  restarts: (s: PodScope): QuerySpec => ({
    metric: 'kube_pod_container_status_restarts_total',
    matchers: [eq('namespace', s.namespace), re('pod', s.podRegex)],
    fn: 'max_over_time',
  }),
  lastTerminatedReason: (s: PodScope): QuerySpec => ({
    metric: 'kube_pod_container_status_last_terminated_reason',
    matchers: [eq('namespace', s.namespace), re('pod', s.podRegex)],
    fn: 'max_over_time',
  }),
  lastTerminatedExitCode: (s: PodScope): QuerySpec => ({
    metric: 'kube_pod_container_status_last_terminated_exitcode',
    matchers: [eq('namespace', s.namespace), re('pod', s.podRegex)],
    fn: 'max_over_time',
  }),
};

export const nodeQueries = {
  available: (nodes: string[]): QuerySpec => ({
    metric: 'node_memory_MemAvailable_bytes',
    matchers: [re('node', anyOf(nodes))],
    fn: 'min_over_time',
  }),
  total: (nodes: string[]): QuerySpec => ({
    metric: 'node_memory_MemTotal_bytes',
    matchers: [re('node', anyOf(nodes))],
    fn: 'max_over_time',
  }),
  oomKills: (nodes: string[]): QuerySpec => ({
    metric: 'node_vmstat_oom_kill',
    matchers: [re('node', anyOf(nodes))],
    fn: 'max_over_time',
  }),
  memoryPressure: (nodes: string[]): QuerySpec => ({
    metric: 'kube_node_status_condition',
    matchers: [re('node', anyOf(nodes)), eq('condition', 'MemoryPressure'), eq('status', 'true')],
    fn: 'max_over_time',
  }),
};

/** The node diagnosis: the working set of each pod on one node, per namespace (pods named). */
export const nodePodQueries = {
  workingSet: (namespace: string, pods: string[]): QuerySpec => ({
    metric: 'container_memory_working_set_bytes',
    matchers: [eq('namespace', namespace), re('pod', anyOf(pods)), ...CONTAINER_ONLY],
    fn: 'max_over_time',
    sumBy: ['namespace', 'pod'],
  }),
};

interface TrafficScope extends PodScope {
  workload: string;
  services: string[];
}

/** The four request-metric families, most specific first. */
export const trafficQueries = {
  http_requests_total: (s: TrafficScope): QuerySpec => ({
    metric: 'http_requests_total',
    matchers: [eq('namespace', s.namespace), re('pod', s.podRegex)],
    fn: 'rate',
    rangeSeconds: RATE_WINDOW_SECONDS,
    sumBy: ['pod'],
  }),
  http_server_requests_seconds_count: (s: TrafficScope): QuerySpec => ({
    metric: 'http_server_requests_seconds_count',
    matchers: [eq('namespace', s.namespace), re('pod', s.podRegex)],
    fn: 'rate',
    rangeSeconds: RATE_WINDOW_SECONDS,
    sumBy: ['pod'],
  }),
  istio_requests_total: (s: TrafficScope): QuerySpec => ({
    metric: 'istio_requests_total',
    matchers: [
      eq('destination_workload_namespace', s.namespace),
      eq('destination_workload', s.workload),
      eq('reporter', 'destination'),
    ],
    fn: 'rate',
    rangeSeconds: RATE_WINDOW_SECONDS,
    sumBy: ['destination_workload'],
  }),
  nginx_ingress_controller_requests: (s: TrafficScope): QuerySpec => ({
    metric: 'nginx_ingress_controller_requests',
    matchers: [eq('exported_namespace', s.namespace), re('service', anyOf(s.services))],
    fn: 'rate',
    rangeSeconds: RATE_WINDOW_SECONDS,
    sumBy: ['service'],
  }),
} as const;

export const TRAFFIC_SCOPE: Record<keyof typeof trafficQueries, 'pod' | 'service'> = {
  http_requests_total: 'pod',
  http_server_requests_seconds_count: 'pod',
  istio_requests_total: 'service',
  nginx_ingress_controller_requests: 'service',
};

function renderMatcher(m: Matcher): string {
  const value = m.value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return `${m.label}${m.op}"${value}"`;
}

/** The PromQL for a spec at a given step. */
export function toPromQL(spec: QuerySpec, stepSeconds: number): string {
  const selector = `${spec.metric}{${spec.matchers.map(renderMatcher).join(',')}}`;
  const range = spec.rangeSeconds ?? stepSeconds;
  const inner = `${spec.fn}(${selector}[${range}s])`;
  return spec.sumBy ? `sum by (${spec.sumBy.join(',')}) (${inner})` : inner;
}

// ---------------------------------------------------------------------------------------------
// Bulk queries of the forecast scan: each answers for every container (or node) of the cluster,
// or of one namespace, at once. The scan evaluates them at one instant (a one-step range query).

export interface BulkScope {
  /** One namespace, or every namespace when undefined. */
  namespace?: string;
  /** The window peaks, restarts and kills are read over. */
  windowSeconds: number;
  /** The range the working-set slope is fitted over. */
  trendSeconds: number;
}

/** Samples this recent count as "now". */
const CURRENT_RANGE_SECONDS = 300;

function inScope(s: BulkScope): Matcher[] {
  return s.namespace === undefined ? [] : [eq('namespace', s.namespace)];
}

export const bulkQueries = {
  peak: (s: BulkScope): QuerySpec => ({
    metric: 'container_memory_working_set_bytes',
    matchers: [...inScope(s), ...CONTAINER_ONLY],
    fn: 'max_over_time',
    rangeSeconds: s.windowSeconds,
  }),
  current: (s: BulkScope): QuerySpec => ({
    metric: 'container_memory_working_set_bytes',
    matchers: [...inScope(s), ...CONTAINER_ONLY],
    fn: 'max_over_time',
    rangeSeconds: CURRENT_RANGE_SECONDS,
  }),
  slope: (s: BulkScope): QuerySpec => ({
    metric: 'container_memory_working_set_bytes',
    matchers: [...inScope(s), ...CONTAINER_ONLY],
    fn: 'deriv',
    rangeSeconds: s.trendSeconds,
  }),
  limits: (s: BulkScope): QuerySpec => ({
    metric: 'kube_pod_container_resource_limits',
    matchers: [...inScope(s), eq('resource', 'memory')],
    fn: 'max_over_time',
    rangeSeconds: CURRENT_RANGE_SECONDS * 3,
  }),
  requests: (s: BulkScope): QuerySpec => ({
    metric: 'kube_pod_container_resource_requests',
    matchers: [...inScope(s), eq('resource', 'memory')],
    fn: 'max_over_time',
    rangeSeconds: CURRENT_RANGE_SECONDS * 3,
  }),
  /** Per second over the window; times the window, the restarts in it. */
  restartRate: (s: BulkScope): QuerySpec => ({
    metric: 'kube_pod_container_status_restarts_total',
    matchers: inScope(s),
    fn: 'rate',
    rangeSeconds: s.windowSeconds,
  }),
  oomKilled: (s: BulkScope): QuerySpec => ({
    metric: 'kube_pod_container_status_last_terminated_reason',
    matchers: [...inScope(s), eq('reason', 'OOMKilled')],
    fn: 'max_over_time',
    rangeSeconds: s.windowSeconds,
  }),
  nodePressure: (s: BulkScope): QuerySpec => ({
    metric: 'kube_node_status_condition',
    matchers: [eq('condition', 'MemoryPressure'), eq('status', 'true')],
    fn: 'max_over_time',
    rangeSeconds: s.windowSeconds,
  }),
};

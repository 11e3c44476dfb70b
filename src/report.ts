/** The `--output json` report: the diagnosis in the stable shape scripts and tests read. */
import { type NodeDiagnosis, nodeJson } from './domain/node-diagnosis.ts';
import type { Diagnosis, PressureNodeFacts, ReplayResult, RolloutFacts } from './domain/types.ts';

export interface JsonReport {
  cause: Diagnosis['cause'];
  confidence: number;
  headline: string;
  target: {
    cluster?: string;
    namespace: string;
    workload: { kind: string; name: string };
    service?: string;
    container: string;
  };
  evidence: string[];
  rejected: Array<{ cause: string; reason: string }>;
  ranking: Array<{ cause: string; score: number }>;
  investigateFirst: string;
  actions: Array<{ kind: string; title: string; detail?: string; command?: string }>;
  recommendation?: {
    container: string;
    memoryLimitBytes: number;
    memoryRequestBytes: number;
    memoryLimit: string;
    memoryRequest: string;
    currentLimitBytes?: number;
    currentRequestBytes?: number;
    rationale: string;
    replay?: ReplayResult;
  };
  kills: Diagnosis['kills'];
  missing: string[];
  at: string;
  /** A rollout inside the window: the revision before it, the one it created, and when (RFC 3339). */
  rollout?: Omit<RolloutFacts, 'at'> & { at: string };
  /** node_pressure: the node that starved the workload, and its node incident's thread when open. */
  pressureNode?: PressureNodeFacts;
}

export function toJsonReport(d: Diagnosis): JsonReport {
  const report: JsonReport = {
    cause: d.cause,
    confidence: d.confidence,
    headline: d.headline,
    target: {
      ...(d.target.cluster ? { cluster: d.target.cluster } : {}),
      namespace: d.target.namespace,
      workload: { kind: d.target.workload.kind, name: d.target.workload.name },
      ...(d.target.service ? { service: d.target.service } : {}),
      container: d.container,
    },
    evidence: d.evidence,
    rejected: d.rejected,
    ranking: d.ranking,
    investigateFirst: d.investigateFirst,
    actions: d.actions.map((a) => ({
      kind: a.kind,
      title: a.title,
      ...(a.detail ? { detail: a.detail } : {}),
      ...(a.command ? { command: a.command } : {}),
    })),
    kills: d.kills,
    missing: d.missing,
    at: new Date(d.at * 1000).toISOString(),
  };
  if (d.recommendation) {
    const r = d.recommendation;
    report.recommendation = {
      container: r.container,
      memoryLimitBytes: r.memoryLimitBytes,
      memoryRequestBytes: r.memoryRequestBytes,
      memoryLimit: r.memoryLimit,
      memoryRequest: r.memoryRequest,
      currentLimitBytes: r.currentLimitBytes,
      currentRequestBytes: r.currentRequestBytes,
      rationale: r.rationale,
      replay: r.replay,
    };
  }
  if (d.rollout)
    report.rollout = {
      from: d.rollout.from,
      to: d.rollout.to,
      at: new Date(d.rollout.at * 1000).toISOString(),
    };
  if (d.pressureNode) report.pressureNode = d.pressureNode;
  return report;
}

/** The `--output json` report of `diagnose --node`: the node diagnosis with `node {name, pods[...]}`. */
interface NodeJsonReport {
  cause: 'node_pressure';
  headline: string;
  target: { cluster?: string; node: string };
  evidence: string[];
  advice: string[];
  node: ReturnType<typeof nodeJson>;
  overcommit: number;
  limitsBytes: number;
  requestsBytes: number;
  reservedBytes: number;
  evictions: Array<{ namespace: string; pod: string; at: string; message?: string }>;
  missing: string[];
  at: string;
}

export function toNodeJsonReport(d: NodeDiagnosis, missing: string[], cluster?: string): NodeJsonReport {
  return {
    cause: 'node_pressure',
    headline: d.headline,
    target: { ...(cluster ? { cluster } : {}), node: d.node },
    evidence: d.evidence,
    advice: d.advice,
    node: nodeJson(d),
    overcommit: d.overcommit,
    limitsBytes: d.limitsBytes,
    requestsBytes: d.requestsBytes,
    reservedBytes: d.reservedBytes,
    evictions: d.evictions.map((e) => ({
      namespace: e.namespace,
      pod: e.pod,
      at: new Date(e.at * 1000).toISOString(),
      ...(e.message ? { message: e.message } : {}),
    })),
    missing,
    at: new Date(d.at * 1000).toISOString(),
  };
}

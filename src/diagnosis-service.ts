/**
 * The diagnosis service: resolve the workload asked about, collect its evidence, diagnose. The CLI
 * calls it as is; the diagnose job passes steps to post progress between the stages.
 */
import { diagnose } from './domain/diagnose.ts';
import type { RecommendOptions } from './domain/recommend.ts';
import type { Diagnosis, Evidence, Target } from './domain/types.ts';
import { collectEvidence, type EvidenceSources } from './evidence.ts';
import { resolveTarget, type TargetQuery } from './sources/cluster.ts';

interface DiagnosisRequest extends TargetQuery {
  /** `name` is a pod's (an alert without a workload label): the resolver follows its owners. */
  pod?: string;
  /** The end of the evidence window, epoch seconds. */
  at: number;
  windowSeconds?: number;
}

interface DiagnosisOptions {
  timeoutMs?: number;
  recommend?: Partial<RecommendOptions>;
  /** The cluster name written on the target (the context the sources read). */
  cluster?: string;
}

/** Called between the stages; `resolved` returning false stops before any evidence is read. */
interface DiagnosisSteps {
  resolved?(target: Target): Promise<boolean>;
  collected?(evidence: Evidence): Promise<void>;
}

export interface DiagnosisRun {
  target: Target;
  evidence: Evidence;
  diagnosis: Diagnosis;
}

export function diagnoseWorkload(
  sources: EvidenceSources,
  request: DiagnosisRequest,
  options?: DiagnosisOptions,
): Promise<DiagnosisRun>;
export function diagnoseWorkload(
  sources: EvidenceSources,
  request: DiagnosisRequest,
  options: DiagnosisOptions,
  steps: DiagnosisSteps,
): Promise<DiagnosisRun | undefined>;
export async function diagnoseWorkload(
  sources: EvidenceSources,
  request: DiagnosisRequest,
  options: DiagnosisOptions = {},
  steps: DiagnosisSteps = {},
): Promise<DiagnosisRun | undefined> {
  const query: TargetQuery & { pod?: string } = {
    name: request.name,
    namespace: request.namespace,
    ...(request.pod ? { pod: request.pod } : {}),
  };
  const target = await resolveTarget(sources.cluster, query);
  if (options.cluster) target.cluster = options.cluster;
  if (steps.resolved && !(await steps.resolved(target))) return undefined;
  const evidence = await collectEvidence(sources, target, {
    at: request.at,
    windowSeconds: request.windowSeconds,
    timeoutMs: options.timeoutMs,
  });
  await steps.collected?.(evidence);
  return { target, evidence, diagnosis: diagnose(evidence, options.recommend) };
}

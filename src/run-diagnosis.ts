/** The application service: resolve what was asked, collect evidence, diagnose. */
import { diagnose } from './domain/diagnose.ts';
import type { RecommendOptions } from './domain/recommend.ts';
import type { Diagnosis, Evidence } from './domain/types.ts';
import { collectEvidence, type EvidenceSources } from './evidence.ts';
import { resolveTarget, type TargetQuery } from './sources/cluster.ts';

export interface DiagnosisRequest extends TargetQuery {
  at: number;
  windowSeconds?: number;
}

export interface DiagnosisRun {
  evidence: Evidence;
  diagnosis: Diagnosis;
}

export async function runDiagnosis(
  sources: EvidenceSources,
  request: DiagnosisRequest,
  options: { timeoutMs?: number; recommend?: Partial<RecommendOptions>; cluster?: string } = {},
): Promise<DiagnosisRun> {
  const target = await resolveTarget(sources.cluster, { name: request.name, namespace: request.namespace });
  if (options.cluster) target.cluster = options.cluster;
  const evidence = await collectEvidence(sources, target, {
    at: request.at,
    windowSeconds: request.windowSeconds,
    timeoutMs: options.timeoutMs,
  });
  return { evidence, diagnosis: diagnose(evidence, options.recommend) };
}

/**
 * The node diagnosis service: read one node's evidence (targeted reads, see
 * node-evidence.ts) within the source timeout, and diagnose it. The CLI's
 * `diagnose --node` and the node incident's job call it.
 */
import { diagnoseNode, type NodeDiagnosis } from './domain/node-diagnosis.ts';
import { OomBotError } from './errors.ts';
import type { EvidenceSources } from './evidence.ts';
import { readNodeEvidence } from './node-evidence.ts';
import { withTimeout } from './timeout.ts';

interface NodeDiagnosisRun {
  diagnosis: NodeDiagnosis;
  /** Sources that did not answer; the diagnosis ran without them. */
  missing: string[];
}

export async function diagnoseNodeByName(
  sources: EvidenceSources,
  request: { node: string; at: number },
  options: { timeoutMs?: number } = {},
): Promise<NodeDiagnosisRun> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const { evidence, missing } = await withTimeout(
    readNodeEvidence(sources, request),
    timeoutMs,
    () =>
      new OomBotError(
        'source_timeout',
        `${sources.cluster.name}: node ${request.node} timed out after ${timeoutMs} ms`,
      ),
  );
  return { diagnosis: diagnoseNode(evidence), missing };
}

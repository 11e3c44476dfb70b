/**
 * Create VPA: the VerticalPodAutoscaler exactly as the diagnosis showed it (the manifest in its
 * `kubectl apply` command), only in Off or Initial mode: the bot never lets a VPA evict pods.
 */
import { parse as parseYaml } from 'yaml';
import { OomBotError } from '../errors.ts';
import type { KubeObject } from '../sources/ports.ts';
import type { RemediationCluster } from './cluster.ts';
import type { PlanTarget } from './plan.ts';

/** Update modes the bot creates: recommendations only, or applied at pod creation. */
export const SAFE_VPA_MODES: ReadonlySet<string> = new Set(['Off', 'Initial']);

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are open-ended JSON
type Json = any;

/** The manifest inside `kubectl apply -f - <<'EOF' … EOF`; undefined when there is none. */
export function vpaFromAction(command: string): Record<string, unknown> | undefined {
  const match = /<<'?EOF'?\n([\s\S]*?)\nEOF/.exec(command);
  if (!match) return undefined;
  let doc: Json;
  try {
    doc = parseYaml(match[1] as string);
  } catch {
    return undefined;
  }
  if (doc?.kind !== 'VerticalPodAutoscaler' || doc?.apiVersion !== 'autoscaling.k8s.io/v1') return undefined;
  return doc as Record<string, unknown>;
}

/** Refuses a VPA that is not Off/Initial or that targets another workload. */
export function checkVpa(vpa: Json, target: PlanTarget): void {
  const mode = vpa?.spec?.updatePolicy?.updateMode ?? 'Auto';
  if (!SAFE_VPA_MODES.has(mode)) {
    throw new OomBotError(
      'approval_refused',
      `the VPA would run in ${mode} mode; the bot only creates VPAs in Off or Initial mode`,
    );
  }
  const ref = vpa?.spec?.targetRef ?? {};
  if (ref.kind !== target.kind || ref.name !== target.name) {
    throw new OomBotError(
      'approval_refused',
      `the VPA targets ${ref.kind}/${ref.name}, not ${target.kind}/${target.name}`,
    );
  }
}

/** The object to create: the shown manifest in the target namespace, with the audit annotations. */
export function vpaObject(
  vpa: Record<string, unknown>,
  target: PlanTarget,
  annotations: Record<string, string>,
): KubeObject {
  const obj = structuredClone(vpa) as Json;
  obj.metadata = {
    ...(obj.metadata ?? {}),
    namespace: target.namespace,
    labels: { ...(obj.metadata?.labels ?? {}), 'app.kubernetes.io/managed-by': 'oom-bot' },
    annotations: { ...(obj.metadata?.annotations ?? {}), ...annotations },
  };
  return obj as KubeObject;
}

/** Dry-run, then (unless dry-run only) create. An existing VPA of that name is never replaced. */
export async function createVpa(
  cluster: RemediationCluster,
  vpa: Record<string, unknown>,
  target: PlanTarget,
  annotations: Record<string, string>,
  options: { dryRunOnly: boolean },
): Promise<{ object: KubeObject; dryRun: boolean }> {
  checkVpa(vpa, target);
  const obj = vpaObject(vpa, target, annotations);
  await cluster.createVpa(target.namespace, obj, { dryRun: true });
  if (options.dryRunOnly) return { object: obj, dryRun: true };
  return { object: await cluster.createVpa(target.namespace, obj, { dryRun: false }), dryRun: false };
}

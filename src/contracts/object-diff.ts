/**
 * A change to a Kubernetes object as plain data: the leaves that differ between two versions,
 * the GitOps tool that owns the object when one does, and the diff text people read.
 */

export interface GitOpsOwner {
  tool: 'Argo CD' | 'Flux';
  /** The label or annotation that says so, e.g. `annotation argocd.argoproj.io/tracking-id`. */
  evidence: string;
}

export interface DiffLine {
  path: string;
  before?: string;
  after?: string;
}

/** `- path: old` / `+ path: new`, like a diff. */
export function formatDiff(lines: readonly DiffLine[]): string {
  const out: string[] = [];
  for (const l of lines) {
    if (l.before !== undefined) out.push(`- ${l.path}: ${l.before}`);
    if (l.after !== undefined) out.push(`+ ${l.path}: ${l.after}`);
  }
  return out.join('\n');
}

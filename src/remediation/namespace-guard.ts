/**
 * Where the worker may write at all, whatever the approval policy says: WRITE_NAMESPACES and
 * DENY_NAMESPACES, comma-separated glob patterns (`*` matches any run of characters). A write
 * goes ahead only in a namespace that some write pattern matches and no deny pattern matches.
 * The default denies `kube-*` and the bot's own namespace.
 */
import { matchesNamespace } from './policy.ts';

export interface NamespaceGuard {
  write: readonly string[];
  deny: readonly string[];
}

/** The deny list when DENY_NAMESPACES is unset: the system namespaces and the bot's own. */
export function defaultDenyNamespaces(ownNamespace: string | undefined): string[] {
  return ['kube-*', ownNamespace?.trim() || 'oom-bot'];
}

/** Why a write to `namespace` is refused, or undefined when it may go ahead. */
export function writeRefusal(guard: NamespaceGuard, namespace: string): string | undefined {
  const denied = guard.deny.find((p) => matchesNamespace(p, namespace));
  if (denied)
    return `namespace ${namespace} is closed to writes by the bot (DENY_NAMESPACES pattern ${denied}).`;
  if (!guard.write.some((p) => matchesNamespace(p, namespace))) {
    return `namespace ${namespace} is not in WRITE_NAMESPACES (${guard.write.join(', ') || 'empty'}).`;
  }
  return undefined;
}

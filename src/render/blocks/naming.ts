/**
 * How a target is named in a message: "prod/auth-service" and "deployment/auth in prod on
 * prod-eu", escaped for mrkdwn.
 */
import type { Target } from '../../domain/types.ts';
import { escapeMrkdwn } from '../mrkdwn.ts';

export function targetName(t: Target): string {
  return t.service ?? t.workload.name;
}

/** "prod/auth-service", escaped. */
export function whereText(t: Target): string {
  return escapeMrkdwn(`${t.namespace}/${targetName(t)}`);
}

export function workloadText(t: Target): string {
  const kind = t.workload.kind.toLowerCase();
  const cluster = t.cluster ? ` on ${t.cluster}` : '';
  return escapeMrkdwn(`${kind}/${t.workload.name} in ${t.namespace}${cluster}`);
}

/**
 * Evidence with a rollout inside the window, for deploy_regression tests: the working set before
 * the rollout belongs to the old ReplicaSet's pods, and both revisions carry their templates.
 */
import type { ContainerSpec, Evidence } from '../../src/domain/types.ts';
import { AT, MI } from './evidence-builder.ts';

export const ROLLOUT = AT - 10 * 3600;
export const NEW_RS = 'svc-7d9f8b6c5d';
export const OLD_RS = 'svc-5c4b3a2918';

export function app(image: string, limit: number): ContainerSpec {
  return { name: 'app', image, limitBytes: limit, requestBytes: 512 * MI, env: {}, command: [], args: [] };
}

/** Working set before the rollout belongs to the old ReplicaSet's pods; the revisions carry their templates. */
export function withRollout(e: Evidence, before: ContainerSpec, after: ContainerSpec): Evidence {
  const workingSet = e.metrics.workingSet.flatMap((s) => {
    const cut = s.t.findIndex((t) => t >= ROLLOUT);
    if (cut <= 0) return [s];
    const oldPod = (s.labels.pod ?? '').replace(NEW_RS, OLD_RS);
    return [
      { labels: { ...s.labels, pod: oldPod }, t: s.t.slice(0, cut), v: s.v.slice(0, cut) },
      { ...s, t: s.t.slice(cut), v: s.v.slice(cut) },
    ];
  });
  return {
    ...e,
    metrics: { ...e.metrics, workingSet },
    workload: {
      ...(e.workload as NonNullable<Evidence['workload']>),
      lastRolloutAt: ROLLOUT,
      revisions: [
        { name: NEW_RS, revision: 8, createdAt: ROLLOUT, podTemplateHash: '7d9f8b6c5d', containers: [after] },
        {
          name: OLD_RS,
          revision: 7,
          createdAt: ROLLOUT - 9 * 86400,
          podTemplateHash: '5c4b3a2918',
          containers: [before],
        },
      ],
    },
  };
}

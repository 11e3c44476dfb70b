import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { formatDiff } from '../../../src/contracts/object-diff.ts';
import {
  ANNOTATIONS,
  changeAnnotations,
  diffObjects,
  gitOpsOwner,
  gitOpsPatchYaml,
  memoryPatch,
  unexpectedChanges,
} from '../../../src/remediation/patch.ts';
import type { KubeObject } from '../../../src/sources/ports.ts';

const TARGET = { namespace: 'prod', kind: 'Deployment' as const, name: 'auth-service' };

function deployment(
  overrides: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'auth-service',
      namespace: 'prod',
      resourceVersion: '41',
      generation: 3,
      labels: overrides.labels ?? { app: 'auth-service' },
      annotations: overrides.annotations ?? { 'deployment.kubernetes.io/revision': '3' },
    },
    spec: {
      replicas: 3,
      template: {
        spec: {
          containers: [
            {
              name: 'auth',
              image: 'auth:1',
              resources: { limits: { memory: '512Mi', cpu: '1' }, requests: { memory: '256Mi' } },
            },
            { name: 'istio-proxy', image: 'proxyv2:1', resources: { limits: { memory: '128Mi' } } },
          ],
        },
      },
    },
  };
}

describe('memoryPatch: the strategic-merge patch of exactly one container', () => {
  it('names one container, touches only its memory, and carries the precondition and annotations', () => {
    const patch = memoryPatch(
      'auth',
      { limit: '2Gi', request: '1Gi' },
      {
        resourceVersion: '41',
        annotations: { 'oom-bot/change-id': 'abc' },
      },
    );
    assert.deepEqual(patch, {
      metadata: { resourceVersion: '41', annotations: { 'oom-bot/change-id': 'abc' } },
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'auth', resources: { limits: { memory: '2Gi' }, requests: { memory: '1Gi' } } },
            ],
          },
        },
      },
    });
  });

  it('removes a value that was unset before (null in a strategic merge), so a rollback restores it exactly', () => {
    const patch = memoryPatch('auth', { limit: '512Mi' }) as {
      spec: { template: { spec: { containers: Array<{ resources: unknown }> } } };
    };
    assert.deepEqual(patch.spec.template.spec.containers[0]?.resources, {
      limits: { memory: '512Mi' },
      requests: { memory: null },
    });
    assert.equal('metadata' in patch, false, 'no precondition unless asked');
  });

  it('writes who, what, when and the incident as annotations', () => {
    const a = changeAnnotations({
      changeId: 'c1',
      action: 'apply',
      container: 'auth',
      previous: { limit: '512Mi' },
      applied: { limit: '2Gi', request: '1Gi' },
      approver: 'U0APPROVER',
      at: Date.parse('2026-11-24T09:45:00Z') / 1000,
      incidentId: 'inc-1',
    });
    assert.equal(a[ANNOTATIONS.previous], 'limit=512Mi request=unset');
    assert.equal(a[ANNOTATIONS.applied], 'limit=2Gi request=1Gi');
    assert.equal(a[ANNOTATIONS.approvedBy], 'U0APPROVER');
    assert.equal(a[ANNOTATIONS.at], '2026-11-24T09:45:00Z');
    assert.equal(a[ANNOTATIONS.incident], 'inc-1');
    for (const key of Object.keys(a)) assert.match(key, /^oom-bot\/[a-z-]+$/);
  });
});

describe('GitOps ownership', () => {
  // each row: labels/annotations, and who owns the workload (undefined: nobody)
  const rows: Array<[string, Parameters<typeof deployment>[0], string | undefined]> = [
    [
      'Argo CD annotation tracking',
      { annotations: { 'argocd.argoproj.io/tracking-id': 'shop:apps/Deployment:prod/auth' } },
      'Argo CD',
    ],
    ['Argo CD label tracking', { labels: { 'argocd.argoproj.io/instance': 'shop' } }, 'Argo CD'],
    [
      'a Flux Kustomization',
      {
        labels: {
          'kustomize.toolkit.fluxcd.io/name': 'apps',
          'kustomize.toolkit.fluxcd.io/namespace': 'flux-system',
        },
      },
      'Flux',
    ],
    ['a Flux HelmRelease', { labels: { 'helm.toolkit.fluxcd.io/name': 'auth' } }, 'Flux'],
    ['Flux v1', { annotations: { 'fluxcd.io/automated': 'true' } }, 'Flux'],
    [
      'Helm alone (app.kubernetes.io/instance is not GitOps)',
      { labels: { 'app.kubernetes.io/instance': 'auth', 'app.kubernetes.io/managed-by': 'Helm' } },
      undefined,
    ],
    ['nothing', {}, undefined],
  ];
  for (const [what, meta, tool] of rows) {
    it(`${what}: ${tool ?? 'not managed'}`, () => {
      assert.equal(gitOpsOwner(deployment(meta))?.tool, tool);
    });
  }

  it('offers the change as a patch file that names the workload and only that container', () => {
    const yaml = gitOpsPatchYaml(TARGET, 'auth', { limit: '2Gi', request: '1Gi' });
    assert.deepEqual(parse(yaml), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'auth-service', namespace: 'prod' },
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'auth', resources: { limits: { memory: '2Gi' }, requests: { memory: '1Gi' } } },
            ],
          },
        },
      },
    });
  });
});

describe('diff of an object and its dry run', () => {
  it('lists the changed leaves, keyed by container name, ignoring bookkeeping', () => {
    const before = deployment();
    const after = structuredClone(before) as KubeObject;
    after.metadata = {
      ...after.metadata,
      resourceVersion: '42',
      generation: 4,
      annotations: { ...after.metadata?.annotations, 'oom-bot/change-id': 'c1' },
    };
    after.spec.template.spec.containers[0].resources = {
      limits: { memory: '2Gi', cpu: '1' },
      requests: { memory: '1Gi' },
    };
    const diff = diffObjects(before, after);
    assert.equal(
      formatDiff(diff),
      [
        '+ metadata.annotations.oom-bot/change-id: "c1"',
        '- spec.template.spec.containers[auth].resources.limits.memory: "512Mi"',
        '+ spec.template.spec.containers[auth].resources.limits.memory: "2Gi"',
        '- spec.template.spec.containers[auth].resources.requests.memory: "256Mi"',
        '+ spec.template.spec.containers[auth].resources.requests.memory: "1Gi"',
      ].join('\n'),
    );
    assert.deepEqual(unexpectedChanges(diff, 'auth'), []);
  });

  it("flags any change outside the target container's memory", () => {
    const before = deployment();
    const after = structuredClone(before) as KubeObject;
    after.spec.template.spec.containers[1].resources.limits.memory = '256Mi';
    after.spec.template.spec.containers[0].resources.limits.cpu = '2';
    after.spec.replicas = 1;
    assert.deepEqual(unexpectedChanges(diffObjects(before, after), 'auth').sort(), [
      'spec.replicas',
      'spec.template.spec.containers[auth].resources.limits.cpu',
      'spec.template.spec.containers[istio-proxy].resources.limits.memory',
    ]);
  });
});

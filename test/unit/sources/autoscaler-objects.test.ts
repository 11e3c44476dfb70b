/**
 * How the diagnosis reads autoscalers from the cluster: an HPA's memory Utilization target (and
 * where it sits in spec.metrics), a VPA's update mode and each container entry's memory bounds.
 */
import assert from 'node:assert/strict';
import { findMemoryTarget, toHpaInfo, toVpaInfo } from '../../../src/sources/kube-objects.ts';

describe('autoscalers as the diagnosis reads them', () => {
  it("finds an HPA's memory Utilization target, not a memory AverageValue nor a CPU target", () => {
    const metric = (name: string, target: object) => ({ type: 'Resource', resource: { name, target } });
    const hpa = {
      metadata: { name: 'api' },
      spec: {
        maxReplicas: 6,
        metrics: [
          metric('cpu', { type: 'Utilization', averageUtilization: 70 }),
          metric('memory', { type: 'Utilization', averageUtilization: 80 }),
        ],
      },
    };
    assert.deepEqual(toHpaInfo(hpa), {
      name: 'api',
      minReplicas: undefined,
      maxReplicas: 6,
      metrics: ['cpu', 'memory'],
      memoryTarget: { index: 1, averageUtilization: 80 },
    });
    const byValue = { spec: { metrics: [metric('memory', { type: 'AverageValue', averageValue: '1Gi' })] } };
    assert.equal(findMemoryTarget(byValue), undefined);
    assert.equal(toHpaInfo({ spec: { maxReplicas: 2 } }).memoryTarget, undefined);
  });

  it("reads a VPA's mode, controlled values and each entry's memory bounds in order", () => {
    const vpa = {
      metadata: { name: 'api' },
      spec: {
        targetRef: { kind: 'Deployment', name: 'api' },
        resourcePolicy: {
          containerPolicies: [
            { containerName: '*', controlledValues: 'RequestsOnly', maxAllowed: { memory: '2Gi', cpu: '1' } },
            { containerName: 'app', minAllowed: { memory: '256Mi' } },
            { containerName: 'proxy', mode: 'Off' },
            { containerName: 'cpu-only', controlledResources: ['cpu'] },
          ],
        },
      },
    };
    assert.deepEqual(toVpaInfo(vpa), {
      name: 'api',
      mode: 'Auto',
      controlledValues: 'RequestsOnly',
      containers: [
        { containerName: '*', maxAllowedMemory: '2Gi' },
        { containerName: 'app', minAllowedMemory: '256Mi' },
        { containerName: 'proxy', mode: 'Off' },
        { containerName: 'cpu-only', controlsMemory: false },
      ],
    });
    assert.deepEqual(toVpaInfo({ metadata: { name: 'x' }, spec: { updatePolicy: { updateMode: 'Off' } } }), {
      name: 'x',
      mode: 'Off',
    });
  });
});

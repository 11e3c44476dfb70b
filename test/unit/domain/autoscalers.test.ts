/**
 * Advice an autoscaler would undo or bend: a VPA that rewrites requests gets a typed vpa_policy
 * action (and no second VPA); an HPA on memory utilization is told what the new request does to
 * it, and its target moves with the request only for a traffic surge.
 */
import assert from 'node:assert/strict';
import {
  hpaMemoryEffect,
  planVpaBounds,
  vpaPolicyAction,
  vpaRewritesRequests,
} from '../../../src/domain/autoscalers.ts';
import { renderHpaMemoryTarget, renderVpaPolicy } from '../../../src/domain/commands.ts';
import { diagnose } from '../../../src/domain/diagnose.ts';
import type { Evidence } from '../../../src/domain/types.ts';
import { AT, buildEvidence, GI, MI } from '../../support/evidence-builder.ts';

const H = 3600;
const spiky = (limit: number) => (c: { t: number }) => ((c.t / 60) % 120 < 2 ? 1.12 * limit : 0.86 * limit);
const tooLow = () => buildEvidence({ memory: spiky(512 * MI), traffic: () => 50 });
const surge = () =>
  buildEvidence({
    memory: (c) => 150 * MI + c.rps * 1.5 * MI,
    traffic: (t) => (t >= AT - 3 * H ? 300 : 100),
  });

function withVpa(e: Evidence, mode: string, bounds?: { min?: string; max?: string }): Evidence {
  const container = 'app';
  return {
    ...e,
    vpa: {
      name: 'auth-vpa',
      mode,
      containers: [
        { containerName: '*' },
        {
          containerName: container,
          ...(bounds?.min ? { minAllowedMemory: bounds.min } : {}),
          ...(bounds?.max ? { maxAllowedMemory: bounds.max } : {}),
        },
      ],
    },
  };
}

describe('a VPA that rewrites requests', () => {
  it('gets Set VPA bounds at the recommended request, with the command rendered from the typed fields, and no Create VPA', () => {
    const plain = diagnose(tooLow());
    assert.ok(
      plain.actions.some((a) => a.kind === 'create_vpa'),
      'without a VPA, Create VPA is offered',
    );
    assert.ok(!plain.actions.some((a) => a.kind === 'vpa_policy'));

    const e = withVpa(tooLow(), 'Auto', { max: '256Mi' });
    const d = diagnose(e);
    const rec = d.recommendation;
    assert.ok(rec);
    const action = d.actions.find((a) => a.kind === 'vpa_policy');
    assert.deepEqual(action?.vpaPolicy, {
      vpaName: 'auth-vpa',
      container: d.container,
      minAllowedBytes: rec.memoryRequestBytes,
      maxAllowedBytes: rec.memoryRequestBytes,
    });
    assert.equal(action.command, renderVpaPolicy(e.target, action.vpaPolicy!));
    assert.match(action.command!, new RegExp(`minAllowed: \\{memory: ${rec.memoryRequest}\\}`));
    assert.ok(!d.actions.some((a) => a.kind === 'create_vpa'), 'never Create VPA beside an existing VPA');
    const patch = d.actions.find((a) => a.kind === 'patch_memory_limit');
    assert.match(patch?.detail ?? '', /VPA auth-vpa \(Auto\) rewrites requests at pod creation/);
  });

  it('leaves a VPA in Off mode alone, and one whose floor is already there', () => {
    assert.equal(vpaRewritesRequests(withVpa(tooLow(), 'Off')), undefined);
    const off = diagnose(withVpa(tooLow(), 'Off'));
    assert.ok(!off.actions.some((a) => a.kind === 'vpa_policy' || a.kind === 'create_vpa'));
    assert.equal(planVpaBounds(withVpa(tooLow(), 'Initial', { min: '4Gi' }), 'app', GI), undefined);
    assert.deepEqual(planVpaBounds(withVpa(tooLow(), 'Recreate', { max: '8Gi' }), 'app', GI), {
      vpaName: 'auth-vpa',
      container: 'app',
      minAllowedBytes: GI,
    });
  });

  it('leaves a container whose entry is Off, or controls no memory, alone', () => {
    const e = (bounds: object): Evidence => ({
      ...tooLow(),
      vpa: { name: 'v', mode: 'Auto', containers: [{ containerName: 'app', ...bounds }] },
    });
    assert.equal(planVpaBounds(e({ mode: 'Off' }), 'app', GI), undefined);
    assert.equal(planVpaBounds(e({ controlsMemory: false }), 'app', GI), undefined);
    assert.ok(planVpaBounds(e({ mode: 'Auto' }), 'app', GI));
  });

  it('takes the `*` entry for a container without its own', () => {
    const e: Evidence = {
      ...tooLow(),
      vpa: { name: 'v', mode: 'Auto', containers: [{ containerName: '*', maxAllowedMemory: '512Mi' }] },
    };
    const rec = { memoryRequestBytes: GI, memoryRequest: '1Gi' } as never;
    assert.deepEqual(vpaPolicyAction(e, 'app', rec)?.vpaPolicy, {
      vpaName: 'v',
      container: 'app',
      minAllowedBytes: GI,
      maxAllowedBytes: GI,
    });
  });
});

describe('an HPA on memory utilization', () => {
  const hpa = {
    name: 'api',
    maxReplicas: 6,
    metrics: ['cpu', 'memory'],
    memoryTarget: { index: 1, averageUtilization: 80 },
  };

  it('is shown where it will add pods with the new request', () => {
    const effect = hpaMemoryEffect({ ...tooLow(), hpa }, 'limit_too_low', 512 * MI, GI);
    assert.equal(
      effect?.text,
      'HPA api scales on memory at 80% of the request: with request 1Gi it adds pods at 819Mi per pod, was 410Mi (the memory does not follow load here, so its target stays)',
    );
    assert.equal(effect?.target, undefined);
  });

  it('for a traffic surge, moves its target with the request so it adds pods at the same usage', () => {
    const effect = hpaMemoryEffect({ ...surge(), hpa }, 'traffic_surge', 512 * MI, GI);
    assert.deepEqual(effect?.target, { hpaName: 'api', metricIndex: 1, fromPercent: 80, toPercent: 40 });
    assert.match(effect?.text ?? '', /Apply moves its target to 40% so it still adds pods at 410Mi/);
  });

  it('puts the typed target on the Apply action of a surge, and its patch in the command', () => {
    const e = { ...surge(), hpa };
    const d = diagnose(e);
    const patch = d.actions.find((a) => a.kind === 'patch_memory_limit');
    assert.equal(d.cause, 'traffic_surge');
    const target = patch?.hpaMemoryTarget;
    assert.ok(target, 'the HPA target moves with the request');
    assert.ok(patch?.command?.includes(renderHpaMemoryTarget(e.target, target)));
    assert.match(patch?.detail ?? '', /HPA api scales on memory at 80% of the request: with request/);
  });

  it('says nothing about an HPA that does not scale on memory', () => {
    const cpuOnly = { name: 'api', maxReplicas: 6, metrics: ['cpu'] };
    assert.equal(hpaMemoryEffect({ ...surge(), hpa: cpuOnly }, 'traffic_surge', 512 * MI, GI), undefined);
  });
});

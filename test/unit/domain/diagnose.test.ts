/**
 * The differential diagnosis, table-driven: each row is an incident shape a user would bring,
 * including the confounders that fool threshold rules, and the cause and advice they must get.
 */
import assert from 'node:assert/strict';
import {
  renderMemoryPatch,
  renderRollback,
  renderScaleOut,
  renderVpa,
} from '../../../src/domain/commands.ts';
import { diagnose } from '../../../src/domain/diagnose.ts';
import { mayRaiseLimit } from '../../../src/domain/limit-rule.ts';
import type { Cause } from '../../../src/domain/types.ts';
import { AT, buildEvidence, type EvidenceSpec, GI, MI } from '../../support/evidence-builder.ts';

const H = 3600;
const surgeAt = AT - 3 * H;
const diurnal = (t: number) => 1 + 0.3 * Math.sin((2 * Math.PI * t) / 86400);
/** Short spikes every two hours that cross a limit set too close to a steady footprint. */
const spiky = (limit: number) => (c: { t: number }) => ((c.t / 60) % 120 < 2 ? 1.12 * limit : 0.86 * limit);

interface Row {
  name: string;
  spec: EvidenceSpec;
  cause: Cause;
  /** Where a higher limit is right: the demand it must cover. */
  minLimit?: number;
  noLimitIncrease?: boolean;
  container?: string;
}

const rows: Row[] = [
  // Steady footprint at 86% of the limit, spikes cross it; traffic flat; no rollout.
  {
    name: 'limit too low',
    spec: { memory: spiky(512 * MI), traffic: (t) => 50 * diurnal(t) },
    cause: 'limit_too_low',
    minLimit: 1.12 * 512 * MI,
  },
  // Linear growth in every lifetime, restarting low each time; traffic flat.
  {
    name: 'memory leak',
    spec: { memory: (c) => 180 * MI + c.age * ((340 * MI) / (6 * H)), traffic: () => 40 },
    cause: 'memory_leak',
    noLimitIncrease: true,
  },
  // Memory = base + cost per request; traffic tripled three hours ago.
  {
    name: 'traffic surge (the seed)',
    spec: {
      memory: (c) => 150 * MI + c.rps * 1.5 * MI,
      traffic: (t) => (t >= surgeAt ? 300 : 100 * diurnal(t)),
    },
    cause: 'traffic_surge',
    minLimit: 600 * MI,
  },
  // The node ran out of memory: one pod evicted at 55% of its own limit.
  {
    name: 'node pressure',
    spec: {
      limit: 2 * GI,
      memory: () => 0.55 * 2 * GI,
      evicted: 1,
      memoryPressure: true,
      nodeAvailableShare: (t) => (t > AT - 2 * H ? 0.03 : 0.4),
    },
    cause: 'node_pressure',
    noLimitIncrease: true,
  },
  // -Xmx above the container limit: the JVM fills its heap and the kernel kills it first.
  {
    name: 'heap above the limit',
    spec: {
      limit: GI,
      env: { JAVA_TOOL_OPTIONS: '-Xms256m -Xmx2044m' },
      memory: (c) => 400 * MI + c.age * ((700 * MI) / (2 * H)),
      traffic: () => 80,
    },
    cause: 'heap_misconfigured',
    noLimitIncrease: true,
  },
  // Liveness failures: exit 143 every three hours, memory at 40%.
  {
    name: 'liveness restarts, not OOM',
    spec: {
      memory: () => 0.4 * 512 * MI,
      otherRestarts: { everySeconds: 3 * H, reason: 'Error', exitCode: 143 },
    },
    cause: 'no_oom',
    noLimitIncrease: true,
  },
  // Never restarted at all.
  { name: 'no restarts', spec: { memory: () => 0.5 * 512 * MI }, cause: 'no_oom', noLimitIncrease: true },
  // Confounder: a cache warms up for 20 minutes after each restart, then plateaus: not a leak.
  {
    name: 'warm-up plateau is not a leak',
    spec: {
      memory: (c) => (c.age < 1200 ? 0.3 * 512 * MI + (c.age / 1200) * 0.56 * 512 * MI : spiky(512 * MI)(c)),
      traffic: () => 30,
    },
    cause: 'limit_too_low',
    minLimit: 1.12 * 512 * MI,
  },
  // Confounder: a GC sawtooth near the limit with no trend, no heap flag.
  {
    name: 'GC sawtooth without trend',
    spec: {
      limit: GI,
      memory: (c) => (0.7 + 0.2 * ((c.t % 900) / 900)) * GI + ((c.t / 60) % 180 < 2 ? 0.35 * GI : 0),
      traffic: () => 60,
    },
    cause: 'limit_too_low',
    minLimit: 1.1 * GI,
  },
  // Confounder: a leak whose rate follows diurnal traffic; it still never goes down.
  {
    name: 'leak following traffic',
    spec: {
      memory: (c) => 200 * MI + c.age * ((300 * MI) / (5 * H)) * diurnal(c.t),
      traffic: (t) => 50 * diurnal(t),
    },
    cause: 'memory_leak',
    noLimitIncrease: true,
  },
  // Confounder: a slow leak with a single kill in 24 h.
  {
    name: 'slow leak, one kill',
    spec: { pods: 1, memory: (c) => 150 * MI + c.age * ((380 * MI) / (20 * H)), traffic: () => 20 },
    cause: 'memory_leak',
    noLimitIncrease: true,
  },
  // A sidecar is present and never dies: the diagnosis is about the app container.
  {
    name: 'sidecar ignored',
    spec: { sidecar: true, memory: spiky(512 * MI), traffic: () => 50 },
    cause: 'limit_too_low',
    container: 'app',
    minLimit: 1.12 * 512 * MI,
  },
  // Scrape gaps of an hour and of ten minutes.
  {
    name: 'scrape gaps',
    spec: {
      gaps: [
        [10, 9],
        [4, 3.8],
      ],
      memory: spiky(512 * MI),
      traffic: () => 50,
    },
    cause: 'limit_too_low',
    minLimit: 1.12 * 512 * MI,
  },
  // 15 s and 30 s scrape intervals.
  {
    name: '15 s interval leak',
    spec: { stepSeconds: 15, memory: (c) => 180 * MI + c.age * ((340 * MI) / (6 * H)), traffic: () => 40 },
    cause: 'memory_leak',
    noLimitIncrease: true,
  },
  {
    name: '30 s interval surge',
    spec: {
      stepSeconds: 30,
      memory: (c) => 150 * MI + c.rps * 1.5 * MI,
      traffic: (t) => (t >= surgeAt ? 300 : 100 * diurnal(t)),
    },
    cause: 'traffic_surge',
    minLimit: 600 * MI,
  },
  // A surge on top of a large steady footprint.
  {
    name: 'surge on a steady footprint',
    spec: {
      limit: GI,
      memory: (c) => 700 * MI + c.rps * 0.8 * MI,
      traffic: (t) => (t >= AT - 5 * H ? 500 : 150 * diurnal(t)),
    },
    cause: 'traffic_surge',
    minLimit: 1100 * MI,
  },
  // Uneven load: one replica takes twice the traffic of the others.
  {
    name: 'uneven replicas in a surge',
    spec: {
      pods: 3,
      memory: (c) => 150 * MI + c.rps * 1.5 * MI,
      traffic: (t, p) => (t >= surgeAt ? 300 : 100 * diurnal(t)) * (p === 0 ? 1.5 : 0.75),
    },
    cause: 'traffic_surge',
    minLimit: 825 * MI,
  },
  // A safe -Xmx (70% of the limit) is not a heap problem.
  {
    name: 'safe heap flag',
    spec: { env: { JAVA_OPTS: '-Xmx358m' }, memory: spiky(512 * MI), traffic: () => 50 },
    cause: 'limit_too_low',
    minLimit: 1.12 * 512 * MI,
  },
  // StatefulSet pods.
  {
    name: 'statefulset leak',
    spec: { kind: 'StatefulSet', memory: (c) => 180 * MI + c.age * ((340 * MI) / (6 * H)) },
    cause: 'memory_leak',
    noLimitIncrease: true,
  },
];

describe('diagnose: the differential diagnosis', () => {
  for (const row of rows) {
    it(`${row.name} -> ${row.cause}`, () => {
      const d = diagnose(buildEvidence(row.spec));
      assert.equal(
        d.cause,
        row.cause,
        `ranking ${JSON.stringify(d.ranking)}; evidence ${d.evidence.join(' | ')}`,
      );
      assert.ok(d.confidence > 0 && d.confidence <= 1);
      assert.equal(d.rejected.length, d.ranking.length - 1, 'every other cause is rejected with a reason');
      for (const r of d.rejected) assert.ok(r.reason.length > 0, `${r.cause} has a reason`);
      if (row.container) assert.equal(d.container, row.container);
      if (row.minLimit !== undefined) {
        assert.ok(d.recommendation, 'a new limit is advised');
        assert.ok(
          d.recommendation.memoryLimitBytes >= row.minLimit,
          `limit ${d.recommendation.memoryLimit} covers the demand`,
        );
        assert.ok(
          d.recommendation.memoryLimitBytes <= 4 * row.minLimit,
          `limit ${d.recommendation.memoryLimit} is not wasteful`,
        );
        assert.equal(d.recommendation.replay?.projectedKills, 0);
        assert.ok(
          d.actions.some(
            (a) => a.kind === 'patch_memory_limit' && a.command?.includes(`"name":"${d.container}"`),
          ),
        );
      }
      if (row.noLimitIncrease) {
        assert.equal(d.recommendation, undefined, 'no limit recommendation');
        assert.ok(
          !d.actions.some((a) => a.kind === 'patch_memory_limit' && !a.title.startsWith('Temporary')),
        );
      }
    });
  }

  it('never proposes a higher limit for node pressure, whatever else is true', () => {
    const d = diagnose(buildEvidence({ ...rows[3]!.spec, traffic: (t) => (t >= surgeAt ? 300 : 100) }));
    assert.equal(d.cause, 'node_pressure');
    assert.ok(!d.actions.some((a) => a.kind === 'patch_memory_limit'));
  });

  it('gives a leak a temporary bump only with the hours it buys', () => {
    const d = diagnose(buildEvidence(rows[1]!.spec));
    const bump = d.actions.find((a) => a.kind === 'patch_memory_limit');
    assert.ok(bump, 'a temporary bump is offered');
    assert.match(bump.title, /buys about [\d.]+ (h|min|days)/);
    assert.equal(d.actions[0]?.kind, 'investigate_leak');
  });

  it('caps the proposal at the policy maximum', () => {
    const d = diagnose(buildEvidence(rows[2]!.spec), { maxLimitBytes: 640 * MI });
    assert.equal(d.recommendation?.memoryLimitBytes, 640 * MI);
    assert.match(d.recommendation?.rationale ?? '', /capped/);
  });

  it('names missing traffic data and lowers confidence', () => {
    const withTraffic = diagnose(buildEvidence(rows[0]!.spec));
    const without = diagnose(buildEvidence({ ...rows[0]!.spec, traffic: undefined }));
    assert.ok(without.missing.some((m) => m.startsWith('request rate')));
    assert.ok(without.confidence < withTraffic.confidence);
  });

  it('puts the real names in the commands', () => {
    const d = diagnose(buildEvidence(rows[2]!.spec));
    const patch = d.actions.find((a) => a.kind === 'patch_memory_limit')?.command ?? '';
    assert.match(patch, /^kubectl -n prod patch deployment\/svc --type=strategic -p '/);
    assert.match(patch, /rollout status deployment\/svc/);
    const scale = d.actions.find((a) => a.kind === 'scale_out');
    assert.ok(scale, 'a surge gets a scale-out action');
    assert.match(scale.command ?? '', /autoscale deployment\/svc --min=\d+ --max=\d+/);
  });

  it('carries what each change sets as typed fields, and shows the command rendered from them', () => {
    const surge = diagnose(buildEvidence(rows[2]!.spec));
    const t = surge.target;
    const patch = surge.actions.find((a) => a.kind === 'patch_memory_limit');
    assert.deepEqual(patch?.memoryPatch, {
      container: surge.container,
      limitBytes: surge.recommendation?.memoryLimitBytes,
      requestBytes: surge.recommendation?.memoryRequestBytes,
    });
    assert.ok(patch?.command?.startsWith(renderMemoryPatch(t, patch.memoryPatch!)));
    const scale = surge.actions.find((a) => a.kind === 'scale_out');
    assert.ok(scale?.hpa && scale.hpa.minReplicas >= 1 && scale.hpa.maxReplicas > scale.hpa.minReplicas);
    assert.equal(scale.command, renderScaleOut(t, scale.hpa));
    const vpa = surge.actions.find((a) => a.kind === 'create_vpa');
    assert.deepEqual(vpa?.vpa, {
      updateMode: 'Off',
      containerPolicies: [{ containerName: surge.container, controlledResources: ['memory'] }],
    });
    assert.equal(vpa.command, renderVpa(t, vpa.vpa!));
  });

  it('rolls back the rollout the kills began with, naming what it restores', () => {
    const e = buildEvidence(rows[0]!.spec);
    const rolloutAt = e.window.start + 60;
    const d = diagnose({ ...e, workload: { ...e.workload!, lastRolloutAt: rolloutAt } });
    const rollback = d.actions.find((a) => a.kind === 'rollback_deploy');
    assert.deepEqual(rollback?.rollbackTarget, { workload: d.target.workload, rolloutAt });
    assert.equal(rollback.command, renderRollback(d.target, rollback.rollbackTarget!));
    assert.equal(rollback.command, 'kubectl -n prod rollout undo deployment/svc');
  });

  it('has one rule for raising the limit: never for a leak or node pressure', () => {
    assert.deepEqual(
      (['limit_too_low', 'traffic_surge', 'memory_leak', 'node_pressure'] as Cause[]).map(mayRaiseLimit),
      [true, true, false, false],
    );
  });
});

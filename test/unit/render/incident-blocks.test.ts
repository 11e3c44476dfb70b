import assert from 'node:assert/strict';
import type { AlertIncidentState } from '../../../src/contracts/alert-incident-types.ts';
import { compactDiagnosis } from '../../../src/contracts/alert-incident-types.ts';
import {
  incidentStatus,
  renderIncidentRoot,
  renderNodeIncidentRoot,
} from '../../../src/render/blocks/incident.ts';
import { findViolations } from '../../../src/render/limits.ts';
import { buildDiagnosis, buildTarget } from '../../support/diagnosis-builder.ts';

const T = Date.parse('2026-11-24T09:00:00Z');
const MIN = 60_000;

function state(overrides: Partial<AlertIncidentState> = {}): AlertIncidentState {
  return {
    key: '/prod/auth-service/auth',
    kind: 'workload',
    cluster: '',
    namespace: 'prod',
    workload: 'auth-service',
    container: 'auth',
    node: '',
    channel: 'C1',
    state: 'open',
    openedAt: T,
    lastSeenAt: T + 12 * MIN,
    alerts: 20,
    resolvedCount: 0,
    reopens: 0,
    active: 7,
    pods: 3,
    generation: 1,
    doneGeneration: 1,
    rootTs: '1.000100',
    version: 4,
    renderedVersion: 3,
    ...overrides,
  };
}

const text = (value: unknown) => JSON.stringify(value);

describe('incident renderers: counters and status on the root message', () => {
  const rows: Array<[string, Partial<AlertIncidentState>, RegExp]> = [
    // firing: how many active, pods, since when
    ['a firing incident', {}, /^Firing: 7 of 20 alerts active · 3 pods · since 09:00 UTC$/],
    // a re-fire within the window says when and how often
    ['a reopened incident', { reopens: 1, refiredAt: T + 30 * MIN }, /re-fired 09:30 UTC \(1 reopen\)$/],
    // resolved: says so and when
    [
      'a resolved incident',
      { state: 'resolved', active: 0, resolvedAt: T + 45 * MIN },
      /^Resolved at 09:45 UTC: all 20 alerts of this incident resolved$/,
    ],
    // one alert reads in the singular
    ['a single alert', { alerts: 1, active: 1, pods: 1 }, /Firing: 1 of 1 alert active · 1 pod ·/],
  ];
  for (const [name, overrides, expected] of rows) {
    it(`describes ${name}`, () => {
      assert.match(incidentStatus(state(overrides), T + 50 * MIN), expected);
    });
  }

  it('folds counters and status into the verdict root, keeping the buttons last', () => {
    const diagnosis = buildDiagnosis();
    const message = renderIncidentRoot(
      state(),
      { kind: 'verdict', incidentId: 'inc-1', diagnosis: compactDiagnosis(diagnosis) },
      T + 50 * MIN,
    );
    assert.ok(message);
    assert.match(text(message.blocks), /20 alerts folded into this incident · last 09:12 UTC/);
    assert.match(text(message.blocks), /Firing: 7 of 20 alerts active/);
    assert.equal(message.blocks.at(-1)?.type, 'actions');
    assert.deepEqual(findViolations(message.blocks), []);
  });

  it('renders a failed diagnosis and an unresolvable target with their counters', () => {
    const failed = renderIncidentRoot(
      state({ state: 'resolved', active: 0, resolvedAt: T + 5 * MIN }),
      { kind: 'failed', incidentId: 'inc-2', target: buildTarget(), detail: 'Prometheus timed out' },
      T + 6 * MIN,
    );
    assert.match(text(failed), /Prometheus timed out/);
    assert.match(text(failed), /Resolved at 09:05 UTC/);
    const problem = renderIncidentRoot(state(), { kind: 'problem', text: ':mag: no workload named x' }, T);
    assert.match(text(problem), /no workload named x/);
    assert.match(text(problem), /20 alerts folded/);
  });

  it('has nothing to render for a workload incident the diagnosis has not finished', () => {
    assert.equal(renderIncidentRoot(state(), undefined, T), undefined);
  });

  it('renders a node incident root, escaping the node name', () => {
    const message = renderNodeIncidentRoot(
      state({ kind: 'node', node: 'worker-<3>', namespace: '', workload: '', container: '', pods: 0 }),
      T,
    );
    assert.match(text(message), /node worker-&lt;3&gt;/);
    assert.match(text(message), /node memory pressure/);
    assert.deepEqual(findViolations(message.blocks), []);
  });

  it('keeps the stored snapshot small: no chart series', () => {
    const snap = compactDiagnosis(buildDiagnosis());
    assert.deepEqual(snap.chart.pods, []);
    assert.ok(text(snap).length < text(buildDiagnosis()).length);
  });
});

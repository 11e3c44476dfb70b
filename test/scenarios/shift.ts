/**
 * Moving a generated scenario in time, whole: every sample's timestamp, every time in its cluster
 * objects (creation times, statuses, Events), its moment of diagnosis and its ground truth, by the
 * same number of seconds. Nothing else changes, so the shifted scenario is the same incident at
 * another time; the parity test uses it to date a scenario by the apiserver's own clock.
 */
import type { GeneratedScenario, KubeDocument, MetricFamily, ScenarioTruth } from './types.ts';

/** An RFC 3339 UTC time as Kubernetes writes one (Time, or MicroTime with its fraction). */
const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$/;

/** `text` moved by `seconds` when it is an RFC 3339 UTC time, its fraction kept as written. */
export function shiftTimeText(text: string, seconds: number): string {
  const m = RFC3339.exec(text);
  if (!m) return text;
  const moved = Date.parse(`${m[1]}Z`) + seconds * 1000;
  return `${new Date(moved).toISOString().slice(0, 19)}${m[2] ?? ''}Z`;
}

function shiftTimesIn(value: unknown, seconds: number): unknown {
  if (typeof value === 'string') return shiftTimeText(value, seconds);
  if (Array.isArray(value)) return value.map((v) => shiftTimesIn(v, seconds));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shiftTimesIn(v, seconds)]));
  return value;
}

function shiftMetrics(families: MetricFamily[], seconds: number): MetricFamily[] {
  return families.map((f) => ({
    ...f,
    series: f.series.map((s) => ({ ...s, t: s.t.map((t) => t + seconds) })),
  }));
}

function shiftTruth(t: ScenarioTruth, seconds: number): ScenarioTruth {
  const plus = (x: number | undefined) => (x === undefined ? undefined : x + seconds);
  return {
    ...t,
    windowStart: t.windowStart + seconds,
    at: t.at + seconds,
    lastRolloutAt: t.lastRolloutAt + seconds,
    terminations: t.terminations.map((k) => ({ ...k, at: k.at + seconds })),
    evictions: t.evictions.map((e) => ({ ...e, at: e.at + seconds })),
    ...(t.surgeStartedAt !== undefined ? { surgeStartedAt: plus(t.surgeStartedAt) } : {}),
    ...(t.distractorRolloutAt !== undefined ? { distractorRolloutAt: plus(t.distractorRolloutAt) } : {}),
    ...(t.rollout ? { rollout: { ...t.rollout, at: t.rollout.at + seconds } } : {}),
  };
}

/** The scenario `seconds` later (earlier when negative); whole seconds keep every time exact. */
export function shiftScenario(s: GeneratedScenario, seconds: number): GeneratedScenario {
  if (!Number.isInteger(seconds)) throw new Error(`shift by whole seconds, not ${seconds}`);
  return {
    ...s,
    spec: shiftTimesIn(s.spec, seconds) as GeneratedScenario['spec'],
    scenarioYaml: shiftTimesIn(s.scenarioYaml, seconds) as GeneratedScenario['scenarioYaml'],
    clusterObjects: shiftTimesIn(s.clusterObjects, seconds) as KubeDocument[],
    metrics: shiftMetrics(s.metrics, seconds),
    truth: shiftTruth(s.truth, seconds),
  };
}

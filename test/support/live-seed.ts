/**
 * The seed incident (auth-service, traffic tripled, OOMKilled at 512Mi) generated to end at the
 * current minute, for tests and measurements that run the bot live (a real kube-apiserver and
 * Prometheus): a live bot diagnoses "now", so the data must end now.
 */
import { type GeneratedScenario, generateScenario, SEED_INCIDENT_SPEC } from '../scenarios/generator.ts';

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function seedIncidentEndingNow(nowMs: number = Date.now()): GeneratedScenario {
  const at = Math.floor(nowMs / 60_000) * 60_000;
  const s = generateScenario({
    ...SEED_INCIDENT_SPEC,
    at: iso(at),
    surgeStartedAt: iso(at - 3 * 3600_000),
  });
  return { ...s, name: s.spec.name, dirName: s.spec.name };
}

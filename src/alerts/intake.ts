/**
 * From a validated Alertmanager payload to durable work: pick the alerts that start a
 * diagnosis (matchers), find their target and channel, fold them into incidents in one Redis
 * script, then enqueue the diagnoses and coalesced root updates that script hands out, with
 * deterministic job ids, and confirm them. Any failure propagates (the webhook answers 503 and
 * Alertmanager re-sends; every step is idempotent).
 */
import {
  type AlertIncidentStore,
  type DiagnosisRef,
  diagnosisJobId,
  type IntakeIncident,
  type IntakeOutcome,
  type UpdateRef,
} from '../incidents/alert-incident-types.ts';
import type { DiagnoseJobData } from '../jobs/payloads.ts';
import { type MatcherRule, matchesAnyRule } from './matchers.ts';
import type { AlertmanagerPayload, ReceivedAlert } from './payload.ts';
import { type ChannelRoute, routeChannel } from './routing.ts';
import { type AlertTarget, incidentKeyOf, targetFromLabels } from './target.ts';

export interface IntakeOptions {
  rules: readonly MatcherRule[];
  routes: readonly ChannelRoute[];
  defaultChannel?: string;
  reopenWindowMs: number;
}

/** Where the intake puts its jobs (BullMQ in production). */
export interface IntakeSink {
  addDiagnoses(jobs: Array<{ jobId: string; data: DiagnoseJobData }>): Promise<void>;
  addUpdates(refs: UpdateRef[]): Promise<void>;
}

export interface IntakeDeps extends IntakeOptions {
  store: AlertIncidentStore;
  sink: IntakeSink;
  /** Epoch ms. */
  now(): number;
}

export interface Unroutable {
  alertname: string;
  fingerprint: string;
  reason: string;
}

export interface Classified {
  incidents: IntakeIncident[];
  /** Alerts no matcher rule selects. */
  ignored: number;
  /** Selected alerts the bot cannot place: no target or no channel. */
  unroutable: Unroutable[];
  /** First alert of each incident, for job data. */
  firstAlert: Map<string, ReceivedAlert>;
}

export interface IntakeSummary {
  received: number;
  ignored: number;
  unroutable: Unroutable[];
  incidents: number;
  counted: number;
  resolved: number;
  opened: number;
  reopened: number;
  diagnoses: number;
  updates: number;
}

/** Pure: which alerts matter, what they are about, where they go, grouped per incident. */
export function classifyAlerts(alerts: readonly ReceivedAlert[], options: IntakeOptions): Classified {
  const byKey = new Map<string, IntakeIncident>();
  const firstAlert = new Map<string, ReceivedAlert>();
  const unroutable: Unroutable[] = [];
  let ignored = 0;
  for (const alert of alerts) {
    if (!matchesAnyRule(alert.labels, options.rules)) {
      ignored++;
      continue;
    }
    const alertname = alert.labels.alertname ?? '';
    const found = targetFromLabels(alert.labels);
    if (!found.ok) {
      unroutable.push({ alertname, fingerprint: alert.fingerprint, reason: found.reason });
      continue;
    }
    const key = incidentKeyOf(found.target);
    let incident = byKey.get(key);
    if (!incident) {
      const channel = routeChannel(alert.labels, options.routes, options.defaultChannel);
      if (!channel) {
        unroutable.push({ alertname, fingerprint: alert.fingerprint, reason: 'no channel route matches' });
        continue;
      }
      incident = { key, target: found.target, channel, alerts: [] };
      byKey.set(key, incident);
      firstAlert.set(key, alert);
    }
    incident.alerts.push({
      fingerprint: alert.fingerprint,
      startsAt: alert.startsAt,
      ...(alert.endsAt !== undefined ? { endsAt: alert.endsAt } : {}),
      status: alert.status,
      ...(alert.labels.pod ? { pod: alert.labels.pod } : {}),
    });
  }
  return { incidents: [...byKey.values()], ignored, unroutable, firstAlert };
}

/** The diagnosis job of an incident: the workload's name is what `/oom` would be given. */
export function diagnoseJobFor(
  target: Extract<AlertTarget, { kind: 'workload' }>,
  ref: DiagnosisRef & { channel: string; threadTs?: string },
  alert: ReceivedAlert | undefined,
  nowMs: number,
): { jobId: string; data: DiagnoseJobData } {
  return {
    jobId: diagnosisJobId(ref),
    data: {
      // the `cluster` label picks the kubeconfig context (see createSourceFactory)
      request: {
        name: target.workload,
        namespace: target.namespace,
        ...(target.cluster ? { cluster: target.cluster } : {}),
      },
      reply: { channel: ref.channel, ...(ref.threadTs ? { threadTs: ref.threadTs } : {}) },
      trigger: 'alert',
      requestedAt: nowMs / 1000,
      alert: {
        key: ref.key,
        openedAt: ref.openedAt,
        generation: ref.generation,
        alertname: alert?.labels.alertname ?? '',
        ...(target.pod ? { pod: target.pod } : {}),
        ...(target.container ? { container: target.container } : {}),
      },
    },
  };
}

function summarize(received: number, c: Classified, outcomes: IntakeOutcome[]): IntakeSummary {
  return {
    received,
    ignored: c.ignored,
    unroutable: c.unroutable,
    incidents: outcomes.length,
    counted: outcomes.reduce((n, o) => n + o.counted, 0),
    resolved: outcomes.reduce((n, o) => n + o.resolvedNow, 0),
    opened: outcomes.filter((o) => o.lifecycle === 'opened').length,
    reopened: outcomes.filter((o) => o.lifecycle === 'reopened').length,
    diagnoses: outcomes.filter((o) => o.diagnose).length,
    updates: outcomes.filter((o) => o.update).length,
  };
}

/** Apply one delivery. Resolves once every resulting job is in the queue. */
export async function acceptAlerts(payload: AlertmanagerPayload, deps: IntakeDeps): Promise<IntakeSummary> {
  const classified = classifyAlerts(payload.alerts, deps);
  for (const incident of classified.incidents) incident.truncated = payload.truncatedAlerts;
  const now = deps.now();
  const outcomes = await deps.store.record(classified.incidents, now, deps.reopenWindowMs);
  const targets = new Map(classified.incidents.map((i) => [i.key, i.target]));
  const diagnoses: Array<{ jobId: string; data: DiagnoseJobData }> = [];
  const updates: UpdateRef[] = [];
  for (const o of outcomes) {
    const target = targets.get(o.key);
    if (o.diagnose && target?.kind === 'workload') {
      diagnoses.push(diagnoseJobFor(target, o.diagnose, classified.firstAlert.get(o.key), now));
    }
    if (o.update) updates.push(o.update);
  }
  await Promise.all([deps.sink.addDiagnoses(diagnoses), deps.sink.addUpdates(updates)]);
  const confirmations = outcomes
    .filter((o) => o.diagnose || o.update)
    .map((o) => ({
      key: o.key,
      ...(o.diagnose ? { generation: o.diagnose.generation } : {}),
      ...(o.update ? { seq: o.update.seq } : {}),
    }));
  await deps.store.confirm(confirmations);
  return summarize(payload.alerts.length, classified, outcomes);
}

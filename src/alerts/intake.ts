/**
 * From a validated Alertmanager payload to durable work: pick the alerts that start a
 * diagnosis (matchers), find their target and channel, fold them into incidents with a Redis
 * script run per chunk of at most {@link FOLD_CHUNK_ALERTS} alerts (so no delivery blocks Redis
 * for long), then enqueue the diagnoses and coalesced root updates those runs hand out, with
 * deterministic job ids, and confirm them. New incidents are capped per channel and window: past
 * the cap they are held, and one summary per channel and window lists them. Alerts whose labels
 * pass {@link LABEL_BOUNDS} are not placed. Any failure propagates (the webhook answers 503 and
 * Alertmanager re-sends; every step is idempotent).
 */

import { type MatcherRule, matchesAnyRule } from '../alert-labels/matchers.ts';
import { type ChannelRoute, routeChannel } from '../alert-labels/routing.ts';
import { type AlertTarget, incidentKeyOf, targetFromLabels } from '../alert-labels/target.ts';
import {
  type AlertIncidentStore,
  alertJobId,
  type DiagnosisRef,
  type HeldRef,
  type IncidentCap,
  type IntakeIncident,
  type IntakeOutcome,
  type UpdateRef,
} from '../contracts/alert-incident-types.ts';
import type { DiagnoseJobData } from '../queues/payloads.ts';
import type { AlertmanagerPayload, ReceivedAlert } from './payload.ts';

interface IntakeOptions {
  rules: readonly MatcherRule[];
  routes: readonly ChannelRoute[];
  defaultChannel?: string;
  reopenWindowMs: number;
  /** New incidents per channel and window; none when absent. */
  cap?: IncidentCap;
}

/** The most alerts one script run folds. */
const FOLD_CHUNK_ALERTS = 250;
/** Labels an alert may carry, and the longest name and value, before it is refused. */
const LABEL_BOUNDS = { count: 64, nameLength: 128, valueLength: 1024 } as const;

/** Where the intake puts its jobs (BullMQ in production). */
export interface IntakeSink {
  addDiagnoses(jobs: Array<{ jobId: string; data: DiagnoseJobData }>): Promise<void>;
  addUpdates(refs: UpdateRef[]): Promise<void>;
  /** Summaries of held-back incidents to post or refresh, one per channel and window. */
  addHeldSummaries?(refs: HeldRef[]): Promise<void>;
}

interface IntakeDeps extends IntakeOptions {
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

interface Classified {
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
  /** Incidents not opened: their channel's cap for the window was reached. */
  held?: number;
}

/** Why these labels are refused, if they pass the bounds. */
function labelBoundsProblem(labels: Readonly<Record<string, string>>): string | undefined {
  const entries = Object.entries(labels);
  if (entries.length > LABEL_BOUNDS.count) return `${entries.length} labels (at most ${LABEL_BOUNDS.count})`;
  for (const [name, value] of entries) {
    if (name.length > LABEL_BOUNDS.nameLength)
      return `a label name of ${name.length} characters (at most ${LABEL_BOUNDS.nameLength})`;
    if (value.length > LABEL_BOUNDS.valueLength)
      return `label ${name.slice(0, 64)} has ${value.length} characters (at most ${LABEL_BOUNDS.valueLength})`;
  }
  return undefined;
}

/** Incidents in runs of at most `maxAlerts` alerts; a larger incident is split across runs. */
function chunkIncidents(incidents: readonly IntakeIncident[], maxAlerts: number): IntakeIncident[][] {
  const chunks: IntakeIncident[][] = [];
  let current: IntakeIncident[] = [];
  let size = 0;
  for (const incident of incidents) {
    for (let i = 0; i < Math.max(1, incident.alerts.length); i += maxAlerts) {
      const part = { ...incident, alerts: incident.alerts.slice(i, i + maxAlerts) };
      if (size > 0 && size + part.alerts.length > maxAlerts) {
        chunks.push(current);
        current = [];
        size = 0;
      }
      current.push(part);
      size += part.alerts.length;
    }
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

const LIFECYCLE_RANK = { unchanged: 0, updated: 1, resolved: 2, reopened: 3, opened: 4 } as const;

/** One outcome per incident from the runs of its parts: counts add up, the latest jobs win. */
function mergeOutcomes(outcomes: readonly IntakeOutcome[]): IntakeOutcome[] {
  const byKey = new Map<string, IntakeOutcome>();
  for (const o of outcomes) {
    const prev = byKey.get(o.key);
    if (!prev) {
      byKey.set(o.key, { ...o });
      continue;
    }
    prev.counted += o.counted;
    prev.resolvedNow += o.resolvedNow;
    if (LIFECYCLE_RANK[o.lifecycle] > LIFECYCLE_RANK[prev.lifecycle]) prev.lifecycle = o.lifecycle;
    if (o.diagnose) prev.diagnose = o.diagnose;
    if (o.update) prev.update = o.update;
    if (o.held) prev.held = o.held;
  }
  return [...byKey.values()];
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
    const bounds = labelBoundsProblem(alert.labels);
    if (bounds) {
      unroutable.push({ alertname: alertname.slice(0, 128), fingerprint: alert.fingerprint, reason: bounds });
      continue;
    }
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
    jobId: alertJobId(ref),
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
    held: outcomes.filter((o) => o.held).length,
  };
}

/** The latest held reference per channel and window: one summary job each. */
function latestHeld(outcomes: readonly IntakeOutcome[]): HeldRef[] {
  const latest = new Map<string, HeldRef>();
  for (const { held } of outcomes) {
    if (!held) continue;
    const id = `${held.channel}/${held.bucket}`;
    if ((latest.get(id)?.seq ?? -1) < held.seq) latest.set(id, held);
  }
  return [...latest.values()];
}

/** Apply one delivery. Resolves once every resulting job is in the queue. */
export async function acceptAlerts(payload: AlertmanagerPayload, deps: IntakeDeps): Promise<IntakeSummary> {
  const classified = classifyAlerts(payload.alerts, deps);
  for (const incident of classified.incidents) incident.truncated = payload.truncatedAlerts;
  const now = deps.now();
  const runs: IntakeOutcome[] = [];
  for (const chunk of chunkIncidents(classified.incidents, FOLD_CHUNK_ALERTS))
    runs.push(...(await deps.store.record(chunk, now, deps.reopenWindowMs, deps.cap)));
  const outcomes = mergeOutcomes(runs);
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
  await Promise.all([
    deps.sink.addDiagnoses(diagnoses),
    deps.sink.addUpdates(updates),
    deps.sink.addHeldSummaries?.(latestHeld(outcomes)),
  ]);
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

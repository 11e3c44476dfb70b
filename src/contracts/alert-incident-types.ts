/**
 * Alert incidents, the shapes: what the intake records, what the store answers, the references
 * job ids are made of, and the compact copy of a diagnosis a root message is re-rendered from.
 */
import { createHash } from 'node:crypto';
import type { AlertTarget } from '../alert-labels/target.ts';
import type { Diagnosis, Target } from '../domain/types.ts';

export const ALERT_INCIDENT_TTL_SECONDS = 14 * 24 * 3600;
/** A diagnosis not finished after this long no longer blocks a reopen from diagnosing again. */
export const STALE_DIAGNOSIS_MS = 30 * 60 * 1000;

export interface IntakeAlert {
  fingerprint: string;
  /** Epoch ms. */
  startsAt: number;
  /** Epoch ms. */
  endsAt?: number;
  status: 'firing' | 'resolved';
  pod?: string;
}

export interface IntakeIncident {
  key: string;
  target: AlertTarget;
  /** The routed channel; used when the incident is opened. */
  channel: string;
  alerts: IntakeAlert[];
  /** Alerts the sender left out of its notification (Alertmanager's `max_alerts`): never seen here. */
  truncated?: number;
}

export type Lifecycle = 'opened' | 'reopened' | 'resolved' | 'updated' | 'unchanged';

/** Identifies one diagnosis of one incident incarnation. */
export interface DiagnosisRef {
  key: string;
  /** Epoch ms the incident (this incarnation) was opened. */
  openedAt: number;
  generation: number;
}

export interface IntakeOutcome {
  key: string;
  counted: number;
  resolvedNow: number;
  lifecycle: Lifecycle;
  /** A diagnosis to enqueue (new incident, or a reopen in the same thread). */
  diagnose?: DiagnosisRef & { channel: string; threadTs?: string };
  /** A coalesced root update to enqueue. */
  update?: UpdateRef;
  /** Not opened: the channel's cap of new incidents for the window is reached. */
  held?: HeldRef;
}

/** A channel's window of held-back incidents; `seq` grows with each new one (the summary's job). */
export interface HeldRef {
  channel: string;
  /** The fixed window: floor(epoch ms / window ms). */
  bucket: number;
  seq: number;
}

/** At most `max` new incidents per channel and window of `windowMs`. */
export interface IncidentCap {
  max: number;
  windowMs: number;
}

export interface UpdateRef {
  key: string;
  openedAt: number;
  seq: number;
}

/** What the root message of an incident is rendered from, besides the counters. */
export type RootSnapshot =
  | { kind: 'verdict'; incidentId: string; planId?: string; diagnosis: Diagnosis }
  | { kind: 'failed'; incidentId: string; target: Target; detail: string }
  | { kind: 'problem'; text: string };

export interface AlertIncidentState {
  key: string;
  kind: 'workload' | 'node';
  cluster: string;
  namespace: string;
  workload: string;
  container: string;
  node: string;
  channel: string;
  state: 'open' | 'resolved';
  /** Epoch ms. */
  openedAt: number;
  resolvedAt?: number;
  refiredAt?: number;
  lastSeenAt?: number;
  alerts: number;
  resolvedCount: number;
  reopens: number;
  /** Alerts still firing. */
  active: number;
  pods: number;
  generation: number;
  doneGeneration: number;
  rootTs?: string;
  incidentId?: string;
  /** The remediation plan of the latest diagnosis (its Apply may still await approval). */
  planId?: string;
  version: number;
  renderedVersion: number;
  /** Alerts the latest notification left out (`truncatedAlerts`). */
  truncated?: number;
}

export interface OpenThread {
  key: string;
  channel: string;
  rootTs: string;
  planId?: string;
}

export interface AlertIncidentStore {
  /** Apply one webhook delivery; `now` in epoch ms. */
  record(
    incidents: IntakeIncident[],
    now: number,
    reopenWindowMs: number,
    cap?: IncidentCap,
  ): Promise<IntakeOutcome[]>;
  /** The jobs handed out by `record` are in the queue: stop handing them out. */
  confirm(items: Array<{ key: string; generation?: number; seq?: number }>): Promise<void>;
  get(key: string): Promise<AlertIncidentState | undefined>;
  /** Whether a queued diagnosis should run (still this incarnation, not done), and the incident's plan. */
  beginDiagnosis(ref: DiagnosisRef): Promise<{ proceed: boolean; reason?: string; planId?: string }>;
  /** The diagnosis posted the incident's root message (kept only for the first generation). */
  rootPosted(ref: DiagnosisRef, rootTs: string, incidentId?: string): Promise<void>;
  /**
   * The diagnosis is over; `snapshot` (for a top-level root) lets later updates re-render it.
   * Returns an update to enqueue when alerts arrived after `renderedVersion`.
   */
  finishDiagnosis(
    ref: DiagnosisRef,
    result: { snapshot?: RootSnapshot; renderedVersion: number; planId?: string },
  ): Promise<UpdateRef | undefined>;
  /** Start a coalesced update: clears "pending" for this seq and returns the state to render. */
  takeUpdate(ref: UpdateRef): Promise<{ state: AlertIncidentState; snapshot?: RootSnapshot } | undefined>;
  /**
   * The root shows `version`; returns a follow-up update when the incident changed meanwhile
   * (updates rendered out of order converge on the latest state).
   */
  markRendered(ref: { key: string; openedAt: number }, version: number): Promise<UpdateRef | undefined>;
  /** Whether the caller may post a node incident's root (one claim per incarnation). */
  claimRoot(key: string, openedAt: number, now: number): Promise<boolean>;
  /** A node incident's root, posted by the update job; false when another root won. */
  setRootTs(key: string, openedAt: number, rootTs: string): Promise<boolean>;
  /** The open incident thread of a workload (any container), for `/oom`. */
  openThreadFor(query: {
    namespace: string;
    workload: string;
    cluster?: string;
  }): Promise<OpenThread | undefined>;
}

/** A short stable digest of an incident key, for job ids. */
export function keyDigest(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 24);
}

/** The job id of one alert incident's diagnosis: stable for its key, opening time and generation. */
export function alertJobId(ref: DiagnosisRef): string {
  return `alert-${keyDigest(ref.key)}-${ref.openedAt}-${ref.generation}`;
}

export function updateJobId(ref: UpdateRef): string {
  return `upd-${keyDigest(ref.key)}-${ref.openedAt}-${ref.seq}`;
}

/** A Diagnosis without the chart's series: what the root message needs, small enough to keep. */
export function compactDiagnosis(diagnosis: Diagnosis): Diagnosis {
  const { chart } = diagnosis;
  return {
    ...diagnosis,
    chart: { window: chart.window, pods: [], kills: [], limitBytes: chart.limitBytes },
  };
}

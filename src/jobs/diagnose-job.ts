/**
 * What the diagnose job works with: its dependencies, the part of a BullMQ job it uses, and the
 * progress record that makes a retried or recovered job continue where it stopped.
 */
import type { RecommendOptions } from '../domain/recommend.ts';
import type { EvidenceSources } from '../evidence.ts';
import type { AlertDiagnosisHooks } from '../incidents/alert-diagnosis.ts';
import type { IncidentStore } from '../incidents/store.ts';
import type { Logger } from '../logger.ts';
import type { AlertJobInfo, DeliveryData, DiagnoseJobData, ReplyTo } from '../queues/payloads.ts';
import type { CreatePlan } from '../remediation/planner.ts';
import type { SlackPoster } from '../slack/poster.ts';

/** The sources of one cluster; `defaulted`: no context was named and the only one is used. */
export type DiagnoseSources = EvidenceSources & { defaulted?: boolean };

export interface DiagnoseDeps {
  /**
   * `lenient`: the name is an alert's `cluster` label (see createSourceFactory); `defaulted` in the
   * answer: it named no context and the bot's only cluster is used.
   */
  sourcesFor(cluster?: string, options?: { lenient?: boolean }): DiagnoseSources;
  /** "Now" for the diagnosis, epoch seconds (a scenario's `at` in scenario mode). */
  now(): number;
  slack: SlackPoster;
  incidents: IncidentStore;
  logger: Logger;
  windowSeconds?: number;
  timeoutMs?: number;
  recommend?: Partial<RecommendOptions>;
  /** Stores the remediation plan of a diagnosis; its id puts Apply/Preview/Create VPA/Scale out on the root. */
  createPlan?: CreatePlan;
  /** Claims of root messages across workers (see diagnose-root.ts); without it a root is posted per run. */
  rootClaims?: RootClaims;
  /** Alert incidents: counters on the root, reopened threads, `/oom` answered in an open incident's thread. */
  alerts?: AlertDiagnosisHooks;
  /**
   * Hands a finished diagnosis to the per-channel sender (a queue), so this job ends without
   * waiting for Slack's pace; without it the job delivers the diagnosis itself.
   */
  handOff?: (delivery: DeliveryData) => Promise<void>;
}

/** Claims of root messages in Redis, one per job (see diagnose-root.ts). */
export interface RootClaims {
  /** True for the first caller with this key; false when an earlier run claimed it. */
  claim(key: string): Promise<boolean>;
}

/** The part of a BullMQ job the processor uses: testable without Redis. */
export interface DiagnoseJob {
  id?: string;
  data: DiagnoseJobData & { posted?: DiagnoseJobData['posted'] & { incidentId?: string } };
  attemptsMade: number;
  opts: { attempts?: number };
  updateData(data: DiagnoseJob['data']): Promise<void>;
}

export async function record(
  job: DiagnoseJob,
  patch: NonNullable<DiagnoseJob['data']['posted']>,
): Promise<void> {
  job.data = { ...job.data, posted: { ...job.data.posted, ...patch } };
  await job.updateData(job.data);
}

/** What one run of the job carries between its steps. */
export interface DiagnoseRun {
  job: DiagnoseJob;
  deps: DiagnoseDeps;
  log: Logger;
  fence: () => Promise<void>;
  /** The alert incident behind the job, when alert hooks are wired. */
  alert?: AlertJobInfo;
  reply: ReplyTo;
  /** Milliseconds since the job started at which each step ended (logged with the hand-off). */
  steps?: Record<string, number>;
  startedAt?: number;
}

/** Notes that `step` of the run has just ended. */
export function markStep(run: DiagnoseRun, step: string): void {
  if (run.startedAt === undefined) return;
  run.steps ??= {};
  run.steps[step] = Math.round(performance.now() - run.startedAt);
}

export function isLastAttempt(job: DiagnoseJob): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/**
 * The composition root: builds the clients (Redis, Slack, Kubernetes, Prometheus or a scenario's
 * files), wires them into the web app and the workers, and shuts them down in order.
 */
import bolt from '@slack/bolt';
import { type Job, type Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createAlertRuntime } from './alerts/runtime.ts';
import type { Config } from './config.ts';
import { OomBotError } from './errors.ts';
import type { EvidenceSources } from './evidence.ts';
import { createRiskStateStore } from './forecast/state-store.ts';
import { startHealthServer } from './health-server.ts';
import { createIncidentStore } from './incidents/store.ts';
import { deliverDiagnosis } from './jobs/deliver-diagnosis.ts';
import type { DiagnoseDeps } from './jobs/diagnose-job.ts';
import { reportAbandoned } from './jobs/diagnose-posts.ts';
import { processDiagnose } from './jobs/diagnose-processor.ts';
import { createRootClaims } from './jobs/diagnose-root.ts';
import { failureOf } from './jobs/diagnose-slack-errors.ts';
import { processRisks } from './jobs/risk-processor.ts';
import type { Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import type { DeliveryData, DiagnoseJobData, RisksJobData } from './queues/payloads.ts';
import {
  createDiagnoseQueue,
  createRemediateQueue,
  DIAGNOSE_QUEUE,
  enqueueDiagnosis,
  REMEDIATE_QUEUE,
} from './queues/queues.ts';
import { createRisksQueue, enqueueRisksAsk, RISKS_QUEUE, scheduleRiskScan } from './queues/risk-queue.ts';
import { createSendQueue, enqueueDelivery, SEND_QUEUE, SENDER_CONCURRENCY } from './queues/send-queue.ts';
import { createRedisConnection } from './redis.ts';
import type { CreateRiskPlan } from './remediation/risk-planner.ts';
import { createRemediation } from './remediation/wiring.ts';
import { createSlackPoster } from './slack/poster.ts';
import { MAX_CLOCK_SKEW_SECONDS } from './slack/receiver.ts';
import { createReplayGuard } from './slack/replay-guard.ts';
import { createSlackApp } from './slack-app.ts';
import { createKubernetesLister, loadKubeConfig } from './sources/kubernetes.ts';
import type { MetricsSource } from './sources/ports.ts';
import { createPrometheusSource } from './sources/prometheus.ts';
import type { Scenario } from './sources/scenario.ts';

export interface RunOptions {
  web: boolean;
  worker: boolean;
  scenario?: Scenario;
  /** Spacing of Slack posts per channel (Slack's pace is about one per second). */
  slackIntervalMs?: number;
  /** The process's metrics registry (default: a new one). */
  metrics?: Metrics;
}

export interface RunningBot {
  stop(): Promise<void>;
}

export interface SourceOptions {
  /**
   * The cluster name comes from an alert's `cluster` label: when it names no kubeconfig context
   * and the kubeconfig has only one (or the bot runs in-cluster), that one is meant.
   */
  lenient?: boolean;
}

/**
 * Evidence sources per cluster: a scenario's files, or a kubeconfig context (`/oom --cluster`, an
 * alert's `cluster` label, else KUBE_CONTEXT, else the current context) with its Prometheus
 * (PROMETHEUS_URLS names one per context; the others use PROMETHEUS_URL).
 */
export function createSourceFactory(
  config: Readonly<Config>,
  scenario?: Scenario,
  logger?: Logger,
): (cluster?: string, options?: SourceOptions) => EvidenceSources & { defaulted?: boolean } {
  if (scenario) return () => ({ cluster: scenario.cluster, metrics: scenario.metrics });
  const clusters = new Map<string, EvidenceSources>();
  const prometheus = new Map<string, MetricsSource>();
  const metricsFor = (context: string): MetricsSource => {
    const url = config.prometheusUrls[context] ?? config.prometheusUrl;
    if (!url) {
      throw new OomBotError(
        'config_invalid',
        `no Prometheus for cluster ${context}: list it in PROMETHEUS_URLS or set PROMETHEUS_URL`,
      );
    }
    let source = prometheus.get(url);
    if (!source) {
      source = createPrometheusSource(url, { timeoutMs: config.sourceTimeoutMs });
      prometheus.set(url, source);
    }
    return source;
  };
  const sourcesFor = (
    cluster?: string,
    options?: SourceOptions,
  ): EvidenceSources & { defaulted?: boolean } => {
    const context = cluster ?? config.kubeContext ?? '';
    let sources = clusters.get(context);
    if (!sources) {
      let kc: ReturnType<typeof loadKubeConfig>;
      try {
        kc = loadKubeConfig({ kubeconfig: config.kubeconfig, context: context || undefined });
      } catch (error) {
        if (!(cluster && error instanceof OomBotError && error.code === 'unknown_context')) throw error;
        const known = loadKubeConfig({ kubeconfig: config.kubeconfig }).getContexts();
        // a one-cluster bot whose alerts carry Prometheus' own cluster label: that cluster is this one
        if (options?.lenient && known.length <= 1) return { ...sourcesFor(undefined), defaulted: true };
        // the context names are for the operator's log: a requester learns only that this one is unknown
        logger?.warn({ cluster, known: known.map((c) => c.name) }, 'unknown cluster requested');
        throw new OomBotError(
          'config_invalid',
          `unknown cluster ${cluster}: oom-bot has no cluster of that name (its operators can list the names)`,
        );
      }
      sources = {
        cluster: createKubernetesLister(kc, kc.getCurrentContext(), { timeoutMs: config.sourceTimeoutMs }),
        metrics: metricsFor(kc.getCurrentContext()),
      };
      clusters.set(context, sources);
    }
    return sources;
  };
  return sourcesFor;
}

/** The Web API client's retries of a Slack that does not answer: backoff, for at most `maxMs`. */
export function slackRetries(maxMs: number) {
  return {
    retries: 20,
    factor: 2,
    minTimeout: 1000,
    maxTimeout: 30_000,
    maxRetryTime: maxMs,
    randomize: true,
  };
}

/**
 * Close the worker, waiting for its jobs at most `deadlineMs`; false when they did not finish: their
 * processors are aborted (each stops at its next Slack post) and the jobs, still active in Redis,
 * are handed back by the stalled-job check once their lock expires.
 */
async function drainWithin<T>(worker: Worker<T>, deadlineMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), deadlineMs);
  });
  const drained = await Promise.race([worker.close().then(() => true as const), deadline]);
  clearTimeout(timer);
  if (!drained) worker.cancelAllJobs('shutdown drain deadline');
  return drained;
}

/** Before each Slack post: still this run's job? (its lock may have expired while Redis was away) */
function jobFence(job: Job, lockMs: number, token?: string, signal?: AbortSignal): () => Promise<void> {
  return async () => {
    if (signal?.aborted) {
      throw new OomBotError('queue_unavailable', 'shutting down; the queue hands the job back');
    }
    if (token && (await job.extendLock(token, lockMs)) !== 1) {
      throw new OomBotError('queue_unavailable', 'the job lock was lost; another run continues it');
    }
  };
}

/**
 * The per-channel sender: delivers the diagnoses handed over by the diagnose jobs, at Slack's pace
 * (the poster's lanes space each channel; a thread's posts go in order within one delivery).
 */
function startSender(config: Readonly<Config>, logger: Logger, deps: DiagnoseDeps): () => Promise<void> {
  const connection = createRedisConnection(config.redis, { maxRetriesPerRequest: null });
  connection.on('error', (error) => logger.warn({ err: error.message }, 'redis (sender) error'));
  const sender = new Worker<DeliveryData>(
    SEND_QUEUE,
    async (job: Job<DeliveryData>, token?: string, signal?: AbortSignal) => {
      const progress = {
        posted: () => job.data.posted ?? {},
        record: async (patch: NonNullable<DeliveryData['posted']>) => {
          // once uploaded, the chart's PNG is dropped from the job kept in Redis
          const { chart, ...rest } = job.data;
          job.data = {
            ...rest,
            ...(patch.chart ? {} : { chart }),
            posted: { ...job.data.posted, ...patch },
          } as DeliveryData;
          await job.updateData(job.data);
        },
        fence: jobFence(job, config.jobLockMs, token, signal),
      };
      await deliverDiagnosis(job.data, deps, progress).catch(async (error: unknown) => {
        throw await failureOf(error, job.data.reply, deps.slack, logger.child({ jobId: job.id }));
      });
    },
    {
      connection,
      prefix: config.queuePrefix,
      concurrency: SENDER_CONCURRENCY,
      lockDuration: config.jobLockMs,
      stalledInterval: config.jobLockMs,
    },
  );
  sender.on('failed', (job, error) => {
    logger.error({ jobId: job?.id, requestId: job?.data.requestId, err: error.message }, 'delivery failed');
    // BullMQ's own verdict (a delivery whose workers kept dying): the root says the diagnosis stopped
    if (job && error.name === 'UnrecoverableError') {
      const { request, reply, rootTs } = job.data;
      reportAbandoned(
        { data: { request, reply, posted: { rootTs } } } as never,
        deps.slack,
        `its workers stopped in the middle of it more than once (${error.message})`,
      ).catch((e: unknown) =>
        logger.warn({ jobId: job.id, err: String(e) }, 'could not report the abandoned delivery'),
      );
    }
  });
  sender.on('error', (error) => logger.warn({ err: error.message }, 'sender error'));
  return async () => {
    if (!(await drainWithin(sender, config.shutdownDrainMs))) {
      logger.warn('deliveries still running at the drain deadline: left to the queue');
    }
    connection.disconnect();
  };
}

/** The forecast worker: answers `/oom risks` and runs the scheduled scan (registered once, run once per tick). */
async function startRiskWorker(
  config: Readonly<Config>,
  logger: Logger,
  deps: DiagnoseDeps,
  queue: Queue<RisksJobData>,
  planRisk: CreateRiskPlan,
): Promise<() => Promise<void>> {
  const connection = createRedisConnection(config.redis, { maxRetriesPerRequest: null });
  connection.on('error', (error) => logger.warn({ err: error.message }, 'redis (risk worker) error'));
  const riskDeps = {
    sourcesFor: deps.sourcesFor,
    now: deps.now,
    slack: deps.slack,
    store: createRiskStateStore(connection, config.queuePrefix),
    routes: config.alerts.routes,
    defaultChannel: config.oomChannel,
    windowSeconds: config.windowSeconds,
    logger: logger.child({ component: 'forecast' }),
    planRisk,
  };
  const worker = new Worker<RisksJobData>(RISKS_QUEUE, (job) => processRisks(job, riskDeps), {
    connection,
    prefix: config.queuePrefix,
    concurrency: 1,
    lockDuration: Math.max(config.jobLockMs, 300_000),
  });
  worker.on('failed', (job, error) =>
    logger.error({ jobId: job?.id, err: error.message }, 'risk job failed'),
  );
  worker.on('error', (error) => logger.warn({ err: error.message }, 'risk worker error'));
  await scheduleRiskScan(queue, config.riskScanCron);
  if (config.riskScanCron) logger.info({ cron: config.riskScanCron }, 'risk scan scheduled');
  return async () => {
    await worker.close();
    connection.disconnect();
  };
}

export async function runBot(
  config: Readonly<Config>,
  logger: Logger,
  options: RunOptions,
): Promise<RunningBot> {
  const metrics = options.metrics ?? createMetrics();
  const producer = createRedisConnection(config.redis, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: false,
  });
  producer.on('error', (error) => logger.warn({ err: error.message }, 'redis (producer) error'));
  const queue = createDiagnoseQueue(producer, config.queuePrefix);
  queue.on('error', (error) => logger.warn({ err: error.message }, 'queue error'));
  metrics.watchQueue(DIAGNOSE_QUEUE, () => queue.getJobCounts());
  // a Cluster client answers the same get/set the store uses
  const incidents = createIncidentStore(producer as Redis, config.queuePrefix);
  const stoppers: Array<() => Promise<unknown>> = [];
  const remediation = await createRemediation(config, logger, producer, {
    scenario: Boolean(options.scenario),
  });
  const risksQueue = createRisksQueue(producer, config.queuePrefix);
  risksQueue.on('error', (error) => logger.warn({ err: error.message }, 'risks queue error'));
  // a second handle on the remediate queue, for its depth in /metrics
  const remediateQueue = createRemediateQueue(producer, config.queuePrefix);
  remediateQueue.on('error', () => undefined);
  metrics.watchQueue(REMEDIATE_QUEUE, () => remediateQueue.getJobCounts());
  const alerts = createAlertRuntime({
    config,
    logger,
    producer,
    diagnoseQueue: queue,
    plans: remediation.plans,
  });
  /** Set at SIGTERM: readiness fails at once, so no new work is routed here while jobs finish. */
  let stopping = false;

  let worker: Worker<DiagnoseJobData> | undefined;
  if (options.worker) {
    const client = new bolt.webApi.WebClient(config.slack.botToken, {
      ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
      rejectRateLimitedCalls: true,
      // a Slack that does not answer is retried with backoff for a bounded time, then the job fails and is retried later
      retryConfig: slackRetries(config.slackRetryMaxMs),
    });
    const deps: DiagnoseDeps = {
      sourcesFor: createSourceFactory(config, options.scenario, logger),
      now: () => options.scenario?.at ?? Date.now() / 1000,
      slack: createSlackPoster(client, {
        minIntervalMs: options.slackIntervalMs ?? config.slackMinIntervalMs,
        updatesPerMinute: config.slackUpdatesPerMinute,
        onError: (method, error) => metrics.recordSlackError(method, error),
      }),
      incidents,
      logger,
      windowSeconds: config.windowSeconds,
      timeoutMs: config.sourceTimeoutMs,
      recommend: { maxLimitBytes: config.maxLimitBytes },
      createPlan: remediation.createPlan,
      rootClaims: createRootClaims(producer, config.queuePrefix),
    };
    deps.alerts = alerts.hooks(deps.slack);
    const sendQueue = createSendQueue(producer, config.queuePrefix);
    sendQueue.on('error', (error) => logger.warn({ err: error.message }, 'send queue error'));
    metrics.watchQueue(SEND_QUEUE, () => sendQueue.getJobCounts());
    deps.handOff = (delivery) => enqueueDelivery(sendQueue, delivery);
    const connection = createRedisConnection(config.redis, { maxRetriesPerRequest: null });
    connection.on('error', (error) => logger.warn({ err: error.message }, 'redis (worker) error'));
    worker = new Worker<DiagnoseJobData>(
      DIAGNOSE_QUEUE,
      (job: Job<DiagnoseJobData>, token?: string, signal?: AbortSignal) =>
        metrics.timeJob(DIAGNOSE_QUEUE, async () => {
          const fence = jobFence(job, config.jobLockMs, token, signal);
          const result = await processDiagnose(job as never, deps, fence).catch(async (error: unknown) => {
            throw await failureOf(error, job.data.reply, deps.slack, logger.child({ jobId: job.id }));
          });
          if (result) metrics.diagnoses.inc({ cause: result.cause, trigger: job.data.trigger });
          return result;
        }),
      {
        connection,
        prefix: config.queuePrefix,
        concurrency: config.workerConcurrency,
        lockDuration: config.jobLockMs,
        stalledInterval: config.jobLockMs,
      },
    );
    // attemptsMade counts the failed attempts: the running one is attemptsMade + 1 until it fails
    const jobLog = (job: Job<DiagnoseJobData> | undefined, failed = false) => ({
      jobId: job?.id,
      requestId: job?.data.requestId,
      attempt: (job?.attemptsMade ?? 0) + (failed ? 0 : 1),
      attempts: job?.opts.attempts,
    });
    worker.on('active', (job) => logger.info(jobLog(job), 'job started'));
    worker.on('completed', (job) => logger.info(jobLog(job), 'job completed'));
    worker.on('failed', (job, error) => {
      logger.error({ ...jobLog(job, true), err: error.message }, 'job failed');
      // BullMQ's own verdict (a job whose workers kept dying): the processor never ran to say so
      if (job && error.name === 'UnrecoverableError') {
        reportAbandoned(
          job,
          deps.slack,
          `its workers stopped in the middle of it more than once (${error.message})`,
        ).catch((e: unknown) =>
          logger.warn({ ...jobLog(job), err: String(e) }, 'could not report the abandoned job'),
        );
      }
    });
    worker.on('error', (error) => logger.warn({ err: error.message }, 'worker error'));
    stoppers.push(await startRiskWorker(config, logger, deps, risksQueue, remediation.createRiskPlan));
    stoppers.push(alerts.startWorker(deps.slack));
    stoppers.push(
      remediation.startWorker({
        slack: deps.slack,
        enqueueDiagnosis: (data) => enqueueDiagnosis(queue, data),
      }),
    );
    const running = worker;
    stoppers.push(async () => {
      // waits for the jobs in flight; one cut short by SIGKILL is handed back by BullMQ's stall check
      const active = await queue.getActiveCount().catch(() => undefined);
      logger.info({ active, deadlineMs: config.shutdownDrainMs }, 'worker draining');
      if (!(await drainWithin(running, config.shutdownDrainMs))) {
        logger.warn(
          { deadlineMs: config.shutdownDrainMs },
          'jobs still running at the drain deadline: left to the queue, which hands them to another worker',
        );
      }
      connection.disconnect();
      logger.info('worker closed');
    });
    // after the diagnose worker: the jobs it drained may still hand deliveries over
    stoppers.push(startSender(config, logger, deps));
    stoppers.push(() => sendQueue.close());
    if (!options.web) {
      const health = await startHealthServer({
        port: config.metricsPort,
        metrics,
        checkReady: async () => {
          if (stopping) throw new OomBotError('queue_unavailable', 'shutting down');
          if (!running.isRunning()) throw new OomBotError('queue_unavailable', 'worker is not running');
          await connection.ping();
        },
      });
      logger.info({ port: health.port }, 'worker health and metrics listening');
      stoppers.push(() => health.close());
    }
  }

  if (options.web) {
    const app = createSlackApp({
      config,
      logger,
      incidents,
      enqueue: (data) => enqueueDiagnosis(queue, data),
      enqueueRisks: (data) => enqueueRisksAsk(risksQueue, data),
      checkReady: async () => {
        if (stopping) throw new OomBotError('queue_unavailable', 'shutting down');
        await producer.ping();
      },
      metrics,
      replay: createReplayGuard(producer, config.queuePrefix, 2 * MAX_CLOCK_SKEW_SECONDS),
      remediation: {
        ...remediation.actions,
        // a click that passed every check of the approval policy becomes a job
        enqueue: async (data) => {
          const id = await remediation.actions.enqueue(data);
          metrics.approvalDecisions.inc({ decision: 'approved', action: data.action });
          return id;
        },
      },
      routes: alerts.routes,
    });
    await app.start();
    logger.info({ port: config.port, socketMode: config.slack.socketMode }, 'slack app listening');
    stoppers.unshift(() => app.stop());
  }

  stoppers.push(async () => {
    await alerts.close();
    await remediation.close();
    await remediateQueue.close();
    await risksQueue.close();
    await queue.close();
    producer.disconnect();
  });
  return {
    async stop() {
      stopping = true;
      for (const stop of stoppers) {
        await stop().catch((error: unknown) => logger.warn({ err: String(error) }, 'shutdown step failed'));
      }
    },
  };
}

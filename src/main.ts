/**
 * The composition root: builds the clients (Redis, Slack, Kubernetes, Prometheus or a scenario's
 * files), wires them into the web app and the workers, and shuts them down in order.
 */
import bolt from '@slack/bolt';
import { type Job, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from './config.ts';
import type { EvidenceSources } from './evidence.ts';
import { createIncidentStore } from './incidents/store.ts';
import { type DiagnoseDeps, processDiagnose } from './jobs/diagnose-processor.ts';
import {
  createDiagnoseQueue,
  DIAGNOSE_QUEUE,
  type DiagnoseJobData,
  enqueueDiagnosis,
} from './jobs/queues.ts';
import type { Logger } from './logger.ts';
import { createSlackApp } from './slack/app.ts';
import { createSlackPoster } from './slack/poster.ts';
import { createKubernetesLister, loadKubeConfig } from './sources/kubernetes.ts';
import type { ObjectLister } from './sources/ports.ts';
import { createPrometheusSource } from './sources/prometheus.ts';
import type { Scenario } from './sources/scenario.ts';

export interface RunOptions {
  web: boolean;
  worker: boolean;
  scenario?: Scenario;
  /** Spacing of Slack posts per channel (Slack's pace is about one per second). */
  slackIntervalMs?: number;
}

export interface RunningBot {
  stop(): Promise<void>;
}

/** Evidence sources per cluster: a scenario's files, or the kubeconfig context and Prometheus. */
export function createSourceFactory(
  config: Readonly<Config>,
  scenario?: Scenario,
): (cluster?: string) => EvidenceSources {
  if (scenario) return () => ({ cluster: scenario.cluster, metrics: scenario.metrics });
  const listers = new Map<string, ObjectLister>();
  const metrics = createPrometheusSource(config.prometheusUrl as string, {
    timeoutMs: config.sourceTimeoutMs,
  });
  return (cluster) => {
    const context = cluster ?? config.kubeContext ?? '';
    let lister = listers.get(context);
    if (!lister) {
      lister = createKubernetesLister(
        loadKubeConfig({ kubeconfig: config.kubeconfig, context: context || undefined }),
      );
      listers.set(context, lister);
    }
    return { cluster: lister, metrics };
  };
}

export async function runBot(
  config: Readonly<Config>,
  logger: Logger,
  options: RunOptions,
): Promise<RunningBot> {
  const producer = new Redis(config.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: false,
  });
  producer.on('error', (error) => logger.warn({ err: error.message }, 'redis (producer) error'));
  const queue = createDiagnoseQueue(producer, config.queuePrefix);
  queue.on('error', (error) => logger.warn({ err: error.message }, 'queue error'));
  const incidents = createIncidentStore(producer, config.queuePrefix);
  const stoppers: Array<() => Promise<unknown>> = [];

  let worker: Worker<DiagnoseJobData> | undefined;
  if (options.worker) {
    const client = new bolt.webApi.WebClient(config.slack.botToken, {
      ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
      rejectRateLimitedCalls: true,
    });
    const deps: DiagnoseDeps = {
      sourcesFor: createSourceFactory(config, options.scenario),
      now: () => options.scenario?.at ?? Date.now() / 1000,
      slack: createSlackPoster(client, { minIntervalMs: options.slackIntervalMs }),
      incidents,
      logger,
      windowSeconds: config.windowSeconds,
      timeoutMs: config.sourceTimeoutMs,
      recommend: { maxLimitBytes: config.maxLimitBytes },
    };
    const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
    connection.on('error', (error) => logger.warn({ err: error.message }, 'redis (worker) error'));
    worker = new Worker<DiagnoseJobData>(
      DIAGNOSE_QUEUE,
      (job: Job<DiagnoseJobData>) => processDiagnose(job as never, deps),
      { connection, prefix: config.queuePrefix, concurrency: config.workerConcurrency },
    );
    worker.on('failed', (job, error) => logger.error({ jobId: job?.id, err: error.message }, 'job failed'));
    worker.on('error', (error) => logger.warn({ err: error.message }, 'worker error'));
    stoppers.push(async () => {
      await worker?.close();
      connection.disconnect();
    });
  }

  if (options.web) {
    const app = createSlackApp({
      config,
      logger,
      incidents,
      enqueue: (data) => enqueueDiagnosis(queue, data),
      checkReady: async () => {
        await producer.ping();
      },
    });
    await app.start();
    logger.info({ port: config.port, socketMode: config.slack.socketMode }, 'slack app listening');
    stoppers.unshift(() => app.stop());
  }

  stoppers.push(async () => {
    await queue.close();
    producer.disconnect();
  });
  return {
    async stop() {
      for (const stop of stoppers) {
        await stop().catch((error: unknown) => logger.warn({ err: String(error) }, 'shutdown step failed'));
      }
    },
  };
}

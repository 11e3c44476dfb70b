/**
 * Wires Alertmanager alerts into the bot: the webhook route for the web process (intake into
 * the incident store and the queues), the hooks the diagnose worker calls for alert incidents,
 * and the worker of coalesced root-message updates.
 */
import type { CustomRoute } from '@slack/bolt';
import { type Job, type Queue, Worker } from 'bullmq';
import type { Config } from '../config.ts';
import type { AlertIncidentStore } from '../contracts/alert-incident-types.ts';
import { WRITE_ACTIONS } from '../contracts/remediation-actions.ts';
import { describeError } from '../errors.ts';
import { type AlertDiagnosisHooks, createAlertDiagnosisHooks } from '../incidents/alert-diagnosis.ts';
import { createAlertIncidentStore } from '../incidents/alert-incidents.ts';
import { processRootUpdate } from '../incidents/root-updates.ts';
import type { Logger } from '../logger.ts';
import type { DiagnoseJobData } from '../queues/payloads.ts';
import { addNodeDiagnosis } from '../queues/queues.ts';
import {
  addRootUpdates,
  createRootUpdateQueue,
  ROOT_UPDATE_QUEUE,
  type RootUpdateJobData,
} from '../queues/root-update-queue.ts';
import { createRedisConnection, type RedisConnection } from '../redis.ts';
import type { PlanStore } from '../remediation/plan-store.ts';
import type { SlackPoster } from '../slack/poster.ts';
import { addHeldSummaries, createHeldSummaryQueue, startHeldSummaryWorker } from './held-summary.ts';
import { acceptAlerts } from './intake.ts';
import { createAlertmanagerRoute } from './webhook.ts';

interface AlertRuntime {
  store: AlertIncidentStore;
  /** The webhook route (none when no credentials are configured). */
  routes: CustomRoute[];
  /** For the diagnose worker. */
  hooks(slack: SlackPoster): AlertDiagnosisHooks;
  /** Starts the root-update worker; resolves to its stopper. */
  startWorker(slack: SlackPoster): () => Promise<void>;
  close(): Promise<void>;
}

interface AlertRuntimeDeps {
  config: Readonly<Config>;
  logger: Logger;
  producer: RedisConnection;
  diagnoseQueue: Queue<DiagnoseJobData>;
  plans?: PlanStore;
}

/** A plan awaits approval while it has not expired and none of its write actions was used. */
export async function planAwaitsApproval(plans: PlanStore, planId: string, nowSec: number): Promise<boolean> {
  const plan = await plans.getPlan(planId);
  if (!plan || nowSec >= plan.expiresAt) return false;
  for (const action of WRITE_ACTIONS) {
    if (await plans.consumption('plan', planId, action)) return false;
  }
  return true;
}

export function createAlertRuntime(deps: AlertRuntimeDeps): AlertRuntime {
  const { config, logger, producer } = deps;
  const store = createAlertIncidentStore(producer, config.queuePrefix);
  const updates = createRootUpdateQueue(producer, config.queuePrefix);
  updates.on('error', (error) => logger.warn({ err: error.message }, 'incident update queue error'));
  const enqueueUpdates = (refs: Parameters<typeof addRootUpdates>[1]) => addRootUpdates(updates, [...refs]);
  const heldSummaries = createHeldSummaryQueue(producer, config.queuePrefix);
  heldSummaries.on('error', (error) => logger.warn({ err: error.message }, 'held summary queue error'));

  const routes: CustomRoute[] = [];
  if (config.alerts.enabled) {
    routes.push(
      createAlertmanagerRoute({
        path: config.alerts.path,
        token: config.alerts.token,
        basicAuth: config.alerts.basicAuth,
        maxBytes: config.alerts.maxBytes,
        logger,
        accept: (payload) =>
          acceptAlerts(payload, {
            store,
            rules: config.alerts.rules,
            routes: config.alerts.routes,
            defaultChannel: config.oomChannel,
            reopenWindowMs: config.alerts.reopenWindowMs,
            cap: config.alerts.cap,
            now: () => Date.now(),
            sink: {
              async addDiagnoses(jobs) {
                if (jobs.length === 0) return;
                await deps.diagnoseQueue.addBulk(
                  jobs.map((j) => ({ name: 'diagnose', data: j.data, opts: { jobId: j.jobId } })),
                );
              },
              addUpdates: enqueueUpdates,
              addHeldSummaries: (refs) => addHeldSummaries(heldSummaries, refs),
            },
          }),
      }),
    );
    logger.info({ path: config.alerts.path }, 'alertmanager webhook enabled');
  }

  return {
    store,
    routes,
    hooks(slack) {
      return createAlertDiagnosisHooks({
        store,
        slack,
        logger,
        enqueueUpdates,
        approvalPending: (planId) =>
          deps.plans ? planAwaitsApproval(deps.plans, planId, Date.now() / 1000) : Promise.resolve(false),
        now: () => Date.now(),
      });
    },
    startWorker(slack) {
      const connection = createRedisConnection(config.redis, { maxRetriesPerRequest: null });
      connection.on('error', (error) =>
        logger.warn({ err: error.message }, 'redis (incident updates) error'),
      );
      const worker = new Worker<RootUpdateJobData>(
        ROOT_UPDATE_QUEUE,
        (job: Job<RootUpdateJobData>) =>
          processRootUpdate(job, {
            store,
            slack,
            logger,
            enqueue: enqueueUpdates,
            now: () => Date.now(),
            nodeRoot: (state) => addNodeDiagnosis(deps.diagnoseQueue, state, Date.now()),
          }),
        { connection, prefix: config.queuePrefix, concurrency: Math.max(4, config.workerConcurrency) },
      );
      worker.on('failed', (job, error) =>
        logger.warn({ jobId: job?.id, err: describeError(error) }, 'incident update failed'),
      );
      worker.on('error', (error) => logger.warn({ err: error.message }, 'incident update worker error'));
      const held = startHeldSummaryWorker(connection, {
        redis: producer,
        prefix: config.queuePrefix,
        slack,
        cap: config.alerts.cap,
        logger,
      });
      held.on('failed', (job, error) =>
        logger.warn({ jobId: job?.id, err: describeError(error) }, 'held incidents summary failed'),
      );
      return async () => {
        await Promise.all([worker.close(), held.close()]);
        connection.disconnect();
      };
    },
    async close() {
      await Promise.all([updates.close(), heldSummaries.close()]);
    },
  };
}

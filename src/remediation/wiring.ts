/**
 * Wires the approved-remediation workflow into the bot: the policy (loaded and validated at
 * start), the plan store, the remediate queue, the button handlers for the web process, the plan
 * creation for the diagnose and forecast workers, and the remediate worker.
 */
import bolt from '@slack/bolt';
import { type Job, Worker } from 'bullmq';
import type { Config } from '../config.ts';
import { describeError, OomBotError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { DiagnoseJobData, RemediateJobData } from '../queues/payloads.ts';
import { createRemediateQueue, enqueueRemediation, REMEDIATE_QUEUE } from '../queues/queues.ts';
import { createRedisConnection, type RedisConnection } from '../redis.ts';
import type { SlackPoster } from '../slack/poster.ts';
import { loadKubeConfig } from '../sources/kubernetes.ts';
import { createRemediationCluster, noCluster, type RemediationCluster } from './cluster.ts';
import { groupResolver } from './groups.ts';
import { createPlanStore, type PlanStore } from './plan-store.ts';
import { type CreatePlan, createPlanner } from './planner.ts';
import { type ApprovalPolicy, DEFAULT_CLUSTER, loadPolicy } from './policy.ts';
import { processRemediate } from './remediate-processor.ts';
import { type CreateRiskPlan, createRiskPlanner } from './risk-planner.ts';
import { createSigner } from './signing.ts';
import type { RemediationActionDeps } from './slack-actions.ts';

interface Remediation {
  policy: ApprovalPolicy;
  plans: PlanStore;
  /** For the web process's button handlers. */
  actions: RemediationActionDeps;
  /** For the diagnose worker. */
  createPlan: CreatePlan;
  /** For the forecast worker: the plans behind a risk entry's Apply / Preview. */
  createRiskPlan: CreateRiskPlan;
  /** Starts the remediate worker; resolves to its stopper. */
  startWorker(deps: {
    slack: SlackPoster;
    enqueueDiagnosis(data: DiagnoseJobData): Promise<string>;
  }): () => Promise<void>;
  close(): Promise<void>;
}

/**
 * Cluster writers per kubeconfig context. On a scenario's files there is no cluster to change,
 * unless KUBECONFIG names one explicitly.
 */
function createClusterFactory(
  config: Readonly<Config>,
  scenario: boolean,
): (cluster?: string) => RemediationCluster {
  const clusters = new Map<string, RemediationCluster>();
  return (cluster) => {
    if (scenario && !config.kubeconfig) {
      return noCluster(
        'the bot runs on a scenario’s files and has no cluster to change (set KUBECONFIG to name one)',
      );
    }
    const context = cluster ?? config.kubeContext ?? '';
    let writer = clusters.get(context);
    if (!writer) {
      const kc = loadKubeConfig({ kubeconfig: config.kubeconfig, context: context || undefined });
      writer = createRemediationCluster(kc, kc.getCurrentContext(), {
        timeoutMs: Math.max(config.sourceTimeoutMs, 5000),
      });
      clusters.set(context, writer);
    }
    return writer;
  };
}

export async function createRemediation(
  config: Readonly<Config>,
  logger: Logger,
  producer: RedisConnection,
  options: { scenario: boolean },
): Promise<Remediation> {
  const r = config.remediation;
  const policy = await loadPolicy(r.policyFile);
  logger.info(
    { policy: policy.source, dryRunOnly: r.dryRunOnly, buttonTtlSeconds: r.buttonTtlSeconds },
    'approval policy loaded',
  );
  if (!r.signingKey) {
    throw new OomBotError(
      'config_invalid',
      'APPROVAL_SIGNING_KEY is required to sign and verify remediation plans and approvals',
    );
  }
  const plans = createPlanStore(producer, config.queuePrefix, createSigner(r.signingKey));
  const defaultCluster = config.kubeContext ?? DEFAULT_CLUSTER;
  const guard = { write: r.writeNamespaces, deny: r.denyNamespaces };
  const queue = createRemediateQueue(producer, config.queuePrefix);
  queue.on('error', (error) => logger.warn({ err: error.message }, 'remediate queue error'));
  const clusterFor = createClusterFactory(config, options.scenario);

  return {
    policy,
    plans,
    actions: {
      plans,
      policy,
      logger,
      defaultCluster,
      enqueue: (data) => enqueueRemediation(queue, data),
    },
    createPlan: createPlanner({ plans, ttlSeconds: r.buttonTtlSeconds }),
    createRiskPlan: createRiskPlanner({ plans, ttlSeconds: r.buttonTtlSeconds }),
    startWorker(deps) {
      const connection = createRedisConnection(config.redis, { maxRetriesPerRequest: null });
      connection.on('error', (error) => logger.warn({ err: error.message }, 'redis (remediate) error'));
      const slackClient = new bolt.webApi.WebClient(config.slack.botToken, {
        ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
      });
      const groups = groupResolver();
      const worker = new Worker<RemediateJobData>(
        REMEDIATE_QUEUE,
        (job: Job<RemediateJobData>) =>
          processRemediate(job, {
            plans,
            policy,
            guard,
            defaultCluster,
            inGroup: (user, group) => groups(slackClient, user, group),
            clusterFor,
            slack: deps.slack,
            logger,
            now: () => Date.now() / 1000,
            dryRunOnly: r.dryRunOnly,
            rolloutTimeoutMs: r.rolloutTimeoutMs,
            verifySeconds: r.verifySeconds,
            buttonTtlSeconds: r.buttonTtlSeconds,
            scheduleVerify: async (data, delayMs) => {
              await enqueueRemediation(queue, data, { delayMs });
            },
            enqueueDiagnosis: deps.enqueueDiagnosis,
          }),
        { connection, prefix: config.queuePrefix, concurrency: config.workerConcurrency },
      );
      worker.on('failed', (job, error) =>
        logger.error({ jobId: job?.id, err: describeError(error) }, 'remediate job failed'),
      );
      worker.on('error', (error) => logger.warn({ err: error.message }, 'remediate worker error'));
      return async () => {
        await worker.close();
        connection.disconnect();
      };
    },
    async close() {
      await queue.close();
    },
  };
}

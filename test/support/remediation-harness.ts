/**
 * The shared setup of the remediation job tests: a real kube-apiserver, Redis and a signed plan
 * store under a prefix of the suite's own (started before and cleaned after the suite), and the
 * worker's dependencies for one test, recording what the job posts, logs and schedules.
 */
import { PassThrough } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { createLogger } from '../../src/logger.ts';
import type { RemediateJobData } from '../../src/queues/payloads.ts';
import { createRemediationCluster, type RemediationCluster } from '../../src/remediation/cluster.ts';
import { createPlanStore, type PlanStore } from '../../src/remediation/plan-store.ts';
import type { ApprovalPolicy } from '../../src/remediation/policy.ts';
import type { RemediateDeps } from '../../src/remediation/remediate-steps.ts';
import { type KubeStack, startKube } from '../stack/kube.ts';
import { DEFAULT_GUARD, recordingPoster, testSigner } from './remediation-fixtures.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Filled in by the suite's `before` hook. */
export interface RemediationStack {
  kube?: KubeStack;
  admin: KubeConfig;
  cluster: RemediationCluster;
  redis: Redis;
  plans: PlanStore;
  /** The Redis key prefix of this suite. */
  prefix: string;
}

/**
 * Registers the suite's hooks (call it inside `describe`): the servers start before the first
 * test; after the last, they stop (keeping their logs when a test failed) and the suite's Redis
 * keys are deleted.
 */
export function useRemediationStack(label: string): RemediationStack {
  const stack = { prefix: `${label}-${process.pid}-${Date.now()}` } as RemediationStack;
  before(async function () {
    this.timeout(30 * 60 * 1000); // the first run builds kube-apiserver and etcd
    stack.kube = await startKube();
    stack.admin = stack.kube.kubeConfig;
    stack.cluster = createRemediationCluster(stack.admin, 'test');
    stack.redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    stack.plans = createPlanStore(stack.redis, stack.prefix, testSigner());
  });
  after(async function () {
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    await stack.kube?.stop({ keepLogs: failed || undefined });
    if (stack.redis) {
      const keys = await stack.redis.keys(`${stack.prefix}:*`);
      if (keys.length > 0) await stack.redis.del(...keys);
      stack.redis.disconnect();
    }
  });
  return stack;
}

export interface HarnessOptions {
  policy: ApprovalPolicy;
  /** The cluster the jobs write to; the stack's own by default. */
  cluster?: RemediationCluster;
  /** `info` to assert on the job's log lines (collected in `logs`). */
  logLevel?: 'silent' | 'info';
  overrides?: Partial<RemediateDeps>;
}

/** The remediation worker's dependencies for one test, and what the job posted, logged and scheduled. */
export function remediationHarness(stack: RemediationStack, options: HarnessOptions) {
  const poster = recordingPoster();
  const logs: string[] = [];
  const verifies: Array<{ data: RemediateJobData; delayMs: number }> = [];
  const destination = new PassThrough();
  destination.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
  const on = options.cluster ?? stack.cluster;
  const deps: RemediateDeps = {
    plans: stack.plans,
    policy: options.policy,
    guard: DEFAULT_GUARD,
    clusterFor: () => on,
    slack: poster,
    logger: createLogger({ level: options.logLevel ?? 'silent', secrets: [], destination }),
    now: () => Date.now() / 1000,
    dryRunOnly: false,
    rolloutTimeoutMs: 1000,
    rolloutPollMs: 50,
    verifySeconds: 900,
    buttonTtlSeconds: 1800,
    scheduleVerify: async (data, delayMs) => {
      verifies.push({ data, delayMs });
    },
    enqueueDiagnosis: async () => 'diag-1',
    ...options.overrides,
  };
  return { deps, poster, logs, verifies };
}

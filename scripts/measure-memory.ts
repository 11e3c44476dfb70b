/**
 * Measures the bot's own memory, to size the requests and limits in manifests/: the RSS of
 * `oom-bot serve` and `oom-bot worker` (the real binary) idle, then while the worker diagnoses a
 * burst of signed `/oom` requests on a generated scenario, against a real Redis and the fake Slack.
 *
 *   node scripts/measure-memory.ts [--requests N] [--concurrency C] [--scenario DIR | --live]
 *                                  [--node-options "--max-old-space-size=256"]
 *
 * With --scenario (default: the seed incident) the worker reads the scenario's files, which it
 * keeps in memory; with --live it reads a real kube-apiserver and Prometheus loaded with the seed
 * incident ending now, as in production (the figures the manifests are sized from).
 *
 * Linux only (reads /proc/PID/status: VmRSS now, VmHWM the peak).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { parse } from 'yaml';
import { seedIncident, writeScenario } from '../test/scenarios/generator.ts';
import { type Stack, startStack } from '../test/stack/stack.ts';
import { type BotProcess, startBot } from '../test/support/bot-process.ts';
import { startFakeSlack } from '../test/support/fake-slack.ts';
import { seedIncidentEndingNow } from '../test/support/live-seed.ts';
import { postSigned, slashCommandBody } from '../test/support/slack-requests.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '12' },
    concurrency: { type: 'string', default: '4' },
    scenario: { type: 'string' },
    live: { type: 'boolean', default: false },
    'node-options': { type: 'string' },
  },
});
const REQUESTS = Number(values.requests);
const SECRET = 'measure-signing-secret-0123456789';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `oom-measure-${process.pid}`;

function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = values.scenario ? resolve(values.scenario) : mkdtempSync(join(tmpdir(), 'oom-measure-'));
if (!values.scenario) await writeScenario(dir, values.live ? seedIncidentEndingNow() : seedIncident());
const stack: Stack | undefined = values.live ? await startStack({ scenarioDir: dir }) : undefined;
const { request } = parse(readFileSync(join(dir, 'scenario.yaml'), 'utf8')) as {
  request: { service: string; namespace?: string };
};
const command = `${request.service}${request.namespace ? ` -n ${request.namespace}` : ''}`;
const slack = await startFakeSlack();
const env = {
  SLACK_BOT_TOKEN: 'xoxb-measure-token-abcdef',
  SLACK_SIGNING_SECRET: SECRET,
  SLACK_API_URL: slack.apiUrl,
  REDIS_URL,
  QUEUE_PREFIX: prefix,
  WORKER_CONCURRENCY: values.concurrency,
  LOG_LEVEL: 'info',
  NODE_OPTIONS: values['node-options'],
};
const bots: BotProcess[] = [];
try {
  const web = await startBot({ args: ['serve'], env });
  bots.push(web);
  const worker = stack
    ? await startBot({
        args: ['worker'],
        env: { ...env, KUBECONFIG: stack.kube.kubeconfigPath, PROMETHEUS_URL: stack.prometheus?.url },
      })
    : await startBot({ args: ['worker', '--scenario', dir], env });
  bots.push(worker);
  await sleep(3000);
  const idle = { web: memoryOf(web.child.pid as number), worker: memoryOf(worker.child.pid as number) };

  let peakWeb = idle.web.rss;
  let peakWorker = idle.worker.rss;
  const sampler = setInterval(() => {
    peakWeb = Math.max(peakWeb, memoryOf(web.child.pid as number).rss);
    peakWorker = Math.max(peakWorker, memoryOf(worker.child.pid as number).rss);
  }, 50);
  const started = Date.now();
  await Promise.all(
    Array.from({ length: REQUESTS }, (_, i) =>
      postSigned(
        `${web.url}/slack/events`,
        SECRET,
        slashCommandBody({
          text: command,
          channel_id: `C0MEASURE${String(i).padStart(3, '0')}`,
          response_url: slack.responseUrl(`m${i}`),
        }),
      ),
    ),
  );
  const deadline = Date.now() + 300_000;
  const roots = () => slack.calls('chat.postMessage').filter((c) => !c.args.thread_ts).length;
  while ((slack.files().length < REQUESTS || roots() < REQUESTS) && Date.now() < deadline) await sleep(100);

  clearInterval(sampler);
  const busy = { web: memoryOf(web.child.pid as number), worker: memoryOf(worker.child.pid as number) };
  const rows = [
    ['process', 'idle RSS', 'busy peak RSS (sampled)', 'VmHWM'],
    ['serve', mib(idle.web.rss), mib(peakWeb), mib(busy.web.hwm)],
    ['worker', mib(idle.worker.rss), mib(peakWorker), mib(busy.worker.hwm)],
  ];
  process.stdout.write(
    `${values.live ? 'live' : 'scenario files'}${values['node-options'] ? ` (${values['node-options']})` : ''}: ${REQUESTS} diagnoses (${slack.files().length} charts posted) at WORKER_CONCURRENCY=${values.concurrency} ` +
      `in ${((Date.now() - started) / 1000).toFixed(1)} s\n${rows.map((r) => r.map((c) => c.padEnd(26)).join('')).join('\n')}\n`,
  );
} finally {
  for (const bot of bots) await bot.stop();
  await slack.close();
  await stack?.stop();
  if (!values.scenario) rmSync(dir, { recursive: true, force: true });
  const queue = new Queue('diagnose', { connection: { url: REDIS_URL }, prefix });
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
}

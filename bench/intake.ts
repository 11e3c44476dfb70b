/**
 * Intake: Alertmanager webhook payloads per second that `oom-bot serve` accepts (202) after it
 * has folded them into incidents and durably enqueued the resulting jobs in a real Redis, against
 * a bare Bolt route that only parses the JSON and answers 202, in the same run.
 *
 * Each payload is one Alertmanager group of 10 OOM alerts over 10 workloads; 1,000 workloads
 * with 10 pods each, so the first payloads open incidents (a diagnosis job each) and later ones
 * fold more alerts into them (counters, coalesced root updates). After the load the diagnose
 * queue is read back: every diagnosis a 202 announced must be in it.
 */
import { Queue } from 'bullmq';
import { DIAGNOSE_QUEUE } from '../src/queues/queues.ts';
import { startFakeSlack } from '../test/support/fake-slack.ts';
import { oomAlert, webhookPayload } from './lib/alerts.ts';
import { type LoadResult, runLoad, shareOf, unexpected } from './lib/load.ts';
import {
  botEnv,
  clearPrefix,
  type Measured,
  REDIS_URL,
  runPrefix,
  startBareBolt,
  startWeb,
  WEBHOOK_TOKEN,
} from './lib/processes.ts';
import { fmt, fmtMs, fmtRatio, fmtSpread } from './lib/stats.ts';
import {
  type Aggregate,
  type Headline,
  type RunContext,
  type RunResult,
  type Suite,
  table,
} from './lib/suite.ts';

const CONNECTIONS = 16;
const ALERTS_PER_PAYLOAD = 10;
const WORKLOADS = 1000;
const PODS = 10;

function payloadMaker(nowMs: number) {
  let n = 0;
  return () => {
    const alerts = Array.from({ length: ALERTS_PER_PAYLOAD }, () => {
      const i = n++;
      const w = i % WORKLOADS;
      return oomAlert({
        namespace: `team-${'abcde'[w % 5]}`,
        workload: `load-${String(w).padStart(4, '0')}`,
        workloadIndex: w,
        podIndex: Math.floor(i / WORKLOADS) % PODS,
        container: 'app',
        crashLoop: Math.floor(i / (WORKLOADS * PODS)) % 2 === 1,
        nowMs,
      });
    });
    return {
      body: webhookPayload(alerts, `{}:{alertname="${alerts[0]?.labels.alertname}"}`),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` },
    };
  };
}

async function load(target: Measured, durationS: number, onAccepted: (diagnoses: number) => void) {
  const request = payloadMaker(Date.now());
  return runLoad({
    url: target.url,
    path: '/alertmanager',
    connections: CONNECTIONS,
    durationS,
    request,
    classify(status, body) {
      if (status === 202) {
        onAccepted((JSON.parse(body) as { diagnoses?: number }).diagnoses ?? 0);
        return 'accepted';
      }
      return `HTTP ${status}`;
    },
  });
}

async function runOnce(ctx: RunContext, index: number): Promise<RunResult> {
  const durationS = ctx.quick ? 5 : 10;
  const slack = await startFakeSlack();
  const prefix = runPrefix('intake');
  const started: Measured[] = [];
  try {
    const web = await startWeb(
      botEnv({
        prefix,
        slackApiUrl: slack.apiUrl,
        extra: {
          ALERTMANAGER_TOKEN: WEBHOOK_TOKEN,
          OOM_CHANNEL: 'C0BENCHOOM',
          // BENCH_CPU_PROF=DIR: a CPU profile of the web process under this load (bench/profile-summary.ts DIR)
          ...(process.env.BENCH_CPU_PROF
            ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_CPU_PROF}` }
            : {}),
        },
      }),
    );
    started.push(web);
    const bare = await startBareBolt();
    started.push(bare);
    const order = index % 2 === 0 ? [bare, web] : [web, bare];
    let announced = 0;
    const results = new Map<Measured, LoadResult>();
    for (const target of order) {
      ctx.log(`intake: ${target.name}, ${CONNECTIONS} connections for ${durationS} s`);
      results.set(
        target,
        await load(target, durationS, (d) => {
          if (target === web) announced += d;
        }),
      );
    }
    const queue = new Queue(DIAGNOSE_QUEUE, { connection: { url: REDIS_URL }, prefix });
    const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
    await queue.close();
    const inQueue = Object.values(counts).reduce((s, v) => s + v, 0);
    const b = results.get(web) as LoadResult;
    const a = results.get(bare) as LoadResult;
    return {
      figures: {
        botPayloads: b.rps * shareOf(b, 'accepted'),
        botAlerts: b.rps * shareOf(b, 'accepted') * ALERTS_PER_PAYLOAD,
        botP50: b.p50,
        botP99: b.p99,
        botRefused: unexpected(b, 'accepted'),
        barePayloads: a.rps * shareOf(a, 'accepted'),
        bareP50: a.p50,
        bareP99: a.p99,
        ratio: b.rps / a.rps,
        announced,
        inQueue,
        // every diagnosis announced in a 202 (ramp included) is in Redis
        durable: inQueue >= announced ? 1 : 0,
      },
    };
  } finally {
    for (const p of started.reverse()) await p.stop();
    await slack.close();
    await clearPrefix(prefix);
  }
}

function render(agg: Aggregate, quick: boolean): string {
  const f = (name: string) => agg.figure(name);
  const per = (name: string) => fmtSpread(f(name), (v) => `${v.toFixed(0)}/s`);
  const lines = [
    `Alertmanager v4 payloads of ${ALERTS_PER_PAYLOAD} OOM alerts each (1,000 workloads × 10 pods, so both new incidents and repeats), ` +
      `${CONNECTIONS} connections for ${quick ? 5 : 10} s (autocannon), against \`oom-bot serve\` (bearer token, zod validation, ` +
      'incident folding in one Redis script, BullMQ enqueue, then 202) and a bare Bolt route that parses the JSON and answers 202. ' +
      `Median over ${agg.runs} run(s), range in brackets.`,
    '',
    table(
      ['', 'payloads/s (202)', 'alerts/s', 'p50', 'p99'],
      [
        [
          'oom-bot serve',
          per('botPayloads'),
          per('botAlerts'),
          fmtSpread(f('botP50'), fmtMs),
          fmtSpread(f('botP99'), fmtMs),
        ],
        [
          'bare Bolt route (baseline)',
          per('barePayloads'),
          fmtSpread(f('barePayloads'), (v) => `${(v * ALERTS_PER_PAYLOAD).toFixed(0)}/s`),
          fmtSpread(f('bareP50'), fmtMs),
          fmtSpread(f('bareP99'), fmtMs),
        ],
        ['**ratio bot / bare**', `**${fmtSpread(f('ratio'), fmtRatio)}**`, '', '', ''],
      ],
    ),
    '',
    `Durability: after each run the diagnose queue held ${fmt(f('inQueue').min)}–${fmt(f('inQueue').max)} jobs for ` +
      `${fmt(f('announced').min)}–${fmt(f('announced').max)} diagnoses announced in 202 answers ` +
      `(${f('durable').min === 1 ? 'none missing in any run' : 'SOME MISSING'}); payloads not answered 202: ${f('botRefused').max} in the worst run.`,
  ];
  return lines.join('\n');
}

function headlines(agg: Aggregate): Headline[] {
  return [
    {
      id: 'intake',
      label: 'Intake, payloads accepted and durably enqueued per second, bot / bare route',
      value: `${fmtRatio(agg.figure('ratio').median)} (${agg.figure('botPayloads').median.toFixed(0)} payloads/s = ${agg.figure('botAlerts').median.toFixed(0)} alerts/s)`,
    },
  ];
}

export const intakeSuite: Suite = {
  name: 'intake',
  title: 'Intake of Alertmanager payloads',
  runs: (quick) => (quick ? 1 : 3),
  runOnce,
  render,
  headlines,
};

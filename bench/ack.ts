/**
 * Acknowledgement under load: signed `/oom` requests from 200 connections at once (autocannon)
 * against the real `oom-bot serve` (which validates, enqueues into a real Redis, then acks), and
 * against a bare Bolt app whose `/oom` handler only acks, in the same run, one after the other.
 * Every request is a new job (its own channel), signed with its own timestamp.
 *
 * Figures: p50/p99 latency of each, the ratio bot/bare, and the margin to Slack's 3,000 ms. Then
 * both again at half of the bare app's saturation rate (an open loop at that many requests per
 * second), which is nearer what a workspace sends than a saturated server.
 */
import { startFakeSlack } from '../test/support/fake-slack.ts';
import { type LoadResult, runLoad, SLACK_ACK_LIMIT_MS, signedSlashCommand, unexpected } from './lib/load.ts';
import { botEnv, clearPrefix, type Measured, runPrefix, startBareBolt, startWeb } from './lib/processes.ts';
import { fmtMs, fmtRatio, fmtSpread } from './lib/stats.ts';
import {
  type Aggregate,
  type Headline,
  type RunContext,
  type RunResult,
  type Suite,
  table,
} from './lib/suite.ts';

const CONNECTIONS = 200;
const GOAL_RATIO = 1.3;

function classify(status: number, body: string): string {
  if (status !== 200) return `HTTP ${status}`;
  if (body.includes('Diagnosing')) return 'enqueued';
  if (body.includes('temporarily unavailable')) return 'unavailable';
  return body === '' ? 'acked' : 'other';
}

async function load(
  target: Measured,
  durationS: number,
  connections: number,
  responseUrl: string,
  overallRate?: number,
) {
  let n = 0;
  return runLoad({
    url: target.url,
    path: '/slack/events',
    connections,
    durationS,
    classify,
    ...(overallRate ? { overallRate } : {}),
    request: () => signedSlashCommand(`svc-${String(n++ % 50).padStart(2, '0')} -n team-a`, responseUrl),
  });
}

async function runOnce(ctx: RunContext, index: number): Promise<RunResult> {
  const durationS = ctx.quick ? 5 : 10;
  const slack = await startFakeSlack();
  const prefix = runPrefix('ack');
  const started: Measured[] = [];
  try {
    // BENCH_CPU_PROF=DIR: a CPU profile of the web process under this load (bench/profile-summary.ts DIR)
    const profile = process.env.BENCH_CPU_PROF;
    const web = await startWeb(
      botEnv({
        prefix,
        slackApiUrl: slack.apiUrl,
        extra: profile ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profile}` } : {},
      }),
    );
    started.push(web);
    const bare = await startBareBolt();
    started.push(bare);
    // alternate the order between runs, so that neither side always goes first
    const order = index % 2 === 0 ? [bare, web] : [web, bare];
    for (const target of order) await load(target, 2, 50, slack.responseUrl('warmup'));
    const results = new Map<Measured, LoadResult>();
    for (const target of order) {
      ctx.log(`ack: ${target.name}, ${CONNECTIONS} connections for ${durationS} s`);
      results.set(target, await load(target, durationS, CONNECTIONS, slack.responseUrl('ack')));
    }
    const b = results.get(web) as LoadResult;
    const a = results.get(bare) as LoadResult;
    const halfRate = Math.max(1, Math.round(a.rps / 2));
    const half = new Map<Measured, LoadResult>();
    for (const target of order) {
      ctx.log(
        `ack: ${target.name}, ${halfRate} requests/s (half of the bare app's saturation) for ${durationS} s`,
      );
      half.set(target, await load(target, durationS, CONNECTIONS, slack.responseUrl('ack'), halfRate));
    }
    const hb = half.get(web) as LoadResult;
    const ha = half.get(bare) as LoadResult;
    const notes: string[] = [];
    if ((b.outcomes.unavailable ?? 0) > 0)
      notes.push(`the bot answered "unavailable" (enqueue over 2 s) ${b.outcomes.unavailable} times`);
    return {
      figures: {
        botP50: b.p50,
        botP99: b.p99,
        botMax: b.max,
        botRps: b.rps,
        botEnqueued: b.outcomes.enqueued ?? 0,
        botFailed: unexpected(b, 'enqueued'),
        botOverLimit: b.overSlackLimit,
        bareP50: a.p50,
        bareP99: a.p99,
        bareMax: a.max,
        bareRps: a.rps,
        bareFailed: unexpected(a, 'acked'),
        ratioP50: b.p50 / a.p50,
        ratioP99: b.p99 / a.p99,
        ratioRps: b.rps / a.rps,
        p99OfLimit: b.p99 / SLACK_ACK_LIMIT_MS,
        halfRate,
        halfBotP50: hb.p50,
        halfBotP99: hb.p99,
        halfBotRps: hb.rps,
        halfBotFailed: unexpected(hb, 'enqueued'),
        halfBareP50: ha.p50,
        halfBareP99: ha.p99,
        halfBareRps: ha.rps,
        halfRatioP99: hb.p99 / ha.p99,
      },
      notes,
    };
  } finally {
    for (const p of started.reverse()) await p.stop();
    await slack.close();
    await clearPrefix(prefix);
  }
}

function render(agg: Aggregate, quick: boolean): string {
  const f = (name: string) => agg.figure(name);
  const ms = (name: string) => fmtSpread(f(name), fmtMs);
  const rps = (name: string) => fmtSpread(f(name), (v) => `${v.toFixed(0)}/s`);
  const lines = [
    `Signed \`/oom\` requests, each a new job, from ${CONNECTIONS} connections for ${quick ? 5 : 10} s (autocannon, after a 2 s warm-up), ` +
      `against \`oom-bot serve\` (validates, enqueues into Redis, acks) and a bare Bolt app with an empty ack handler, in the same run. ` +
      `Median over ${agg.runs} run(s), range in brackets.`,
    '',
    table(
      ['', 'p50', 'p99', 'max', 'acks/s'],
      [
        ['oom-bot serve', ms('botP50'), ms('botP99'), ms('botMax'), rps('botRps')],
        ['bare Bolt app (baseline)', ms('bareP50'), ms('bareP99'), ms('bareMax'), rps('bareRps')],
        [
          '**ratio bot / bare**',
          fmtSpread(f('ratioP50'), fmtRatio),
          `**${fmtSpread(f('ratioP99'), fmtRatio)}**`,
          '',
          fmtSpread(f('ratioRps'), fmtRatio),
        ],
      ],
    ),
    '',
    `At half of the bare app's saturation rate, ${fmtSpread(f('halfRate'), (v) => `${v.toFixed(0)}/s`)} offered by the same ${CONNECTIONS} connections (open loop), in the same run:`,
    '',
    table(
      ['', 'p50', 'p99', 'acks/s'],
      [
        ['oom-bot serve', ms('halfBotP50'), ms('halfBotP99'), rps('halfBotRps')],
        ['bare Bolt app (baseline)', ms('halfBareP50'), ms('halfBareP99'), rps('halfBareRps')],
        ['**ratio bot / bare**', '', `**${fmtSpread(f('halfRatioP99'), fmtRatio)}**`, ''],
      ],
    ),
    '',
    `Against Slack's 3,000 ms limit: the bot's p99 is ${fmtSpread(f('p99OfLimit'), (v) => `${(v * 100).toFixed(1)}%`)} of it; ` +
      `acks over 3,000 ms: ${f('botOverLimit').max} in the worst run. Acks that were not "Diagnosing…" (unavailable, errors): ${f('botFailed').max} in the worst run. ` +
      'Requests sent in the first 2 s, while the 200 connections open, are not counted: the first request of a connection accepted late waits seconds, in both apps.',
  ];
  if (agg.notes.length) lines.push('', ...agg.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

function headlines(agg: Aggregate): Headline[] {
  const r = agg.figure('ratioP99');
  return [
    {
      id: 'ack-p99',
      label: 'Ack p99 under 200 connections, bot / bare Bolt',
      value: `${fmtRatio(r.median)} (${fmtMs(agg.figure('botP99').median)} vs ${fmtMs(agg.figure('bareP99').median)}; ${(agg.figure('p99OfLimit').median * 100).toFixed(1)}% of Slack's 3,000 ms)`,
      goal: `≤ ${GOAL_RATIO}x`,
      met: r.median <= GOAL_RATIO,
    },
    {
      id: 'ack-p99-half',
      label: "Ack p99 at half of bare Bolt's saturation rate, bot / bare Bolt",
      value: `${fmtRatio(agg.figure('halfRatioP99').median)} (${fmtMs(agg.figure('halfBotP99').median)} vs ${fmtMs(agg.figure('halfBareP99').median)} at ${agg.figure('halfRate').median.toFixed(0)} requests/s)`,
      goal: `≤ ${GOAL_RATIO}x`,
      met: agg.figure('halfRatioP99').median <= GOAL_RATIO,
    },
  ];
}

export const ackSuite: Suite = {
  name: 'ack',
  title: 'Acknowledgement of `/oom` under load',
  runs: (quick) => (quick ? 1 : 3),
  runOnce,
  render,
  headlines,
};

/**
 * `npm run bench`: runs every performance suite a few times against baselines measured in the
 * same run, and writes BENCHMARKS.md: the machine, then per suite the median and the spread
 * (range over runs) of each figure, and a closing note with the headline ratios and the goals.
 *
 *   node bench/run.ts [--quick] [--only ack,intake,...] [--runs N] [--out FILE]
 *
 * Needs what the integration tests need (scripts/provision-test-env.sh): Redis on 127.0.0.1:6379,
 * Prometheus, Alertmanager, and the kube binaries (kubectl included; built on first use).
 * Takes about 15 minutes on 2 cores; --quick runs each suite once, shorter (about 6 minutes).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ackSuite } from './ack.ts';
import { engineSuite } from './engine.ts';
import { forecastSuite } from './forecast.ts';
import { intakeSuite } from './intake.ts';
import { EXPLANATIONS } from './lib/explanations.ts';
import { describeMachine } from './lib/machine.ts';
import { type BenchStack, startBenchStack } from './lib/stack.ts';
import { type Aggregate, aggregate, type Headline, type RunResult, type Suite, table } from './lib/suite.ts';
import { memorySuite } from './memory.ts';
import { riskScanSuite } from './risk-scan.ts';
import { scaleSuite } from './scale.ts';
import { stormSuite } from './storm.ts';
import { timeToDiagnosisSuite } from './time-to-diagnosis.ts';

/**
 * In the order they run (memory reads the storm's peaks). The engine goes last: it keeps large
 * evidence in this process, whose garbage collection would slow the load generator.
 */
const SUITES: Suite[] = [
  ackSuite,
  intakeSuite,
  timeToDiagnosisSuite,
  stormSuite,
  memorySuite,
  engineSuite,
  scaleSuite,
  forecastSuite,
  riskScanSuite,
];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    runs: { type: 'string' },
    out: { type: 'string', default: resolve(import.meta.dirname, '../BENCHMARKS.md') },
  },
});
const quick = values.quick as boolean;
const only = values.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((n) => !SUITES.some((s) => s.name === n)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(
    `bench: unknown suite(s) ${unknown.join(', ')}; known: ${SUITES.map((s) => s.name).join(', ')}\n`,
  );
  process.exit(2);
}
const suites = SUITES.filter((s) => !only || only.includes(s.name));

const began = Date.now();
const log = (message: string) =>
  process.stderr.write(`[${((Date.now() - began) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);

let stack: Promise<BenchStack> | undefined;
const ctx = {
  quick,
  stack: () => {
    stack ??= startBenchStack(log);
    return stack;
  },
  log,
};

const machine = describeMachine();
const loadBefore = loadavg()[0] ?? 0;
const results = new Map<string, Aggregate>();
const failures = new Map<string, string[]>();
const durations = new Map<string, number>();
try {
  for (const suite of suites) {
    const runs = values.runs ? Number(values.runs) : suite.runs(quick);
    const done: RunResult[] = [];
    const t0 = Date.now();
    for (let i = 0; i < runs; i++) {
      log(`${suite.name}: run ${i + 1} of ${runs}`);
      try {
        done.push(await suite.runOnce(ctx, i));
      } catch (error) {
        const message = (error as Error).stack ?? String(error);
        log(`${suite.name}: run ${i + 1} failed: ${message}`);
        failures.set(suite.name, [
          ...(failures.get(suite.name) ?? []),
          (error as Error).message ?? String(error),
        ]);
      }
    }
    durations.set(suite.name, (Date.now() - t0) / 1000);
    if (done.length > 0) results.set(suite.name, aggregate(done));
  }
} finally {
  if (stack) await (await stack.catch(() => undefined))?.stop();
}
const loadAfter = loadavg()[0] ?? 0;

function section(suite: Suite): string {
  const agg = results.get(suite.name);
  const failed = failures.get(suite.name) ?? [];
  const body = agg ? suite.render(agg, quick, results) : 'No run finished.';
  const notes =
    failed.length > 0
      ? `\n\nFailed runs (not counted): ${failed.map((f) => `\`${f.split('\n')[0]}\``).join('; ')}`
      : '';
  return `## ${suite.title}\n\n${body}${notes}\n`;
}

const headlines: Array<Headline & { suite: string }> = [];
for (const suite of suites) {
  const agg = results.get(suite.name);
  if (agg) for (const h of suite.headlines(agg, results)) headlines.push({ ...h, suite: suite.name });
}

const closing = [
  '## Closing note',
  '',
  'The headline of each figure, as a ratio against its baseline measured in the same run:',
  '',
  table(
    ['figure', 'measured', 'goal', ''],
    headlines.map((h) => [
      h.label,
      h.value,
      h.goal ?? '—',
      h.met === undefined ? '' : h.met ? 'met' : '**missed**',
    ]),
  ),
];
const missed = headlines.filter((h) => h.met === false);
if (missed.length > 0) {
  closing.push('', '### Where a goal is missed, and the profile that explains why', '');
  for (const h of missed) {
    const why = EXPLANATIONS[h.id];
    closing.push(`**${h.label}** (${h.value}; goal ${h.goal}).`, '', why ?? 'No explanation recorded.', '');
  }
}

const text = [
  '# Benchmarks',
  '',
  `Written by \`npm run bench${quick ? ' -- --quick' : ''}\` (bench/run.ts) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ` +
    `in ${((Date.now() - began) / 60_000).toFixed(1)} minutes. Each suite runs a few times; a figure is the median over the runs with the ` +
    'range in brackets, and its headline is a ratio against a baseline measured in the same run, on the same machine. Tests never ' +
    'assert times; this file is where the times are.',
  '',
  'Run it with `npm run bench` (all suites), `npm run bench -- --quick` (each suite once, shorter), or ' +
    '`npm run bench -- --only ack,engine`; it needs what `npm test` provisions (Redis, Prometheus, Alertmanager, the kube binaries and kubectl).',
  '',
  '## Machine',
  '',
  table(
    ['', ''],
    [
      ['CPU', machine.cpu],
      ['cores', String(machine.cores)],
      ['memory', `${machine.memoryGiB} GiB`],
      ['Node.js', machine.node],
      ['OS', machine.os],
      ['load average (1 min) before / after', `${loadBefore.toFixed(2)} / ${loadAfter.toFixed(2)}`],
    ],
  ),
  '',
  'Everything runs on this one machine: the load generator, the bot, Redis, the kube-apiserver, Prometheus and Alertmanager share its cores, ' +
    'so absolute figures are lower than on separate hosts; the ratios compare like with like.',
  '',
  ...suites.map(section),
  ...closing,
  '',
  `Suite durations: ${suites.map((s) => `${s.name} ${(durations.get(s.name) ?? 0).toFixed(0)} s`).join(', ')}.`,
  '',
].join('\n');

writeFileSync(values.out as string, text + keptSections(values.out as string, text));
log(`wrote ${values.out}`);
process.exit(failures.size > 0 && results.size === 0 ? 1 : 0);

/**
 * The `## ` sections of the file being replaced that this run did not write (a suite left out by
 * --only, or figures measured by hand such as the container image), kept after the new ones.
 */
function keptSections(path: string, written: string): string {
  if (!existsSync(path)) return '';
  const headings = new Set(written.split('\n').filter((l) => l.startsWith('## ')));
  const kept = readFileSync(path, 'utf8')
    .split(/\n(?=## )/)
    .slice(1)
    .filter((section) => !headings.has(section.split('\n', 1)[0] as string));
  return kept.length > 0 ? `\n${kept.map((k) => k.trimEnd()).join('\n\n')}\n` : '';
}

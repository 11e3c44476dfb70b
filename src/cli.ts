#!/usr/bin/env node
/**
 * The `oom-bot` command line: serve | worker | start | diagnose | demo, and from a source checkout
 * the development commands generate | replay (test/dev-cli/, loaded only when test/ is there).
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig, type Mode } from './config.ts';
import { diagnoseWorkload } from './diagnosis-service.ts';
import type { Diagnosis } from './domain/types.ts';
import { describeError, OomBotError, usageError } from './errors.ts';
import { parseRisksArgs, runRisks } from './forecast/cli.ts';
import { createLogger } from './logger.ts';
import { createSourceFactory, runBot } from './main.ts';
import { diagnoseNodeByName } from './node-diagnosis-service.ts';
import { isNodeName } from './node-evidence.ts';
import { renderRoot, renderThread } from './render/blocks/diagnosis.ts';
import { renderNodeRootPreview, renderNodeThread } from './render/blocks/node-diagnosis.ts';
import { renderAsText } from './render/blocks/text.ts';
import { renderChartPng } from './render/chart.ts';
import { toJsonReport, toNodeJsonReport } from './report.ts';
import { DNS_1123_LABEL } from './slack/command.ts';
import { readScenario, type Scenario } from './sources/scenario.ts';

const HELP = `oom-bot: diagnose Kubernetes OOM kills, from Slack or the command line

Usage:
  oom-bot serve                      Slack endpoint (/slack/events) and health checks
  oom-bot worker [--scenario DIR]    diagnosis workers (BullMQ on REDIS_URL); health and /metrics on METRICS_PORT
  oom-bot start [--scenario DIR]     both in one process; with a scenario, its files replace cluster and Prometheus
  oom-bot diagnose <service> [--namespace NS] [--at RFC3339] [--scenario DIR]
                   [--output text|json|slack] [--chart FILE.png] [--cluster CONTEXT]
  oom-bot diagnose --node NODE [--at RFC3339] [--scenario DIR] [--output text|json|slack] [--cluster CONTEXT]
                                     node memory pressure: the pods that filled the node, what to raise or spread
  oom-bot risks [--namespace NS] [--at RFC3339] [--scenario DIR] [--output text|json|slack] [--cluster CONTEXT]
                                     forecast: the containers at risk of an OOM kill, most urgent first
  oom-bot demo [--out DIR]           diagnose the built-in auth-service incident and show what Slack would show`;

const HELP_FOOTER = 'Configuration comes from the environment; see .env.example.';

/** The incident `oom-bot demo` diagnoses: scenario files shipped with the product. */
const DEMO_SCENARIO = fileURLToPath(new URL('./demo/auth-service', import.meta.url));

/** Commands that need test/ (the scenario generator, the test stack): absent from the image. */
const DEV_COMMANDS_MODULE = new URL('../test/dev-cli/commands.ts', import.meta.url);
const DEV_COMMAND_NAMES = ['generate', 'replay'];

interface DevCommand {
  help: string;
  run(argv: string[]): Promise<void>;
}

/** The development commands when this is a source checkout, else undefined. */
async function loadDevCommands(): Promise<Record<string, DevCommand> | undefined> {
  if (!existsSync(fileURLToPath(DEV_COMMANDS_MODULE))) return undefined;
  const module = (await import(DEV_COMMANDS_MODULE.href)) as { DEV_COMMANDS: Record<string, DevCommand> };
  return module.DEV_COMMANDS;
}

async function printHelp(): Promise<void> {
  const dev = await loadDevCommands();
  const devHelp = dev ? Object.values(dev).map((c) => c.help) : [];
  process.stdout.write(`${[HELP, ...devHelp].join('\n')}\n\n${HELP_FOOTER}\n`);
}

async function runDevCommand(command: string, argv: string[]): Promise<void> {
  const dev = (await loadDevCommands())?.[command];
  if (!dev) {
    throw usageError(
      `"${command}" is a development command, available from a source checkout (npm ci, then bin/oom-bot ${command}); this installation has no test/ folder`,
    );
  }
  return dev.run(argv);
}

const EXIT_USAGE = 2;

function fail(message: string, code = 1): never {
  process.stderr.write(`oom-bot: ${message}\n`);
  process.exit(code);
}

function parseAt(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || !Number.isFinite(ms))
    throw usageError(`--at must be an RFC 3339 time, got "${text}"`);
  return ms / 1000;
}

interface Rendered {
  root: { text: string; blocks: unknown[] };
  thread: Array<{ text: string; blocks: unknown[] }>;
}

function renderForSlack(d: Diagnosis): Rendered {
  return { root: renderRoot(d, { incidentId: 'preview' }), thread: renderThread(d) };
}

async function writeChart(d: Diagnosis, file: string): Promise<void> {
  const title = `${d.target.namespace}/${d.target.workload.name} · ${d.container} memory`;
  await writeFile(file, renderChartPng(d.chart, title));
}

async function commandDiagnose(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      namespace: { type: 'string', short: 'n' },
      at: { type: 'string' },
      scenario: { type: 'string' },
      output: { type: 'string', short: 'o', default: 'text' },
      chart: { type: 'string' },
      cluster: { type: 'string' },
      'window-hours': { type: 'string' },
      node: { type: 'string' },
    },
  });
  if (values.node !== undefined) return commandDiagnoseNode(values, positionals);
  if (positionals.length !== 1) throw usageError('diagnose needs exactly one <service> (oom-bot --help)');
  const name = positionals[0] as string;
  if (!DNS_1123_LABEL.test(name)) throw usageError(`"${name}" is not a valid Kubernetes name`);
  if (values.namespace !== undefined && !DNS_1123_LABEL.test(values.namespace)) {
    throw usageError(`namespace "${values.namespace}" is not a valid Kubernetes name`);
  }
  const output = values.output as string;
  if (!['text', 'json', 'slack'].includes(output))
    throw usageError(`--output must be text, json or slack, got "${output}"`);
  const windowHours = values['window-hours'] === undefined ? undefined : Number(values['window-hours']);
  if (windowHours !== undefined && !(windowHours > 0 && windowHours <= 24 * 14))
    throw usageError('--window-hours must be between 0 and 336');

  const requestedAt = parseAt(values.at);
  const scenario = values.scenario ? await readScenario(resolve(values.scenario)) : undefined;
  const config = loadConfig(process.env, { mode: 'diagnose', scenario: Boolean(scenario) });
  const sources = createSourceFactory(config, scenario)(values.cluster);
  const at = requestedAt ?? scenario?.at ?? Date.now() / 1000;
  const { diagnosis } = await diagnoseWorkload(
    sources,
    {
      name,
      namespace: values.namespace,
      at,
      windowSeconds: windowHours ? windowHours * 3600 : config.windowSeconds,
    },
    {
      timeoutMs: config.sourceTimeoutMs,
      recommend: { maxLimitBytes: config.maxLimitBytes },
      cluster: values.cluster,
    },
  );
  if (values.chart) await writeChart(diagnosis, values.chart);
  if (output === 'json') process.stdout.write(`${JSON.stringify(toJsonReport(diagnosis), null, 2)}\n`);
  else if (output === 'slack') process.stdout.write(`${JSON.stringify(renderForSlack(diagnosis))}\n`);
  else process.stdout.write(`${renderAsText(renderForSlack(diagnosis) as never)}\n`);
}

/** `diagnose --node NODE`: the node diagnosis a node incident's thread shows. */
async function commandDiagnoseNode(
  values: {
    node?: string;
    at?: string;
    scenario?: string;
    output?: string;
    cluster?: string;
    namespace?: string;
    chart?: string;
  },
  positionals: string[],
): Promise<void> {
  const node = values.node as string;
  if (positionals.length > 0) throw usageError('diagnose --node takes no <service>: one or the other');
  if (values.namespace !== undefined || values.chart !== undefined)
    throw usageError('--namespace and --chart are for a workload; a node has neither');
  if (!isNodeName(node)) throw usageError(`"${node}" is not a valid node name`);
  const output = values.output ?? 'text';
  if (!['text', 'json', 'slack'].includes(output))
    throw usageError(`--output must be text, json or slack, got "${output}"`);
  const requestedAt = parseAt(values.at);
  const scenario = values.scenario ? await readScenario(resolve(values.scenario)) : undefined;
  const config = loadConfig(process.env, { mode: 'diagnose', scenario: Boolean(scenario) });
  const sources = createSourceFactory(config, scenario)(values.cluster);
  const at = requestedAt ?? scenario?.at ?? Date.now() / 1000;
  const { diagnosis, missing } = await diagnoseNodeByName(
    sources,
    { node, at },
    { timeoutMs: config.sourceTimeoutMs },
  );
  const rendered = { root: renderNodeRootPreview(diagnosis), thread: renderNodeThread(diagnosis, missing) };
  if (output === 'json')
    process.stdout.write(
      `${JSON.stringify(toNodeJsonReport(diagnosis, missing, values.cluster), null, 2)}\n`,
    );
  else if (output === 'slack') process.stdout.write(`${JSON.stringify(rendered)}\n`);
  else process.stdout.write(`${renderAsText(rendered)}\n`);
}

async function commandRisks(argv: string[]): Promise<void> {
  const options = parseRisksArgs(argv);
  const scenario = options.scenario ? await readScenario(resolve(options.scenario)) : undefined;
  const config = loadConfig(process.env, { mode: 'diagnose', scenario: Boolean(scenario) });
  const sources = createSourceFactory(config, scenario)(options.cluster);
  const at = parseAt(options.at) ?? scenario?.at ?? Date.now() / 1000;
  process.stdout.write(`${await runRisks(sources, options, at, config.windowSeconds)}\n`);
}

async function commandDemo(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string', default: 'demo-output' } } });
  const out = resolve(values.out as string);
  const dir = join(out, 'auth-service-scenario');
  await mkdir(dir, { recursive: true });
  await cp(DEMO_SCENARIO, dir, { recursive: true });
  const scenario = await readScenario(dir);
  const { diagnosis } = await diagnoseWorkload(
    { cluster: scenario.cluster, metrics: scenario.metrics },
    { name: scenario.meta.request.service, namespace: scenario.meta.request.namespace, at: scenario.at },
  );
  const rendered = renderForSlack(diagnosis);
  await writeFile(join(out, 'slack.json'), `${JSON.stringify(rendered, null, 2)}\n`);
  await writeFile(join(out, 'diagnosis.json'), `${JSON.stringify(toJsonReport(diagnosis), null, 2)}\n`);
  await writeChart(diagnosis, join(out, 'memory.png'));
  process.stdout.write(`${renderAsText(rendered as never)}\n\n`);
  process.stdout.write(
    `${[
      `Scenario written to   ${dir}`,
      `Block Kit JSON saved  ${join(out, 'slack.json')}`,
      `JSON report saved     ${join(out, 'diagnosis.json')}`,
      `Memory chart saved    ${join(out, 'memory.png')}`,
    ].join('\n')}\n`,
  );
}

async function commandRun(mode: Mode, argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { scenario: { type: 'string' } } });
  if (values.scenario && mode === 'serve')
    throw usageError('--scenario is for `oom-bot start` and `oom-bot worker` (serve reads no evidence)');
  const scenario: Scenario | undefined = values.scenario
    ? await readScenario(resolve(values.scenario))
    : undefined;
  const config = loadConfig(process.env, { mode, scenario: Boolean(scenario) });
  const logger = createLogger({ level: config.logLevel, secrets: config.secrets });
  const bot = await runBot(config, logger, { web: mode !== 'worker', worker: mode !== 'serve', scenario });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    bot.stop().then(
      () => {
        logger.info('shutdown complete');
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'diagnose':
      return commandDiagnose(rest);
    case 'risks':
      return commandRisks(rest);
    case 'demo':
      return commandDemo(rest);
    case 'serve':
    case 'worker':
    case 'start':
      return commandRun(command, rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      return printHelp();
    default:
      if (DEV_COMMAND_NAMES.includes(command)) return runDevCommand(command, rest);
      throw usageError(`unknown command "${command}" (oom-bot --help)`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof OomBotError) fail(error.userMessage, error.code === 'usage' ? EXIT_USAGE : 1);
  const code = (error as { code?: string }).code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))
    fail((error as Error).message, EXIT_USAGE);
  fail(describeError(error));
});

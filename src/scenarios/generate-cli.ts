/**
 * Writes generated scenarios to disk.
 *
 *   node src/scenarios/generate-cli.ts --out DIR [--count N] [--seed S] [--cause C]
 *       a corpus, one folder per scenario: DIR/NNN-<cause>-<service>
 *   node src/scenarios/generate-cli.ts --out DIR --seed-incident
 *       the seed incident, written into DIR itself
 *
 * Scenarios are generated and written one at a time, so memory stays flat for large corpora.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  corpusSpecs,
  generateScenario,
  inCorpus,
  SCENARIO_CAUSES,
  type ScenarioCause,
  seedIncident,
  writeScenario,
} from './generator.ts';

const USAGE = `usage: node src/scenarios/generate-cli.ts --out DIR [--count N] [--seed S] [--cause C]
       node src/scenarios/generate-cli.ts --out DIR --seed-incident
causes: ${SCENARIO_CAUSES.join(', ')}`;

export async function main(argv: string[]): Promise<number> {
  let values: {
    out?: string;
    count?: string;
    seed?: string;
    cause?: string;
    'seed-incident'?: boolean;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        count: { type: 'string', default: '60' },
        seed: { type: 'string', default: '1' },
        cause: { type: 'string' },
        'seed-incident': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.out) {
    process.stderr.write(`--out DIR is required\n${USAGE}\n`);
    return 2;
  }
  const out = resolve(values.out);

  if (values['seed-incident']) {
    await writeScenario(out, seedIncident());
    process.stdout.write(`seed incident written to ${out}\n`);
    return 0;
  }

  const count = Number(values.count);
  const seed = Number(values.seed);
  if (!Number.isInteger(count) || count < 1 || count > 100_000) {
    process.stderr.write('--count must be an integer from 1 to 100000\n');
    return 2;
  }
  if (!Number.isSafeInteger(seed)) {
    process.stderr.write('--seed must be an integer\n');
    return 2;
  }
  const cause = values.cause;
  if (cause !== undefined && !(SCENARIO_CAUSES as readonly string[]).includes(cause)) {
    process.stderr.write(`unknown cause "${cause}"; one of: ${SCENARIO_CAUSES.join(', ')}\n`);
    return 2;
  }

  const started = performance.now();
  const specs = corpusSpecs({ seed, count, ...(cause ? { cause: cause as ScenarioCause } : {}) });
  for (const [i, spec] of specs.entries()) {
    const s = inCorpus(generateScenario(spec), i, count);
    await writeScenario(join(out, s.dirName), s);
    const e = s.scenarioYaml.expect;
    process.stdout.write(
      `${s.dirName}  ${s.spec.variant}  ${s.spec.replicas}x ${s.spec.workloadKind}  ${s.spec.intervalSeconds}s  ` +
        `${s.spec.trafficFamily}  oomKills=${e.oomKills}\n`,
    );
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(`${specs.length} scenarios written to ${out} in ${seconds}s\n`);
  return 0;
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

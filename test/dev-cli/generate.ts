/** `oom-bot generate --out DIR [--count N] [--seed S]`: a corpus of generated scenarios on disk. */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { usageError } from '../../src/errors.ts';
import { generateCorpus, writeScenario } from '../scenarios/generator.ts';

export async function commandGenerate(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      count: { type: 'string', default: '30' },
      seed: { type: 'string', default: '1' },
    },
  });
  if (!values.out) throw usageError('generate needs --out DIR');
  const count = Number(values.count);
  const seed = Number(values.seed);
  if (!Number.isInteger(count) || count < 1 || count > 10_000)
    throw usageError('--count must be an integer from 1 to 10000');
  if (!Number.isInteger(seed)) throw usageError('--seed must be an integer');
  const corpus = generateCorpus({ seed, count });
  for (const [i, s] of corpus.entries()) {
    await writeScenario(join(resolve(values.out), `${String(i + 1).padStart(3, '0')}-${s.name}`), s);
  }
  process.stdout.write(`${corpus.length} scenarios written to ${resolve(values.out)}\n`);
}

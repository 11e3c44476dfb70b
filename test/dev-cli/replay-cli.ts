/**
 * `oom-bot replay DIR [--kubeconfig FILE [--context NAME]] [--keep-logs]`, a development command
 * (it starts the test stack): see replay.ts.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.ts';
import { usageError } from '../../src/errors.ts';
import { loadKubeConfig } from '../../src/sources/kubernetes.ts';

export async function commandReplay(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      'keep-logs': { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) throw usageError('replay needs exactly one scenario DIR (oom-bot --help)');
  if (values.context && !values.kubeconfig) throw usageError('--context needs --kubeconfig');
  // the same settings `diagnose --scenario` uses, so both print the same report
  const config = loadConfig(process.env, { mode: 'diagnose', scenario: true });
  const kubeConfig = values.kubeconfig
    ? loadKubeConfig({ kubeconfig: resolve(values.kubeconfig), context: values.context })
    : undefined;
  // loaded here: the replay's test stack pulls in the Kubernetes client, which `serve` never needs
  const { replayScenario } = await import('./replay.ts');
  const report = await replayScenario(resolve(positionals[0] as string), {
    kubeConfig,
    keepLogs: values['keep-logs'],
    windowSeconds: config.windowSeconds,
    timeoutMs: config.sourceTimeoutMs,
    recommend: { maxLimitBytes: config.maxLimitBytes },
  });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

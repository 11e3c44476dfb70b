// Developer entry: starts the test stack and stays up until SIGINT/SIGTERM.
//   node test/stack/main.ts [SCENARIO_DIR]
// With a scenario dir, its cluster.yaml is loaded into the apiserver and its metrics into Prometheus.
// Prints one JSON line with the addresses and the kubeconfig path.
import { resolve } from 'node:path';
import { startStack } from './stack.ts';

const scenarioDir = process.argv[2] ? resolve(process.argv[2]) : undefined;
const stack = await startStack({ scenarioDir });
process.stdout.write(
  `${JSON.stringify({
    kubeServer: stack.kube.server,
    kubeconfig: stack.kube.kubeconfigPath,
    kubeToken: stack.kube.token,
    kubeLogDir: stack.kube.logDir,
    prometheus: stack.prometheus?.url,
    scenarioDir,
  })}\n`,
);

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`test stack: ${signal}, stopping\n`);
  try {
    await stack.stop();
    process.exit(0);
  } catch (err) {
    process.stderr.write(`test stack: stop failed: ${(err as Error).message}\n`);
    process.exit(1);
  }
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
// keep the event loop alive until a signal arrives
setInterval(() => {}, 1 << 30);

/**
 * The `oom-bot` commands that only work from a source checkout: they need the scenario generator
 * and the test stack, which live under test/ and are not in the image. src/cli.ts loads this
 * module with a dynamic import when test/ is there; each command loads its own code on use.
 */

export interface DevCommand {
  /** The command's lines in `oom-bot --help`. */
  help: string;
  run(argv: string[]): Promise<void>;
}

export const DEV_COMMANDS: Record<string, DevCommand> = {
  generate: {
    help: `  oom-bot generate --out DIR [--count N] [--seed S]
                                     write generated scenarios (the exchange format) for tests and benchmarks`,
    run: async (argv) => (await import('./generate.ts')).commandGenerate(argv),
  },
  replay: {
    help: `  oom-bot replay DIR [--kubeconfig FILE [--context NAME]] [--keep-logs]
                                     load a scenario into a real kube-apiserver and Prometheus (started
                                     unless --kubeconfig names a running loopback apiserver) and print
                                     the JSON that \`diagnose --scenario DIR --output json\` prints`,
    run: async (argv) => (await import('./replay-cli.ts')).commandReplay(argv),
  },
};

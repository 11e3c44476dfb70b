/**
 * One oom-bot container for the image tests: started detached the way the Deployments run it
 * (read-only root, a tmpfs /tmp, no capabilities, no privilege escalation, host network to reach
 * the real Redis and the fake Slack), with helpers to wait for its HTTP endpoints, look inside,
 * and stop it with SIGTERM, timing the shutdown.
 */
import { IMAGE, podman } from './podman.ts';

export interface Container {
  name: string;
  startedAt: bigint;
  exec(command: string[]): Promise<string>;
  logs(): Promise<string>;
  running(): Promise<boolean>;
  /** `podman stop -t grace`: SIGTERM, then SIGKILL after the grace period; the exit code and seconds taken. */
  stop(graceSeconds: number): Promise<{ code: number; seconds: number }>;
}

let sequence = 0;

/** Starts `oom-bot MODE ARGS` in a container with `env`; `podmanArgs` go before the image. */
export async function startContainer(
  mode: string,
  env: Record<string, string>,
  args: string[] = [],
  podmanArgs: string[] = [],
): Promise<Container> {
  sequence += 1;
  const name = `oom-bot-image-test-${process.pid}-${sequence}`;
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const startedAt = process.hrtime.bigint();
  await podman([
    'run',
    '-d',
    '--name',
    name,
    '--network',
    'host',
    '--read-only',
    '--tmpfs',
    '/tmp',
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    ...envArgs,
    ...podmanArgs,
    IMAGE,
    mode,
    ...args,
  ]);
  const container: Container = {
    name,
    startedAt,
    exec: (command) => podman(['exec', name, ...command]),
    logs: async () => {
      const out = await podman(['logs', name]).catch((err: Error) => err.message);
      return out.split('\n').slice(-40).join('\n');
    },
    running: async () =>
      (await podman(['inspect', '--format', '{{.State.Running}}', name])).trim() === 'true',
    stop: async (graceSeconds) => {
      const started = process.hrtime.bigint();
      await podman(['stop', '-t', String(graceSeconds), name], (graceSeconds + 30) * 1000);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const code = Number((await podman(['inspect', '--format', '{{.State.ExitCode}}', name])).trim());
      await podman(['rm', '-f', name]).catch(() => undefined);
      return { code, seconds };
    },
  };
  return container;
}

/** Polls `url` until it answers 200; the seconds since the container started. Throws with its logs if it dies or takes over 2 minutes. */
export async function waitForHttp(url: string, container: Container): Promise<number> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return Number(process.hrtime.bigint() - container.startedAt) / 1e9;
    } catch {
      // not listening yet
    }
    if (!(await container.running()))
      throw new Error(`${container.name} exited before ${url} answered:\n${await container.logs()}`);
    if (Date.now() > deadline)
      throw new Error(`${url} did not answer 200 within 2 minutes:\n${await container.logs()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Prints a measured figure in the test output (BENCHMARKS.md quotes them). */
export function recordFigure(name: string, value: string): void {
  process.stdout.write(`      figure: ${name} = ${value}\n`);
}

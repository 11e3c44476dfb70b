/**
 * How hard the reliability tests push. `npm test` (CI) runs them at the default intensity; the
 * reliability command sets RELIABILITY=full for more generated inputs and more fault points.
 * Each test prints one `reliability:` line with its counts (the figures in RELIABILITY.md).
 */

export const FULL = process.env.RELIABILITY === 'full';

/** `ci` normally, `full` under RELIABILITY=full. */
export function intensity(ci: number, full: number): number {
  return FULL ? full : ci;
}

/** fast-check runs per property: FC_NUM_RUNS wins, else 200 (CI) or 2,000 (full). */
export function propertyRuns(ci = 200, full = 2000): number {
  const fromEnv = Number(process.env.FC_NUM_RUNS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : intensity(ci, full);
}

/** A fixed seed unless FC_SEED is set, so that a CI failure is reproducible. */
export function propertySeed(): number {
  const fromEnv = Number(process.env.FC_SEED);
  return Number.isInteger(fromEnv) ? fromEnv : 20_240_611;
}

/** One machine-readable line per test: what was injected or tried, how many, what happened. */
export function report(name: string, figures: Record<string, unknown>): void {
  process.stdout.write(`      reliability: ${name} ${JSON.stringify(figures)}\n`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns something other than undefined/false. */
export async function waitUntil<T>(
  what: string,
  timeoutMs: number,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

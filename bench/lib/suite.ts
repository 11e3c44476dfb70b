/**
 * What every benchmark suite provides to bench/run.ts: a function that runs it once and returns
 * named figures (and optionally raw samples, pooled over runs), and a renderer of its section of
 * BENCHMARKS.md from the figures' medians and spreads over the runs.
 */
import type { BenchStack } from './stack.ts';
import { type Spread, spreadOf } from './stats.ts';

export interface RunContext {
  quick: boolean;
  /** The shared real stack (kube-apiserver, Prometheus with the bench workloads), started on first use. */
  stack(): Promise<BenchStack>;
  log(message: string): void;
}

export interface RunResult {
  figures: Record<string, number>;
  /** Raw observations (e.g. one time to diagnosis per incident), pooled over the runs. */
  samples?: Record<string, number[]>;
  notes?: string[];
}

export interface Aggregate {
  runs: number;
  figure(name: string): Spread;
  samples(name: string): number[];
  notes: string[];
}

export interface Headline {
  /** Stable key of the explanation shown when the goal is missed (lib/explanations.ts). */
  id: string;
  label: string;
  value: string;
  goal?: string;
  met?: boolean;
}

export interface Suite {
  name: string;
  title: string;
  /** How many runs the median and spread are taken over. */
  runs(quick: boolean): number;
  runOnce(ctx: RunContext, index: number): Promise<RunResult>;
  /** The section of BENCHMARKS.md (without its title); `others`: the other suites' results. */
  render(agg: Aggregate, quick: boolean, others: ReadonlyMap<string, Aggregate>): string;
  /** The ratios for the closing note. */
  headlines(agg: Aggregate, others: ReadonlyMap<string, Aggregate>): Headline[];
}

export function aggregate(results: RunResult[]): Aggregate {
  return {
    runs: results.length,
    figure: (name) => spreadOf(results.map((r) => r.figures[name] ?? Number.NaN)),
    samples: (name) => results.flatMap((r) => r.samples?.[name] ?? []),
    notes: [...new Set(results.flatMap((r) => r.notes ?? []))],
  };
}

/** A markdown table. */
export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

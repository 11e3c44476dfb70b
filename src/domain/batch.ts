/**
 * Batch workloads (a Job or the Jobs of a CronJob): each run starts from nothing, so memory that
 * grows run over run is the input growing, not a leak. Groups the lifetimes into runs, reads each
 * run's peak and whether it was killed, and the growth from run to run. Pure.
 */
import type { Features } from './feature-types.ts';
import { median } from './series.ts';
import type { Evidence } from './types.ts';

export interface BatchRun {
  /** The Job: the pod name without its random suffix. */
  job: string;
  start: number;
  peakBytes: number;
  killed: boolean;
}

export interface BatchRuns {
  runs: BatchRun[];
  /** Median ratio of a run's peak to the run before it. */
  growthPerRun?: number;
  /** The largest peak of any recent run (killed runs are censored at the limit). */
  largestBytes: number;
  /** The next run's need: the last run that completed, grown once for each run since and once more. */
  nextRunBytes: number;
}

export function isBatch(e: Evidence): boolean {
  const kind = e.target.workload.kind;
  return kind === 'Job' || kind === 'CronJob';
}

function jobOf(pod: string): string {
  const cut = pod.lastIndexOf('-');
  return cut > 0 ? pod.slice(0, cut) : pod;
}

/** The runs of a batch workload, oldest first; undefined when the target is not a Job or CronJob. */
export function analyseRuns(f: Features, e: Evidence): BatchRuns | undefined {
  if (!isBatch(e) || f.lifetimes.length === 0) return undefined;
  const killedPods = new Set(f.oomKills.map((k) => k.pod));
  const byJob = new Map<string, BatchRun>();
  for (const life of f.lifetimes) {
    const job = jobOf(life.pod);
    let peak = Number.NEGATIVE_INFINITY;
    for (const v of life.v) peak = Math.max(peak, v);
    const run = byJob.get(job) ?? { job, start: life.start, peakBytes: 0, killed: false };
    run.start = Math.min(run.start, life.start);
    run.peakBytes = Math.max(run.peakBytes, peak);
    run.killed ||= life.killed || killedPods.has(life.pod);
    byJob.set(job, run);
  }
  const runs = [...byJob.values()].sort((a, b) => a.start - b.start);
  const ratios: number[] = [];
  for (let i = 1; i < runs.length; i++) {
    const prev = runs[i - 1] as BatchRun;
    const cur = runs[i] as BatchRun;
    if (prev.peakBytes > 0 && !prev.killed) ratios.push(cur.peakBytes / prev.peakBytes);
  }
  const growthPerRun = ratios.length > 0 ? median(ratios) : undefined;
  const largestBytes = Math.max(...runs.map((r) => r.peakBytes));
  const lastWhole = runs.findLastIndex((r) => !r.killed);
  const growth = Math.max(1, growthPerRun ?? 1);
  const nextRunBytes =
    lastWhole < 0
      ? largestBytes * growth
      : Math.max(
          largestBytes * growth,
          (runs[lastWhole] as BatchRun).peakBytes * growth ** (runs.length - lastWhole),
        );
  return { runs, growthPerRun, largestBytes, nextRunBytes };
}

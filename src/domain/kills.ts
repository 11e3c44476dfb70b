/**
 * Kills and lifetimes of the target container: restarts with their reasons and exit codes,
 * the lifetimes between them, and pod instances that vanished without a kill.
 */
import { byPod, containerOf, seriesOf, valueAt } from './container-series.ts';
import type { Disappearance, Kill, Lifetime } from './feature-types.ts';
import type { Evidence, Series } from './types.ts';

/** The reason kube-state-metrics reported just after a restart at `t`. */
function reasonAt(reasons: Series[], t: number, step: number): string | undefined {
  let best: { reason: string; t: number } | undefined;
  for (const s of reasons) {
    for (let i = 0; i < s.t.length; i++) {
      const at = s.t[i] as number;
      if (at < t || at > t + 4 * step || (s.v[i] as number) <= 0) continue;
      if (!best || at < best.t) best = { reason: s.labels.reason ?? '', t: at };
      break;
    }
  }
  return best?.reason;
}

/**
 * A container that is never restarted (a Job pod with restartPolicy Never) ends in `terminated`,
 * and its restart counter never moves: that state is the kill.
 */
function addTerminatedKills(evidence: Evidence, container: string, kills: Kill[]): void {
  for (const pod of evidence.pods) {
    const end = pod.containers.find((c) => c.name === container)?.terminated;
    if (!end || end.finishedAt === undefined || end.finishedAt < evidence.window.start) continue;
    if (end.reason !== 'OOMKilled' || kills.some((k) => k.pod === pod.name)) continue;
    const t = end.finishedAt;
    const step = evidence.window.stepSeconds;
    let usage: number | undefined;
    for (const s of seriesOf(evidence.metrics.workingSet, container)) {
      if (s.labels.pod !== pod.name) continue;
      for (let j = 0; j < s.t.length; j++) {
        const at = s.t[j] as number;
        if (at >= t - 3 * step && at <= t) usage = Math.max(usage ?? 0, s.v[j] as number);
      }
    }
    kills.push({
      pod: pod.name,
      t,
      reason: end.reason,
      exitCode: end.exitCode,
      node: pod.node,
      usageBytes: usage,
    });
  }
}

export function extractKills(evidence: Evidence, container: string): { kills: Kill[]; restarts: number } {
  const step = evidence.window.stepSeconds;
  const restarts = seriesOf(evidence.metrics.restarts, container);
  const working = byPod(evidence.metrics.workingSet, container);
  const limits = byPod(evidence.metrics.limits, container);
  const exitCodes = byPod(evidence.metrics.lastTerminatedExitCode, container);
  const reasonsByPod = new Map<string, Series[]>();
  for (const s of evidence.metrics.lastTerminatedReason) {
    if (containerOf(s) !== container) continue;
    const list = reasonsByPod.get(s.labels.pod ?? '') ?? [];
    list.push(s);
    reasonsByPod.set(s.labels.pod ?? '', list);
  }
  const kills: Kill[] = [];
  let total = 0;
  for (const series of restarts) {
    const pod = series.labels.pod ?? '';
    for (let i = 1; i < series.t.length; i++) {
      const delta = (series.v[i] as number) - (series.v[i - 1] as number);
      if (delta <= 0) continue;
      const t = series.t[i] as number;
      total += delta;
      const reason = reasonAt(reasonsByPod.get(pod) ?? [], t, step) ?? 'unknown';
      const ws = working.get(pod);
      const usage = ws ? highestBetween(ws, t - 3 * step, t) : undefined;
      const kill: Kill = {
        pod,
        t,
        reason,
        exitCode: valueAt(exitCodes.get(pod), t + step, 4 * step),
        usageBytes: usage,
        node: series.labels.node ?? ws?.labels.node,
        limitBytes: valueAt(limits.get(pod), t, 10 * step),
      };
      for (let k = 0; k < delta; k++) kills.push(kill);
    }
  }
  if (restarts.length === 0) {
    for (const pod of evidence.pods) {
      const status = pod.containers.find((c) => c.name === container);
      const last = status?.lastTerminated;
      if (!status || !last || last.finishedAt === undefined) continue;
      if (last.finishedAt < evidence.window.start) continue;
      total += status.restartCount;
      kills.push({ pod: pod.name, t: last.finishedAt, reason: last.reason, exitCode: last.exitCode });
    }
  }
  addTerminatedKills(evidence, container, kills);
  return { kills: kills.sort((a, b) => a.t - b.t), restarts: total };
}

/**
 * The highest sample in [from, to] of a series in time order, at least 0; undefined when none
 * falls there. A binary search to `from`, then only the samples inside.
 */
function highestBetween(series: Series, from: number, to: number): number | undefined {
  const ts = series.t;
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((ts[mid] as number) < from) lo = mid + 1;
    else hi = mid;
  }
  let usage: number | undefined;
  for (let j = lo; j < ts.length && (ts[j] as number) <= to; j++)
    usage = Math.max(usage ?? 0, series.v[j] as number);
  return usage;
}

/** One series cut at its pod's kills: each lifetime a slice of the samples between two kills. */
function cutAtKills(series: Series, podKills: number[]): Lifetime[] {
  const pod = series.labels.pod ?? '';
  const out: Lifetime[] = [];
  const n = series.t.length;
  let killIndex = 0;
  while (killIndex < podKills.length && (podKills[killIndex] as number) <= (series.t[0] ?? 0)) killIndex++;
  let from = 0;
  for (let i = 1; i <= n; i++) {
    let boundary = i === n;
    if (i < n) {
      const t = series.t[i] as number;
      while (killIndex < podKills.length && (podKills[killIndex] as number) <= t) {
        boundary = true;
        killIndex++;
      }
    }
    if (!boundary) continue;
    out.push({
      pod,
      start: series.t[from] as number,
      end: series.t[i - 1] as number,
      t: series.t.slice(from, i),
      v: series.v.slice(from, i),
      killed: i < n,
    });
    from = i;
  }
  return out;
}

export function splitLifetimes(evidence: Evidence, container: string, kills: Kill[]): Lifetime[] {
  const out: Lifetime[] = [];
  for (const series of seriesOf(evidence.metrics.workingSet, container)) {
    if (series.t.length === 0) continue;
    const pod = series.labels.pod ?? '';
    const podKills = kills.filter((k) => k.pod === pod).map((k) => k.t);
    out.push(...cutAtKills(series, podKills));
  }
  return out;
}

/**
 * Pod instances whose container stopped being reported before the end of the window without an
 * OOM kill: deleted, evicted or replaced. Whether the node took them is decided with node data.
 */
export function findDisappearances(evidence: Evidence, container: string, kills: Kill[]): Disappearance[] {
  const out: Disappearance[] = [];
  const step = evidence.window.stepSeconds;
  const tail = Math.max(600, 4 * step);
  for (const series of seriesOf(evidence.metrics.workingSet, container)) {
    const last = series.t[series.t.length - 1];
    if (last === undefined || last >= evidence.window.end - tail) continue;
    const pod = series.labels.pod ?? '';
    if (kills.some((k) => k.pod === pod && Math.abs(k.t - last) <= tail)) continue;
    out.push({ pod, t: last, usageBytes: series.v[series.v.length - 1] as number, node: series.labels.node });
  }
  return out;
}

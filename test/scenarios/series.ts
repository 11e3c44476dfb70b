/**
 * Collecting samples: each scrape target's sample times (interval, phase, gaps) and the set of
 * metric families with one series object per label set.
 */
import { Random } from './random.ts';
import { renderLabels } from './render.ts';
import type { MetricFamily, MetricSeries } from './types.ts';
import type { World } from './world.ts';

interface ScrapeTarget {
  times: number[];
}

export class Scraper {
  private readonly targets = new Map<string, ScrapeTarget>();
  private readonly w: World;
  private readonly r: Random;

  constructor(w: World) {
    this.w = w;
    this.r = Random.derive(w.spec.seed, 'scrape');
  }

  /** Sample times of a target inside [from, to], gaps removed. */
  times(id: string, from: number, to: number): number[] {
    let target = this.targets.get(id);
    if (!target) {
      target = this.makeTarget(id);
      this.targets.set(id, target);
    }
    const all = target.times;
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((all[mid] as number) < from) lo = mid + 1;
      else hi = mid;
    }
    const out: number[] = [];
    for (let i = lo; i < all.length; i++) {
      const t = all[i] as number;
      if (t > to) break;
      out.push(t);
    }
    return out;
  }

  private makeTarget(id: string): ScrapeTarget {
    const w = this.w;
    const r = this.r.fork(id);
    const interval = w.spec.intervalSeconds;
    const phase = w.spec.scrapeOffsets ? r.int(0, interval - 1) : 0;
    const gaps: Array<[number, number]> = [];
    if (w.spec.gaps && r.chance(0.55)) {
      const count = r.int(1, 3);
      for (let k = 0; k < count; k++) {
        const start = r.float(w.T0, w.at - 600);
        gaps.push([start, start + r.float(60, 20 * 60)]);
      }
    }
    const times: number[] = [];
    for (let t = w.T0 + phase; t <= w.at; t += interval) {
      if (gaps.some(([a, b]) => t >= a && t < b)) continue;
      times.push(t);
    }
    return { times };
  }
}

export class FamilySet {
  private readonly families = new Map<string, MetricFamily>();
  private readonly byKey = new Map<string, MetricSeries>();

  /** The series of `name` with exactly these labels; the same object for the same labels. */
  series(name: string, type: 'gauge' | 'counter', labels: Record<string, string>): MetricSeries {
    let fam = this.families.get(name);
    if (!fam) {
      fam = { name, type, series: [] };
      this.families.set(name, fam);
    }
    const key = `${name}${labelKey(labels)}`;
    const existing = this.byKey.get(key);
    if (existing) return existing;
    const s: MetricSeries = { labels, t: [], v: [] };
    this.byKey.set(key, s);
    fam.series.push(s);
    return s;
  }

  list(): MetricFamily[] {
    const out = [...this.families.values()];
    for (const f of out) {
      f.series = f.series.filter((s) => s.t.length > 0);
      for (const s of f.series) sortSamples(s);
      f.series.sort((a, b) => {
        const ka = labelKey(a.labels);
        const kb = labelKey(b.labels);
        return ka < kb ? -1 : ka > kb ? 1 : 0;
      });
    }
    return out
      .filter((f) => f.series.length > 0)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/** Samples of two pod incarnations with the same labels (a StatefulSet pod) in time order. */
function sortSamples(s: MetricSeries): void {
  let sorted = true;
  for (let i = 1; i < s.t.length; i++) {
    if ((s.t[i] as number) <= (s.t[i - 1] as number)) {
      sorted = false;
      break;
    }
  }
  if (sorted) return;
  const idx = s.t.map((_, i) => i).sort((a, b) => (s.t[a] as number) - (s.t[b] as number));
  const t: number[] = [];
  const v: number[] = [];
  for (const i of idx) {
    if (t.length > 0 && t[t.length - 1] === s.t[i]) continue;
    t.push(s.t[i] as number);
    v.push(s.v[i] as number);
  }
  s.t = t;
  s.v = v;
}

function labelKey(labels: Record<string, string>): string {
  return renderLabels(labels);
}

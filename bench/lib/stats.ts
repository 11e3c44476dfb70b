/** Order statistics and formatting for benchmark figures. Pure. */

/** The q-quantile (0..1) of the values, linearly interpolated between closest ranks. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

/** Median and spread of one figure over several runs. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number;
  values: number[];
}

export function spreadOf(values: readonly number[]): Spread {
  const finite = values.filter((v) => Number.isFinite(v));
  return {
    median: median(finite),
    min: finite.length ? Math.min(...finite) : Number.NaN,
    max: finite.length ? Math.max(...finite) : Number.NaN,
    runs: finite.length,
    values: [...finite],
  };
}

/** The largest number of events inside any window of `windowMs` (times in ms, any order). */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/** Least-squares slope of log(y) against log(x): the exponent of a power-law growth. */
export function growthExponent(xs: readonly number[], ys: readonly number[]): number {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((s, v) => s + v, 0) / lx.length;
  const my = ly.reduce((s, v) => s + v, 0) / ly.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < lx.length; i++) {
    num += ((lx[i] as number) - mx) * ((ly[i] as number) - my);
    den += ((lx[i] as number) - mx) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}

function digits(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

export function fmt(value: number, unit = ''): string {
  if (!Number.isFinite(value)) return 'n/a';
  return `${digits(value)}${unit ? ` ${unit}` : ''}`;
}

export const fmtMs = (ms: number): string => fmt(ms, 'ms');
export const fmtMiB = (bytes: number): string => fmt(bytes / 2 ** 20, 'MiB');
export const fmtRatio = (ratio: number): string => (Number.isFinite(ratio) ? `${digits(ratio)}x` : 'n/a');

/** "12.3 ms (11.9–13.0)": the median and the range over runs, in the figure's unit. */
export function fmtSpread(s: Spread, format: (v: number) => string): string {
  if (s.runs === 0) return 'n/a';
  if (s.runs === 1) return format(s.median);
  return `${format(s.median)} (${format(s.min)}–${format(s.max)})`;
}

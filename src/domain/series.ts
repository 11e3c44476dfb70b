/** Pure statistics over series: quantiles, robust trends, rank correlation, bucketing. */

/** The q-quantile with linear interpolation, by selection (no full sort). */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const a = Float64Array.from(values);
  const pos = (a.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const low = select(a, lo);
  if (pos === lo) return low;
  // After select(a, lo), everything above index lo is >= a[lo]: the next order statistic is their minimum.
  let high = Number.POSITIVE_INFINITY;
  for (let i = lo + 1; i < a.length; i++) if ((a[i] as number) < high) high = a[i] as number;
  return low + (high - low) * (pos - lo);
}

/** Hoare's quickselect: the k-th smallest value, reordering `a` in place. */
function select(a: Float64Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    const pivot = a[(left + right) >> 1] as number;
    let i = left;
    let j = right;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const tmp = a[i] as number;
        a[i] = a[j] as number;
        a[j] = tmp;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return a[k] as number;
}

export function median(values: number[]): number {
  return quantile(values, 0.5);
}

export function mean(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

export function max(values: number[]): number {
  let best = Number.NEGATIVE_INFINITY;
  for (const v of values) if (v > best) best = v;
  return best;
}

export function min(values: number[]): number {
  let best = Number.POSITIVE_INFINITY;
  for (const v of values) if (v < best) best = v;
  return best;
}

/**
 * Theil-Sen estimator: the median of pairwise slopes, robust to spikes and GC sawtooth.
 * For long inputs it uses a deterministic subsample of pairs to bound the cost.
 */
export function theilSen(x: number[], y: number[]): { slope: number; intercept: number } {
  const n = Math.min(x.length, y.length);
  if (n < 2) return { slope: 0, intercept: y[0] ?? 0 };
  const slopes: number[] = [];
  const stride = Math.max(1, Math.floor((n * (n - 1)) / 2 / 20_000));
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (k++ % stride !== 0) continue;
      const dx = (x[j] as number) - (x[i] as number);
      if (dx !== 0) slopes.push(((y[j] as number) - (y[i] as number)) / dx);
    }
  }
  const slope = slopes.length > 0 ? median(slopes) : 0;
  const intercepts = x.slice(0, n).map((xi, i) => (y[i] as number) - slope * xi);
  return { slope, intercept: median(intercepts) };
}

function ranks(values: number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(values.length);
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (
      j + 1 < order.length &&
      (order[j + 1] as readonly [number, number])[0] === (order[i] as readonly [number, number])[0]
    )
      j++;
    const rank = (i + j) / 2;
    for (let k = i; k <= j; k++) out[(order[k] as readonly [number, number])[1]] = rank;
    i = j + 1;
  }
  return out;
}

export function pearson(x: number[], y: number[]): number {
  const n = Math.min(x.length, y.length);
  if (n < 3) return 0;
  const mx = mean(x.slice(0, n));
  const my = mean(y.slice(0, n));
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx;
    const dy = (y[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

/** Spearman rank correlation. */
export function spearman(x: number[], y: number[]): number {
  const n = Math.min(x.length, y.length);
  if (n < 3) return 0;
  return pearson(ranks(x.slice(0, n)), ranks(y.slice(0, n)));
}

export interface Bucket {
  t: number;
  min: number;
  max: number;
  median: number;
  count: number;
}

/** Group samples into consecutive buckets of `seconds`, keeping floor, peak and median. */
export function bucketize(t: number[], v: number[], seconds: number): Bucket[] {
  const out: Bucket[] = [];
  let i = 0;
  while (i < t.length) {
    const start = t[i] as number;
    const values: number[] = [];
    while (i < t.length && (t[i] as number) < start + seconds) values.push(v[i++] as number);
    out.push({
      t: start + seconds / 2,
      min: min(values),
      max: max(values),
      median: median(values),
      count: values.length,
    });
  }
  return out;
}

/** Ordinary least squares y = a + b x. */
export function linearFit(x: number[], y: number[]): { slope: number; intercept: number } {
  const n = Math.min(x.length, y.length);
  if (n < 2) return { slope: 0, intercept: y[0] ?? 0 };
  const mx = mean(x.slice(0, n));
  const my = mean(y.slice(0, n));
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += ((x[i] as number) - mx) * ((y[i] as number) - my);
    sxx += ((x[i] as number) - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { slope, intercept: my - slope * mx };
}

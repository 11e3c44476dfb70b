/** Pure statistics over series: quantiles, robust trends, rank correlation, bucketing. */

/** The q-quantile with linear interpolation, by selection (no full sort). */
export function quantile(values: ArrayLike<number>, q: number): number {
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

/**
 * Several quantiles of the same values (ascending q), on one copy: each selection only searches
 * above the previous one, which already holds every larger value. Same answers as `quantile`.
 */
export function quantiles(values: ArrayLike<number>, qs: number[]): number[] {
  if (values.length === 0) return qs.map(() => Number.NaN);
  const a = Float64Array.from(values);
  // NaN breaks the partition's ordering: then each quantile on a fresh copy, as `quantile` does.
  if (a.some(Number.isNaN)) return qs.map((q) => quantile(values, q));
  let from = 0;
  return qs.map((q) => {
    const pos = (a.length - 1) * Math.min(1, Math.max(0, q));
    const lo = Math.floor(pos);
    if (lo < from) throw new RangeError('quantiles: q in ascending order');
    const low = select(a, lo, from);
    from = lo;
    if (pos === lo) return low;
    let high = Number.POSITIVE_INFINITY;
    for (let i = lo + 1; i < a.length; i++) if ((a[i] as number) < high) high = a[i] as number;
    return low + (high - low) * (pos - lo);
  });
}

/**
 * Hoare's quickselect: the k-th smallest value, reordering `a` in place. With `from`, only
 * `a[from..]` is searched: everything before it must already be no larger than what follows.
 */
function select(a: Float64Array, k: number, from = 0): number {
  let left = from;
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

/** Every `stride`-th value from the first, as a typed array. */
export function everyNth(values: ArrayLike<number>, stride: number): Float64Array {
  const step = Math.max(1, Math.floor(stride));
  const out = new Float64Array(Math.ceil(values.length / step));
  for (let i = 0, j = 0; i < values.length; i += step, j++) out[j] = values[i] as number;
  return out;
}

export function median(values: ArrayLike<number>): number {
  return quantile(values, 0.5);
}

export function max(values: number[]): number {
  let best = Number.NEGATIVE_INFINITY;
  for (const v of values) if (v > best) best = v;
  return best;
}

/**
 * Theil-Sen estimator: the median of pairwise slopes, robust to spikes and GC sawtooth.
 * For long inputs it uses a deterministic subsample of pairs to bound the cost.
 */
export function theilSen(x: ArrayLike<number>, y: ArrayLike<number>): { slope: number; intercept: number } {
  const n = Math.min(x.length, y.length);
  if (n < 2) return { slope: 0, intercept: y[0] ?? 0 };
  const pairs = (n * (n - 1)) / 2;
  const stride = Math.max(1, Math.floor(pairs / 20_000));
  const slopes = new Float64Array(Math.ceil(pairs / stride));
  let count = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (k++ % stride !== 0) continue;
      const dx = (x[j] as number) - (x[i] as number);
      if (dx !== 0) slopes[count++] = ((y[j] as number) - (y[i] as number)) / dx;
    }
  }
  const slope = count > 0 ? median(slopes.subarray(0, count)) : 0;
  const intercepts = new Float64Array(n);
  for (let i = 0; i < n; i++) intercepts[i] = (y[i] as number) - slope * (x[i] as number);
  return { slope, intercept: median(intercepts) };
}

/** Index of the first element of the sorted `a` that is >= `v`. */
function lowerBound(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((a[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Fractional ranks (ties share the mean of their positions, from 0). One native numeric sort of a
 * typed copy, each run of ties given its mean position in one sweep, then one binary search per
 * value to its run: no per-element objects, so no garbage to collect.
 */
function ranks(values: ArrayLike<number>, n: number): Float64Array {
  const sorted = new Float64Array(n);
  for (let i = 0; i < n; i++) sorted[i] = values[i] as number;
  sorted.sort();
  const runRank = new Float64Array(n);
  for (let first = 0; first < n; ) {
    let last = first;
    while (last + 1 < n && sorted[last + 1] === sorted[first]) last++;
    for (let k = first; k <= last; k++) runRank[k] = (first + last) / 2;
    first = last + 1;
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    // NaN matches no run: it keeps the rank an empty search gives it.
    out[i] = Number.isNaN(v) ? -0.5 : (runRank[lowerBound(sorted, v)] as number);
  }
  return out;
}

function meanOf(values: ArrayLike<number>, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i] as number;
  return sum / n;
}

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = Math.min(x.length, y.length);
  if (n < 3) return 0;
  const mx = meanOf(x, n);
  const my = meanOf(y, n);
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
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = Math.min(x.length, y.length);
  if (n < 3) return 0;
  return pearson(ranks(x, n), ranks(y, n));
}

interface Bucket {
  t: number;
  min: number;
  max: number;
  median: number;
  count: number;
}

/** Group samples into consecutive buckets of `seconds`, keeping floor, peak and median. */
export function bucketize(t: ArrayLike<number>, v: ArrayLike<number>, seconds: number): Bucket[] {
  const out: Bucket[] = [];
  const values = Float64Array.from(v);
  let i = 0;
  while (i < t.length) {
    const from = i;
    const start = t[i] as number;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    while (i < t.length && (t[i] as number) < start + seconds) {
      const x = values[i] as number;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
      i++;
    }
    out.push({
      t: start + seconds / 2,
      min: lo,
      max: hi,
      median: median(values.subarray(from, i)),
      count: i - from,
    });
  }
  return out;
}

/**
 * The floor of each bucket, as `bucketize` finds them (same buckets, same times), without the
 * medians and their copies: for trends, which read only the floors. `from` skips the samples before it.
 */
export function bucketFloors(
  t: ArrayLike<number>,
  v: ArrayLike<number>,
  seconds: number,
  from = 0,
): { t: number[]; min: number[] } {
  const times: number[] = [];
  const floors: number[] = [];
  let i = from;
  while (i < t.length) {
    const start = t[i] as number;
    let lo = Number.POSITIVE_INFINITY;
    while (i < t.length && (t[i] as number) < start + seconds) {
      const x = v[i] as number;
      if (x < lo) lo = x;
      i++;
    }
    times.push(start + seconds / 2);
    floors.push(lo);
  }
  return { t: times, min: floors };
}

/** Ordinary least squares y = a + b x. */
export function linearFit(x: ArrayLike<number>, y: ArrayLike<number>): { slope: number; intercept: number } {
  const n = Math.min(x.length, y.length);
  if (n < 2) return { slope: 0, intercept: y[0] ?? 0 };
  const mx = meanOf(x, n);
  const my = meanOf(y, n);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += ((x[i] as number) - mx) * ((y[i] as number) - my);
    sxx += ((x[i] as number) - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { slope, intercept: my - slope * mx };
}

/**
 * Reduces a series to what one pixel column can show before it is drawn: per column (and per
 * unbroken stretch, so gaps stay gaps) its lowest and highest sample in time order. A day at 15 s
 * is 5,760 samples per pod for about 900 columns; spikes and the drops at restarts survive.
 */

/** The kept samples, in time order: at most two per column and stretch. */
export interface Reduced {
  t: Float64Array;
  v: Float64Array;
  /** 1 where a kept sample starts a new stretch: the line breaks before it. */
  breaks: Uint8Array;
}

/** Where the series is drawn: time and value to pixels, the plot's edges, the longest joined gap. */
export interface ColumnGrid {
  x: (t: number) => number;
  y: (v: number) => number;
  left: number;
  right: number;
  gapSeconds: number;
}

/**
 * Per pixel column of `x(t)` within [left, right] the samples drawn lowest and highest (the first
 * of equals), skipping non-finite samples, a new stretch where two kept samples are more than
 * `gapSeconds` apart. Drawing the result gives the same path as drawing every sample.
 */
export function reduceToColumns(t: ArrayLike<number>, v: ArrayLike<number>, grid: ColumnGrid): Reduced {
  const { x, y, left, right, gapSeconds } = grid;
  const n = Math.min(t.length, v.length);
  let keep = new Int32Array(Math.min(n, 2 * Math.ceil(right - left + 4)));
  let kept = 0;
  let col = Number.NaN;
  let lo = -1;
  let hi = -1;
  let loY = 0;
  let hiY = 0;
  let prevT = Number.NaN;
  let gapBefore = false;
  const push = (i: number) => {
    if (kept === keep.length) {
      const bigger = new Int32Array(keep.length * 2 + 2);
      bigger.set(keep);
      keep = bigger;
    }
    // The sign marks the first sample after a gap.
    keep[kept++] = gapBefore ? -(i + 1) : i + 1;
    gapBefore = false;
  };
  const flush = () => {
    if (lo < 0) return;
    if (lo === hi) push(lo);
    else {
      push(Math.min(lo, hi));
      push(Math.max(lo, hi));
    }
    lo = -1;
    hi = -1;
  };
  for (let i = 0; i < n; i++) {
    const ti = t[i] as number;
    const vi = v[i] as number;
    if (!Number.isFinite(ti) || !Number.isFinite(vi)) continue;
    const px = x(ti);
    if (px < left - 0.5 || px > right + 0.5) continue;
    const c = Math.floor(px - left);
    const gap = !Number.isNaN(prevT) && ti - prevT > gapSeconds;
    if (c !== col || gap) {
      flush();
      col = c;
    }
    if (gap) gapBefore = true;
    prevT = ti;
    const py = y(vi);
    if (lo < 0 || py > loY) {
      lo = i;
      loY = py;
    }
    if (hi < 0 || py < hiY) {
      hi = i;
      hiY = py;
    }
  }
  flush();
  const out: Reduced = { t: new Float64Array(kept), v: new Float64Array(kept), breaks: new Uint8Array(kept) };
  for (let k = 0; k < kept; k++) {
    const mark = keep[k] as number;
    const i = Math.abs(mark) - 1;
    out.t[k] = t[i] as number;
    out.v[k] = v[i] as number;
    out.breaks[k] = mark < 0 ? 1 : 0;
  }
  return out;
}

/** The chart's lines over time: each pod's working set and the traffic, downsampled to pixel columns. */
import type { ChartData } from '../../domain/types.ts';
import { type ColumnGrid, type Reduced, reduceToColumns } from './downsample.ts';
import { type Frame, secondsPerPixel } from './scales.ts';
import { COLOR, POD_COLORS, r1, xml } from './style.ts';

/**
 * Samples further apart than this are not joined. A crash-looping container is scraped only
 * now and then; joining its samples shows the sawtooth, while a pod gone for longer stays cut.
 */
const MIN_GAP_SECONDS = 20 * 60;

export interface PodLine {
  pod: string;
  color: string;
  points: number;
}

/** The traffic line (under the memory lines), when the chart has traffic. */
export function drawTraffic(chart: ChartData, frame: Frame): string[] {
  if (!frame.traffic || !chart.traffic) return [];
  const tr = chart.traffic;
  const gap = gapFor(tr.t, chart.window.stepSeconds, secondsPerPixel(frame));
  const grid = {
    x: frame.xScale,
    y: frame.traffic.scale,
    left: frame.left,
    right: frame.right,
    gapSeconds: gap,
  };
  const path = traceSeries(reduceToColumns(tr.t, tr.v, grid), grid);
  return [
    `<path id="traffic-line" d="${path.d}" fill="none" stroke="${COLOR.traffic}" stroke-width="1" stroke-opacity="0.75" stroke-linejoin="round"/>`,
  ];
}

/** One line per pod in its own colour, lone samples as dots, clipped to the plot. */
export function drawPods(chart: ChartData, frame: Frame): { elements: string[]; pods: PodLine[] } {
  const pods: PodLine[] = [];
  const podPaths: string[] = [];
  chart.pods.forEach((p, i) => {
    const color = POD_COLORS[i % POD_COLORS.length] as string;
    const gap = gapFor(p.series.t, chart.window.stepSeconds, secondsPerPixel(frame));
    const grid = { x: frame.xScale, y: frame.yScale, left: frame.left, right: frame.right, gapSeconds: gap };
    const path = traceSeries(reduceToColumns(p.series.t, p.series.v, grid), grid);
    pods.push({ pod: p.pod, color, points: path.points });
    if (path.d) {
      podPaths.push(
        `<path class="pod-line" data-pod="${xml(p.pod)}" d="${path.d}" fill="none" stroke="${color}" stroke-width="1.5" stroke-linejoin="round"/>`,
      );
    }
    for (const dot of path.dots) {
      podPaths.push(`<circle class="pod-dot" cx="${r1(dot.x)}" cy="${r1(dot.y)}" r="2" fill="${color}"/>`);
    }
  });
  return { elements: [`<g id="pods" clip-path="url(#plot-clip)">${podPaths.join('')}</g>`], pods };
}

/**
 * Path of a series already reduced to the pixel columns (reduceToColumns): per column its lowest
 * and highest sample (in time order), so peaks and the drops at restarts survive. Gaps break the
 * line; a stretch of samples within one column becomes a dot, so it stays visible.
 */
function traceSeries(
  series: Reduced,
  grid: ColumnGrid,
): { d: string; points: number; dots: Array<{ x: number; y: number }> } {
  const { t, v, breaks } = series;
  const { x, y, left } = grid;
  const parts: string[] = [];
  const dots: Array<{ x: number; y: number }> = [];
  let points = 0;
  let col = Number.NaN;
  let lo = { x: 0, y: 0, i: -1 };
  let hi = { x: 0, y: 0, i: -1 };
  let penDown = false;
  let segmentColumns = 0;
  let segmentFirst = { x: 0, y: 0 };
  let segmentStartPoints = 0;
  let lastX = 0;
  let lastY = 0;
  // A number in tenths as path text; a minus sign doubles as the separator.
  const num = (tenths: number) => {
    const text = String(tenths / 10).replace(/^(-?)0\./, '$1.');
    return tenths < 0 ? text : ` ${text}`;
  };
  const flush = () => {
    if (lo.i < 0) return;
    const pts = lo.i === hi.i || lo.y === hi.y ? [lo] : lo.i < hi.i ? [lo, hi] : [hi, lo];
    if (segmentColumns === 0) segmentFirst = { x: hi.x, y: hi.y };
    segmentColumns++;
    for (const p of pts) {
      // Tenths of a pixel as integers: the first point absolute, the rest relative (short).
      const px = Math.round(p.x * 10);
      const py = Math.round(p.y * 10);
      if (penDown)
        parts.push(`${points === segmentStartPoints + 1 ? 'l' : ''}${num(px - lastX)}${num(py - lastY)}`);
      else {
        parts.push(`M${px / 10} ${py / 10}`);
        segmentStartPoints = points;
      }
      lastX = px;
      lastY = py;
      penDown = true;
      points++;
    }
    lo = { x: 0, y: 0, i: -1 };
    hi = { x: 0, y: 0, i: -1 };
  };
  const endSegment = () => {
    flush();
    if (segmentColumns === 1) dots.push(segmentFirst);
    segmentColumns = 0;
    penDown = false;
  };
  for (let i = 0; i < t.length; i++) {
    const ti = t[i] as number;
    const vi = v[i] as number;
    const px = x(ti);
    if (breaks[i] === 1) endSegment();
    const c = Math.floor(px - left);
    if (c !== col) {
      flush();
      col = c;
    }
    const py = y(vi);
    if (lo.i < 0 || py > lo.y) lo = { x: px, y: py, i };
    if (hi.i < 0 || py < hi.y) hi = { x: px, y: py, i };
  }
  endSegment();
  return { d: parts.join(''), points, dots };
}

/** How far apart two samples may be and still be joined by the line. */
function gapFor(t: readonly number[], stepSeconds: number, pixelSeconds: number): number {
  const deltas: number[] = [];
  const stride = Math.max(1, Math.floor(t.length / 200));
  for (let i = stride; i < t.length; i += stride) {
    const a = t[i - 1] as number;
    const b = t[i] as number;
    deltas.push(b - a);
  }
  const typical = median(deltas) || stepSeconds || 15;
  return Math.max(4 * typical, 3 * pixelSeconds, 4 * stepSeconds, MIN_GAP_SECONDS);
}

/** The middle value (upper middle for an even count); 0 for none. */
function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

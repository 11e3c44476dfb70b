/**
 * The memory chart: an SVG built by hand (pods' working set, limit, request, proposed limit,
 * kill markers, traffic on a right axis) and rasterised to PNG by resvg. Pure apart from the
 * rasteriser reading the system fonts.
 */
import { createRequire } from 'node:module';
import type * as ResvgModule from '@resvg/resvg-js';
import { formatBytes, toQuantity } from '../domain/quantity.ts';
import type { ChartData, Target } from '../domain/types.ts';

/** resvg (a native module) on first use: the web process never draws a chart. */
const require = createRequire(import.meta.url);
let resvg: typeof ResvgModule | undefined;

export interface ChartGeometry {
  width: number;
  height: number;
  plot: { left: number; right: number; top: number; bottom: number };
  /** Epoch seconds to x pixels. */
  xScale: (t: number) => number;
  /** Bytes to y pixels (left axis). */
  yScale: (bytes: number) => number;
  /** Requests per second to y pixels (right axis), when traffic is drawn. */
  trafficScale?: (rps: number) => number;
  yMaxBytes: number;
  trafficMax?: number;
  limitY?: number;
  requestY?: number;
  proposedY?: number;
  /** x of every kill inside the window, in the order of `chart.kills`. */
  killXs: number[];
  kills: Array<{ pod: string; t: number; oom: boolean; x: number }>;
  pods: Array<{ pod: string; color: string; points: number }>;
  yTicks: Array<{ bytes: number; y: number; label: string }>;
  xTicks: Array<{ t: number; x: number; label: string }>;
}

const WIDTH = 1200;
const MARGIN_LEFT = 76;
const MARGIN_RIGHT_TRAFFIC = 76;
const MARGIN_RIGHT = 28;
const PLOT_TOP = 74;
const PLOT_HEIGHT = 420;
const LEGEND_ROW = 20;
const FONT = "'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif";

/** Ten pod colours, none of them the kill red, the proposal green or the neutral greys. */
export const POD_COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#bcbd22',
  '#393b79',
  '#7b4173',
  '#e7ba52',
] as const;

const COLOR = {
  limit: '#d62728',
  request: '#6b6b6b',
  proposed: '#2ca02c',
  oom: '#d62728',
  restart: '#8c8c8c',
  eviction: '#ff7f0e',
  traffic: '#444444',
  grid: '#e6e6e6',
  axis: '#333333',
  text: '#222222',
  muted: '#666666',
};

const MI = 2 ** 20;
const BYTE_STEPS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536].map(
  (n) => n * MI,
);
const MAX_Y_TICKS = 8;

const HOUR = 3600;
const TIME_STEPS = [
  60,
  120,
  300,
  600,
  900,
  1800,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  4 * HOUR,
  6 * HOUR,
  12 * HOUR,
  24 * HOUR,
  48 * HOUR,
  7 * 24 * HOUR,
];
const MAX_X_TICKS = 13;
/**
 * Samples further apart than this are not joined. A crash-looping container is scraped only
 * now and then; joining its samples shows the sawtooth, while a pod gone for longer stays cut.
 */
const MIN_GAP_SECONDS = 20 * 60;

/** "prod/auth-service · container auth": the title the renderers use. */
export function chartTitle(target: Target, container: string): string {
  return `${target.namespace}/${target.workload.name} · container ${container}`;
}

/** A safe file name for the PNG, e.g. "oom-prod-auth-service.png". */
export function chartFileName(target: Target): string {
  const slug = `${target.namespace}-${target.workload.name}`.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 120);
  return `oom-${slug}.png`;
}

/** "1280Mi" as in the manifest when the value is whole mebibytes, else "1.3Gi". */
function quantityLabel(bytes: number): string {
  return bytes > 0 && bytes % MI === 0 ? toQuantity(bytes) : formatBytes(bytes);
}

/** Text for XML, without the control characters XML 1.0 forbids. */
function xml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .split('')
    .filter((ch) => ch >= ' ' || ch === '\t' || ch === '\n' || ch === '\r')
    .join('');
}

function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function r1(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

function byteTicks(maxBytes: number): { step: number; max: number } {
  const target = maxBytes > 0 ? maxBytes : 2 ** 30;
  for (const step of BYTE_STEPS) {
    const n = Math.ceil(target / step);
    if (n <= MAX_Y_TICKS) return { step, max: Math.max(1, n) * step };
  }
  const step = 2 ** Math.ceil(Math.log2(target / MAX_Y_TICKS));
  return { step, max: Math.ceil(target / step) * step };
}

/** 1, 2, 2.5, 5 x 10^k at or above `x`. */
function niceStep(x: number): number {
  if (!(x > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * exp >= x - 1e-12) return m * exp;
  return 10 * exp;
}

function formatRate(v: number): string {
  if (v >= 1000) return `${Number((v / 1000).toFixed(1))}k`;
  return `${Number(v.toFixed(2))}`;
}

function hhmm(t: number): string {
  return new Date(t * 1000).toISOString().slice(11, 16);
}

function dayLabel(t: number): string {
  const d = new Date(t * 1000);
  return `${d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' })} ${d.getUTCDate()}`;
}

function timeTicks(start: number, end: number): number[] {
  const span = Math.max(1, end - start);
  const step = TIME_STEPS.find((s) => span / s <= MAX_X_TICKS) ?? 7 * 24 * HOUR;
  const ticks: number[] = [];
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) ticks.push(t);
  return ticks;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/**
 * Path of a series downsampled to the pixel columns: per column its lowest and highest
 * sample (in time order), so peaks and the drops at restarts survive. Gaps break the line;
 * a stretch of samples within one column becomes a dot, so it stays visible.
 */
function seriesPath(
  t: readonly number[],
  v: readonly number[],
  x: (t: number) => number,
  y: (v: number) => number,
  left: number,
  right: number,
  gapSeconds: number,
): { d: string; points: number; dots: Array<{ x: number; y: number }> } {
  const parts: string[] = [];
  const dots: Array<{ x: number; y: number }> = [];
  let points = 0;
  let col = Number.NaN;
  let lo = { x: 0, y: 0, i: -1 };
  let hi = { x: 0, y: 0, i: -1 };
  let prevT = Number.NaN;
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
  const n = Math.min(t.length, v.length);
  for (let i = 0; i < n; i++) {
    const ti = t[i] as number;
    const vi = v[i] as number;
    if (!Number.isFinite(ti) || !Number.isFinite(vi)) continue;
    const px = x(ti);
    if (px < left - 0.5 || px > right + 0.5) continue;
    if (!Number.isNaN(prevT) && ti - prevT > gapSeconds) endSegment();
    prevT = ti;
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

function gapFor(t: readonly number[], stepSeconds: number, secondsPerPixel: number): number {
  const deltas: number[] = [];
  const stride = Math.max(1, Math.floor(t.length / 200));
  for (let i = stride; i < t.length; i += stride) {
    const a = t[i - 1] as number;
    const b = t[i] as number;
    deltas.push(b - a);
  }
  const typical = median(deltas) || stepSeconds || 15;
  return Math.max(4 * typical, 3 * secondsPerPixel, 4 * stepSeconds, MIN_GAP_SECONDS);
}

function textWidth(text: string, size: number): number {
  return [...text].length * size * 0.6;
}

interface LineLabel {
  id: string;
  text: string;
  y: number;
  color: string;
}

/** Nudge labels apart so none overlaps the next (at least `gap` px between baselines). */
function spreadLabels(labels: LineLabel[], gap: number, top: number, bottom: number): LineLabel[] {
  const sorted = [...labels].sort((a, b) => a.y - b.y);
  for (let i = 0; i < sorted.length; i++) {
    const cur = sorted[i] as LineLabel;
    cur.y = Math.max(cur.y, top + 12);
    const prev = sorted[i - 1];
    if (prev && cur.y - prev.y < gap) cur.y = prev.y + gap;
  }
  for (let i = sorted.length - 1; i >= 0; i--) {
    const cur = sorted[i] as LineLabel;
    const next = sorted[i + 1];
    const limit = next ? next.y - gap : bottom - 4;
    if (cur.y > limit) cur.y = limit;
  }
  return sorted;
}

interface LegendEntry {
  label: string;
  swatch: string;
}

function lineSwatch(color: string, dash?: string, width = 2): string {
  const d = dash ? ` stroke-dasharray="${dash}"` : '';
  return `<line x1="0" y1="0" x2="22" y2="0" stroke="${color}" stroke-width="${width}"${d}/>`;
}

function triangle(x: number, apexY: number, size: number): string {
  return `M${r1(x - size)} ${r1(apexY - size * 1.6)}L${r1(x + size)} ${r1(apexY - size * 1.6)}L${r1(x)} ${r1(apexY)}Z`;
}

/** The chart as SVG, with the geometry a test can check it against. */
export function renderChartSvg(chart: ChartData, title: string): { svg: string; geometry: ChartGeometry } {
  const hasTraffic = !!chart.traffic && chart.traffic.t.length > 0 && chart.traffic.v.some((v) => v > 0);
  const left = MARGIN_LEFT;
  const right = WIDTH - (hasTraffic ? MARGIN_RIGHT_TRAFFIC : MARGIN_RIGHT);
  const top = PLOT_TOP;
  const bottom = PLOT_TOP + PLOT_HEIGHT;
  const start = chart.window.start;
  const end = chart.window.end > start ? chart.window.end : start + 1;
  const xScale = (t: number) => left + ((t - start) / (end - start)) * (right - left);

  let peak = 0;
  for (const p of chart.pods) for (const v of p.series.v) if (Number.isFinite(v) && v > peak) peak = v;
  const top3 = Math.max(peak, chart.limitBytes ?? 0, chart.requestBytes ?? 0, chart.proposedLimitBytes ?? 0);
  const { step: yStep, max: yMax } = byteTicks(top3 * 1.06);
  const yScale = (b: number) => bottom - (b / yMax) * (bottom - top);
  const nY = Math.round(yMax / yStep);

  let trafficScale: ((rps: number) => number) | undefined;
  let trafficMax: number | undefined;
  if (hasTraffic && chart.traffic) {
    let tPeak = 0;
    for (const v of chart.traffic.v) if (Number.isFinite(v) && v > tPeak) tPeak = v;
    const tStep = niceStep((tPeak * 1.05) / nY);
    const tMax = tStep * nY;
    trafficMax = tMax;
    trafficScale = (rps: number) => bottom - (rps / tMax) * (bottom - top);
  }

  const out: string[] = [];
  const height0 = bottom + 48;

  // Axes and grid.
  const yTicks: ChartGeometry['yTicks'] = [];
  const grid: string[] = [];
  for (let i = 0; i <= nY; i++) {
    const b = i * yStep;
    const y = yScale(b);
    const label = b === 0 ? '0' : formatBytes(b);
    yTicks.push({ bytes: b, y, label });
    grid.push(`<line x1="${left}" y1="${r1(y)}" x2="${right}" y2="${r1(y)}" stroke="${COLOR.grid}"/>`);
    grid.push(
      `<text class="y-tick" x="${left - 8}" y="${r1(y + 4)}" text-anchor="end" font-size="12" fill="${COLOR.muted}">${label}</text>`,
    );
    if (trafficMax !== undefined) {
      const rps = (trafficMax / nY) * i;
      grid.push(
        `<text class="traffic-tick" x="${right + 8}" y="${r1(y + 4)}" font-size="12" fill="${COLOR.traffic}">${formatRate(rps)}</text>`,
      );
    }
  }
  const xTicks: ChartGeometry['xTicks'] = [];
  let lastDay = '';
  for (const t of timeTicks(start, end)) {
    const x = xScale(t);
    const label = hhmm(t);
    xTicks.push({ t, x, label });
    grid.push(`<line x1="${r1(x)}" y1="${top}" x2="${r1(x)}" y2="${bottom}" stroke="${COLOR.grid}"/>`);
    grid.push(
      `<text class="x-tick" x="${r1(x)}" y="${bottom + 18}" text-anchor="middle" font-size="12" fill="${COLOR.muted}">${label}</text>`,
    );
    const day = dayLabel(t);
    if (day !== lastDay && (label === '00:00' || lastDay === '')) {
      grid.push(
        `<text class="x-day" x="${r1(x)}" y="${bottom + 33}" text-anchor="middle" font-size="11" fill="${COLOR.muted}">${day}</text>`,
      );
      lastDay = day;
    }
  }
  out.push(`<g id="grid">${grid.join('')}</g>`);
  out.push(
    `<text id="x-axis-title" x="${right}" y="${bottom + 33}" text-anchor="end" font-size="11" fill="${COLOR.muted}">UTC</text>`,
  );
  out.push(
    `<text id="y-axis-title" x="${left - 8}" y="${top - 16}" text-anchor="end" font-size="11" fill="${COLOR.muted}">memory</text>`,
  );
  if (trafficMax !== undefined) {
    out.push(
      `<text id="traffic-axis-title" x="${right + 8}" y="${top - 16}" font-size="11" fill="${COLOR.traffic}">req/s</text>`,
    );
  }

  // Kill markers: a faint line through the plot and a triangle above it.
  const kills: ChartGeometry['kills'] = [];
  const killLines: string[] = [];
  const killMarks: string[] = [];
  const seen = new Set<string>();
  const ordered = [...chart.kills].sort((a, b) => Number(a.oom) - Number(b.oom));
  for (const k of chart.kills) {
    if (k.t < start || k.t > end) continue;
    kills.push({ pod: k.pod, t: k.t, oom: k.oom, x: xScale(k.t) });
  }
  for (const k of ordered) {
    if (k.t < start || k.t > end) continue;
    const x = xScale(k.t);
    const cls = k.kind ?? (k.oom ? 'oom' : 'restart');
    const key = `${cls}:${r1(x)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const color = COLOR[cls];
    killLines.push(
      `<line class="kill-line ${cls}" x1="${r1(x)}" y1="${top}" x2="${r1(x)}" y2="${bottom}" stroke="${color}" stroke-opacity="0.22"/>`,
    );
    killMarks.push(
      `<path class="kill-marker ${cls}" data-t="${k.t}" data-x="${r1(x)}" d="${triangle(x, top - 3, 4.5)}" fill="${color}"/>`,
    );
  }
  out.push(`<g id="kill-lines">${killLines.join('')}</g>`);

  // Traffic, under the memory lines.
  if (trafficScale && chart.traffic) {
    const ts = trafficScale;
    const tr = chart.traffic;
    const gap = gapFor(tr.t, chart.window.stepSeconds, (end - start) / (right - left));
    const path = seriesPath(tr.t, tr.v, xScale, ts, left, right, gap);
    out.push(
      `<path id="traffic-line" d="${path.d}" fill="none" stroke="${COLOR.traffic}" stroke-width="1" stroke-opacity="0.75" stroke-linejoin="round"/>`,
    );
  }

  // Pods' working set.
  const pods: ChartGeometry['pods'] = [];
  const podPaths: string[] = [];
  chart.pods.forEach((p, i) => {
    const color = POD_COLORS[i % POD_COLORS.length] as string;
    const gap = gapFor(p.series.t, chart.window.stepSeconds, (end - start) / (right - left));
    const path = seriesPath(p.series.t, p.series.v, xScale, yScale, left, right, gap);
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
  out.push(`<g id="pods" clip-path="url(#plot-clip)">${podPaths.join('')}</g>`);

  // Limit, request and proposed limit, with labels kept apart.
  const labels: LineLabel[] = [];
  let limitY: number | undefined;
  let requestY: number | undefined;
  let proposedY: number | undefined;
  if (chart.requestBytes !== undefined) {
    requestY = yScale(chart.requestBytes);
    out.push(
      `<line id="request-line" x1="${left}" y1="${r1(requestY)}" x2="${right}" y2="${r1(requestY)}" stroke="${COLOR.request}" stroke-width="1.5" stroke-dasharray="2 4"/>`,
    );
    labels.push({
      id: 'request-label',
      text: `request ${quantityLabel(chart.requestBytes)}`,
      y: requestY - 5,
      color: COLOR.request,
    });
  }
  if (chart.limitBytes !== undefined) {
    limitY = yScale(chart.limitBytes);
    out.push(
      `<line id="limit-line" x1="${left}" y1="${r1(limitY)}" x2="${right}" y2="${r1(limitY)}" stroke="${COLOR.limit}" stroke-width="2"/>`,
    );
    labels.push({
      id: 'limit-label',
      text: `limit ${quantityLabel(chart.limitBytes)}`,
      y: limitY - 5,
      color: COLOR.limit,
    });
  }
  if (chart.proposedLimitBytes !== undefined) {
    proposedY = yScale(chart.proposedLimitBytes);
    out.push(
      `<line id="proposed-line" x1="${left}" y1="${r1(proposedY)}" x2="${right}" y2="${r1(proposedY)}" stroke="${COLOR.proposed}" stroke-width="2" stroke-dasharray="9 5"/>`,
    );
    labels.push({
      id: 'proposed-label',
      text: `proposed ${quantityLabel(chart.proposedLimitBytes)}`,
      y: proposedY - 5,
      color: COLOR.proposed,
    });
  }
  for (const l of spreadLabels(labels, 16, top, bottom)) {
    const w = textWidth(l.text, 12) + 8;
    out.push(
      `<rect x="${r1(left + 1)}" y="${r1(l.y - 12)}" width="${r1(w + 5)}" height="16" rx="3" fill="#ffffff" fill-opacity="0.85"/>`,
    );
    out.push(
      `<text id="${l.id}" x="${left + 10}" y="${r1(l.y)}" font-size="12" font-weight="bold" fill="${l.color}">${xml(l.text)}</text>`,
    );
  }
  out.push(`<g id="kill-markers">${killMarks.join('')}</g>`);

  // Frame.
  out.push(
    `<rect id="plot-frame" x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" fill="none" stroke="${COLOR.axis}" stroke-width="1"/>`,
  );

  // Legend, in rows below the time axis.
  const legend: LegendEntry[] = [];
  for (const p of pods) legend.push({ label: p.pod || '(unnamed pod)', swatch: lineSwatch(p.color) });
  if (chart.limitBytes !== undefined) legend.push({ label: 'limit', swatch: lineSwatch(COLOR.limit) });
  if (chart.requestBytes !== undefined)
    legend.push({ label: 'request', swatch: lineSwatch(COLOR.request, '2 4', 1.5) });
  if (chart.proposedLimitBytes !== undefined)
    legend.push({ label: 'proposed limit', swatch: lineSwatch(COLOR.proposed, '9 5') });
  if (kills.some((k) => k.oom))
    legend.push({ label: 'OOM kill', swatch: `<path d="${triangle(11, 5, 4.5)}" fill="${COLOR.oom}"/>` });
  if (chart.kills.some((k) => k.kind === 'eviction'))
    legend.push({
      label: 'eviction',
      swatch: `<path d="${triangle(11, 5, 4.5)}" fill="${COLOR.eviction}"/>`,
    });
  if (chart.kills.some((k) => !k.oom && k.kind !== 'eviction'))
    legend.push({
      label: 'other restart',
      swatch: `<path d="${triangle(11, 5, 4.5)}" fill="${COLOR.restart}"/>`,
    });
  if (hasTraffic && chart.traffic)
    legend.push({
      label: `${chart.traffic.label}, right axis`,
      swatch: lineSwatch(COLOR.traffic, undefined, 1),
    });
  const columns = 3;
  const colWidth = (WIDTH - 2 * MARGIN_LEFT + 40) / columns;
  const maxChars = Math.floor((colWidth - 40) / (12 * 0.6));
  const legendTop = height0 + 10;
  const legendItems = legend.map((e, i) => {
    const x = MARGIN_LEFT - 20 + (i % columns) * colWidth;
    const y = legendTop + Math.floor(i / columns) * LEGEND_ROW;
    return `<g class="legend-item" transform="translate(${r1(x)} ${y})"><g transform="translate(0 -4)">${e.swatch}</g><text x="30" y="0" font-size="12" fill="${COLOR.text}">${xml(clip(e.label, maxChars))}</text></g>`;
  });
  out.push(`<g id="legend">${legendItems.join('')}</g>`);
  const rows = Math.ceil(legend.length / columns);
  const height = legendTop + rows * LEGEND_ROW + 4;

  // Title and subtitle.
  const span = `${dayLabel(start)} ${hhmm(start)} – ${dayLabel(end)} ${hhmm(end)} UTC`;
  out.push(
    `<text id="title" x="${left}" y="26" font-size="17" font-weight="bold" fill="${COLOR.text}">${xml(clip(title, 100))}</text>`,
  );
  out.push(
    `<text id="subtitle" x="${left}" y="46" font-size="12" fill="${COLOR.muted}">memory working set per pod · ${xml(span)}</text>`,
  );
  if (chart.pods.length === 0) {
    out.push(
      `<text id="no-data" x="${r1((left + right) / 2)}" y="${r1((top + bottom) / 2)}" text-anchor="middle" font-size="14" fill="${COLOR.muted}">no memory samples in this window</text>`,
    );
  }

  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="${FONT}">` +
    `<defs><clipPath id="plot-clip"><rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}"/></clipPath></defs>` +
    `<rect id="background" x="0" y="0" width="${WIDTH}" height="${height}" fill="#ffffff"/>` +
    `${out.join('\n')}</svg>`;

  const geometry: ChartGeometry = {
    width: WIDTH,
    height,
    plot: { left, right, top, bottom },
    xScale,
    yScale,
    trafficScale,
    yMaxBytes: yMax,
    trafficMax,
    limitY,
    requestY,
    proposedY,
    killXs: kills.map((k) => k.x),
    kills,
    pods,
    yTicks,
    xTicks,
  };
  return { svg, geometry };
}

/** Rasterise an SVG with resvg, using the system fonts (fonts-dejavu-core on Debian). */
export function svgToPng(svg: string): Uint8Array {
  resvg ??= require('@resvg/resvg-js') as typeof ResvgModule;
  const image = new resvg.Resvg(svg, {
    fitTo: { mode: 'original' },
    background: '#ffffff',
    font: { loadSystemFonts: true, sansSerifFamily: 'DejaVu Sans' },
    logLevel: 'off',
  }).render();
  return new Uint8Array(image.asPng());
}

/** The chart as a PNG, 1200 px wide. */
export function renderChartPng(chart: ChartData, title: string): Uint8Array {
  return svgToPng(renderChartSvg(chart, title).svg);
}

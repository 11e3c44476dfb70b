/** The chart's plot area and scales: time to x, bytes to y (left axis), requests per second to y (right). */
import type { ChartData } from '../../domain/types.ts';
import {
  MARGIN_LEFT,
  MARGIN_RIGHT,
  MARGIN_RIGHT_TRAFFIC,
  MI,
  PLOT_HEIGHT,
  PLOT_TOP,
  WIDTH,
} from './style.ts';

const BYTE_STEPS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536].map(
  (n) => n * MI,
);
const MAX_Y_TICKS = 8;

/** The plot's edges, its time window and the scales every part of the chart draws with. */
export interface Frame {
  left: number;
  right: number;
  top: number;
  bottom: number;
  start: number;
  end: number;
  xScale: (t: number) => number;
  yScale: (bytes: number) => number;
  yStep: number;
  yMax: number;
  /** Number of steps on the memory axis; the traffic axis has as many. */
  nY: number;
  /** Set when traffic is drawn. */
  traffic?: { scale: (rps: number) => number; max: number };
}

/** Whether the chart has a traffic series worth a right axis. */
function hasTraffic(chart: ChartData): boolean {
  return !!chart.traffic && chart.traffic.t.length > 0 && chart.traffic.v.some((v) => v > 0);
}

/** Seconds of the window per pixel column. */
export function secondsPerPixel(frame: Frame): number {
  return (frame.end - frame.start) / (frame.right - frame.left);
}

/** The frame for a chart: room for the right axis when traffic is drawn, y up to the highest line. */
export function buildFrame(chart: ChartData): Frame {
  const withTraffic = hasTraffic(chart);
  const left = MARGIN_LEFT;
  const right = WIDTH - (withTraffic ? MARGIN_RIGHT_TRAFFIC : MARGIN_RIGHT);
  const top = PLOT_TOP;
  const bottom = PLOT_TOP + PLOT_HEIGHT;
  const start = chart.window.start;
  const end = chart.window.end > start ? chart.window.end : start + 1;
  const xScale = (t: number) => left + ((t - start) / (end - start)) * (right - left);
  const { step: yStep, max: yMax } = byteTicks(highestLine(chart) * 1.06);
  const yScale = (b: number) => bottom - (b / yMax) * (bottom - top);
  const nY = Math.round(yMax / yStep);
  const frame: Frame = { left, right, top, bottom, start, end, xScale, yScale, yStep, yMax, nY };
  if (withTraffic && chart.traffic) frame.traffic = trafficAxis(chart.traffic.v, nY, top, bottom);
  return frame;
}

/** The highest value any memory line reaches: the pods' peak or a limit, request or proposal. */
function highestLine(chart: ChartData): number {
  let peak = 0;
  for (const p of chart.pods) for (const v of p.series.v) if (Number.isFinite(v) && v > peak) peak = v;
  return Math.max(peak, chart.limitBytes ?? 0, chart.requestBytes ?? 0, chart.proposedLimitBytes ?? 0);
}

/** The right axis: as many steps as the left one, each a round number of requests per second. */
function trafficAxis(
  values: readonly number[],
  nY: number,
  top: number,
  bottom: number,
): { scale: (rps: number) => number; max: number } {
  let tPeak = 0;
  for (const v of values) if (Number.isFinite(v) && v > tPeak) tPeak = v;
  const tStep = niceStep((tPeak * 1.05) / nY);
  const max = tStep * nY;
  return { scale: (rps: number) => bottom - (rps / max) * (bottom - top), max };
}

/** A power-of-two step in mebibytes giving at most MAX_Y_TICKS ticks, and the axis top. */
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

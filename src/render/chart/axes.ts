/** The chart's grid, tick labels and axis titles (memory on the left, traffic on the right, UTC time below). */
import { formatBytes } from '../../domain/quantity.ts';
import type { Frame } from './scales.ts';
import { COLOR, dayLabel, hhmm, r1 } from './style.ts';

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

export interface YTick {
  bytes: number;
  y: number;
  label: string;
}

export interface XTick {
  t: number;
  x: number;
  label: string;
}

/** The axes as SVG elements, with the ticks a test can check. */
export function drawAxes(frame: Frame): { elements: string[]; yTicks: YTick[]; xTicks: XTick[] } {
  const y = drawYGrid(frame);
  const x = drawXGrid(frame);
  const elements = [`<g id="grid">${[...y.elements, ...x.elements].join('')}</g>`, ...drawAxisTitles(frame)];
  return { elements, yTicks: y.ticks, xTicks: x.ticks };
}

/** Horizontal grid lines with byte labels on the left and, with traffic, rates on the right. */
function drawYGrid(frame: Frame): { elements: string[]; ticks: YTick[] } {
  const { left, right, nY, yStep, traffic } = frame;
  const ticks: YTick[] = [];
  const elements: string[] = [];
  for (let i = 0; i <= nY; i++) {
    const b = i * yStep;
    const y = frame.yScale(b);
    const label = b === 0 ? '0' : formatBytes(b);
    ticks.push({ bytes: b, y, label });
    elements.push(`<line x1="${left}" y1="${r1(y)}" x2="${right}" y2="${r1(y)}" stroke="${COLOR.grid}"/>`);
    elements.push(
      `<text class="y-tick" x="${left - 8}" y="${r1(y + 4)}" text-anchor="end" font-size="12" fill="${COLOR.muted}">${label}</text>`,
    );
    if (traffic !== undefined) {
      const rps = (traffic.max / nY) * i;
      elements.push(
        `<text class="traffic-tick" x="${right + 8}" y="${r1(y + 4)}" font-size="12" fill="${COLOR.traffic}">${formatRate(rps)}</text>`,
      );
    }
  }
  return { elements, ticks };
}

/** Vertical grid lines at round times, labelled HH:MM, with the date under the first and each midnight. */
function drawXGrid(frame: Frame): { elements: string[]; ticks: XTick[] } {
  const { top, bottom } = frame;
  const ticks: XTick[] = [];
  const elements: string[] = [];
  let lastDay = '';
  for (const t of timeTicks(frame.start, frame.end)) {
    const x = frame.xScale(t);
    const label = hhmm(t);
    ticks.push({ t, x, label });
    elements.push(`<line x1="${r1(x)}" y1="${top}" x2="${r1(x)}" y2="${bottom}" stroke="${COLOR.grid}"/>`);
    elements.push(
      `<text class="x-tick" x="${r1(x)}" y="${bottom + 18}" text-anchor="middle" font-size="12" fill="${COLOR.muted}">${label}</text>`,
    );
    const day = dayLabel(t);
    if (day !== lastDay && (label === '00:00' || lastDay === '')) {
      elements.push(
        `<text class="x-day" x="${r1(x)}" y="${bottom + 33}" text-anchor="middle" font-size="11" fill="${COLOR.muted}">${day}</text>`,
      );
      lastDay = day;
    }
  }
  return { elements, ticks };
}

function drawAxisTitles(frame: Frame): string[] {
  const { left, right, top, bottom } = frame;
  const titles = [
    `<text id="x-axis-title" x="${right}" y="${bottom + 33}" text-anchor="end" font-size="11" fill="${COLOR.muted}">UTC</text>`,
    `<text id="y-axis-title" x="${left - 8}" y="${top - 16}" text-anchor="end" font-size="11" fill="${COLOR.muted}">memory</text>`,
  ];
  if (frame.traffic !== undefined) {
    titles.push(
      `<text id="traffic-axis-title" x="${right + 8}" y="${top - 16}" font-size="11" fill="${COLOR.traffic}">req/s</text>`,
    );
  }
  return titles;
}

/** Round times in the window, at most MAX_X_TICKS of them. */
function timeTicks(start: number, end: number): number[] {
  const span = Math.max(1, end - start);
  const step = TIME_STEPS.find((s) => span / s <= MAX_X_TICKS) ?? 7 * 24 * HOUR;
  const ticks: number[] = [];
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) ticks.push(t);
  return ticks;
}

function formatRate(v: number): string {
  if (v >= 1000) return `${Number((v / 1000).toFixed(1))}k`;
  return `${Number(v.toFixed(2))}`;
}

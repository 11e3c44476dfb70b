/**
 * The memory chart: an SVG built by hand (pods' working set, limit, request, proposed limit,
 * kill markers, traffic on a right axis) and rasterised to PNG by resvg. Pure apart from the
 * rasteriser reading the system fonts. The parts are in chart/: scales, axes, series, markers,
 * legend, style, rasterise; this module puts them together in drawing order.
 */
import type { ChartData, Target } from '../domain/types.ts';
import { drawAxes, type XTick, type YTick } from './chart/axes.ts';
import { drawLegend } from './chart/legend.ts';
import { drawKills, drawThresholds, type KillMark } from './chart/markers.ts';
import { svgToPng } from './chart/rasterise.ts';
import { buildFrame, type Frame } from './chart/scales.ts';
import { drawPods, drawTraffic, type PodLine } from './chart/series.ts';
import { COLOR, clip, dayLabel, FONT, hhmm, r1, WIDTH, xml } from './chart/style.ts';

export { POD_COLORS } from './chart/style.ts';

interface ChartGeometry {
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
  kills: KillMark[];
  pods: PodLine[];
  yTicks: YTick[];
  xTicks: XTick[];
}

/** "prod/auth-service · container auth": the title the renderers use. */
export function chartTitle(target: Target, container: string): string {
  return `${target.namespace}/${target.workload.name} · container ${container}`;
}

/** A safe file name for the PNG, e.g. "oom-prod-auth-service.png". */
export function chartFileName(target: Target): string {
  const slug = `${target.namespace}-${target.workload.name}`.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 120);
  return `oom-${slug}.png`;
}

/** The chart as SVG, with the geometry a test can check it against. */
export function renderChartSvg(chart: ChartData, title: string): { svg: string; geometry: ChartGeometry } {
  const frame = buildFrame(chart);
  const axes = drawAxes(frame);
  const kills = drawKills(chart, frame);
  const series = drawPods(chart, frame);
  const thresholds = drawThresholds(chart, frame);
  const legend = drawLegend(
    chart,
    { pods: series.pods, kills: kills.kills, traffic: !!frame.traffic },
    frame.bottom + 58,
  );
  const elements = [
    ...axes.elements,
    ...kills.lines,
    ...drawTraffic(chart, frame),
    ...series.elements,
    ...thresholds.elements,
    ...kills.markers,
    drawFrame(frame),
    legend.element,
    ...drawTitles(chart, frame, title),
  ];
  const svg = wrapSvg(elements, frame, legend.height);
  const geometry: ChartGeometry = {
    width: WIDTH,
    height: legend.height,
    plot: { left: frame.left, right: frame.right, top: frame.top, bottom: frame.bottom },
    xScale: frame.xScale,
    yScale: frame.yScale,
    trafficScale: frame.traffic?.scale,
    yMaxBytes: frame.yMax,
    trafficMax: frame.traffic?.max,
    limitY: thresholds.limitY,
    requestY: thresholds.requestY,
    proposedY: thresholds.proposedY,
    killXs: kills.kills.map((k) => k.x),
    kills: kills.kills,
    pods: series.pods,
    yTicks: axes.yTicks,
    xTicks: axes.xTicks,
  };
  return { svg, geometry };
}

/** The chart as a PNG, 1200 px wide. */
export function renderChartPng(chart: ChartData, title: string): Uint8Array {
  return svgToPng(renderChartSvg(chart, title).svg);
}

function drawFrame(frame: Frame): string {
  const { left, right, top, bottom } = frame;
  return `<rect id="plot-frame" x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" fill="none" stroke="${COLOR.axis}" stroke-width="1"/>`;
}

/** Title, the window as a subtitle, and a note in the plot when there is no memory data. */
function drawTitles(chart: ChartData, frame: Frame, title: string): string[] {
  const { left, right, top, bottom, start, end } = frame;
  const span = `${dayLabel(start)} ${hhmm(start)} – ${dayLabel(end)} ${hhmm(end)} UTC`;
  const titles = [
    `<text id="title" x="${left}" y="26" font-size="17" font-weight="bold" fill="${COLOR.text}">${xml(clip(title, 100))}</text>`,
    `<text id="subtitle" x="${left}" y="46" font-size="12" fill="${COLOR.muted}">memory working set per pod · ${xml(span)}</text>`,
  ];
  if (chart.pods.length === 0) {
    titles.push(
      `<text id="no-data" x="${r1((left + right) / 2)}" y="${r1((top + bottom) / 2)}" text-anchor="middle" font-size="14" fill="${COLOR.muted}">no memory samples in this window</text>`,
    );
  }
  return titles;
}

function wrapSvg(elements: string[], frame: Frame, height: number): string {
  const { left, right, top, bottom } = frame;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="${FONT}">` +
    `<defs><clipPath id="plot-clip"><rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}"/></clipPath></defs>` +
    `<rect id="background" x="0" y="0" width="${WIDTH}" height="${height}" fill="#ffffff"/>` +
    `${elements.join('\n')}</svg>`
  );
}

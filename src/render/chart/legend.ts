/** The chart's legend: one entry per pod and per kind of line or marker drawn, in rows of three. */
import type { ChartData } from '../../domain/types.ts';
import type { KillMark } from './markers.ts';
import type { PodLine } from './series.ts';
import { COLOR, clip, LEGEND_ROW, MARGIN_LEFT, r1, triangle, WIDTH, xml } from './style.ts';

const COLUMNS = 3;

interface LegendEntry {
  label: string;
  swatch: string;
}

/** The legend below the time axis, starting at `top`, and the SVG height it leaves. */
export function drawLegend(
  chart: ChartData,
  drawn: { pods: PodLine[]; kills: KillMark[]; traffic: boolean },
  top: number,
): { element: string; height: number } {
  const legend = listEntries(chart, drawn);
  const colWidth = (WIDTH - 2 * MARGIN_LEFT + 40) / COLUMNS;
  const maxChars = Math.floor((colWidth - 40) / (12 * 0.6));
  const items = legend.map((e, i) => {
    const x = MARGIN_LEFT - 20 + (i % COLUMNS) * colWidth;
    const y = top + Math.floor(i / COLUMNS) * LEGEND_ROW;
    return `<g class="legend-item" transform="translate(${r1(x)} ${y})"><g transform="translate(0 -4)">${e.swatch}</g><text x="30" y="0" font-size="12" fill="${COLOR.text}">${xml(clip(e.label, maxChars))}</text></g>`;
  });
  const rows = Math.ceil(legend.length / COLUMNS);
  return { element: `<g id="legend">${items.join('')}</g>`, height: top + rows * LEGEND_ROW + 4 };
}

function listEntries(
  chart: ChartData,
  drawn: { pods: PodLine[]; kills: KillMark[]; traffic: boolean },
): LegendEntry[] {
  const legend: LegendEntry[] = [];
  for (const p of drawn.pods) legend.push({ label: p.pod || '(unnamed pod)', swatch: lineSwatch(p.color) });
  if (chart.limitBytes !== undefined) legend.push({ label: 'limit', swatch: lineSwatch(COLOR.limit) });
  if (chart.requestBytes !== undefined)
    legend.push({ label: 'request', swatch: lineSwatch(COLOR.request, '2 4', 1.5) });
  if (chart.proposedLimitBytes !== undefined)
    legend.push({ label: 'proposed limit', swatch: lineSwatch(COLOR.proposed, '9 5') });
  if (drawn.kills.some((k) => k.oom)) legend.push({ label: 'OOM kill', swatch: markerSwatch(COLOR.oom) });
  if (chart.kills.some((k) => k.kind === 'eviction'))
    legend.push({ label: 'eviction', swatch: markerSwatch(COLOR.eviction) });
  if (chart.kills.some((k) => !k.oom && k.kind !== 'eviction'))
    legend.push({ label: 'other restart', swatch: markerSwatch(COLOR.restart) });
  if (drawn.traffic && chart.traffic)
    legend.push({
      label: `${chart.traffic.label}, right axis`,
      swatch: lineSwatch(COLOR.traffic, undefined, 1),
    });
  return legend;
}

function lineSwatch(color: string, dash?: string, width = 2): string {
  const d = dash ? ` stroke-dasharray="${dash}"` : '';
  return `<line x1="0" y1="0" x2="22" y2="0" stroke="${color}" stroke-width="${width}"${d}/>`;
}

function markerSwatch(color: string): string {
  return `<path d="${triangle(11, 5, 4.5)}" fill="${color}"/>`;
}

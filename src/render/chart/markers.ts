/** What the chart marks on the memory lines: kills and restarts in time, a rollout, and the limit, request and proposed limit. */
import type { ChartData } from '../../domain/types.ts';
import type { Frame } from './scales.ts';
import { COLOR, quantityLabel, r1, textWidth, triangle, xml } from './style.ts';

export interface KillMark {
  pod: string;
  t: number;
  oom: boolean;
  x: number;
}

/** Kill lines (drawn under the series) and markers (drawn on top), one per kind and pixel. */
export function drawKills(
  chart: ChartData,
  frame: Frame,
): { lines: string[]; markers: string[]; kills: KillMark[] } {
  const { start, end, top, bottom } = frame;
  const kills = chart.kills
    .filter((k) => k.t >= start && k.t <= end)
    .map((k) => ({ pod: k.pod, t: k.t, oom: k.oom, x: frame.xScale(k.t) }));
  const killLines: string[] = [];
  const killMarks: string[] = [];
  const seen = new Set<string>();
  // other restarts first, so an OOM kill at the same pixel is drawn over them
  const ordered = [...chart.kills].sort((a, b) => Number(a.oom) - Number(b.oom));
  for (const k of ordered) {
    if (k.t < start || k.t > end) continue;
    const x = frame.xScale(k.t);
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
  return {
    lines: [`<g id="kill-lines">${killLines.join('')}</g>`, ...drawRollout(chart, frame)],
    markers: [`<g id="kill-markers">${killMarks.join('')}</g>`],
    kills,
  };
}

const ROLLOUT_COLOR = '#1f3b73';

/** The rollout inside the window: a dashed vertical line at its time, labelled at the top. */
function drawRollout(chart: ChartData, frame: Frame): string[] {
  const r = chart.rollout;
  if (!r || r.t < frame.start || r.t > frame.end) return [];
  const x = frame.xScale(r.t);
  return [
    `<g id="rollout-marker" data-t="${r.t}"><line x1="${r1(x)}" y1="${frame.top}" x2="${r1(x)}" y2="${frame.bottom}" stroke="${ROLLOUT_COLOR}" stroke-width="1.5" stroke-dasharray="6 3"/><text x="${r1(x + 4)}" y="${r1(frame.top + 12)}" font-size="11" fill="${ROLLOUT_COLOR}">${xml(r.label)}</text></g>`,
  ];
}

interface LineLabel {
  id: string;
  text: string;
  y: number;
  color: string;
}

interface Threshold {
  name: 'request' | 'limit' | 'proposed';
  bytes: number | undefined;
  width: string;
  dash?: string;
}

/** The horizontal lines for request, limit and proposed limit, each labelled, labels kept apart. */
export function drawThresholds(
  chart: ChartData,
  frame: Frame,
): { elements: string[]; requestY?: number; limitY?: number; proposedY?: number } {
  const thresholds: Threshold[] = [
    { name: 'request', bytes: chart.requestBytes, width: '1.5', dash: '2 4' },
    { name: 'limit', bytes: chart.limitBytes, width: '2' },
    { name: 'proposed', bytes: chart.proposedLimitBytes, width: '2', dash: '9 5' },
  ];
  const elements: string[] = [];
  const labels: LineLabel[] = [];
  const ys: { requestY?: number; limitY?: number; proposedY?: number } = {};
  for (const line of thresholds) {
    if (line.bytes === undefined) continue;
    const y = frame.yScale(line.bytes);
    ys[`${line.name}Y`] = y;
    elements.push(drawThresholdLine(line, y, frame));
    labels.push({
      id: `${line.name}-label`,
      text: `${line.name} ${quantityLabel(line.bytes)}`,
      y: y - 5,
      color: COLOR[line.name],
    });
  }
  for (const l of spreadLabels(labels, 16, frame.top, frame.bottom))
    elements.push(...drawLabel(l, frame.left));
  return { elements, ...ys };
}

function drawThresholdLine(line: Threshold, y: number, frame: Frame): string {
  const dash = line.dash ? ` stroke-dasharray="${line.dash}"` : '';
  return `<line id="${line.name}-line" x1="${frame.left}" y1="${r1(y)}" x2="${frame.right}" y2="${r1(y)}" stroke="${COLOR[line.name]}" stroke-width="${line.width}"${dash}/>`;
}

/** A bold label on a translucent white box, at the plot's left edge. */
function drawLabel(l: LineLabel, left: number): string[] {
  const w = textWidth(l.text, 12) + 8;
  return [
    `<rect x="${r1(left + 1)}" y="${r1(l.y - 12)}" width="${r1(w + 5)}" height="16" rx="3" fill="#ffffff" fill-opacity="0.85"/>`,
    `<text id="${l.id}" x="${left + 10}" y="${r1(l.y)}" font-size="12" font-weight="bold" fill="${l.color}">${xml(l.text)}</text>`,
  ];
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

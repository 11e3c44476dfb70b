/** The memory chart's look: canvas size, margins, font, colours, and the text helpers for SVG. */
import { formatBytes, toQuantity } from '../../domain/quantity.ts';

export const WIDTH = 1200;
export const MARGIN_LEFT = 76;
export const MARGIN_RIGHT_TRAFFIC = 76;
export const MARGIN_RIGHT = 28;
export const PLOT_TOP = 74;
export const PLOT_HEIGHT = 420;
export const LEGEND_ROW = 20;
export const FONT = "'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif";

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

export const COLOR = {
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

export const MI = 2 ** 20;

/** "1280Mi" as in the manifest when the value is whole mebibytes, else "1.3Gi". */
export function quantityLabel(bytes: number): string {
  return bytes > 0 && bytes % MI === 0 ? toQuantity(bytes) : formatBytes(bytes);
}

/** Text for XML, without the control characters XML 1.0 forbids. */
export function xml(text: string): string {
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

/** The text cut to `max` characters, with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** A coordinate rounded to a tenth of a pixel, as SVG text. */
export function r1(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

/** Roughly how wide a line of text is drawn (DejaVu Sans averages 0.6 em). */
export function textWidth(text: string, size: number): number {
  return [...text].length * size * 0.6;
}

/** "14:05" in UTC. */
export function hhmm(t: number): string {
  return new Date(t * 1000).toISOString().slice(11, 16);
}

/** "Nov 24" in UTC. */
export function dayLabel(t: number): string {
  const d = new Date(t * 1000);
  return `${d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' })} ${d.getUTCDate()}`;
}

/** An upward-pointing marker's path: a triangle whose apex is at (x, apexY). */
export function triangle(x: number, apexY: number, size: number): string {
  return `M${r1(x - size)} ${r1(apexY - size * 1.6)}L${r1(x + size)} ${r1(apexY - size * 1.6)}L${r1(x)} ${r1(apexY)}Z`;
}

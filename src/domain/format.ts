/** Short, human number formats for evidence lines. */
import { formatBytes } from './quantity.ts';

export const bytes = formatBytes;

export function pct(share: number): string {
  return `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
}

/** "06:30 UTC" for a time today relative to `at`, else "Nov 17 18:25 UTC". */
export function clock(t: number, at?: number): string {
  const d = new Date(t * 1000);
  const hhmm = d.toISOString().slice(11, 16);
  if (at !== undefined && Math.abs(at - t) < 20 * 3600) return `${hhmm} UTC`;
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  return `${month} ${d.getUTCDate()} ${hhmm} UTC`;
}

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s}s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) return `${(s / 3600).toFixed(s < 10 * 3600 ? 1 : 0)} h`;
  return `${(s / 86400).toFixed(1)} days`;
}

export function ratio(x: number): string {
  return `${x.toFixed(x < 10 ? 1 : 0)}x`;
}

export function rate(rps: number): string {
  return `${rps >= 100 ? rps.toFixed(0) : rps.toFixed(1)} req/s`;
}

/**
 * Units, time formatting and small numeric helpers shared by the scenario generator's modules.
 */
export const MI = 2 ** 20;
export const GI = 2 ** 30;
/** Simulation resolution in seconds. */
export const STEP = 5;
export const HOUR = 3600;
export const DAY = 86400;
export const K8S_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
export const HEX = '0123456789abcdef';
export const READY_DELAY = 10;

export function formatIso(sec: number): string {
  return new Date(Math.round(sec) * 1000).toISOString().replace('.000Z', 'Z');
}

export function parseIso(text: string, what: string): number {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw new Error(`${what}: not an RFC 3339 time: ${text}`);
  return Math.round(ms / 1000);
}

export function clamp(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}

export function smoothstep(x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  return x * x * (3 - 2 * x);
}

export function fractionalPart(x: number): number {
  return x - Math.floor(x);
}

/** A Kubernetes quantity: Gi or Mi when exact, else plain bytes. */
export function quantity(bytes: number): string {
  if (bytes % GI === 0) return `${bytes / GI}Gi`;
  if (bytes % MI === 0) return `${bytes / MI}Mi`;
  return String(Math.round(bytes));
}

/** Go's time.Duration formatting for whole seconds: 10s, 1m20s, 5m0s. */
export function formatGoDuration(sec: number): string {
  const s = Math.round(sec);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  return `${Math.floor(m / 60)}h${m % 60}m${s % 60}s`;
}

export function roundTo(x: number, unit: number): number {
  return Math.round(x / unit) * unit;
}

export function ceilTo(x: number, unit: number): number {
  return Math.ceil(x / unit) * unit;
}

export function bumpPatch(version: string, by: number): string {
  const parts = version.split('.');
  const patch = Number(parts[2] ?? 0) + by;
  return `${parts[0]}.${parts[1]}.${patch}`;
}

/** Kubernetes resource quantities: parse "512Mi"/"1G"/"16252928Ki" to bytes, format bytes as binary units. */

const SUFFIX: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  m: 1e-3,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?$/;

/** Bytes for a quantity string or number; undefined when it is not a valid quantity. */
export function parseQuantity(input: string | number | undefined | null): number | undefined {
  if (input === undefined || input === null) return undefined;
  if (typeof input === 'number') return Number.isFinite(input) ? input : undefined;
  const match = QUANTITY.exec(input.trim());
  if (!match) return undefined;
  const value = Number(match[1]);
  const multiplier = SUFFIX[match[2] ?? ''] ?? 1;
  return Math.round(value * multiplier);
}

const UNITS = ['Ki', 'Mi', 'Gi', 'Ti'] as const;

/** "1Gi", "768Mi", "1.5Gi": the shortest binary-unit form, exact when possible. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  let value = bytes;
  let unit = '';
  for (const next of UNITS) {
    if (Math.abs(value) < 1024) break;
    value /= 1024;
    unit = next;
  }
  const fixed = value.toFixed(Math.abs(value) < 10 ? 2 : Math.abs(value) < 100 ? 1 : 0);
  const text = fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
  return `${text}${unit}`;
}

/** An exact Kubernetes quantity for a byte count that is a multiple of 1 Mi. */
export function toQuantity(bytes: number): string {
  const mi = 2 ** 20;
  if (bytes % 2 ** 30 === 0) return `${bytes / 2 ** 30}Gi`;
  if (bytes % mi === 0) return `${bytes / mi}Mi`;
  return String(Math.round(bytes));
}

/** Round up to a tidy binary size: 64Mi steps to 512Mi, 128Mi to 1Gi, 256Mi to 4Gi, 512Mi above. */
export function roundUpToTidy(bytes: number): number {
  const mi = 2 ** 20;
  const step =
    bytes <= 512 * mi ? 64 * mi : bytes <= 1024 * mi ? 128 * mi : bytes <= 4096 * mi ? 256 * mi : 512 * mi;
  return Math.ceil(bytes / step) * step;
}

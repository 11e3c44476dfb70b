/**
 * The one reader of an HTTP request body with a size limit, for the Alertmanager webhook and the
 * Slack receiver. A body declared or found over the limit is refused with 413 and never buffered:
 * the rest is drained (Node discards it, bounded by the server's request timeout), so the client
 * reads the answer instead of a reset. A {@link ByteBudget} bounds the bytes buffered across all
 * connections: a request reserves its declared length (or the limit) before a byte is read.
 */
import type { IncomingMessage } from 'node:http';

type BodyRead = { ok: true; body: Buffer } | { ok: false; status: 400 | 413; reason: string };

/** The body, up to `limit` bytes. */
export function readLimitedBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      resolve({ ok: false, status: 413, reason: `body is ${declared} bytes; the limit is ${limit}` });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: BodyRead) => {
      if (done) return;
      done = true;
      resolve(result);
    };
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        finish({ ok: false, status: 413, reason: `body is over the limit of ${limit} bytes` });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => finish({ ok: true, body: Buffer.concat(chunks) }));
    req.on('error', (error) =>
      finish({ ok: false, status: 400, reason: `could not read the body: ${error.message}` }),
    );
    req.on('close', () => finish({ ok: false, status: 400, reason: 'the client went away' }));
  });
}

/** Bytes that may be buffered at once across connections; a request reserves before it reads. */
export class ByteBudget {
  #inFlight = 0;
  #peak = 0;
  #refused = 0;
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Reserve `bytes`; false (and counted as a refusal) when that would pass the capacity. */
  tryReserve(bytes: number): boolean {
    if (this.#inFlight + bytes > this.capacity) {
      this.#refused++;
      return false;
    }
    this.#inFlight += bytes;
    this.#peak = Math.max(this.#peak, this.#inFlight);
    return true;
  }

  release(bytes: number): void {
    this.#inFlight = Math.max(0, this.#inFlight - bytes);
  }

  /** Reserved now, the most ever reserved at once, and how many requests were refused. */
  stats(): { inFlight: number; peak: number; refused: number } {
    return { inFlight: this.#inFlight, peak: this.#peak, refused: this.#refused };
  }
}

/** What a request reserves: its declared length when it has one within `limit`, else `limit`. */
export function reservationFor(req: IncomingMessage, limit: number): number {
  const declared = Number(req.headers['content-length']);
  return Number.isFinite(declared) && declared >= 0 && declared <= limit ? declared : limit;
}

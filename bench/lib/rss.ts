/**
 * Resident memory of a process from /proc/PID/status (Linux): VmRSS now and VmHWM, the peak the
 * kernel saw. A sampler keeps the highest VmRSS seen between start and stop.
 */
import { readFileSync } from 'node:fs';

export interface Rss {
  rss: number;
  hwm: number;
}

export function rssOf(pid: number): Rss {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
  } catch {
    return { rss: Number.NaN, hwm: Number.NaN };
  }
}

export interface RssSampler {
  /** The highest VmRSS sampled so far, and the kernel's VmHWM now. */
  peak(): Rss;
  stop(): Rss;
}

export function sampleRss(pid: number, intervalMs = 100): RssSampler {
  let peak = rssOf(pid).rss;
  const timer = setInterval(() => {
    const now = rssOf(pid).rss;
    if (now > peak || Number.isNaN(peak)) peak = now;
  }, intervalMs);
  const read = () => ({ rss: peak, hwm: rssOf(pid).hwm });
  return {
    peak: read,
    stop() {
      clearInterval(timer);
      return read();
    },
  };
}

/** The chart's SVG to PNG with resvg, a native module loaded on first use (the web process never draws). */
import { createRequire } from 'node:module';
import type * as ResvgModule from '@resvg/resvg-js';
import pLimit from 'p-limit';

const require = createRequire(import.meta.url);
let resvg: typeof ResvgModule | undefined;

const OPTIONS: ResvgModule.ResvgRenderOptions = {
  fitTo: { mode: 'original' },
  background: '#ffffff',
  font: { loadSystemFonts: true, sansSerifFamily: 'DejaVu Sans' },
  logLevel: 'off',
};

function loadResvg(): typeof ResvgModule {
  resvg ??= require('@resvg/resvg-js') as typeof ResvgModule;
  return resvg;
}

/** Rasterise an SVG with resvg, using the system fonts (fonts-dejavu-core on Debian). */
export function svgToPng(svg: string): Uint8Array {
  return new Uint8Array(new (loadResvg().Resvg)(svg, OPTIONS).render().asPng());
}

/**
 * Charts drawn at once off the event loop: one. Each holds its pixmap and SVG tree in native memory
 * (about 4 MiB for a day of 10 pods) until V8 finalises it; one at a time keeps that bounded as the
 * synchronous renderer did, while the event loop stays free.
 */
const rasterising = pLimit(1);

/**
 * The same, on libuv's thread pool: the event loop stays free while the pixels are drawn (about
 * 100 ms for a day of 10 pods), so a worker's other requests, its verdict update first, go on.
 */
export function svgToPngAsync(svg: string): Promise<Uint8Array> {
  return rasterising(async () => {
    const image = await loadResvg().renderAsync(svg, OPTIONS);
    return new Uint8Array(image.asPng());
  });
}

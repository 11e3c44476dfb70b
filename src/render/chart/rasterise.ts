/** The chart's SVG to PNG with resvg, a native module loaded on first use (the web process never draws). */
import { createRequire } from 'node:module';
import type * as ResvgModule from '@resvg/resvg-js';

const require = createRequire(import.meta.url);
let resvg: typeof ResvgModule | undefined;

/** Rasterise an SVG with resvg, using the system fonts (fonts-dejavu-core on Debian). */
export function svgToPng(svg: string): Uint8Array {
  resvg ??= require('@resvg/resvg-js') as typeof ResvgModule;
  const image = new resvg.Resvg(svg, {
    fitTo: { mode: 'original' },
    background: '#ffffff',
    font: { loadSystemFonts: true, sansSerifFamily: 'DejaVu Sans' },
    logLevel: 'off',
  }).render();
  return new Uint8Array(image.asPng());
}

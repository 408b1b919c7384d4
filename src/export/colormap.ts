/**
 * Colour maps for the heatmap, from d3-scale-chromatic (perceptually uniform, colour-blind
 * safe): viridis and magma for values, RdBu (diverging) for differences. A 1024-entry lookup
 * table keeps a 512 x 5000 field fast; for viridis and magma (d3 holds them as 256-colour
 * tables) the table gives exactly d3's colour for every value.
 */
import { interpolateMagma, interpolateRdBu, interpolateViridis } from 'd3-scale-chromatic';

export const COLORMAPS = ['viridis', 'magma', 'rdbu'] as const;
export type ColormapName = (typeof COLORMAPS)[number];
export type Rgb = readonly [number, number, number];

const INTERPOLATORS: Record<ColormapName, (t: number) => string> = {
  viridis: interpolateViridis,
  magma: interpolateMagma,
  // d3's RdBu runs red (0) to blue (1); reversed so that larger differences are red.
  rdbu: (t) => interpolateRdBu(1 - t),
};

/** "#rrggbb" or "rgb(r, g, b)" (the two forms d3 returns) to [r, g, b]. */
export function parseColour(css: string): Rgb {
  if (css.startsWith('#') && css.length === 7) {
    return [parseInt(css.slice(1, 3), 16), parseInt(css.slice(3, 5), 16), parseInt(css.slice(5, 7), 16)];
  }
  const m = /^rgb\((\d+),\s*(\d+),\s*(\d+)\)$/.exec(css);
  if (!m) throw new Error(`unexpected colour ${JSON.stringify(css)} from the colour map`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** The colour map's own colour at t in [0, 1] (no lookup table), for tests and legends. */
export function colourAt(name: ColormapName, t: number): Rgb {
  return parseColour(INTERPOLATORS[name](Math.min(1, Math.max(0, t))));
}

export const LUT_SIZE = 1024;
const luts = new Map<ColormapName, Uint8Array>();

/** [LUT_SIZE, 3] RGB table: entry i is the colour at (i + 0.5) / LUT_SIZE. */
export function colourTable(name: ColormapName): Uint8Array {
  let lut = luts.get(name);
  if (!lut) {
    lut = new Uint8Array(LUT_SIZE * 3);
    for (let i = 0; i < LUT_SIZE; i++) lut.set(colourAt(name, (i + 0.5) / LUT_SIZE), 3 * i);
    luts.set(name, lut);
  }
  return lut;
}

/** Table index of t in [0, 1] (clamped). */
export function lutIndex(t: number): number {
  return Math.min(LUT_SIZE - 1, Math.max(0, Math.floor(t * LUT_SIZE)));
}

export function rgbHex([r, g, b]: Rgb): string {
  return `#${[r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

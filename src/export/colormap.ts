/**
 * The one colour stack of the lab and the CLI: the on-screen heatmap, the 3D surface, and the
 * exported PNG/SVG all colour a cell through this module, so a cell has the same colour in all of
 * them (tested cell for cell: tests/e2e/export.test.ts).
 *
 * Colour maps come from d3-scale-chromatic (perceptually uniform, colour-blind safe): viridis and
 * magma for values, RdBu (diverging) for differences. A 1024-entry lookup table keeps a
 * 512 x 5000 field fast; for viridis and magma (d3 holds them as 256-colour tables) the table
 * gives exactly d3's colour for every value.
 *
 * Cell conventions (src/core/field.ts, src/export/compare.ts):
 * - overflow (the run's overflow flag, or NaN): no colour; drawn with the overflow hatch where
 *   the medium allows (heatmaps), else OVERFLOW_SOLID (the 3D surface's vertex colours);
 * - -Infinity (log10 of an exact zero; in a difference, A exactly zero and B not): the bottom colour;
 * - +Infinity (only in a difference: B exactly zero and A not): the top colour;
 * - finite values outside a fixed range: the end colours (counted as clamped).
 */
import { interpolateMagma, interpolateRdBu, interpolateViridis } from 'd3-scale-chromatic';
import { STATISTICS, type GridName } from '../core/field.ts';
import { CELL_FLAG } from '../core/range.ts';

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

export function rgbCss([r, g, b]: Rgb): string {
  return `rgb(${r}, ${g}, ${b})`;
}

/** CSS linear-gradient of a map from the table, bottom to top by default (colour bars on a page). */
export function cssGradient(name: ColormapName, direction = 'to top'): string {
  const lut = colourTable(name);
  const stops: string[] = [];
  for (let i = 0; i <= 32; i++) {
    const c = 3 * lutIndex(Math.min(i / 32, 1 - 1e-9));
    stops.push(`${rgbCss([lut[c], lut[c + 1], lut[c + 2]])} ${((i / 32) * 100).toFixed(2)}%`);
  }
  return `linear-gradient(${direction}, ${stops.join(', ')})`;
}

// ---------------------------------------------------------------- overflow

/** The overflow hatch: light grey with darker diagonal lines, period and line width in CSS px. */
export const HATCH_BACK: Rgb = [224, 224, 224];
export const HATCH_LINE: Rgb = [150, 150, 150];
export const HATCH_PERIOD = 6;
export const HATCH_WIDTH = 2;

/** Whether device pixel (x, y) at `scale` device px per CSS px lies on a hatch line (stripes up to the right: constant along x + y). */
export function isHatchLine(x: number, y: number, scale: number): boolean {
  return (x + y) % (HATCH_PERIOD * scale) < HATCH_WIDTH * scale;
}

/** Overflow where no hatch can be drawn (the 3D surface's vertex colours): a colour none of the maps uses. */
export const OVERFLOW_SOLID: Rgb = [255, 60, 200];

// ---------------------------------------------------------------- ranges and cells

/** The values mapped to the bottom and the top colour. */
export interface ColourRange {
  min: number;
  max: number;
}

/** What a grid holds, for the auto range: values (finite min..max) or a difference (symmetric about 0, so that white is "no difference"). */
export type RangeKind = 'values' | 'difference';

/** [K, T] values and their overflow flags (1 = undefined). */
export interface FlaggedGrid {
  values: Float64Array;
  overflow: Uint8Array;
}

/** Whether a cell is drawn as overflow: flagged, or NaN (undefined). */
export function isOverflowCell(v: number, flag: number): boolean {
  return flag !== 0 || Number.isNaN(v);
}

/**
 * The auto colour range of one or more grids (A and B share one in compare mode, so their colours
 * mean the same): over the finite, unflagged cells; 0..1 when there are none; a width of 1 around
 * a single value (2 for a difference).
 */
export function autoRange(grids: readonly FlaggedGrid[], kind: RangeKind): ColourRange {
  let lo = Infinity;
  let hi = -Infinity;
  for (const { values, overflow } of grids) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (overflow[i] || !Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!(lo <= hi)) return { min: 0, max: 1 };
  if (kind === 'difference') {
    const m = Math.max(Math.abs(lo), Math.abs(hi));
    return m > 0 ? { min: -m, max: m } : { min: -1, max: 1 };
  }
  return lo < hi ? { min: lo, max: hi } : { min: lo - 0.5, max: hi + 0.5 };
}

/**
 * The sampling noise of a [K, T] grid of means over samples, estimated from the grid itself: the
 * scatter from step to step. Each step draws fresh inputs, so the mean over S samples of a
 * quantity in its steady state wanders from t to t by its standard error, while a real trend
 * (the gradient's decay, a transient) is smooth in t. For white noise of standard deviation
 * sigma, the second difference v[t+1] - 2 v[t] + v[t-1] has standard deviation sigma sqrt(6);
 * its median absolute value over the cells, times 1.4826 (the normal's MAD factor), is robust to
 * the few cells where a trend bends. NaN when no three finite steps in a row exist.
 */
export function samplingNoise(grids: readonly FlaggedGrid[], T: number): number {
  const d: number[] = [];
  for (const { values, overflow } of grids) {
    const K = Math.floor(values.length / T);
    for (let k = 0; k < K; k++) {
      for (let j = 1; j + 1 < T; j++) {
        const i = k * T + j;
        const a = values[i - 1];
        const b = values[i];
        const c = values[i + 1];
        if (overflow[i - 1] || overflow[i] || overflow[i + 1] || !Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(c)) continue;
        d.push(Math.abs(c - 2 * b + a));
      }
    }
  }
  if (d.length === 0) return NaN;
  d.sort((x, y) => x - y);
  const median = d.length % 2 ? d[(d.length - 1) / 2] : (d[d.length / 2 - 1] + d[d.length / 2]) / 2;
  return (1.4826 * median) / Math.sqrt(6);
}

/**
 * How many noise standard deviations an auto colour range spans at least: a difference of two
 * sigma (what sampling alone gives between two cells) is then at most a tenth of the colour bar,
 * and a redraw with another seed moves the colours by about that, not across the whole map.
 */
export const NOISE_SPANS = 20;

/** A colour range and how it was chosen, in words for the legend. */
export interface ChosenRange extends ColourRange {
  /** fixed (the statistic's own), auto (the data's min..max), widened (to NOISE_SPANS sigma), or locked (by the user). */
  rule: 'fixed' | 'auto' | 'widened' | 'locked';
  words: string;
}

/**
 * The colour range of a statistic's grid (of one run, or of A and B together): the statistic's
 * own fixed range where it has one (a fraction: 0..1, so that half looks like half and noise
 * stays small), else the auto range of the values, widened about its middle to NOISE_SPANS times
 * the grid's sampling noise (samplingNoise, over T steps) where it is narrower, so that noise is
 * never stretched over the whole scale.
 */
export function statisticRange(grids: readonly FlaggedGrid[], grid: GridName, T: number): ChosenRange {
  const fixed = STATISTICS[grid].range;
  if (fixed) return { min: fixed[0], max: fixed[1], rule: 'fixed', words: `fixed range ${fixed[0]}..${fixed[1]}` };
  const auto = autoRange(grids, 'values');
  const sigma = samplingNoise(grids, T);
  const span = NOISE_SPANS * sigma;
  if (Number.isFinite(span) && auto.max - auto.min < span) {
    const mid = (auto.min + auto.max) / 2;
    return {
      min: mid - span / 2,
      max: mid + span / 2,
      rule: 'widened',
      words: `range widened to ${NOISE_SPANS}× the sampling noise (σ ≈ ${sigma.toPrecision(2)} from step to step): the data span only ${(auto.max - auto.min).toPrecision(2)}`,
    };
  }
  const noise = Number.isFinite(sigma) ? `; sampling noise σ ≈ ${sigma.toPrecision(2)}` : '';
  return { ...auto, rule: 'auto', words: `auto range: the data's min..max${noise}` };
}

/**
 * A colour range the user locked (or typed): kept as it is across runs, so that a colour means the
 * same value from one run to the next. Refuses anything but two finite numbers with min < max,
 * naming the fields.
 */
export function lockedRange(min: number, max: number): ChosenRange {
  if (!Number.isFinite(min) || !Number.isFinite(max) || !(min < max)) throw new RangeError(`Colour min (${min}) must be a number below Colour max (${max})`);
  return { min, max, rule: 'locked', words: `locked range ${formatRangeEnd(min)}..${formatRangeEnd(max)}: kept as it is across runs (unlock for the auto, noise-aware range)` };
}

/** A range end in a few digits (legends, the hash). */
export function formatRangeEnd(v: number): string {
  return String(Number(v.toPrecision(4)));
}

/** The rule of a colour range in a few words, for legends (the lab's and the figures'). */
export function rangeRuleShort(r: Pick<ChosenRange, 'rule' | 'min' | 'max'>): string {
  if (r.rule === 'locked') return `colours: locked range ${formatRangeEnd(r.min)}..${formatRangeEnd(r.max)}`;
  if (r.rule === 'fixed') return `colours: fixed ${r.min}..${r.max}`;
  return r.rule === 'widened' ? `colours: auto, noise-aware (widened to ${NOISE_SPANS}σ of sampling noise)` : "colours: auto, noise-aware (the data's min..max)";
}

/** Cells that are not drawn as their plain value, for legends. */
export interface CellCounts {
  /** Cells drawn as flagged (hatched): flagged of either kind, or NaN. */
  overflow: number;
  /** Of those, the cells whose flag has the range bit (src/core/range.ts): out of the engine's range. */
  outOfRange: number;
  /** Of those, the cells with the overflow bit, or NaN without a flag (a cell of both kinds counts in both). */
  overflowKind: number;
  negativeInfinity: number;
  positiveInfinity: number;
  /** Finite values outside the range, drawn at its ends. */
  clamped: number;
}

export function countCells(grid: FlaggedGrid, range: ColourRange): CellCounts {
  const counts: CellCounts = { overflow: 0, outOfRange: 0, overflowKind: 0, negativeInfinity: 0, positiveInfinity: 0, clamped: 0 };
  const { values, overflow } = grid;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isOverflowCell(v, overflow[i])) {
      counts.overflow++;
      if (overflow[i] & CELL_FLAG.range) counts.outOfRange++;
      if (overflow[i] & CELL_FLAG.overflow || !(overflow[i] & CELL_FLAG.range)) counts.overflowKind++;
    }
    else if (v === -Infinity) counts.negativeInfinity++;
    else if (v === Infinity) counts.positiveInfinity++;
    else if (v < range.min || v > range.max) counts.clamped++;
  }
  return counts;
}

/**
 * The legend's words for the flagged (hatched) cells of a grid, one entry per kind present
 * (src/core/range.ts): the cells out of the engine's range, and the rest (overflow, or NaN).
 */
export function flaggedWords(counts: Pick<CellCounts, 'overflowKind' | 'outOfRange'>): string[] {
  const out: string[] = [];
  if (counts.overflowKind > 0) out.push(`overflow: forward pass not finite, value undefined (${counts.overflowKind} cells)`);
  if (counts.outOfRange > 0) out.push(`out of range: the state left the engine's number range (float32: below 1e-30), not computed (${counts.outOfRange} cells)`);
  return out;
}

/** The flagged kinds present, in a few words, for legends that cannot hatch (the 3D surface, the slice marks). */
export function flaggedShort(counts: Pick<CellCounts, 'overflowKind' | 'outOfRange'>): string {
  const kinds: string[] = [];
  if (counts.overflowKind > 0) kinds.push('overflow (forward pass not finite)');
  if (counts.outOfRange > 0) kinds.push("out of range (state beyond the engine's numbers, not computed)");
  return kinds.join(' / ');
}

/** Position of a defined value on the colour bar, 0..1 (clamped; -Infinity at 0, +Infinity at 1). */
export function rangePosition(v: number, range: ColourRange): number {
  if (v === -Infinity) return 0;
  if (v === Infinity) return 1;
  return Math.min(1, Math.max(0, (v - range.min) / (range.max - range.min)));
}

/** RGB bytes of cell value v into out[off..off+3); false (out untouched) for an overflow cell, which the caller hatches. */
export function cellColourInto(
  out: { [i: number]: number },
  off: number,
  v: number,
  flag: number,
  range: ColourRange,
  colormap: ColormapName,
): boolean {
  if (isOverflowCell(v, flag)) return false;
  const lut = colourTable(colormap);
  const i = 3 * lutIndex(rangePosition(v, range));
  out[off] = lut[i];
  out[off + 1] = lut[i + 1];
  out[off + 2] = lut[i + 2];
  return true;
}

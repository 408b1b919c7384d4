/**
 * The heatmap figure as a scene: every rectangle, line and label with its position in CSS px
 * (scale 1). The raster (PNG) and SVG writers draw the same scene, so the two files show the
 * same figure. Layout: t runs left to right (cell column j = timestep t = j + 1), rho bottom to
 * top (row k = rho_k); a colour bar with its label on the right; the config in the title; a
 * legend under the axis naming the rho = 1 line, overflow cells and clamped values.
 */
import { activationTitle } from '../core/activations.ts';
import { sweepAxis, type Config } from '../core/config.ts';
import { STATISTICS, type GradientField, type GridName } from '../core/field.ts';
import { CELL_FLAG } from '../core/range.ts';
import { autoRange, cellColourInto, colourTable, countCells, flaggedWords, formatRangeEnd, rangeRuleShort, statisticRange, lutIndex, type CellCounts, type ColormapName, type ColourRange, type Rgb } from './colormap.ts';
import type { FigureFont, TextAngle } from './font.ts';
import { formatTick, niceTicks, stepTicks } from './ticks.ts';

export const SCALES = [1, 2, 4] as const;
export type Scale = (typeof SCALES)[number];

export interface HeatmapOptions {
  /** Which grid of the field to draw. */
  grid: GridName;
  /** Pixel density of the PNG: 1x, 2x or 4x the figure's CSS size (default 1). */
  scale?: Scale;
  /** viridis (default), magma, or rdbu (diverging; the default in difference mode). */
  colormap?: ColormapName;
  /** 'auto' (default): the finite values' min..max (saturation: 0..1; difference: symmetric about 0), or a fixed range. */
  range?: 'auto' | { min: number; max: number };
  /** The legend's words for a given range (the lab: "colours: locked range a..b"); default "colours: range a..b as given". */
  rangeWords?: string;
  /** Compare mode: draw this ready [K, T] difference grid instead of field[grid], with this colour-bar label. */
  difference?: { values: Float64Array; label: string };
  /** Size of the plot area in CSS px (default 600 x 360). */
  plotWidth?: number;
  plotHeight?: number;
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export type Item =
  | { kind: 'rect'; box: Box; fill: Rgb }
  /** The overflow pattern: light grey with dark diagonal hatching. */
  | { kind: 'hatch'; box: Box }
  /** The heatmap cells, filling the box. */
  | { kind: 'cells'; box: Box }
  /** The colour map from range min (bottom) to max (top). */
  | { kind: 'colorbar'; box: Box }
  /** A horizontal dashed line at y from x0 to x1. */
  | { kind: 'dash'; x0: number; x1: number; y: number; thickness: number; on: number; off: number; colour: Rgb }
  | { kind: 'text'; x: number; y: number; text: string; size: number; anchor: 'start' | 'middle' | 'end'; angle: TextAngle; colour: Rgb };

/** What was drawn and how, for writers, tests and the UI. */
export interface HeatmapScene {
  /** Figure size in CSS px (scale 1). */
  width: number;
  height: number;
  scale: Scale;
  plot: Box;
  colorbar: Box;
  K: number;
  T: number;
  /** [K, T] the values drawn (field[grid] or the difference), row k = rho_k, column j = t - 1. */
  values: Float64Array;
  /** [K, T] 1 where the cell is drawn as overflow. */
  overflow: Uint8Array;
  colormap: ColormapName;
  range: ColourRange;
  colourBarLabel: string;
  counts: CellCounts;
  items: Item[];
}

export const INK: Rgb = [34, 34, 34];
const FRAME: Rgb = [68, 68, 68];
const WHITE: Rgb = [255, 255, 255];
/** Figure typography and spacing in CSS px, shared by every figure (heatmap, slice, derivative panel). */
export const PAD = 12;
export const TITLE = 13;
export const SUBTITLE = 10;
export const TICK_TEXT = 10;
export const LABEL = 11;
export const TICK = 4;
/** A font's ascent as a fraction of its size (the figures' vertical text placement). */
export const ascent = (size: number) => 0.76 * size;

/** Labels in figure typography: log10 -> log₁₀, || -> ‖, h_t -> hₜ, ||.||_F -> ‖.‖ (Frobenius), rho -> ρ, phi -> φ. */
export function prettyLabel(s: string): string {
  return s
    .replace(/log10/g, 'log\u2081\u2080')
    .replace(/\|\|_F/g, '\u2016 (Frobenius)')
    .replace(/_t\b/g, '\u209c')
    .replace(/\|\|/g, '\u2016')
    .replace(/\brho\b/g, '\u03c1')
    .replace(/\bphi\b/g, '\u03c6');
}

/** The config in words for the title: the activation, init, N, T, S and seed, then the rest. */
export function configTitle(config: Config): { title: string; subtitle: string } {
  const act = activationTitle(config.activation, config);
  const title = `${act} \u00b7 ${config.init} W\u2080 \u00b7 N = ${config.hidden} \u00b7 T = ${config.steps} \u00b7 S = ${config.samples} \u00b7 seed ${config.seed}`;
  const norm = config.normalize === 'radius' ? 'spectral radius' : 'spectral norm';
  const rhos = config.rhoCount === 1 ? `\u03c1 = ${config.rhoMin}` : `\u03c1 ${config.rhoMin}\u2013${config.rhoMax} (K = ${config.rhoCount})`;
  const inputs = config.inputs === 'zero-after' ? `noise until t = ${config.inputUntil}` : config.inputs;
  const subtitle =
    `W = \u03c1 W\u2080, W\u2080 at ${norm} 1 \u00b7 ${rhos} \u00b7 ` +
    `D = ${config.input}, inputs ${inputs} (scale ${config.inputScale}), bias ${config.biasScale}, h\u2080 ${config.h0}`;
  return { title, subtitle };
}

/** The colour range the options ask for, resolved against the data (colormap.ts's for 'auto': the lab's on-screen range too). */
function resolveRange(values: Float64Array, overflow: Uint8Array, T: number, opts: HeatmapOptions): ColourRange & { words: string } {
  if (opts.range && opts.range !== 'auto') {
    const { min, max } = opts.range;
    if (!Number.isFinite(min) || !Number.isFinite(max) || !(min < max)) {
      throw new RangeError(`the colour range ${min}..${max} is not a range; give two finite numbers, min < max`);
    }
    return { min, max, words: opts.rangeWords ?? `colours: range ${formatRangeEnd(min)}..${formatRangeEnd(max)} as given` };
  }
  const grids = [{ values, overflow }];
  if (opts.difference) return { ...autoRange(grids, 'difference'), words: 'colours: symmetric about 0, to the largest |difference|' };
  const chosen = statisticRange(grids, opts.grid, T);
  return { min: chosen.min, max: chosen.max, words: rangeRuleShort(chosen) };
}

/**
 * Colour of cell i as an RGB triple into `out`, or false for an overflow (hatched) cell
 * (colormap.ts's cellColourInto: the same colour the lab's heatmap gives the cell).
 */
export function cellColour(scene: HeatmapScene, i: number, out: number[]): boolean {
  return cellColourInto(out, 0, scene.values[i], scene.overflow[i], scene.range, scene.colormap);
}

/** Where rho sits on the plot's vertical axis (row k's centre is rho_k), in CSS px. */
function rhoToY(plot: Box, field: GradientField, rho: number): number {
  const K = field.K;
  if (K === 1) return plot.y + plot.h / 2;
  const step = (field.rho[K - 1] - field.rho[0]) / (K - 1);
  const k = (rho - field.rho[0]) / step;
  return plot.y + plot.h - ((k + 0.5) / K) * plot.h;
}

/** Where timestep t sits on the horizontal axis (column j = t - 1, centred), in CSS px. */
function tToX(plot: Box, T: number, t: number): number {
  return plot.x + ((t - 0.5) / T) * plot.w;
}

export function buildHeatmapScene(field: GradientField, font: FigureFont, opts: HeatmapOptions): HeatmapScene {
  const { K, T, config } = field;
  const scale = opts.scale ?? 1;
  if (!(SCALES as readonly number[]).includes(scale)) throw new RangeError(`scale ${scale} is not one of ${SCALES.join(', ')}`);
  const values = opts.difference ? opts.difference.values : field.grids[opts.grid];
  if (values.length !== K * T) throw new RangeError(`the grid has ${values.length} values; expected K x T = ${K * T}`);
  const colormap = opts.colormap ?? (opts.difference ? 'rdbu' : 'viridis');
  // NaN means "undefined because of overflow" (field.ts): drawn with the overflow pattern too.
  const overflow = new Uint8Array(K * T);
  // The cell flag's bits are kept (the legend names each kind); an unflagged NaN counts as overflow.
  for (let i = 0; i < K * T; i++) overflow[i] = field.overflow[i] || (Number.isNaN(values[i]) ? CELL_FLAG.overflow : 0);
  const range = resolveRange(values, field.overflow, field.T, opts);
  const counts = countCells({ values, overflow }, range);
  const colourBarLabel = opts.difference ? prettyLabel(opts.difference.label) : prettyLabel(STATISTICS[opts.grid].label);
  const plotW = opts.plotWidth ?? 600;
  const plotH = opts.plotHeight ?? 360;
  const items: Item[] = [];
  const text = (x: number, y: number, s: string, size: number, anchor: 'start' | 'middle' | 'end' = 'start', angle: TextAngle = 0, colour: Rgb = INK) =>
    items.push({ kind: 'text', x, y, text: s, size, anchor, angle, colour });

  // Ticks first: their label widths set the left margin.
  const rhoTicks = K === 1 ? { values: [field.rho[0]], step: 0.1 } : niceTicks(field.rho[0], field.rho[K - 1], 6);
  const rhoLabels = rhoTicks.values.map((v) => formatTick(v, rhoTicks.step));
  const rhoLabelW = Math.max(...rhoLabels.map((s) => font.measure(s, TICK_TEXT)));
  const tTicks = stepTicks(T, 8);
  const cbTicks = niceTicks(range.min, range.max, 6);
  const cbLabels = cbTicks.values.map((v) => formatTick(v, cbTicks.step));
  const cbLabelW = Math.max(...cbLabels.map((s) => font.measure(s, TICK_TEXT)));

  const plot: Box = { x: PAD + ascent(LABEL) + 0.24 * LABEL + 8 + rhoLabelW + 3 + TICK, y: 0, w: plotW, h: plotH };
  const described = configTitle(config);
  // A difference figure says what it draws ("tanh − relu, log10 ‖dL/dh_t‖"), then the config
  // A and B share (everything but the activation, which the difference names).
  const title = opts.difference
    ? `${colourBarLabel} \u00b7 ${described.title.split(' \u00b7 ').slice(1).join(' \u00b7 ')}`
    : described.title;
  const subtitle = described.subtitle;
  const titleBase = PAD + ascent(TITLE);
  const subBase = titleBase + 16;
  plot.y = subBase + 14;
  const colorbar: Box = { x: plot.x + plot.w + 18, y: plot.y, w: 14, h: plot.h };
  const cbLabelBase = colorbar.x + colorbar.w + TICK + 3 + cbLabelW + 8 + ascent(LABEL);
  let width = Math.ceil(cbLabelBase + 0.24 * LABEL + PAD);
  width = Math.max(width, Math.ceil(plot.x + Math.max(font.measure(title, TITLE), font.measure(subtitle, SUBTITLE)) + PAD));

  // Title and subtitle, left-aligned with the plot.
  text(plot.x, titleBase, title, TITLE);
  text(plot.x, subBase, subtitle, SUBTITLE, 'start', 0, [85, 85, 85]);

  // Cells, then the rho = 1 line over them, then the frame.
  items.push({ kind: 'cells', box: plot });
  const hasRhoOne = K > 1 && field.rho[0] <= 1 && 1 <= field.rho[K - 1];
  // White shows on viridis and magma (dark at the low end, where rho < 1 usually sits); the
  // diverging map is near white around zero, so its line is dark.
  const lineColour = colormap === 'rdbu' ? INK : WHITE;
  if (hasRhoOne) {
    const y = rhoToY(plot, field, 1);
    items.push({ kind: 'dash', x0: plot.x, x1: plot.x + plot.w, y, thickness: 1.5, on: 6, off: 4, colour: lineColour });
  }
  const line = 1;
  items.push({ kind: 'rect', box: { x: plot.x - line, y: plot.y - line, w: plot.w + 2 * line, h: line }, fill: FRAME });
  items.push({ kind: 'rect', box: { x: plot.x - line, y: plot.y + plot.h, w: plot.w + 2 * line, h: line }, fill: FRAME });
  items.push({ kind: 'rect', box: { x: plot.x - line, y: plot.y, w: line, h: plot.h }, fill: FRAME });
  items.push({ kind: 'rect', box: { x: plot.x + plot.w, y: plot.y, w: line, h: plot.h }, fill: FRAME });

  // rho axis: ticks out to the left, labels right-aligned, the axis label reading upward.
  rhoTicks.values.forEach((v, i) => {
    const y = rhoToY(plot, field, v);
    items.push({ kind: 'rect', box: { x: plot.x - line - TICK, y: y - 0.5, w: TICK, h: 1 }, fill: FRAME });
    text(plot.x - line - TICK - 3, y + ascent(TICK_TEXT) / 2, rhoLabels[i], TICK_TEXT, 'end');
  });
  text(PAD + ascent(LABEL), plot.y + plot.h / 2, sweepAxis(field.config).words, LABEL, 'middle', -90);

  // t axis: ticks down, labels centred, axis label under them.
  const tLabelBase = plot.y + plot.h + line + TICK + 3 + ascent(TICK_TEXT);
  for (const { value, label } of tTicks) {
    const x = tToX(plot, T, value);
    items.push({ kind: 'rect', box: { x: x - 0.5, y: plot.y + plot.h + line, w: 1, h: TICK }, fill: FRAME });
    text(x, tLabelBase, label, TICK_TEXT, 'middle');
  }
  const xLabelBase = tLabelBase + 17;
  text(plot.x + plot.w / 2, xLabelBase, 'time step t', LABEL, 'middle');

  // Colour bar, its ticks on the right, its label reading upward.
  items.push({ kind: 'colorbar', box: colorbar });
  items.push({ kind: 'rect', box: { x: colorbar.x - line, y: colorbar.y - line, w: colorbar.w + 2 * line, h: line }, fill: FRAME });
  items.push({ kind: 'rect', box: { x: colorbar.x - line, y: colorbar.y + colorbar.h, w: colorbar.w + 2 * line, h: line }, fill: FRAME });
  items.push({ kind: 'rect', box: { x: colorbar.x - line, y: colorbar.y, w: line, h: colorbar.h }, fill: FRAME });
  items.push({ kind: 'rect', box: { x: colorbar.x + colorbar.w, y: colorbar.y, w: line, h: colorbar.h }, fill: FRAME });
  cbTicks.values.forEach((v, i) => {
    const y = colorbar.y + colorbar.h - ((v - range.min) / (range.max - range.min)) * colorbar.h;
    items.push({ kind: 'rect', box: { x: colorbar.x + colorbar.w + line, y: y - 0.5, w: TICK, h: 1 }, fill: FRAME });
    text(colorbar.x + colorbar.w + line + TICK + 3, y + ascent(TICK_TEXT) / 2, cbLabels[i], TICK_TEXT, 'start');
  });
  text(cbLabelBase, colorbar.y + colorbar.h / 2, colourBarLabel, LABEL, 'middle', -90);

  // Legend: one row of swatches and words under the t axis label, wrapping when needed.
  const legend: { swatch: 'dash' | 'hatch' | 'none'; words: string }[] = [];
  if (hasRhoOne) legend.push({ swatch: 'dash', words: '\u03c1 = 1' });
  if (counts.overflow > 0 && opts.difference) legend.push({ swatch: 'hatch', words: `undefined: overflow or out of range in A or B (${counts.overflow} cells)` });
  else for (const words of flaggedWords(counts)) legend.push({ swatch: 'hatch', words });
  if (opts.difference) {
    const infinite = counts.negativeInfinity + counts.positiveInfinity;
    if (infinite > 0) legend.push({ swatch: 'none', words: `${infinite} cells exactly zero in one run only (infinite difference) drawn at the range ends` });
  } else if (counts.negativeInfinity > 0) {
    legend.push({ swatch: 'none', words: `exact zero (log\u2081\u2080 0 = \u2212\u221e) drawn at the range minimum (${counts.negativeInfinity} cells)` });
  }
  if (counts.clamped > 0) legend.push({ swatch: 'none', words: `${counts.clamped} cells outside the colour range drawn at its ends` });
  // How the colour range was chosen: locked (or given), auto and noise-aware, or the statistic's own.
  legend.push({ swatch: 'none', words: range.words });
  let lx = plot.x;
  let ly = xLabelBase + 20;
  const SW = 22;
  for (const entry of legend) {
    const w = (entry.swatch === 'none' ? 0 : SW + 6) + font.measure(entry.words, TICK_TEXT);
    if (lx > plot.x && lx + w > width - PAD) {
      lx = plot.x;
      ly += 16;
    }
    const sw: Box = { x: lx, y: ly - 8.5, w: SW, h: 10 };
    if (entry.swatch === 'dash') {
      const mid = colourTable(colormap);
      const c = 3 * lutIndex(0.5);
      items.push({ kind: 'rect', box: sw, fill: [mid[c], mid[c + 1], mid[c + 2]] });
      items.push({ kind: 'dash', x0: sw.x + 1, x1: sw.x + sw.w, y: sw.y + sw.h / 2, thickness: 1.5, on: 6, off: 4, colour: lineColour });
    } else if (entry.swatch === 'hatch') {
      items.push({ kind: 'hatch', box: sw });
    }
    if (entry.swatch !== 'none') lx += SW + 6;
    text(lx, ly, entry.words, TICK_TEXT);
    lx += font.measure(entry.words, TICK_TEXT) + 18;
  }
  const height = Math.ceil((legend.length > 0 ? ly : xLabelBase) + 4 + PAD);
  return { width, height, scale, plot, colorbar, K, T, values, overflow, colormap, range, colourBarLabel, counts, items };
}

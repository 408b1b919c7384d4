/**
 * The slice chart as a figure (chart.ts scene -> PNG or SVG): the field at one rho against t,
 * log10 ||dL/dh_t|| with its +-1 std band, log10 ||h_t||, and the theory curves (linear
 * prediction, Pascanu bound, mean field) that are switched on in the lab, with title, axes and
 * a legend naming each drawn curve. The same rules as <lab-slice>: the measured curves set the
 * y range (theory widens it by at most half their span each way); overflow steps are marked
 * at the top and never drawn as numbers; exact zeros (-Infinity) are pinned to the bottom edge
 * and the legend says so.
 */
import { sweepAxis, type Config } from '../core/config.ts';
import { gridRow, nearestRhoIndex, type GradientField } from '../core/field.ts';
import { meanFieldApplicability, meanFieldRow } from '../core/meanfield.ts';
import { flaggedStepsText, flagKinds, noGradientText } from '../core/range.ts';
import { theoryRow } from '../core/theory.ts';
import { clipPolyline, type ChartItem, type ChartScene } from './chart.ts';
import { OVERFLOW_SOLID, type Rgb } from './colormap.ts';
import { configTitle, prettyLabel, SCALES, type Box, type Scale } from './figure.ts';
import type { FigureFont } from './font.ts';
import { labelledTicks, stepTicks } from './ticks.ts';

/** What the slice chart draws (the lab's SliceData has this shape). */
export interface SliceFigureData {
  T: number;
  rho: number;
  /** [T] each, index j = t - 1. */
  grad: Float64Array;
  gradStd: Float64Array;
  overflow: Uint8Array;
  hidden: Float64Array;
  linear: Float64Array;
  pascanu: Float64Array;
  meanField: Float64Array | null;
  /** [T] the measured rms over samples (gradLog10Rms): what mean field predicts, drawn beside it; absent in older data. */
  gradRms?: Float64Array;
  meanFieldNote: string;
  labelA: string;
  /** The swept axis's symbol (ρ, or |λ₁| for the outlier axis); ρ when absent. */
  axis?: string;
  /** [T] the fraction of samples whose gradient is exactly 0 (left out of grad's mean); absent in older data. */
  gradZero?: Float64Array;
  gradZeroB?: Float64Array | null;
  gradB: Float64Array | null;
  overflowB: Uint8Array | null;
  labelB: string;
}

/** Which optional curves are drawn (the lab's legend toggles). */
export interface SliceOverlays {
  std: boolean;
  hidden: boolean;
  linear: boolean;
  pascanu: boolean;
  meanfield: boolean;
}

export const DEFAULT_OVERLAYS: SliceOverlays = { std: true, hidden: false, linear: true, pascanu: true, meanfield: true };

export interface SliceFigureOptions {
  scale?: Scale;
  overlays?: SliceOverlays;
  /** Plot area in CSS px (default 600 x 320). */
  plotWidth?: number;
  plotHeight?: number;
}

/** The lab's series colours (index.html's light theme) and the theory colours of <lab-slice>. */
export const SLICE_COLOURS: Record<'grad' | 'gradB' | 'hidden' | 'linear' | 'pascanu' | 'meanfield' | 'rms', Rgb> = {
  grad: [45, 95, 211],
  gradB: [224, 98, 27],
  hidden: [46, 158, 106],
  linear: [138, 143, 152],
  pascanu: [217, 83, 79],
  meanfield: [230, 159, 0],
  rms: [230, 159, 0],
};
const DASH = { linear: [6, 4], pascanu: [2, 3], meanfield: [9, 3, 2, 3] };
/** The overlay keys that are theory, not measurement (they may widen the y range only so far). */
export const THEORY_KEYS: ReadonlySet<string> = new Set(['linear', 'pascanu', 'meanfield']);

/** The slice of a field at the grid rho nearest `rho`, with its theory rows (as the lab derives it). */
export function sliceFromField(a: GradientField, b: GradientField | null, rho: number): SliceFigureData {
  const k = nearestRhoIndex(a.rho, rho);
  const theory = theoryRow(a.config, a.rho[k], a.spectrum.norm);
  const mf = meanFieldApplicability(a.config, a.spectrum.meanSquare);
  const row = (g: Float64Array) => gridRow(g, a.T, k);
  return {
    T: a.T,
    rho: a.rho[k],
    grad: row(a.grids.gradLog10Mean),
    gradStd: row(a.grids.gradLog10Std),
    overflow: a.overflow.subarray(k * a.T, (k + 1) * a.T),
    hidden: row(a.grids.hiddenLog10Mean),
    linear: theory.linear,
    pascanu: theory.pascanu,
    meanField: mf.applies ? meanFieldRow(a.config, a.rho[k], a.spectrum.meanSquare).gradLog10 : null,
    gradRms: row(a.grids.gradLog10Rms),
    meanFieldNote: mf.note,
    labelA: `log10 ||dL/dh_t||, ${a.config.activation}`,
    axis: sweepAxis(a.config).symbol,
    gradZero: row(a.grids.gradZeroFraction),
    gradZeroB: b ? gridRow(b.grids.gradZeroFraction, b.T, k) : null,
    gradB: b ? gridRow(b.grids.gradLog10Mean, b.T, k) : null,
    overflowB: b ? b.overflow.subarray(k * b.T, (k + 1) * b.T) : null,
    labelB: b ? `log10 ||dL/dh_t||, ${b.config.activation}` : '',
  };
}

interface Series {
  key: keyof typeof SLICE_COLOURS;
  values: Float64Array;
  overflow?: Uint8Array;
  width: number;
  label: string;
}

function seriesOf(d: SliceFigureData, o: SliceOverlays): Series[] {
  const out: Series[] = [];
  if (o.linear) out.push({ key: 'linear', values: d.linear, width: 1.5, label: 'linear theory (T\u2212t)\u00b7log\u2081\u2080 \u03c1' });
  if (o.pascanu) out.push({ key: 'pascanu', values: d.pascanu, width: 1.5, label: 'Pascanu bound' });
  // Mean field predicts E ||dL/dh_t||^2: drawn with the measured rms over samples it should lie on.
  if (o.meanfield && d.meanField) {
    out.push({ key: 'meanfield', values: d.meanField, width: 2, label: 'mean field \u03a3\u00bd\u00b7log\u2081\u2080 \u03c7\u209b (predicts the rms)' });
    if (d.gradRms) out.push({ key: 'rms', values: d.gradRms, overflow: d.overflow, width: 1.2, label: 'measured rms over samples, \u00bd\u00b7log\u2081\u2080 mean \u2016dL/dh\u209c\u2016\u00b2' });
  }
  if (o.hidden) out.push({ key: 'hidden', values: d.hidden, overflow: d.overflow, width: 1.5, label: 'log\u2081\u2080 \u2016h\u209c\u2016' });
  if (d.gradB) out.push({ key: 'gradB', values: d.gradB, overflow: d.overflowB ?? undefined, width: 2, label: prettyLabel(d.labelB) });
  out.push({ key: 'grad', values: d.grad, overflow: d.overflow, width: 2.2, label: prettyLabel(d.labelA) });
  return out;
}

/** <lab-slice>'s y range: the measured curves decide; theory may widen it by at most half the measured span each way. */
export function sliceYRange(d: Pick<SliceFigureData, 'T' | 'gradStd'>, series: { key: string; values: Float64Array; overflow?: Uint8Array }[], std: boolean): { lo: number; hi: number } {
  let lo = Infinity, hi = -Infinity, tlo = Infinity, thi = -Infinity;
  for (const s of series) {
    const theory = THEORY_KEYS.has(s.key);
    for (let j = 0; j < d.T; j++) {
      const v = s.values[j];
      if (!Number.isFinite(v) || s.overflow?.[j]) continue;
      let a = v;
      let b = v;
      if (s.key === 'grad' && std && Number.isFinite(d.gradStd[j])) {
        a = v - d.gradStd[j];
        b = v + d.gradStd[j];
      }
      if (theory) {
        tlo = Math.min(tlo, a);
        thi = Math.max(thi, b);
      } else {
        lo = Math.min(lo, a);
        hi = Math.max(hi, b);
      }
    }
  }
  if (lo > hi) {
    lo = tlo > thi ? -1 : tlo;
    hi = tlo > thi ? 1 : thi;
  } else if (tlo <= thi) {
    const span = Math.max(hi - lo, 1);
    lo = Math.min(lo, Math.max(tlo, lo - span / 2));
    hi = Math.max(hi, Math.min(thi, hi + span / 2));
  }
  if (hi - lo < 1e-6) {
    lo -= 0.5;
    hi += 0.5;
  }
  const pad = (hi - lo) * 0.05;
  return { lo: lo - pad, hi: hi + pad };
}

export const INK: Rgb = [34, 34, 34];
export const MUTED: Rgb = [85, 85, 85];
export const GRID: Rgb = [225, 225, 225];
export const FRAME: Rgb = [68, 68, 68];
const PAD = 12;
const TITLE = 13;
const SUBTITLE = 10;
const TICK_TEXT = 10;
const LABEL = 11;
const TICK = 4;
const ascent = (size: number) => 0.76 * size;

/** Frame, title lines and legend helpers shared by the slice and spectrum figures. */
export interface Frame {
  items: ChartItem[];
  text(x: number, y: number, s: string, size: number, anchor?: 'start' | 'middle' | 'end', angle?: 0 | -90, colour?: Rgb): void;
  /** Lay out a legend (swatch + words) in rows from (x, y), wrapping at maxX; returns the last row's baseline. */
  legend(entries: { swatch: ((box: Box) => void) | null; words: string }[], x: number, y: number, maxX: number, font: FigureFont): number;
}

export function frame(): Frame {
  const items: ChartItem[] = [];
  const text: Frame['text'] = (x, y, s, size, anchor = 'start', angle = 0, colour = INK) => items.push({ kind: 'text', x, y, text: s, size, anchor, angle, colour });
  return {
    items,
    text,
    legend(entries, x0, y, maxX, font) {
      let x = x0;
      const SW = 22;
      for (const e of entries) {
        const w = (e.swatch ? SW + 6 : 0) + font.measure(e.words, TICK_TEXT);
        if (x > x0 && x + w > maxX) {
          x = x0;
          y += 16;
        }
        if (e.swatch) {
          e.swatch({ x, y: y - 8.5, w: SW, h: 10 });
          x += SW + 6;
        }
        text(x, y, e.words, TICK_TEXT);
        x += font.measure(e.words, TICK_TEXT) + 18;
      }
      return y;
    },
  };
}

/** Frame lines of a box (1 px outside it). */
export function boxFrame(items: ChartItem[], b: Box): void {
  items.push({ kind: 'rect', box: { x: b.x - 1, y: b.y - 1, w: b.w + 2, h: 1 }, fill: FRAME });
  items.push({ kind: 'rect', box: { x: b.x - 1, y: b.y + b.h, w: b.w + 2, h: 1 }, fill: FRAME });
  items.push({ kind: 'rect', box: { x: b.x - 1, y: b.y, w: 1, h: b.h }, fill: FRAME });
  items.push({ kind: 'rect', box: { x: b.x + b.w, y: b.y, w: 1, h: b.h }, fill: FRAME });
}

export function checkScale(scale: number): Scale {
  if (!(SCALES as readonly number[]).includes(scale)) throw new RangeError(`scale ${scale} is not one of ${SCALES.join(', ')}`);
  return scale as Scale;
}

/** What the slice figure drew where, for writers and tests. */
export interface SliceScene extends ChartScene {
  /** The y range of the plot (log10 units), bottom to top. */
  yRange: { lo: number; hi: number };
  /** CSS-px position of step t and of a log10 value. */
  xOfT(t: number): number;
  yOf(v: number): number;
  /** The series drawn, in drawing order. */
  drawn: string[];
}

export function buildSliceScene(d: SliceFigureData, config: Config, font: FigureFont, opts: SliceFigureOptions = {}): SliceScene {
  const scale = checkScale(opts.scale ?? 1);
  const o = opts.overlays ?? DEFAULT_OVERLAYS;
  const series = seriesOf(d, o);
  const yr = sliceYRange(d, series, o.std);
  const f = frame();
  const { items, text } = f;
  const yt = labelledTicks(yr.lo, yr.hi, 6);
  const xt = stepTicks(d.T, 8);
  const yLabelW = Math.max(...yt.map((t) => font.measure(t.label, TICK_TEXT)));
  const described = configTitle(config);
  const title = `Slice at ${d.axis ?? '\u03c1'} = ${d.rho.toFixed(3)} \u00b7 ${described.title}`;
  const plot: Box = { x: PAD + ascent(LABEL) + 0.24 * LABEL + 8 + yLabelW + 3 + TICK, y: 0, w: opts.plotWidth ?? 600, h: opts.plotHeight ?? 320 };
  const titleBase = PAD + ascent(TITLE);
  const subBase = titleBase + 16;
  plot.y = subBase + 14;
  const width = Math.ceil(Math.max(plot.x + plot.w + PAD + 8, plot.x + Math.max(font.measure(title, TITLE), font.measure(described.subtitle, SUBTITLE)) + PAD));
  text(plot.x, titleBase, title, TITLE);
  text(plot.x, subBase, described.subtitle, SUBTITLE, 'start', 0, MUTED);

  const xOfT = (t: number) => plot.x + (d.T <= 1 ? plot.w / 2 : ((t - 1) / (d.T - 1)) * plot.w);
  const yOf = (v: number) => plot.y + plot.h - ((v - yr.lo) / (yr.hi - yr.lo)) * plot.h;
  const bottom = plot.y + plot.h;

  // Grid lines and y tick labels, then the t ticks.
  for (const t of yt) {
    const y = yOf(t.value);
    items.push({ kind: 'rect', box: { x: plot.x, y: y - 0.5, w: plot.w, h: 1 }, fill: GRID });
    items.push({ kind: 'rect', box: { x: plot.x - 1 - TICK, y: y - 0.5, w: TICK, h: 1 }, fill: FRAME });
    text(plot.x - 1 - TICK - 3, y + ascent(TICK_TEXT) / 2, t.label, TICK_TEXT, 'end');
  }
  const tLabelBase = bottom + 1 + TICK + 3 + ascent(TICK_TEXT);
  for (const t of xt) {
    const x = xOfT(t.value);
    items.push({ kind: 'rect', box: { x: x - 0.5, y: bottom + 1, w: 1, h: TICK }, fill: FRAME });
    text(x, tLabelBase, t.label, TICK_TEXT, 'middle');
  }
  const xLabelBase = tLabelBase + 17;
  text(plot.x + plot.w / 2, xLabelBase, 'time step t', LABEL, 'middle');
  text(PAD + ascent(LABEL), plot.y + plot.h / 2, 'log\u2081\u2080 norm', LABEL, 'middle', -90);

  // The +-1 std band: one polygon per run of steps where mean and std are finite.
  let hasZero = false;
  let hasOverflow = false;
  if (o.std) {
    let up: number[] = [];
    let down: number[] = [];
    const flush = () => {
      if (up.length >= 4) {
        const pts = [...up];
        for (let i = down.length - 2; i >= 0; i -= 2) pts.push(down[i], down[i + 1]);
        // Clamp to the plot: the band is translucent, a clamped edge reads as "beyond the range".
        for (let i = 1; i < pts.length; i += 2) pts[i] = Math.min(bottom, Math.max(plot.y, pts[i]));
        items.push({ kind: 'polygon', points: pts, fill: SLICE_COLOURS.grad, opacity: 0.2 });
      }
      up = [];
      down = [];
    };
    for (let j = 0; j < d.T; j++) {
      const m = d.grad[j];
      const s = d.gradStd[j];
      if (d.overflow[j] || !Number.isFinite(m) || !Number.isFinite(s)) {
        flush();
        continue;
      }
      up.push(xOfT(j + 1), yOf(m + s));
      down.push(xOfT(j + 1), yOf(m - s));
    }
    flush();
  }
  for (const s of series) {
    let pts: number[] = [];
    const runs: number[][] = [];
    for (let j = 0; j < d.T; j++) {
      const v = s.values[j];
      if (!THEORY_KEYS.has(s.key)) {
        if (v === -Infinity) hasZero = true;
        if (s.overflow?.[j] || Number.isNaN(v)) hasOverflow = true;
      }
      if (s.overflow?.[j] || Number.isNaN(v) || v === Infinity) {
        if (pts.length > 0) runs.push(pts);
        pts = [];
        continue;
      }
      // -Infinity (exact zero) is pinned to the bottom edge.
      pts.push(xOfT(j + 1), v === -Infinity ? bottom : yOf(v));
    }
    if (pts.length > 0) runs.push(pts);
    const clip: Box = { x: plot.x, y: plot.y - 1, w: plot.w, h: plot.h + 2 };
    for (const run of runs) {
      if (run.length === 2) {
        // A lone finite step between overflows: a dot, so it is not lost.
        if (run[1] >= clip.y && run[1] <= clip.y + clip.h) items.push({ kind: 'circle', cx: run[0], cy: run[1], r: s.width, fill: SLICE_COLOURS[s.key] });
        continue;
      }
      for (const part of clipPolyline(clip, run)) {
        items.push({ kind: 'line', points: part, colour: SLICE_COLOURS[s.key], width: s.width, ...(s.key in DASH ? { dash: DASH[s.key as keyof typeof DASH] } : {}) });
      }
    }
  }
  // Overflow steps: a mark at the top of the plot, never a number.
  for (let j = 0; j < d.T; j++) {
    if (d.overflow[j] || (d.overflowB?.[j] ?? 0)) {
      const w = Math.max(2, plot.w / d.T);
      items.push({ kind: 'rect', box: { x: xOfT(j + 1) - w / 2, y: plot.y, w, h: 6 }, fill: OVERFLOW_SOLID });
    }
  }
  if (d.grad.every((v, j) => d.overflow[j] || !Number.isFinite(v))) {
    text(plot.x + plot.w / 2, plot.y + plot.h / 2, noGradientText(flagKinds(d.overflow, d.grad), '\u03c1'), LABEL, 'middle', 0, [180, 35, 24]);
  }
  boxFrame(items, plot);

  // Legend: the drawn curves in the lab's order, then what the marks mean.
  const lineSwatch = (key: keyof typeof SLICE_COLOURS) => (b: Box) =>
    items.push({ kind: 'line', points: [b.x, b.y + b.h / 2, b.x + b.w, b.y + b.h / 2], colour: SLICE_COLOURS[key], width: 2, ...(key in DASH ? { dash: DASH[key as keyof typeof DASH] } : {}) });
  const entries: { swatch: ((box: Box) => void) | null; words: string }[] = [];
  const byKey = new Map(series.map((s) => [s.key, s]));
  for (const key of ['grad', 'gradB', 'hidden', 'linear', 'pascanu', 'meanfield', 'rms'] as const) {
    const s = byKey.get(key);
    if (!s) continue;
    entries.push({ swatch: lineSwatch(key), words: s.label });
    if (key === 'grad' && o.std) entries.push({ swatch: (b) => items.push({ kind: 'rect', box: { x: b.x, y: b.y + 1, w: b.w, h: b.h - 2 }, fill: [192, 207, 242] }), words: '\u00b11 std over samples' });
  }
  if (o.meanfield && !d.meanField) entries.push({ swatch: null, words: `mean field: not drawn (${d.meanFieldNote.replace(/^mean field /, '')})` });
  if (hasOverflow) entries.push({ swatch: (b) => items.push({ kind: 'rect', box: b, fill: OVERFLOW_SOLID }), words: flaggedStepsText(flagKinds(d.overflow, d.grad) | flagKinds(d.overflowB)) });
  if (hasZero) entries.push({ swatch: null, words: 'exactly 0 in every sample (\u2212\u221e): pinned to the bottom edge' });
  // As <lab-slice>: where only some samples are exactly 0, the line is the mean of log10 over the others.
  let partZero = 0;
  for (const z of [d.gradZero, d.gradZeroB]) if (z) for (let j = 0; j < d.T; j++) if (z[j] > 0 && z[j] < 1) partZero++;
  if (partZero > 0) entries.push({ swatch: null, words: `at ${partZero} step${partZero === 1 ? '' : 's'} the gradient is exactly 0 in some samples: the line is the mean over the others` });
  const last = f.legend(entries, plot.x, xLabelBase + 20, width - PAD, font);
  const height = Math.ceil(last + 4 + PAD);
  return { width, height, scale, plot, title, items, yRange: yr, xOfT, yOf, drawn: series.map((s) => s.key) };
}

/**
 * The slice chart as a figure (chart.ts scene -> PNG or SVG): the field at one rho against t,
 * exactly as <lab-slice> draws it. Where Show is the gradient: log10 ||dL/dh_t|| with its +-1 std
 * band, log10 ||h_t||, and the theory curves (linear prediction, Pascanu bound, mean field) that
 * are switched on in the lab. Where Show is another statistic: that statistic's row (A's, and B's
 * in compare mode) is the main line, and the gradient with its band and theory an optional second
 * line (dashed), on the same axis when both are log10 norms, else on an axis of its own at the
 * right. Title, axes and a legend name each drawn curve. The same rules as <lab-slice>: the
 * measured curves set the y range (theory widens it by at most half their span each way; a
 * fraction or a mean phi' keeps its fixed range); flagged steps (overflow, or out of the engine's
 * number range) are marked at the top and never drawn as numbers; exact zeros (-Infinity) are
 * pinned to the bottom edge and the legend says so.
 */
import { sweepAxis, type Config } from '../core/config.ts';
import { gridRow, nearestRhoIndex, STATISTICS, type GradientField, type GridName } from '../core/field.ts';
import { meanFieldApplicability, meanFieldRow } from '../core/meanfield.ts';
import { flaggedStepsText, flagKinds, noGradientText } from '../core/range.ts';
import { movedSpectrum } from '../core/spectrum-init.ts';
import { theoryRow } from '../core/theory.ts';
import { clipPolyline, type ChartItem, type ChartScene } from './chart.ts';
import { OVERFLOW_SOLID, type Rgb } from './colormap.ts';
import { ascent, configTitle, LABEL, PAD, SUBTITLE, TICK, TICK_TEXT, TITLE, prettyLabel, SCALES, type Box, type Scale } from './figure.ts';
import type { FigureFont } from './font.ts';
import { labelledTicks, stepTicks } from './ticks.ts';

/** The y axis's title for a statistic's unit (the lab's words; figures print them through prettyLabel). */
export const SLICE_UNIT_WORDS = { log10: 'log10 norm', fraction: 'fraction', "phi'": 'mean φ′' } as const;
export type SliceUnit = keyof typeof SLICE_UNIT_WORDS;

/** The row of the statistic Show names, where it is not the gradient (A's, and B's in compare mode). */
export interface ShownRow {
  /** The Show menu's key (grad, hidden, saturation, ...). */
  key: string;
  unit: SliceUnit;
  /** The statistic's fixed range (fractions: 0..1), else null (the data's). */
  range: [number, number] | null;
  /** [T] A's row, index j = t - 1. */
  values: Float64Array;
  label: string;
  valuesB: Float64Array | null;
  labelB: string;
}

/** What the slice chart draws: the lab's <lab-slice> and the exported figure take the same data. */
export interface SliceFigureData {
  T: number;
  rho: number;
  /** The swept axis's symbol (ρ, or |λ₁| for the outlier axis); ρ when absent. */
  axis?: string;
  /** [T] each, index j = t - 1. */
  grad: Float64Array;
  gradStd: Float64Array;
  /** [T] the cells' flag bits (src/core/range.ts CELL_FLAG), 0 where computed. */
  overflow: Uint8Array;
  hidden: Float64Array;
  linear: Float64Array;
  pascanu: Float64Array;
  /** Mean field's prediction of log10 ||dL/dh_t|| (src/core/meanfield.ts); null where it does not apply. */
  meanField: Float64Array | null;
  /** [T] the measured rms over samples, (1/2) log10 mean ||dL/dh_t||^2: what mean field predicts (drawn beside it). */
  gradRms: Float64Array;
  /** Why mean field does not apply, or what it assumes. */
  meanFieldNote: string;
  labelA: string;
  /** [T] the fraction of samples whose gradient is exactly 0 (left out of grad's mean). */
  gradZero: Float64Array;
  /** S, to say "k of S samples". */
  samples: number;
  /** Compare mode: B's gradient row, its zero fraction and flags. */
  gradB: Float64Array | null;
  gradZeroB: Float64Array | null;
  overflowB: Uint8Array | null;
  labelB: string;
  /** The field Show names, where it is not the gradient; null when Show is the gradient. */
  shown: ShownRow | null;
}

/** Which optional curves are drawn (the lab's legend toggles). */
export interface SliceOverlays {
  std: boolean;
  hidden: boolean;
  linear: boolean;
  pascanu: boolean;
  meanfield: boolean;
  /** Where Show is not the gradient: the gradient (with its band and theory) as a second line. */
  grad?: boolean;
}

export const DEFAULT_OVERLAYS: SliceOverlays = { std: true, hidden: false, linear: true, pascanu: true, meanfield: true, grad: false };

export interface SliceFigureOptions {
  scale?: Scale;
  overlays?: SliceOverlays;
  /** Plot area in CSS px (default 600 x 320). */
  plotWidth?: number;
  plotHeight?: number;
}

/** The lab's series colours (index.html's light theme) and the theory colours of <lab-slice>. */
export const SLICE_COLOURS: Record<'grad' | 'gradB' | 'hidden' | 'linear' | 'pascanu' | 'meanfield' | 'rms' | 'shown' | 'shownB', Rgb> = {
  grad: [45, 95, 211],
  gradB: [224, 98, 27],
  hidden: [46, 158, 106],
  linear: [138, 143, 152],
  pascanu: [217, 83, 79],
  meanfield: [230, 159, 0],
  rms: [230, 159, 0],
  // The shown statistic takes the run's colour (A blue, B orange); the gradient is then dashed.
  shown: [45, 95, 211],
  shownB: [224, 98, 27],
};
const DASH: Partial<Record<keyof typeof SLICE_COLOURS, number[]>> = { linear: [6, 4], pascanu: [2, 3], meanfield: [9, 3, 2, 3] };
/** The gradient's dash where it is the second line (Show is another statistic). */
const SECOND_LINE_DASH = [5, 3];
/** The overlay keys that are theory, not measurement (they may widen the y range only so far). */
export const THEORY_KEYS: ReadonlySet<string> = new Set(['linear', 'pascanu', 'meanfield']);

/** A run's name beside the other of a compare: its activation, and its weights where the two differ (tied against untied). */
export function runName(c: Config, other: Config): string {
  return c.weights !== other.weights ? `${c.activation}, ${c.weights}` : c.activation;
}

/** Whether the field lacks grid g (an imported bundle written before the statistic existed). */
export function gridAbsent(f: GradientField, g: GridName): boolean {
  return f.meta.absentGrids?.includes(g) ?? false;
}

/** Mean field's predicted log10 ||dL/dh_t|| for row k (callers may memoise it: O(T) Gauss-Hermite sums). */
export type MeanFieldRowOf = (f: GradientField, k: number) => Float64Array;
const meanFieldDirect: MeanFieldRowOf = (f, k) => meanFieldRow(f.config, f.rho[k], f.spectrum.meanSquare).gradLog10;

/**
 * The slice at the grid rho nearest `rho` (as the lab shows it): row k of the measured grids, the
 * theory for rho_k, and the row of the statistic `grid` where it is not the gradient. The lab's
 * slice chart and the exported figure both come from here.
 */
export function sliceFromField(a: GradientField, b: GradientField | null, rho: number, grid: GridName = 'gradLog10Mean', meanFieldOf: MeanFieldRowOf = meanFieldDirect): SliceFigureData {
  const f = a;
  const k = nearestRhoIndex(f.rho, rho);
  // The outlier axis: W_k is normal with its own radius (= norm), so the theory is that of
  // radius R_k and norm 1; mean field (a scaled gaussian W0) does not describe it.
  const outlier = f.config.sweep === 'outlier';
  const theory = outlier ? theoryRow(f.config, movedSpectrum(f.spectrum, f.config.outliers, f.rho[k]).radius, 1) : theoryRow(f.config, f.rho[k], f.spectrum.norm);
  // Untied random W0_t each have their own norm: the tied W0's Pascanu bound does not bound them.
  if (f.config.weights === 'untied' && f.config.init !== 'spectrum' && f.config.init !== 'identity') theory.pascanu.fill(NaN);
  const mf = outlier
    ? { applies: false, note: 'mean field is not drawn for the outlier axis (W_k is not a scaled random matrix)' }
    : meanFieldApplicability(f.config, f.spectrum.meanSquare);
  const row = (g: Float64Array) => gridRow(g, f.T, k);
  const nameA = b ? runName(f.config, b.config) : f.config.activation;
  const nameB = b ? runName(b.config, f.config) : '';
  return {
    T: f.T,
    rho: f.rho[k],
    axis: sweepAxis(f.config).symbol,
    grad: row(f.grids.gradLog10Mean),
    gradStd: row(f.grids.gradLog10Std),
    overflow: f.overflow.subarray(k * f.T, (k + 1) * f.T),
    hidden: row(f.grids.hiddenLog10Mean),
    linear: theory.linear,
    pascanu: theory.pascanu,
    meanField: mf.applies ? meanFieldOf(f, k) : null,
    gradRms: row(f.grids.gradLog10Rms),
    meanFieldNote: mf.note,
    labelA: `log10 ‖dL/dh_t‖, ${nameA}`,
    gradZero: row(f.grids.gradZeroFraction),
    samples: f.config.samples,
    gradB: b ? gridRow(b.grids.gradLog10Mean, b.T, k) : null,
    gradZeroB: b ? gridRow(b.grids.gradZeroFraction, b.T, k) : null,
    overflowB: b ? b.overflow.subarray(k * b.T, (k + 1) * b.T) : null,
    labelB: b ? `log10 ‖dL/dh_t‖, ${nameB}` : '',
    shown: grid === 'gradLog10Mean' ? null : shownRow(a, b, grid, k, nameA, nameB),
  };
}

/** Row k of statistic g (A's, and B's in compare mode); a grid the file lacks is NaN (undefined), never numbers. */
function shownRow(a: GradientField, b: GradientField | null, g: GridName, k: number, nameA: string, nameB: string): ShownRow {
  const spec = STATISTICS[g];
  const rowOf = (f: GradientField) => (gridAbsent(f, g) ? new Float64Array(f.T).fill(NaN) : gridRow(f.grids[g], f.T, k));
  const heading = spec.menu?.heading ?? g;
  return {
    key: spec.menu?.key ?? g,
    unit: spec.unit,
    range: spec.range ? [spec.range[0], spec.range[1]] : null,
    values: rowOf(a),
    label: `${heading}, ${nameA}${gridAbsent(a, g) ? ' (not in this file)' : ''}`,
    valuesB: b ? rowOf(b) : null,
    labelB: b ? `${heading}, ${nameB}${gridAbsent(b, g) ? ' (not in this file)' : ''}` : '',
  };
}

interface Series {
  key: keyof typeof SLICE_COLOURS;
  values: Float64Array;
  overflow?: Uint8Array;
  width: number;
  dash?: number[];
  label: string;
}

/** Whether the gradient (with its band and theory) is drawn: always where Show is the gradient, else when its overlay is on. */
export function sliceGradOn(d: Pick<SliceFigureData, 'shown'>, o: SliceOverlays): boolean {
  return !d.shown || !!o.grad;
}

/** The log10-norm series, in <lab-slice>'s drawing order: the gradient and its theory (when drawn) and the hidden norm (when on). */
function normSeries(d: SliceFigureData, o: SliceOverlays): Series[] {
  const out: Series[] = [];
  const grad = sliceGradOn(d, o);
  if (grad && o.linear) out.push({ key: 'linear', values: d.linear, width: 1.5, dash: DASH.linear, label: 'linear theory (T\u2212t)\u00b7log\u2081\u2080 \u03c1' });
  if (grad && o.pascanu) out.push({ key: 'pascanu', values: d.pascanu, width: 1.5, dash: DASH.pascanu, label: 'Pascanu bound' });
  // Mean field predicts E ||dL/dh_t||^2: drawn with the measured rms over samples it should lie on.
  if (grad && o.meanfield && d.meanField) {
    out.push({ key: 'meanfield', values: d.meanField, width: 2, dash: DASH.meanfield, label: 'mean field \u03a3\u00bd\u00b7log\u2081\u2080 \u03c7\u209b (predicts the rms)' });
    out.push({ key: 'rms', values: d.gradRms, overflow: d.overflow, width: 1.2, label: 'measured rms over samples, \u00bd\u00b7log\u2081\u2080 mean \u2016dL/dh\u209c\u2016\u00b2' });
  }
  if (o.hidden && d.shown?.key !== 'hidden') out.push({ key: 'hidden', values: d.hidden, overflow: d.overflow, width: 1.5, label: 'log\u2081\u2080 \u2016h\u209c\u2016' });
  // As the second line (Show is another statistic) the gradient is thinner and dashed.
  const second = d.shown ? { dash: SECOND_LINE_DASH } : {};
  const right = d.shown && d.shown.unit !== 'log10' ? ', right axis' : '';
  const secondWords = d.shown ? ` (dashed${right})` : '';
  if (grad && d.gradB) out.push({ key: 'gradB', values: d.gradB, overflow: d.overflowB ?? undefined, width: d.shown ? 1.5 : 2, ...second, label: prettyLabel(d.labelB) + secondWords });
  if (grad) out.push({ key: 'grad', values: d.grad, overflow: d.overflow, width: d.shown ? 1.5 : 2.2, ...second, label: prettyLabel(d.labelA) + secondWords });
  return out;
}

/** The shown statistic's lines (A's, and B's in compare mode), where Show is not the gradient. */
function shownSeries(d: SliceFigureData): Series[] {
  const s = d.shown;
  if (!s) return [];
  const out: Series[] = [];
  if (s.valuesB) out.push({ key: 'shownB', values: s.valuesB, overflow: d.overflowB ?? undefined, width: 2, label: prettyLabel(s.labelB) });
  out.push({ key: 'shown', values: s.values, overflow: d.overflow, width: 2.2, label: prettyLabel(s.label) });
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
  /** The left axis's range (the shown statistic's unit, or log10 units), bottom to top. */
  yRange: { lo: number; hi: number };
  /** The right axis's range (log10 norms) where the shown statistic is not a log10 norm and norms are drawn; else null. */
  yRangeRight: { lo: number; hi: number } | null;
  /** CSS-px position of step t, of a value on the left axis, and of a series' value on its own axis. */
  xOfT(t: number): number;
  yOf(v: number): number;
  yOfSeries(key: string, v: number): number;
  /** The series drawn, in drawing order. */
  drawn: string[];
}

export function buildSliceScene(d: SliceFigureData, config: Config, font: FigureFont, opts: SliceFigureOptions = {}): SliceScene {
  const scale = checkScale(opts.scale ?? 1);
  const o = opts.overlays ?? DEFAULT_OVERLAYS;
  const gradOn = sliceGradOn(d, o);
  const norms = normSeries(d, o);
  const shown = shownSeries(d);
  // As <lab-slice>: the left axis is the shown statistic's (with the norms when it is a log10 norm
  // too); the norms get an axis of their own at the right where it is a fraction or a mean phi'.
  const twoAxes = !!d.shown && d.shown.unit !== 'log10' && norms.length > 0;
  const left = d.shown ? (twoAxes ? shown : [...norms, ...shown]) : norms;
  const series = [...norms, ...shown];
  const fixed = d.shown && d.shown.unit !== 'log10' ? d.shown.range : null;
  const yr = fixed ? { lo: fixed[0] - 0.03 * (fixed[1] - fixed[0]), hi: fixed[1] + 0.03 * (fixed[1] - fixed[0]) } : sliceYRange(d, left, o.std);
  const yr2 = twoAxes ? sliceYRange(d, norms, o.std) : null;
  const f = frame();
  const { items, text } = f;
  const yt = labelledTicks(yr.lo, yr.hi, 6);
  const yt2 = yr2 ? labelledTicks(yr2.lo, yr2.hi, 6) : [];
  const xt = stepTicks(d.T, 8);
  const yLabelW = Math.max(...yt.map((t) => font.measure(t.label, TICK_TEXT)));
  const rightW = yr2 ? TICK + 3 + Math.max(...yt2.map((t) => font.measure(t.label, TICK_TEXT))) + 8 + ascent(LABEL) + 0.24 * LABEL : 0;
  const described = configTitle(config);
  const axis = d.axis ?? '\u03c1';
  const compare = !!(d.gradB || d.shown?.valuesB);
  const nameOf = (label: string) => label.replace(/^log10 ‖dL\/dh_t‖, /, '');
  // The title says what is drawn: the statistic Show names (and the gradient when it is the second line), and A and B.
  const what = d.shown ? prettyLabel(d.shown.label.replace(/, .*$/, '')) + (gradOn ? ' with log\u2081\u2080 \u2016dL/dh\u209c\u2016 (dashed)' : '') : 'log\u2081\u2080 \u2016dL/dh\u209c\u2016';
  const title = `Slice at ${axis} = ${d.rho.toFixed(3)} \u00b7 ${what}${compare ? ` \u00b7 ${nameOf(d.labelA)} vs ${nameOf(d.labelB)}` : ''}`;
  const runLine = compare ? `A: ${described.title} \u00b7 B: the same with ${nameOf(d.labelB)}` : described.title;
  const plot: Box = { x: PAD + ascent(LABEL) + 0.24 * LABEL + 8 + yLabelW + 3 + TICK, y: 0, w: opts.plotWidth ?? 600, h: opts.plotHeight ?? 320 };
  const titleBase = PAD + ascent(TITLE);
  const runBase = titleBase + 16;
  const subBase = runBase + 14;
  plot.y = subBase + 14;
  const width = Math.ceil(
    Math.max(plot.x + plot.w + rightW + PAD + 8, plot.x + Math.max(font.measure(title, TITLE), font.measure(runLine, SUBTITLE), font.measure(described.subtitle, SUBTITLE)) + PAD),
  );
  text(plot.x, titleBase, title, TITLE);
  text(plot.x, runBase, runLine, SUBTITLE, 'start', 0, MUTED);
  text(plot.x, subBase, described.subtitle, SUBTITLE, 'start', 0, MUTED);

  const xOfT = (t: number) => plot.x + (d.T <= 1 ? plot.w / 2 : ((t - 1) / (d.T - 1)) * plot.w);
  const yOf = (v: number) => plot.y + plot.h - ((v - yr.lo) / (yr.hi - yr.lo)) * plot.h;
  const yOfRight = yr2 ? (v: number) => plot.y + plot.h - ((v - yr2.lo) / (yr2.hi - yr2.lo)) * plot.h : yOf;
  const yOfSeries = (key: string, v: number) => (twoAxes && !key.startsWith('shown') ? yOfRight : yOf)(v);
  const bottom = plot.y + plot.h;

  // Grid lines and y tick labels (left; right where the norms have their own axis), then the t ticks.
  for (const t of yt) {
    const y = yOf(t.value);
    items.push({ kind: 'rect', box: { x: plot.x, y: y - 0.5, w: plot.w, h: 1 }, fill: GRID });
    items.push({ kind: 'rect', box: { x: plot.x - 1 - TICK, y: y - 0.5, w: TICK, h: 1 }, fill: FRAME });
    text(plot.x - 1 - TICK - 3, y + ascent(TICK_TEXT) / 2, t.label, TICK_TEXT, 'end');
  }
  for (const t of yt2) {
    const y = yOfRight(t.value);
    items.push({ kind: 'rect', box: { x: plot.x + plot.w + 1, y: y - 0.5, w: TICK, h: 1 }, fill: FRAME });
    text(plot.x + plot.w + 1 + TICK + 3, y + ascent(TICK_TEXT) / 2, t.label, TICK_TEXT, 'start', 0, MUTED);
  }
  const tLabelBase = bottom + 1 + TICK + 3 + ascent(TICK_TEXT);
  for (const t of xt) {
    const x = xOfT(t.value);
    items.push({ kind: 'rect', box: { x: x - 0.5, y: bottom + 1, w: 1, h: TICK }, fill: FRAME });
    text(x, tLabelBase, t.label, TICK_TEXT, 'middle');
  }
  const xLabelBase = tLabelBase + 17;
  text(plot.x + plot.w / 2, xLabelBase, 'time step t', LABEL, 'middle');
  text(PAD + ascent(LABEL), plot.y + plot.h / 2, prettyLabel(SLICE_UNIT_WORDS[d.shown?.unit ?? 'log10']), LABEL, 'middle', -90);
  // The right axis's title reads bottom to top too, at the figure's right edge.
  if (yr2) text(plot.x + plot.w + rightW, plot.y + plot.h / 2, prettyLabel(SLICE_UNIT_WORDS.log10), LABEL, 'middle', -90, MUTED);

  // The +-1 std band on the gradient's axis: one polygon per run of steps where mean and std are finite.
  let hasZero = false;
  let hasOverflow = false;
  if (o.std && gradOn) {
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
      up.push(xOfT(j + 1), yOfSeries('grad', m + s));
      down.push(xOfT(j + 1), yOfSeries('grad', m - s));
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
      pts.push(xOfT(j + 1), v === -Infinity ? bottom : yOfSeries(s.key, v));
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
        items.push({ kind: 'line', points: part, colour: SLICE_COLOURS[s.key], width: s.width, ...(s.dash ? { dash: s.dash } : {}) });
      }
    }
  }
  // Flagged steps (overflow, or out of the engine's number range): a mark at the top of the plot, never a number.
  for (let j = 0; j < d.T; j++) {
    if (d.overflow[j] || (d.overflowB?.[j] ?? 0)) {
      const w = Math.max(2, plot.w / d.T);
      items.push({ kind: 'rect', box: { x: xOfT(j + 1) - w / 2, y: plot.y, w, h: 6 }, fill: OVERFLOW_SOLID });
    }
  }
  if (gradOn && d.grad.every((v, j) => d.overflow[j] || !Number.isFinite(v))) {
    text(plot.x + plot.w / 2, plot.y + plot.h / 2, noGradientText(flagKinds(d.overflow, d.grad), axis), LABEL, 'middle', 0, [180, 35, 24]);
  }
  boxFrame(items, plot);

  // Legend: the drawn curves in the lab's order, then what the marks mean.
  const lineSwatch = (s: Series) => (b: Box) =>
    items.push({ kind: 'line', points: [b.x, b.y + b.h / 2, b.x + b.w, b.y + b.h / 2], colour: SLICE_COLOURS[s.key], width: 2, ...(s.dash ? { dash: s.dash } : {}) });
  const entries: { swatch: ((box: Box) => void) | null; words: string }[] = [];
  const byKey = new Map(series.map((s) => [s.key, s]));
  for (const key of ['shown', 'shownB', 'grad', 'gradB', 'hidden', 'linear', 'pascanu', 'meanfield', 'rms'] as const) {
    const s = byKey.get(key);
    if (!s) continue;
    entries.push({ swatch: lineSwatch(s), words: s.label });
    if (key === 'grad' && o.std) entries.push({ swatch: (b) => items.push({ kind: 'rect', box: { x: b.x, y: b.y + 1, w: b.w, h: b.h - 2 }, fill: [192, 207, 242] }), words: '\u00b11 std over samples' });
  }
  if (gradOn && o.meanfield && !d.meanField) entries.push({ swatch: null, words: `mean field: not drawn (${d.meanFieldNote.replace(/^mean field /, '')})` });
  const flagValues = d.shown && !gradOn ? d.shown.values : d.grad;
  if (hasOverflow) entries.push({ swatch: (b) => items.push({ kind: 'rect', box: b, fill: OVERFLOW_SOLID }), words: flaggedStepsText(flagKinds(d.overflow, flagValues) | flagKinds(d.overflowB)) });
  if (hasZero) entries.push({ swatch: null, words: 'exactly 0 in every sample (\u2212\u221e): pinned to the bottom edge' });
  // As <lab-slice>: where only some samples are exactly 0, the gradient line is the mean of log10 over the others.
  let partZero = 0;
  if (gradOn) for (const z of [d.gradZero, d.gradZeroB]) if (z) for (let j = 0; j < d.T; j++) if (z[j] > 0 && z[j] < 1) partZero++;
  if (partZero > 0) entries.push({ swatch: null, words: `at ${partZero} step${partZero === 1 ? '' : 's'} the gradient is exactly 0 in some samples: the line is the mean over the others` });
  const last = f.legend(entries, plot.x, xLabelBase + 20, width - PAD, font);
  const height = Math.ceil(last + 4 + PAD);
  return { width, height, scale, plot, title, items, yRange: yr, yRangeRight: yr2, xOfT, yOf, yOfSeries, drawn: series.map((s) => s.key) };
}

/**
 * The derivative panel as a figure (chart.ts scene -> PNG or SVG), as <lab-derivative> draws it:
 * phi (thin, dashed) and phi' (thick) of the activation over the pre-activation a, and of B's in
 * compare mode; under them the histogram of the network's own a_t at one rho and step t (bar
 * heights relative to the fullest bin, which reaches 85% of the plot); the mean phi'(a_t) over
 * the a_t themselves as a dashed line with its value. The legend names the activation(s), the
 * row (rho) and step, how many a_t fall beyond the drawn range, and what computed the histogram
 * (the `source` words the panel shows).
 */
import { activationFns, activationTitle, type Activation, type ActivationParams } from '../core/activations.ts';
import type { Config } from '../core/config.ts';
import type { PreactivationHistogram } from '../core/preactivations.ts';
import type { ChartScene } from './chart.ts';
import type { Rgb } from './colormap.ts';
import { ascent, configTitle, LABEL, PAD, SUBTITLE, TICK, TICK_TEXT, TITLE, prettyLabel, type Box, type Scale } from './figure.ts';
import type { FigureFont } from './font.ts';
import { boxFrame, checkScale, FRAME, frame, GRID, MUTED, SLICE_COLOURS } from './slice.ts';
import { labelledTicks } from './ticks.ts';

/** One activation drawn (A, and B in compare mode). */
export interface DerivativeCurveSpec {
  activation: Activation;
  params: Partial<ActivationParams>;
  /** "A" / "B" in compare mode, else "". */
  tag: string;
}

export interface DerivativeFigureData {
  a: DerivativeCurveSpec;
  b: DerivativeCurveSpec | null;
  /** The binned a_t of the row (src/core/preactivations.ts), or null where there is none. */
  row: PreactivationHistogram | null;
  /** The step t (1..T) whose a_t are drawn. */
  step: number;
  /** The swept axis's symbol and the row's value. */
  axis: string;
  rho: number;
  T: number;
  /** What computed the histogram, in words (or why there is none): the panel's own line. */
  source: string;
}

export interface DerivativeFigureOptions {
  scale?: Scale;
  /** Plot area in CSS px (default 560 x 320). */
  plotWidth?: number;
  plotHeight?: number;
}

/** The panel's colours: A and B as everywhere, the histogram grey, the mean phi' line violet (index.html's --vanish). */
export const DERIVATIVE_COLOURS: Record<'a' | 'b' | 'bars' | 'mean', Rgb> = { a: SLICE_COLOURS.grad, b: SLICE_COLOURS.gradB, bars: [93, 103, 115], mean: [106, 63, 181] };
/** Opacity of the histogram's bars over white (the panel's 0.35). */
export const BAR_OPACITY = 0.35;
/** Points per curve across the a range (phi' of relu jumps: enough for a sharp step). */
export const CURVE_POINTS = 241;
/** The tallest bin's height as a fraction of the plot. */
export const PEAK_HEIGHT = 0.85;

/** The panel's axes: a over [-X, X] (the binned range, else 5), y over phi' in full and phi as far as it stays within [-1.1, max(1.1, sup phi')]. */
export function derivativeAxes(curves: readonly DerivativeCurveSpec[], row: Pick<PreactivationHistogram, 'lo' | 'hi'> | null): { X: number; yLo: number; yHi: number } {
  const X = row ? Math.max(-row.lo, row.hi) : 5;
  const fns = curves.map((c) => activationFns(c.activation, c.params));
  const gammaMax = Math.max(...fns.map((f) => f.gamma));
  let yLo = 0;
  for (const f of fns) {
    for (let i = 0; i < CURVE_POINTS; i++) {
      const v = f.output(-X + (2 * X * i) / (CURVE_POINTS - 1));
      if (Number.isFinite(v)) yLo = Math.min(yLo, Math.max(-1.1, v));
    }
  }
  const yHi = Math.max(1.1, gammaMax * 1.05);
  return { X, yLo, yHi };
}

/** What the row says at step t: the mean phi'(a_t), how many a_t lie beyond the range, of how many finite ones. */
export function derivativeStep(row: PreactivationHistogram | null, t: number): { mean: number; outside: number; total: number } {
  const j = t - 1;
  if (!row || j < 0 || j >= row.T) return { mean: NaN, outside: 0, total: 0 };
  return { mean: row.meanDeriv[j], outside: row.below[j] + row.above[j], total: row.units * row.samples - row.nonFinite[j] };
}

export interface DerivativeScene extends ChartScene {
  X: number;
  yLo: number;
  yHi: number;
  /** CSS-px position of a pre-activation a and of a phi / phi' value. */
  xOf(a: number): number;
  yOf(v: number): number;
  /** The mean phi'(a_t) drawn (NaN: none). */
  mean: number;
  /** The histogram's bars as drawn, left to right: [x, y, w, h] in CSS px, one per bin. */
  bars: Box[];
}


export function buildDerivativeScene(d: DerivativeFigureData, config: Config, font: FigureFont, opts: DerivativeFigureOptions = {}): DerivativeScene {
  const scale = checkScale(opts.scale ?? 1);
  if (!(Number.isInteger(d.step) && d.step >= 1 && d.step <= d.T)) throw new RangeError(`step t = ${d.step} is not between 1 and T = ${d.T}`);
  const curves = [d.a, ...(d.b ? [d.b] : [])];
  const { X, yLo, yHi } = derivativeAxes(curves, d.row);
  const f = frame();
  const { items, text } = f;
  const xt = labelledTicks(-X, X, 8).filter((t) => Math.abs(t.value) <= X + 1e-9);
  const yt = labelledTicks(yLo, yHi, 5).filter((t) => t.value >= yLo - 1e-9 && t.value <= yHi + 1e-9);
  const yLabelW = Math.max(...yt.map((t) => font.measure(t.label, TICK_TEXT)));
  const name = (c: DerivativeCurveSpec) => activationTitle(c.activation, c.params);
  const described = configTitle(config);
  const names = d.b ? `${name(d.a)} vs ${name(d.b)}` : name(d.a);
  const title = `\u03c6 and \u03c6\u2032 of ${names} with the pre-activations a\u209c at ${d.axis} = ${d.rho.toFixed(3)}, t = ${d.step}`;
  const runLine = d.b ? `A: ${described.title} \u00b7 B: the same with ${name(d.b)}` : described.title;
  const plot: Box = { x: PAD + ascent(LABEL) + 0.24 * LABEL + 8 + yLabelW + 3 + TICK, y: 0, w: opts.plotWidth ?? 560, h: opts.plotHeight ?? 320 };
  const titleBase = PAD + ascent(TITLE);
  const runBase = titleBase + 16;
  const subBase = runBase + 14;
  plot.y = subBase + 14;
  const width = Math.ceil(Math.max(plot.x + plot.w + PAD + 8, plot.x + Math.max(font.measure(title, TITLE), font.measure(runLine, SUBTITLE), font.measure(described.subtitle, SUBTITLE)) + PAD));
  text(plot.x, titleBase, title, TITLE);
  text(plot.x, runBase, runLine, SUBTITLE, 'start', 0, MUTED);
  text(plot.x, subBase, described.subtitle, SUBTITLE, 'start', 0, MUTED);

  const xOf = (a: number) => plot.x + ((a + X) / (2 * X)) * plot.w;
  const yOf = (v: number) => plot.y + plot.h - ((v - yLo) / (yHi - yLo)) * plot.h;
  const bottom = plot.y + plot.h;
  for (const t of yt) {
    const y = yOf(t.value);
    items.push({ kind: 'rect', box: { x: plot.x, y: y - 0.5, w: plot.w, h: 1 }, fill: GRID });
    items.push({ kind: 'rect', box: { x: plot.x - 1 - TICK, y: y - 0.5, w: TICK, h: 1 }, fill: FRAME });
    text(plot.x - 1 - TICK - 3, y + ascent(TICK_TEXT) / 2, t.label, TICK_TEXT, 'end');
  }
  const tLabelBase = bottom + 1 + TICK + 3 + ascent(TICK_TEXT);
  for (const t of xt) {
    const x = xOf(t.value);
    items.push({ kind: 'rect', box: { x: x - 0.5, y: bottom + 1, w: 1, h: TICK }, fill: FRAME });
    text(x, tLabelBase, t.label, TICK_TEXT, 'middle');
  }
  const xLabelBase = tLabelBase + 17;
  text(plot.x + plot.w / 2, xLabelBase, 'pre-activation a', LABEL, 'middle');
  text(PAD + ascent(LABEL), plot.y + plot.h / 2, '\u03c6(a), \u03c6\u2032(a)', LABEL, 'middle', -90);
  // The a = 0 and y = 0 axes inside the plot.
  if (yLo < 0) items.push({ kind: 'rect', box: { x: plot.x, y: yOf(0) - 0.5, w: plot.w, h: 1 }, fill: FRAME });
  items.push({ kind: 'rect', box: { x: xOf(0) - 0.5, y: plot.y, w: 1, h: plot.h }, fill: FRAME });

  // The histogram of a_t at step t under the curves.
  const bars: Box[] = [];
  const row = d.row;
  const j = d.step - 1;
  if (row && j < row.T) {
    let peak = 0;
    for (let i = 0; i < row.bins; i++) peak = Math.max(peak, row.counts[j * row.bins + i]);
    const bx = (a: number) => xOf(Math.max(-X, Math.min(X, a)));
    for (let i = 0; i < row.bins; i++) {
      const c = row.counts[j * row.bins + i];
      const h = peak > 0 ? (c / peak) * plot.h * PEAK_HEIGHT : 0;
      const x0 = bx(row.lo + ((row.hi - row.lo) * i) / row.bins);
      const x1 = bx(row.lo + ((row.hi - row.lo) * (i + 1)) / row.bins);
      const box = { x: x0, y: bottom - h, w: Math.max(0.5, x1 - x0 - 0.6), h };
      bars.push(box);
      if (h > 0) items.push({ kind: 'polygon', points: [box.x, box.y, box.x + box.w, box.y, box.x + box.w, bottom, box.x, bottom], fill: DERIVATIVE_COLOURS.bars, opacity: BAR_OPACITY });
    }
  }
  // phi (thin, dashed) and phi' (thick) of A, then B's (phi' dashed too), clipped to the plot.
  const clip = (v: number) => Math.max(plot.y, Math.min(bottom, yOf(v)));
  curves.forEach((c, k) => {
    const fns = activationFns(c.activation, c.params);
    const colour = k === 0 ? DERIVATIVE_COLOURS.a : DERIVATIVE_COLOURS.b;
    for (const [fn, width, dash] of [
      [fns.output, 1.4, k === 0 ? [5, 3] : [2, 3]],
      [fns.der, 2.4, k === 0 ? undefined : [7, 3]],
    ] as const) {
      const pts: number[] = [];
      for (let i = 0; i < CURVE_POINTS; i++) {
        const a = -X + (2 * X * i) / (CURVE_POINTS - 1);
        const v = fn(a);
        if (Number.isFinite(v)) pts.push(xOf(a), clip(v));
      }
      items.push({ kind: 'line', points: pts, colour, width, ...(dash ? { dash: [...dash] } : {}) });
    }
  });
  const { mean, outside, total } = derivativeStep(row, d.step);
  if (Number.isFinite(mean)) {
    items.push({ kind: 'line', points: [plot.x, yOf(mean), plot.x + plot.w, yOf(mean)], colour: DERIVATIVE_COLOURS.mean, width: 1.5, dash: [4, 3] });
    text(plot.x + plot.w - 4, yOf(mean) - 4, `mean \u03c6\u2032(a\u209c) = ${mean.toFixed(3)}`, TICK_TEXT, 'end', 0, DERIVATIVE_COLOURS.mean);
  }
  boxFrame(items, plot);

  // Legend: the curves, the histogram, the mean, and what computed the histogram.
  const swatchLine = (colour: Rgb, width: number, dash?: number[]) => (b: Box) =>
    items.push({ kind: 'line', points: [b.x, b.y + b.h / 2, b.x + b.w, b.y + b.h / 2], colour, width, ...(dash ? { dash } : {}) });
  const entries: { swatch: ((box: Box) => void) | null; words: string }[] = [
    { swatch: swatchLine(DERIVATIVE_COLOURS.a, 2.4), words: `\u03c6\u2032 ${d.b ? `A (${name(d.a)})` : name(d.a)}` },
    { swatch: swatchLine(DERIVATIVE_COLOURS.a, 1.4, [5, 3]), words: `\u03c6 ${d.b ? 'A' : name(d.a)}` },
  ];
  if (d.b) entries.push({ swatch: swatchLine(DERIVATIVE_COLOURS.b, 2.4, [7, 3]), words: `\u03c6\u2032, \u03c6 B (${name(d.b)})` });
  if (row) {
    const beyond = total > 0 && outside > 0 ? `, ${((100 * outside) / total).toFixed(1)}% beyond \u00b1${X}` : '';
    entries.push({
      swatch: (b) => items.push({ kind: 'polygon', points: [b.x + 5, b.y, b.x + 17, b.y, b.x + 17, b.y + b.h, b.x + 5, b.y + b.h], fill: DERIVATIVE_COLOURS.bars, opacity: BAR_OPACITY }),
      words: `a\u209c at t = ${d.step}, ${d.axis} = ${row.rho.toFixed(3)}${beyond}`,
    });
    if (Number.isFinite(mean)) entries.push({ swatch: swatchLine(DERIVATIVE_COLOURS.mean, 1.5, [4, 3]), words: 'mean \u03c6\u2032(a\u209c) over the a\u209c themselves' });
  }
  entries.push({ swatch: null, words: prettyLabel(d.source) || 'no histogram of a\u209c' });
  const last = f.legend(entries, plot.x, xLabelBase + 20, width - PAD, font);
  const height = Math.ceil(last + 4 + PAD);
  return { width, height, scale, plot, title, items, X, yLo, yHi, xOf, yOf, mean, bars };
}

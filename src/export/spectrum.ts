/**
 * The eigenvalue plot as a figure (chart.ts scene -> PNG or SVG): the eigenvalues of rho * W0
 * in the complex plane with the unit circle, as <lab-spectrum> shows them: the scale fits the
 * largest |lambda| over the sweep, so figures at different rho compare; eigenvalues outside the
 * circle in the second colour; the spectral radius and norm of rho * W0 in the legend.
 */
import type { Config } from '../core/config.ts';
import { hasEigenvalues, type Spectrum } from '../core/spectrum.ts';
import type { ChartScene } from './chart.ts';
import type { Rgb } from './colormap.ts';
import { configTitle, type Box, type Scale } from './figure.ts';
import type { FigureFont } from './font.ts';
import { boxFrame, checkScale, FRAME, frame, GRID, MUTED, SLICE_COLOURS } from './slice.ts';
import { labelledTicks } from './ticks.ts';

export interface SpectrumFigureOptions {
  scale?: Scale;
  /** The largest rho of the sweep: fixes the axes' reach (default rho). */
  rhoMax?: number;
  /** Side of the square plot area in CSS px (default 360). */
  plotSize?: number;
}

/** <lab-spectrum>'s colours: inside the unit circle, outside it, the circle. */
export const SPECTRUM_COLOURS: Record<'inside' | 'outside' | 'circle', Rgb> = { inside: SLICE_COLOURS.grad, outside: SLICE_COLOURS.gradB, circle: [255, 140, 26] };

export interface SpectrumScene extends ChartScene {
  /** The axes run from -reach to reach on both. */
  reach: number;
  /** CSS-px position of a complex value. */
  px(re: number): number;
  py(im: number): number;
  /** How many eigenvalues of rho * W0 lie outside the unit circle. */
  outside: number;
}

/** |lambda| beyond this counts as outside: an orthogonal W0's eigenvalues lie on the circle up to the eigensolver's ~1e-8. */
const ON_CIRCLE = 1e-6;

export function buildSpectrumScene(spectrum: Spectrum, rho: number, config: Config, font: FigureFont, opts: SpectrumFigureOptions = {}): SpectrumScene {
  const scale = checkScale(opts.scale ?? 1);
  if (!hasEigenvalues(spectrum) || !Number.isFinite(spectrum.radius)) throw new RangeError('the eigenvalues of W0 are not computed yet; there is nothing to draw');
  if (!(Number.isFinite(rho) && rho > 0)) throw new RangeError(`rho ${rho} is not a positive number`);
  const rhoMax = Math.max(rho, opts.rhoMax ?? rho);
  const reach = Math.max(1.05, spectrum.radius * rhoMax * 1.05);
  const side = opts.plotSize ?? 360;
  const f = frame();
  const { items, text } = f;
  const PAD = 12;
  const described = configTitle(config);
  const title = `Eigenvalues of \u03c1\u00b7W\u2080 at \u03c1 = ${rho.toFixed(3)} \u00b7 ${described.title}`;
  const ticks = labelledTicks(-reach, reach, 6).filter((t) => Math.abs(t.value) <= reach);
  const yLabelW = Math.max(...ticks.map((t) => font.measure(t.label, 10)));
  const plot: Box = { x: PAD + 0.76 * 11 + 0.24 * 11 + 8 + yLabelW + 7, y: PAD + 0.76 * 13 + 16 + 14, w: side, h: side };
  const width = Math.ceil(Math.max(plot.x + side + PAD + 8, plot.x + Math.max(font.measure(title, 13), font.measure(described.subtitle, 10)) + PAD));
  text(plot.x, PAD + 0.76 * 13, title, 13);
  text(plot.x, PAD + 0.76 * 13 + 16, described.subtitle, 10, 'start', 0, MUTED);
  const cx = plot.x + side / 2;
  const cy = plot.y + side / 2;
  const px = (v: number) => cx + (v / reach) * (side / 2);
  const py = (v: number) => cy - (v / reach) * (side / 2);
  const bottom = plot.y + side;
  for (const t of ticks) {
    items.push({ kind: 'rect', box: { x: px(t.value) - 0.5, y: plot.y, w: 1, h: side }, fill: GRID });
    items.push({ kind: 'rect', box: { x: plot.x, y: py(t.value) - 0.5, w: side, h: 1 }, fill: GRID });
    items.push({ kind: 'rect', box: { x: px(t.value) - 0.5, y: bottom + 1, w: 1, h: 4 }, fill: FRAME });
    items.push({ kind: 'rect', box: { x: plot.x - 5, y: py(t.value) - 0.5, w: 4, h: 1 }, fill: FRAME });
    text(px(t.value), bottom + 8 + 7.6, t.label, 10, 'middle');
    text(plot.x - 8, py(t.value) + 3.8, t.label, 10, 'end');
  }
  // The axes through 0, darker than the grid.
  items.push({ kind: 'rect', box: { x: plot.x, y: cy - 0.5, w: side, h: 1 }, fill: [170, 170, 170] });
  items.push({ kind: 'rect', box: { x: cx - 0.5, y: plot.y, w: 1, h: side }, fill: [170, 170, 170] });
  const xLabelBase = bottom + 8 + 7.6 + 17;
  text(plot.x + side / 2, xLabelBase, 'Re \u03bb', 11, 'middle');
  text(PAD + 0.76 * 11, cy, 'Im \u03bb', 11, 'middle', -90);
  items.push({ kind: 'circle', cx, cy, r: side / 2 / reach, stroke: SPECTRUM_COLOURS.circle, width: 1.5 });
  let outside = 0;
  for (let i = 0; i < spectrum.re.length; i++) {
    const re = spectrum.re[i] * rho;
    const im = spectrum.im[i] * rho;
    const out = Math.hypot(re, im) > 1 + ON_CIRCLE;
    if (out) outside++;
    items.push({ kind: 'circle', cx: px(re), cy: py(im), r: 3, fill: out ? SPECTRUM_COLOURS.outside : SPECTRUM_COLOURS.inside, opacity: 0.85 });
  }
  boxFrame(items, plot);
  const N = spectrum.re.length;
  const dot = (c: Rgb) => (b: Box) => items.push({ kind: 'circle', cx: b.x + b.w / 2, cy: b.y + b.h / 2, r: 3.5, fill: c });
  const last = f.legend(
    [
      { swatch: dot(SPECTRUM_COLOURS.inside), words: `|\u03bb| \u2264 1 (${N - outside} of ${N})` },
      { swatch: dot(SPECTRUM_COLOURS.outside), words: `|\u03bb| > 1 (${outside} of ${N})` },
      { swatch: (b) => items.push({ kind: 'line', points: [b.x, b.y + b.h / 2, b.x + b.w, b.y + b.h / 2], colour: SPECTRUM_COLOURS.circle, width: 1.5 }), words: 'unit circle |\u03bb| = 1' },
      { swatch: null, words: `spectral radius ${(spectrum.radius * rho).toFixed(3)} \u00b7 spectral norm ${(spectrum.norm * rho).toFixed(3)}` },
    ],
    plot.x,
    xLabelBase + 20,
    width - PAD,
    font,
  );
  return { width, height: Math.ceil(last + 4 + PAD), scale, plot, title, items, reach, px, py, outside };
}

/**
 * The phase diagram (src/core/phase.ts) as files: a figure of the rate per step against rho
 * (PNG through the pure-TS raster, SVG as vector paths, the same scene for both, the heatmap's
 * fonts, ticks and title), and a tidy CSV with one row per rho. The field's NPZ and the bundle
 * carry the same columns (npy.ts, core/bundle.ts).
 */
import { encode } from 'fast-png';
import { sweepAxis } from '../core/config.ts';
import type { GradientField } from '../core/field.ts';
import { phaseDiagram, type PhaseDiagram } from '../core/phase.ts';
import { describeWindow } from '../core/rate.ts';
import { LAB_VERSION } from '../core/version.ts';
import { circlePolygon, dashes, esc, n, strokePolygons } from './chart.ts';
import { rgbHex, type Rgb } from './colormap.ts';
import { csvNumber } from './csv.ts';
import { configTitle, INK, SCALES, type Scale } from './figure.ts';
import { FIGURE_FONT_FAMILY, type FigureFont, type TextAngle } from './font.ts';
import { Raster } from './raster.ts';
import { formatTick, niceTicks } from './ticks.ts';

/** The per-rho columns, in CSV order, with their meaning (also the NPZ's array names and the bundle's keys). */
export const RATE_COLUMNS = {
  rho: 'spectral radius of W = rho W0',
  rate: 'measured rate of log10 ||dL/dh_t|| per step backwards (decades per step; least-squares slope over the window, sign: > 0 explodes)',
  rateSeBound: 'upper bound on the standard error of rate over samples (Minkowski bound from the per-step std; docs/theory.md)',
  rateMeanField: 'mean-field rate over the same window (NaN where mean field does not apply)',
  rateLinear: 'linear rate log10 rho',
  ratePascanu: "Pascanu et al. bound's rate log10(gamma rho ||W0||_2)",
} as const;
export type RateColumn = keyof typeof RATE_COLUMNS;
export const RATE_COLUMN_NAMES = Object.keys(RATE_COLUMNS) as RateColumn[];

/** The columns of a phase diagram as [K] arrays. */
export function rateColumns(p: PhaseDiagram): Record<RateColumn, Float64Array> {
  return {
    rho: p.rho,
    rate: p.measured.rate,
    rateSeBound: p.measured.seBound,
    rateMeanField: p.meanField ?? new Float64Array(p.rho.length).fill(NaN),
    rateLinear: p.linear,
    ratePascanu: p.pascanu,
  };
}

/** One row per rho; comment lines say the window, the edges and what mean field assumed. */
export function rateCsv(field: GradientField, p: PhaseDiagram = phaseDiagram(field)): string {
  const cols = rateColumns(p);
  const lines = [
    RATE_COLUMN_NAMES.join(','),
    '# RNN Gradient Lab: the rate of the gradient per step backwards against rho (docs/theory.md)',
    `# lab ${LAB_VERSION}; backend ${field.meta.backend}; precision ${field.meta.precision}; config: ${JSON.stringify(field.config)}`,
    `# window: ${describeWindow(p.window)}`,
    `# mean field: ${p.meanFieldNote}`,
    `# edge of chaos (rate = 0): mean field ${p.edgeMeanField ?? (p.edgeMeanFieldOutside !== null ? `${p.edgeMeanFieldOutside} (outside the swept range)` : 'outside the swept range')}, measured ${p.edgeMeasured ?? 'not in the swept range'}`,
    '# columns:',
    ...RATE_COLUMN_NAMES.map((c) => `#   ${c}: ${RATE_COLUMNS[c]}`),
    '# nan = no rate (a flagged, undefined or exactly zero cell in the window, or no mean field)',
  ];
  for (let k = 0; k < p.rho.length; k++) lines.push(RATE_COLUMN_NAMES.map((c) => csvNumber(cols[c][k])).join(','));
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- figure

type Pt = [number, number];

/** What the figure draws, in CSS px at scale 1. */
export type RateItem =
  | { kind: 'rect'; x: number; y: number; w: number; h: number; fill: Rgb; opacity: number }
  | { kind: 'line'; points: Pt[]; colour: Rgb; width: number; dash: number[] | null }
  | { kind: 'dot'; x: number; y: number; r: number; colour: Rgb }
  | { kind: 'text'; x: number; y: number; text: string; size: number; anchor: 'start' | 'middle' | 'end'; angle: TextAngle; colour: Rgb };

export interface RateScene {
  width: number;
  height: number;
  scale: Scale;
  items: RateItem[];
  phase: PhaseDiagram;
}

const C = {
  measured: [31, 119, 180] as Rgb,
  meanField: [230, 159, 0] as Rgb,
  linear: [138, 143, 152] as Rgb,
  pascanu: [217, 83, 79] as Rgb,
  frame: [68, 68, 68] as Rgb,
  grid: [225, 225, 225] as Rgb,
  highlight: [120, 160, 230] as Rgb,
};

export function buildRateScene(field: GradientField, font: FigureFont, opts: { scale?: Scale; highlightK?: number } = {}): RateScene {
  const scale = opts.scale ?? 1;
  if (!(SCALES as readonly number[]).includes(scale)) throw new RangeError(`scale ${scale} is not one of ${SCALES.join(', ')}`);
  const p = phaseDiagram(field);
  const K = p.rho.length;
  const items: RateItem[] = [];
  const text = (x: number, y: number, s: string, size: number, anchor: 'start' | 'middle' | 'end' = 'start', angle: TextAngle = 0, colour: Rgb = INK) =>
    items.push({ kind: 'text', x, y, text: s, size, anchor, angle, colour });
  const { title, subtitle } = configTitle(field.config);
  const plot = { x: 70, y: 52, w: 560, h: 320 };
  text(plot.x, 25, `Gradient rate per step against \u03c1 \u00b7 ${title}`, 13);
  text(plot.x, 41, subtitle, 10, 'start', 0, [85, 85, 85]);
  // y range: measured +- bound, mean field and 0; linear and Pascanu widen it by at most half its span.
  let lo = 0;
  let hi = 0;
  const take = (v: number) => {
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  };
  for (let k = 0; k < K; k++) {
    const se = Number.isFinite(p.measured.seBound[k]) ? p.measured.seBound[k] : 0;
    take(p.measured.rate[k] - se);
    take(p.measured.rate[k] + se);
    take(p.meanField?.[k] ?? NaN);
  }
  const span = Math.max(hi - lo, 0.1);
  for (let k = 0; k < K; k++)
    for (const v of [p.linear[k], p.pascanu[k]])
      if (Number.isFinite(v)) {
        lo = Math.min(lo, Math.max(v, lo - span / 2));
        hi = Math.max(hi, Math.min(v, hi + span / 2));
      }
  const pad = (hi - lo) * 0.06;
  lo -= pad;
  hi += pad;
  const r0 = p.rho[0];
  const r1 = K > 1 ? p.rho[K - 1] : r0 + 1;
  const xOf = (r: number) => plot.x + (K === 1 ? plot.w / 2 : ((r - r0) / (r1 - r0)) * plot.w);
  const yOf = (v: number) => plot.y + plot.h - ((v - lo) / (hi - lo)) * plot.h;
  const clampY = (y: number) => Math.max(plot.y, Math.min(plot.y + plot.h, y));
  // Grid lines and ticks.
  const yt = niceTicks(lo, hi, 7);
  for (const v of yt.values) {
    items.push({ kind: 'rect', x: plot.x, y: yOf(v) - 0.5, w: plot.w, h: 1, fill: C.grid, opacity: 1 });
    text(plot.x - 7, yOf(v) + 3.5, formatTick(v, yt.step), 10, 'end');
  }
  const xt = niceTicks(r0, r1, 8);
  for (const v of xt.values) {
    items.push({ kind: 'rect', x: xOf(v) - 0.5, y: plot.y + plot.h, w: 1, h: 4, fill: C.frame, opacity: 1 });
    text(xOf(v), plot.y + plot.h + 16, formatTick(v, xt.step), 10, 'middle');
  }
  text(plot.x + plot.w / 2, plot.y + plot.h + 33, sweepAxis(field.config).words, 11, 'middle');
  text(22, plot.y + plot.h / 2, 'decades per step back (> 0 explodes)', 11, 'middle', -90);
  if (opts.highlightK !== undefined && opts.highlightK >= 0 && opts.highlightK < K) {
    items.push({ kind: 'rect', x: xOf(p.rho[opts.highlightK]) - 3, y: plot.y, w: 6, h: plot.h, fill: C.highlight, opacity: 0.3 });
  }
  items.push({ kind: 'line', points: [[plot.x, yOf(0)], [plot.x + plot.w, yOf(0)]], colour: INK, width: 1, dash: null });
  // A polyline per finite run of a curve, clipped to the plot vertically.
  const curve = (values: Float64Array, colour: Rgb, width: number, dash: number[] | null) => {
    let run: Pt[] = [];
    const flush = () => {
      if (run.length > 1) items.push({ kind: 'line', points: run, colour, width, dash });
      run = [];
    };
    for (let k = 0; k < K; k++) {
      if (!Number.isFinite(values[k])) flush();
      else run.push([xOf(p.rho[k]), clampY(yOf(values[k]))]);
    }
    flush();
  };
  curve(p.linear, C.linear, 1.5, [6, 4]);
  curve(p.pascanu, C.pascanu, 1.5, [2, 3]);
  if (p.meanField) curve(p.meanField, C.meanField, 2, [9, 3, 2, 3]);
  for (let k = 0; k < K; k++) {
    const v = p.measured.rate[k];
    const se = p.measured.seBound[k];
    if (Number.isFinite(v) && Number.isFinite(se)) {
      items.push({ kind: 'line', points: [[xOf(p.rho[k]), clampY(yOf(v - se))], [xOf(p.rho[k]), clampY(yOf(v + se))]], colour: C.measured, width: 1, dash: null });
    }
  }
  curve(p.measured.rate, C.measured, 2, null);
  if (K <= 128) for (let k = 0; k < K; k++) if (Number.isFinite(p.measured.rate[k])) items.push({ kind: 'dot', x: xOf(p.rho[k]), y: clampY(yOf(p.measured.rate[k])), r: 2, colour: C.measured });
  const edge = (x: number | null, colour: Rgb, label: string, row: number) => {
    if (x === null) return;
    items.push({ kind: 'line', points: [[xOf(x), plot.y], [xOf(x), plot.y + plot.h]], colour, width: 1.2, dash: [3, 3] });
    items.push({ kind: 'dot', x: xOf(x), y: yOf(0), r: 4, colour });
    const right = xOf(x) > plot.x + plot.w * 0.7;
    text(xOf(x) + (right ? -5 : 5), plot.y + 13 + 13 * row, `${label} \u03c1 = ${x.toFixed(3)}`, 10, right ? 'end' : 'start', 0, colour);
  };
  edge(p.edgeMeanField, C.meanField, 'mean-field edge', 0);
  edge(p.edgeMeasured, C.measured, 'measured edge', 1);
  // Frame.
  for (const [x, y, w, h] of [
    [plot.x - 1, plot.y - 1, plot.w + 2, 1],
    [plot.x - 1, plot.y + plot.h, plot.w + 2, 1],
    [plot.x - 1, plot.y, 1, plot.h],
    [plot.x + plot.w, plot.y, 1, plot.h],
  ] as const)
    items.push({ kind: 'rect', x, y, w, h, fill: C.frame, opacity: 1 });
  // Legend, then the window and what mean field assumed, under the axis label.
  let lx = plot.x;
  let ly = plot.y + plot.h + 56;
  const legend: [Rgb, number[] | null, string][] = [
    [C.measured, null, `measured \u00b1 standard-error bound (${field.meta.backend}, ${field.meta.precision})`],
    ...(p.meanField ? [[C.meanField, [9, 3, 2, 3], '\u00bd log\u2081\u2080 \u03c7 (mean field)'] as [Rgb, number[], string]] : []),
    [C.linear, [6, 4], 'log\u2081\u2080 \u03c1 (linear)'],
    [C.pascanu, [2, 3], 'Pascanu bound'],
  ];
  for (const [colour, dash, words] of legend) {
    const w = 28 + font.measure(words, 10);
    if (lx > plot.x && lx + w > plot.x + plot.w) {
      lx = plot.x;
      ly += 16;
    }
    items.push({ kind: 'line', points: [[lx, ly - 3.5], [lx + 22, ly - 3.5]], colour, width: 2, dash });
    text(lx + 28, ly, words, 10);
    lx += w + 18;
  }
  ly += 16;
  text(plot.x, ly, `Window: ${describeWindow(p.window)}.`, 9, 'start', 0, [85, 85, 85]);
  ly += 13;
  text(plot.x, ly, p.meanField ? `Mean field: ${p.meanFieldNote}.` : `Mean field not drawn: ${p.meanFieldNote.replace(/^mean field /, '')}.`, 9, 'start', 0, [85, 85, 85]);
  if (p.meanField && p.edgeMeanField === null) {
    ly += 13;
    const where = p.edgeMeanFieldOutside !== null ? `at \u03c1 \u2248 ${p.edgeMeanFieldOutside.toFixed(2)}, outside the swept \u03c1` : 'outside the swept \u03c1';
    text(plot.x, ly, `Mean-field edge of chaos: ${where}.`, 9, 'start', 0, [85, 85, 85]);
  }
  const width = Math.ceil(Math.max(plot.x + plot.w + 20, plot.x + font.measure(`Gradient rate per step against \u03c1 \u00b7 ${title}`, 13) + 12, plot.x + font.measure(subtitle, 10) + 12));
  return { width, height: Math.ceil(ly + 12), scale, items, phase: p };
}

export function rasteriseRateScene(scene: RateScene, font: FigureFont): Raster {
  const s = scene.scale;
  const r = new Raster(scene.width * s, scene.height * s);
  for (const item of scene.items) {
    switch (item.kind) {
      case 'rect': {
        const poly = [item.x * s, item.y * s, (item.x + item.w) * s, item.y * s, (item.x + item.w) * s, (item.y + item.h) * s, item.x * s, (item.y + item.h) * s];
        if (item.opacity >= 1) r.fillPolygons([poly], item.fill);
        else {
          // A translucent highlight: blend the colour over what is there.
          for (let y = Math.round(item.y * s); y < Math.round((item.y + item.h) * s); y++)
            for (let x = Math.round(item.x * s); x < Math.round((item.x + item.w) * s); x++) r.blend(x, y, item.fill, item.opacity);
        }
        break;
      }
      case 'line':
        for (const part of item.dash ? dashes(item.points.flat(), item.dash) : [item.points.flat()]) r.fillPolygons(strokePolygons(part, item.width, s), item.colour);
        break;
      case 'dot':
        r.fillPolygons([circlePolygon(item.x, item.y, item.r, s)], item.colour);
        break;
      case 'text':
        r.fillPolygons(font.outline(item.text, item.size * s, item.x * s, item.y * s, item.anchor, item.angle), item.colour);
        break;
    }
  }
  return r;
}

export function renderRatePng(field: GradientField, font: FigureFont, opts: { scale?: Scale; highlightK?: number } = {}): Uint8Array {
  const scene = buildRateScene(field, font, opts);
  const raster = rasteriseRateScene(scene, font);
  return encode({
    width: raster.width,
    height: raster.height,
    data: raster.data,
    channels: 4,
    depth: 8,
    text: { Software: 'RNN Gradient Lab', Title: 'gradient rate per step against rho', Comment: describeWindow(scene.phase.window) },
  });
}

export function renderRateSvg(field: GradientField, font: FigureFont, opts: { highlightK?: number } = {}): string {
  const scene = buildRateScene(field, font, { scale: 1, ...opts });
  const out: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${scene.width}" height="${scene.height}" viewBox="0 0 ${scene.width} ${scene.height}">\n`,
    `<title>gradient rate per step against rho</title>\n<rect width="100%" height="100%" fill="#ffffff"/>\n<g font-family="${esc(FIGURE_FONT_FAMILY)}">\n`,
  ];
  for (const item of scene.items) {
    switch (item.kind) {
      case 'rect':
        out.push(`<rect x="${n(item.x)}" y="${n(item.y)}" width="${n(item.w)}" height="${n(item.h)}" fill="${rgbHex(item.fill)}"${item.opacity < 1 ? ` fill-opacity="${item.opacity}"` : ''}/>\n`);
        break;
      case 'line':
        out.push(
          `<polyline class="curve" points="${item.points.map(([x, y]) => `${n(x)},${n(y)}`).join(' ')}" fill="none" stroke="${rgbHex(item.colour)}" stroke-width="${item.width}"${item.dash ? ` stroke-dasharray="${item.dash.join(' ')}"` : ''} stroke-linejoin="round"/>\n`,
        );
        break;
      case 'dot':
        out.push(`<circle cx="${n(item.x)}" cy="${n(item.y)}" r="${item.r}" fill="${rgbHex(item.colour)}"/>\n`);
        break;
      case 'text': {
        const anchor = item.anchor === 'start' ? '' : ` text-anchor="${item.anchor}"`;
        const rot = item.angle === 0 ? '' : ` transform="rotate(${item.angle} ${n(item.x)} ${n(item.y)})"`;
        out.push(`<text x="${n(item.x)}" y="${n(item.y)}" font-size="${item.size}"${anchor}${rot} fill="${rgbHex(item.colour)}">${esc(item.text)}</text>\n`);
        break;
      }
    }
  }
  out.push('</g>\n</svg>\n');
  return out.join('');
}

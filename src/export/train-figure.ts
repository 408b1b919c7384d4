/**
 * The held-out loss chart of a training run as a figure (the Train view's chart for papers and
 * slides), built as a ChartScene so the shared chart writers draw it (chart.ts: SVG, and PNG
 * through the same rasteriser as the other figures): one curve per model on a log10 axis over
 * iterations, the task's baseline dashed, a legend naming each model and any divergence in
 * words. Values a log axis cannot show (zero, negative, non-finite) are left out and counted in
 * the caption, never drawn.
 */
import type { TrainConfig } from '../core/train/config.ts';
import type { Divergence, EvalRow } from '../core/train/loop.ts';
import { taskShape } from '../core/train/tasks.ts';
import { chartPng, chartSvg, type ChartItem, type ChartScene } from './chart.ts';
import type { Rgb } from './colormap.ts';
import type { Scale } from './figure.ts';
import type { FigureFont } from './font.ts';
import { formatNumber, formatTick, niceTicks } from './ticks.ts';

/** One colour per model (Okabe & Ito's colour-blind-safe set), shared with the lab's charts. */
export const MODEL_COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#D55E00', '#56B4E9', '#8a7a00', '#555555'] as const;

export function modelColour(k: number): string {
  return MODEL_COLOURS[k % MODEL_COLOURS.length];
}

function rgb(hex: string): Rgb {
  return [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)];
}

const INK: Rgb = [34, 34, 34];
const GRID: Rgb = [221, 221, 221];
const FRAME: Rgb = [153, 153, 153];
const BAD: Rgb = [176, 0, 32];
const MUTED: Rgb = [102, 102, 102];

export interface LossChartInput {
  config: TrainConfig;
  /** Held-out evaluations (any order). */
  rows: readonly EvalRow[];
  /** Model labels, in the config's order. */
  labels: readonly string[];
  divergences?: readonly Divergence[];
}

export function buildLossScene(input: LossChartInput, opts: { width?: number; height?: number; scale?: Scale } = {}): ChartScene {
  const { config, rows, labels } = input;
  const width = opts.width ?? 720;
  const height = opts.height ?? 420;
  const legendH = 16 * (labels.length + (input.divergences?.length ?? 0)) + 8;
  const plot = { x: 64, y: 40, w: width - 64 - 20, h: height - 40 - (44 + legendH) };
  const baseline = taskShape(config).baseline;
  const ok = (y: number) => Number.isFinite(y) && y > 0;
  let lo = baseline;
  let hi = baseline;
  let hidden = 0;
  for (const r of rows) {
    if (!ok(r.heldoutLoss)) {
      hidden++;
      continue;
    }
    lo = Math.min(lo, r.heldoutLoss);
    hi = Math.max(hi, r.heldoutLoss);
  }
  const a = Math.floor(Math.log10(lo));
  const b0 = Math.ceil(Math.log10(hi));
  const b = b0 > a ? b0 : a + 1;
  const sx = (x: number) => plot.x + (x / Math.max(1, config.iterations)) * plot.w;
  const sy = (y: number) => plot.y + plot.h - ((Math.log10(y) - a) / (b - a)) * plot.h;
  const items: ChartItem[] = [];
  const text = (x: number, y: number, t: string, anchor: 'start' | 'middle' | 'end' = 'start', colour: Rgb = INK, size = 12, angle: 0 | -90 = 0) =>
    items.push({ kind: 'text', x, y, text: t, size, anchor, angle, colour });
  const title = `Held-out loss: ${config.task}, T = ${config.length}, ${config.optimizer} lr ${config.lr}, batch ${config.batch}, seed ${config.seed}`;
  text(plot.x, 22, title, 'start', INK, 14);
  // About 6 labelled decades at most: every decade, or every 2nd, 5th, 10th... over a wide range.
  const stride = b - a <= 6 ? 1 : Math.max(1, Math.round(niceTicks(0, b - a, 5).step));
  for (let e = Math.ceil(a / stride) * stride; e <= b; e += stride) {
    const y = sy(10 ** e);
    items.push({ kind: 'rect', box: { x: plot.x, y: y - 0.3, w: plot.w, h: 0.6 }, fill: GRID });
    text(plot.x - 6, y + 4, `1e${e}`, 'end');
  }
  const xt = niceTicks(0, Math.max(1, config.iterations), 6);
  for (const v of xt.values) text(sx(v), plot.y + plot.h + 16, formatTick(v, xt.step), 'middle');
  text(plot.x + plot.w / 2, plot.y + plot.h + 34, 'iteration', 'middle');
  text(16, plot.y + plot.h / 2, 'held-out loss (log scale)', 'middle', INK, 12, -90);
  const { x, y, w, h } = plot;
  items.push({ kind: 'line', points: [x, y, x + w, y, x + w, y + h, x, y + h, x, y], colour: FRAME, width: 1 });
  const by = sy(baseline);
  items.push({ kind: 'line', points: [x, by, x + w, by], colour: INK, width: 1, dash: [6, 4] });
  text(x + w - 4, by - 5, `baseline ${formatNumber(baseline)}`, 'end');
  labels.forEach((_, k) => {
    const pts = rows.filter((r) => r.model === k && ok(r.heldoutLoss)).sort((p, q) => p.iteration - q.iteration);
    if (pts.length > 0) items.push({ kind: 'line', points: pts.flatMap((r) => [sx(r.iteration), sy(r.heldoutLoss)]), colour: rgb(modelColour(k)), width: 1.8 });
  });
  let ly = y + h + 52;
  labels.forEach((l, k) => {
    items.push({ kind: 'rect', box: { x, y: ly - 9, w: 10, h: 10 }, fill: rgb(modelColour(k)) });
    text(x + 16, ly, `${k}: ${l}`);
    ly += 16;
  });
  for (const d of input.divergences ?? []) {
    text(x, ly, d.message, 'start', BAD);
    ly += 16;
  }
  if (hidden > 0) text(width - 20, height - 6, `${hidden} value${hidden > 1 ? 's' : ''} at or below 0 not drawn`, 'end', MUTED);
  return { width, height, scale: opts.scale ?? 1, plot, title, items };
}

export function lossChartSvg(input: LossChartInput): string {
  return chartSvg(buildLossScene(input));
}

export function lossChartPng(input: LossChartInput, font: FigureFont, scale: Scale = 1): Uint8Array {
  return chartPng(buildLossScene(input, { scale }), font);
}

/**
 * The held-out loss chart of a training run as a standalone SVG (the Train view's chart for
 * papers and slides): one curve per model on a log10 axis over iterations, the task's baseline
 * dashed, a legend naming each model and any divergence in words. Values a log axis cannot show
 * (zero, negative, non-finite) are left out and counted in the caption, never drawn.
 */
import type { TrainConfig } from '../core/train/config.ts';
import type { Divergence, EvalRow } from '../core/train/loop.ts';
import { taskShape } from '../core/train/tasks.ts';
import { formatNumber, formatTick, niceTicks } from './ticks.ts';

/** One colour per model (Okabe & Ito's colour-blind-safe set), shared with the lab's charts. */
export const MODEL_COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#D55E00', '#56B4E9', '#8a7a00', '#555555'] as const;

export function modelColour(k: number): string {
  return MODEL_COLOURS[k % MODEL_COLOURS.length];
}

export interface LossChartInput {
  config: TrainConfig;
  /** Held-out evaluations (any order). */
  rows: readonly EvalRow[];
  /** Model labels, in the config's order. */
  labels: readonly string[];
  divergences?: readonly Divergence[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function lossChartSvg(input: LossChartInput, size = { width: 720, height: 420 }): string {
  const { config, rows, labels } = input;
  const { width, height } = size;
  const legendH = 16 * (labels.length + (input.divergences?.length ?? 0)) + 8;
  const M = { l: 64, r: 20, t: 40, b: 44 + legendH };
  const pw = width - M.l - M.r;
  const ph = height - M.t - M.b;
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
  const sx = (x: number) => M.l + (x / Math.max(1, config.iterations)) * pw;
  const sy = (y: number) => M.t + ph - ((Math.log10(y) - a) / (b - a)) * ph;
  const f = (v: number) => v.toFixed(2);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  const title = `Held-out loss: ${config.task}, T = ${config.length}, ${config.optimizer} lr ${config.lr}, batch ${config.batch}, seed ${config.seed}`;
  out.push(`<text x="${M.l}" y="22" font-size="14" font-weight="bold" fill="#222222">${esc(title)}</text>`);
  out.push(`<rect x="${M.l}" y="${M.t}" width="${pw}" height="${ph}" fill="none" stroke="#999999"/>`);
  const stride = b - a <= 6 ? 1 : Math.max(1, Math.round(niceTicks(0, b - a, 5).step));
  for (let e = Math.ceil(a / stride) * stride; e <= b; e += stride) {
    const y = sy(10 ** e);
    out.push(`<line x1="${M.l}" x2="${M.l + pw}" y1="${f(y)}" y2="${f(y)}" stroke="#dddddd" stroke-width="0.6"/>`);
    out.push(`<text x="${M.l - 6}" y="${f(y + 4)}" text-anchor="end" fill="#222222">1e${e}</text>`);
  }
  const xt = niceTicks(0, Math.max(1, config.iterations), 6);
  for (const v of xt.values) out.push(`<text x="${f(sx(v))}" y="${M.t + ph + 16}" text-anchor="middle" fill="#222222">${formatTick(v, xt.step)}</text>`);
  out.push(`<text x="${M.l + pw / 2}" y="${M.t + ph + 34}" text-anchor="middle" fill="#222222">iteration</text>`);
  out.push(`<text transform="translate(16 ${M.t + ph / 2}) rotate(-90)" text-anchor="middle" fill="#222222">held-out loss (log scale)</text>`);
  const by = sy(baseline);
  out.push(`<line x1="${M.l}" x2="${M.l + pw}" y1="${f(by)}" y2="${f(by)}" stroke="#222222" stroke-dasharray="6 4"/>`);
  out.push(`<text x="${M.l + pw - 4}" y="${f(by - 5)}" text-anchor="end" fill="#222222">baseline ${esc(formatNumber(baseline))}</text>`);
  labels.forEach((_, k) => {
    const pts = rows.filter((r) => r.model === k && ok(r.heldoutLoss)).sort((p, q) => p.iteration - q.iteration);
    if (pts.length === 0) return;
    const d = pts.map((r, j) => `${j === 0 ? 'M' : 'L'}${f(sx(r.iteration))},${f(sy(r.heldoutLoss))}`).join('');
    out.push(`<path d="${d}" fill="none" stroke="${modelColour(k)}" stroke-width="1.8"/>`);
  });
  let ly = M.t + ph + 52;
  labels.forEach((l, k) => {
    out.push(`<rect x="${M.l}" y="${ly - 9}" width="10" height="10" fill="${modelColour(k)}"/>`);
    out.push(`<text x="${M.l + 16}" y="${ly}" fill="#222222">${esc(`${k}: ${l}`)}</text>`);
    ly += 16;
  });
  for (const d of input.divergences ?? []) {
    out.push(`<text x="${M.l}" y="${ly}" fill="#b00020">${esc(d.message)}</text>`);
    ly += 16;
  }
  if (hidden > 0) out.push(`<text x="${width - M.r}" y="${height - 6}" text-anchor="end" fill="#666666">${hidden} value${hidden > 1 ? 's' : ''} at or below 0 not drawn</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

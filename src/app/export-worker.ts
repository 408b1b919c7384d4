/**
 * Writes the lab's export files off the page's thread, through the shared writers in src/export
 * (the same files the CLI writes): rasterising a 4x heatmap in pure TypeScript (~2 s on this
 * machine), stringifying ~10^7 numbers for the CSV or the bundle, and rebuilding the matrices
 * for the bundle (buildProblem: W0 and its spectrum, O(N^3), seconds at N = 512) would freeze
 * the page. Gets the request with the field(s) (structured clone), answers with the file; also
 * reads opened run bundles (JSON.parse and checks of up to ~330 MB) into a field.
 */
import { MATRIX_NUMBER_LIMIT, type BundleView } from '../core/bundle.ts';
import { GRID_NAMES, nearestRhoIndex, type GradientField, type GridName } from '../core/field.ts';
import { buildProblem, type Problem } from '../core/problem.ts';
import { differenceOf } from '../export/compare.ts';
import { bundleFile, csvFile, derivativeFile, heatmapFile, npzFile, rateCsvFile, rateFigureFile, sliceFile, spectrumFile } from '../export/files.ts';
import type { DerivativeFigureData } from '../export/derivative.ts';
import { sliceFromField, type SliceOverlays } from '../export/slice.ts';
import { fetchFigureFont } from '../export/font-url.ts';
import { rangeRuleShort } from '../export/colormap.ts';
import { lossChartPng, lossChartSvg, type LossChartInput } from '../export/train-figure.ts';
import { trainedField } from '../core/train/gradient.ts';
import type { Config } from '../core/config.ts';
import { readBundleRun } from './import.ts';

export interface ExportRequest {
  format: 'png' | 'svg' | 'csv' | 'npz' | 'json' | 'rate-png' | 'rate-svg' | 'rate-csv' | 'slice-png' | 'slice-svg' | 'spectrum-png' | 'spectrum-svg' | 'derivative-png' | 'derivative-svg';
  /** Configuration A (the figure's title, the grids, the bundle). */
  a: GradientField;
  /** Configuration B in compare mode: the figures show A - B. */
  b: GradientField | null;
  grid: GridName;
  scale: 1 | 2 | 4;
  /** The view on screen, saved in the bundle so opening it shows the same picture. */
  view?: BundleView;
  /** The slice chart's curves switched on in the lab (the slice figure draws the same). */
  overlays?: SliceOverlays;
  /** The colour range the user locked for the field shown (heatmap figures keep it; not for a difference). */
  lock?: { min: number; max: number };
  /** The derivative panel as drawn (its histogram comes from the page, not from the field). */
  derivative?: DerivativeFigureData;
}

/** The Train view's held-out loss figure (train-figure.ts), PNG or SVG. */
export interface LossFigureRequest {
  format: 'loss-png' | 'loss-svg';
  input: LossChartInput;
  scale: 1 | 2 | 4;
  /** The file name without its extension. */
  stem: string;
}

/** The gradient field of a trained W (core/train/gradient.ts), computed on the float64 reference. */
export interface TrainedFieldRequest {
  format: 'trained-field';
  config: Config;
  W: Float64Array;
  radius: number;
}

/** Read a dropped or picked run bundle (import.ts), so parsing up to MAX_BUNDLE_BYTES of JSON never freezes the page. */
export interface ReadRequest {
  format: 'read';
  file: File;
}

export type ExportReply =
  | { ok: true; name: string; mime: string; parts: (string | Uint8Array)[] }
  | { ok: true; field: GradientField; view: BundleView | null }
  | { ok: false; message: string };

const ctx = self as unknown as {
  onmessage: ((e: MessageEvent<ExportRequest | ReadRequest | LossFigureRequest | TrainedFieldRequest>) => void) | null;
  postMessage(msg: ExportReply, transfer?: Transferable[]): void;
};

function isLossRequest(r: ExportRequest | LossFigureRequest): r is LossFigureRequest {
  return r.format === 'loss-png' || r.format === 'loss-svg';
}

async function writeLoss(r: LossFigureRequest) {
  if (r.format === 'loss-svg') return { name: `${r.stem}.svg`, mime: 'image/svg+xml', parts: [lossChartSvg(r.input)] };
  return { name: `${r.stem}.png`, mime: 'image/png', parts: [lossChartPng(r.input, await fetchFigureFont(), r.scale)] };
}

async function write(r: ExportRequest) {
  const { a, b, grid } = r;
  if (r.format === 'png' || r.format === 'svg') {
    const font = await fetchFigureFont();
    const difference = b ? differenceOf(a, b, grid, a.config.activation, b.config.activation) : undefined;
    const locked = r.lock && !difference ? { range: r.lock, rangeWords: rangeRuleShort({ rule: 'locked', ...r.lock }) } : {};
    return heatmapFile(a, font, { grid, scale: r.scale, difference, ...locked }, r.format);
  }
  if (r.format === 'rate-png' || r.format === 'rate-svg') {
    const font = await fetchFigureFont();
    const k = r.view ? nearestRhoIndex(a.rho, r.view.rho) : undefined;
    return rateFigureFile(a, font, r.format === 'rate-png' ? 'png' : 'svg', { scale: r.scale, highlightK: k });
  }
  if (r.format === 'rate-csv') return rateCsvFile(a);
  if (r.format === 'derivative-png' || r.format === 'derivative-svg') {
    if (!r.derivative) throw new Error('the derivative panel has nothing to export yet');
    return derivativeFile(r.derivative, a.config, await fetchFigureFont(), { scale: r.scale }, r.format === 'derivative-png' ? 'png' : 'svg');
  }
  if (r.format === 'slice-png' || r.format === 'slice-svg' || r.format === 'spectrum-png' || r.format === 'spectrum-svg') {
    const font = await fetchFigureFont();
    // The slider's rho snapped to the grid, as the slice chart and the eigenvalue plot show it.
    const rho = a.rho[nearestRhoIndex(a.rho, r.view?.rho ?? 1)];
    const format = r.format.endsWith('png') ? 'png' : 'svg';
    // The statistic Show names, with the gradient as the second line where it is switched on, as <lab-slice> draws it.
    if (r.format.startsWith('slice')) return sliceFile(sliceFromField(a, b, rho, grid), a.config, font, { scale: r.scale, overlays: r.overlays }, format);
    return spectrumFile(a.spectrum, rho, a.config, font, { scale: r.scale, rhoMax: a.rho[a.K - 1] }, format);
  }
  if (r.format === 'csv') return csvFile(a);
  if (r.format === 'npz') return npzFile(a);
  // Past the limit toBundle leaves the matrices out and says why without reading the problem:
  // do not build them for nothing (W0's spectrum alone takes ~50 s at N = 1024).
  const c = a.config;
  const withMatrices = c.hidden * c.hidden + c.samples * c.steps * c.input <= MATRIX_NUMBER_LIMIT;
  return bundleFile(a, withMatrices ? buildProblem(c, { outlierAndUntied: true }) : ({} as Problem), r.view);
}

/** One request at a time, answered in the order asked (the page matches answers to requests that way). */
let queue: Promise<void> = Promise.resolve();

async function answer(request: ExportRequest | ReadRequest | LossFigureRequest | TrainedFieldRequest): Promise<void> {
  try {
    if (request.format === 'read' || request.format === 'trained-field') {
      const { field, view } =
        request.format === 'read' ? await readBundleRun(request.file) : { field: await trainedField(request.config, request.W, request.radius), view: null };
      const grids = [...GRID_NAMES.map((g) => field.grids[g]), field.overflow];
      ctx.postMessage({ ok: true, field, view }, grids.map((g) => g.buffer as ArrayBuffer));
      return;
    }
    const f = isLossRequest(request) ? await writeLoss(request) : await write(request);
    const parts = Array.from(f.parts);
    const transfer = [...new Set(parts.filter((p): p is Uint8Array => typeof p !== 'string').map((p) => p.buffer as ArrayBuffer))];
    ctx.postMessage({ ok: true, name: f.name, mime: f.mime, parts }, transfer);
  } catch (err) {
    ctx.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) });
  }
}

ctx.onmessage = (e) => {
  queue = queue.then(() => answer(e.data));
};

/**
 * Downloads of the run on screen, through the shared writers in src/export (the same files the
 * CLI writes): the heatmap of the shown field as PNG or SVG (in compare mode, the difference
 * A - B) at 1x, 2x or 4x, the tidy CSV, the NPZ, and the JSON run bundle with the matrices,
 * all written in a Web Worker (export-worker.ts) started on the first export; and the name of
 * the 3D surface image (the image itself comes from <lab-surface>, which owns the WebGL view).
 */
import type { BundleView } from '../core/bundle.ts';
import type { GradientField } from '../core/field.ts';
import type { DerivativeFigureData } from '../export/derivative.ts';
import type { LossChartInput } from '../export/train-figure.ts';
import type { Config } from '../core/config.ts';
import type { ExportReply, ExportRequest, LossFigureRequest, ReadRequest, TrainedFieldRequest } from './export-worker.ts';
import { SHOWN_GRID, type ShownField, type ViewState } from './state.ts';
import type { RunResult } from './store.ts';

export const EXPORT_FORMATS = ['png', 'svg', 'csv', 'npz', 'json', 'surface', 'rate-png', 'rate-svg', 'rate-csv', 'slice-png', 'slice-svg', 'spectrum-png', 'spectrum-svg', 'derivative-png', 'derivative-svg'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_LABELS: Record<ExportFormat, string> = {
  png: 'Heatmap PNG',
  svg: 'Heatmap SVG',
  csv: 'Grids CSV',
  npz: 'Grids NPZ (NumPy)',
  json: 'Run bundle JSON',
  surface: '3D surface PNG',
  'rate-png': 'Rate vs ρ PNG',
  'rate-svg': 'Rate vs ρ SVG',
  'rate-csv': 'Rate vs ρ CSV',
  'slice-png': 'Slice chart PNG',
  'slice-svg': 'Slice chart SVG',
  'spectrum-png': 'Eigenvalue plot PNG',
  'spectrum-svg': 'Eigenvalue plot SVG',
  'derivative-png': 'φ′ and a_t PNG',
  'derivative-svg': 'φ′ and a_t SVG',
};

/** PNG pixel densities of the heatmap figure (the figure is 1x in CSS px; 2x suits slides, 4x print). */
export const PNG_SCALES = [1, 2, 4] as const;
export type PngScale = (typeof PNG_SCALES)[number];

/** Sizes offered for the 3D surface image, pixels (all within WebGL's usual 4096 limit). */
export const SURFACE_SIZES: readonly (readonly [number, number])[] = [
  [1280, 800],
  [1920, 1200],
  [2560, 1600],
  [3840, 2400],
];

/** Options of an export: the heatmap PNG's scale, the surface image's size. */
export interface ExportOptions {
  scale?: PngScale;
  size?: readonly [number, number];
  /** The derivative panel as drawn (its histogram is the page's, not the field's). */
  derivative?: DerivativeFigureData;
}

export interface ExportedFile {
  name: string;
  mime: string;
  blob: Blob;
}

/**
 * Build the file for a format from the result on screen, in the export worker (export-worker.ts),
 * so the page stays responsive. Throws an Error with a message to show.
 */
export async function exportFile(result: RunResult, view: ViewState, format: Exclude<ExportFormat, 'surface'>, options: ExportOptions = {}): Promise<ExportedFile> {
  const saved: BundleView = { shown: view.field, rho: view.rho, camera: view.camera };
  const request: ExportRequest = { format, a: result.a, b: result.b, grid: SHOWN_GRID[view.field], scale: options.scale ?? 2, view: saved, overlays: view.overlays, derivative: options.derivative };
  // A colour range locked for the field shown goes into the heatmap figures too.
  const lock = view.colourLock;
  if (lock && lock.field === view.field) request.lock = { min: lock.min, max: lock.max };
  const reply = await askWorker(request);
  if (!reply.ok) throw new Error(reply.message);
  if (!('parts' in reply)) throw new Error('the export worker answered with something else than a file');
  return { name: reply.name, mime: reply.mime, blob: new Blob(reply.parts as BlobPart[], { type: reply.mime }) };
}

/**
 * The Train view's held-out loss figure (train-figure.ts) as PNG (at `scale`) or SVG, written in
 * the export worker: the PNG rasterises text with the figure font there, off the page's thread.
 */
export async function exportLossFigure(input: LossChartInput, format: 'png' | 'svg', stem: string, scale: PngScale = 2): Promise<ExportedFile> {
  const reply = await askWorker({ format: format === 'png' ? 'loss-png' : 'loss-svg', input, scale, stem });
  if (!reply.ok) throw new Error(reply.message);
  if (!('parts' in reply)) throw new Error('the export worker answered with something else than a file');
  return { name: reply.name, mime: reply.mime, blob: new Blob(reply.parts as BlobPart[], { type: reply.mime }) };
}

/**
 * Read a run bundle in the export worker (import.ts's readBundleFile there: the page stays
 * responsive while a large file parses). Throws an Error whose message names the file and the problem.
 */
export async function readBundleInWorker(file: File): Promise<{ field: GradientField; view: BundleView | null }> {
  const reply = await askWorker({ format: 'read', file });
  if (!reply.ok) throw new Error(reply.message);
  if (!('field' in reply)) throw new Error('the export worker answered with something else than a field');
  return { field: reply.field, view: reply.view };
}

/**
 * The gradient field of a trained W (core/train/gradient.ts: `config` from trainedConfig) on the
 * float64 reference, in the export worker: seconds of work at N = 64, T = 150 that must not
 * block the page.
 */
export async function trainedFieldInWorker(config: Config, W: Float64Array, radius: number): Promise<GradientField> {
  const reply = await askWorker({ format: 'trained-field', config, W, radius });
  if (!reply.ok) throw new Error(reply.message);
  if (!('field' in reply)) throw new Error('the export worker answered with something else than a field');
  return reply.field;
}

/** One export worker, started on the first export and kept (the figure font stays parsed in it). */
let worker: Worker | null = null;
/** Requests in order: the worker answers them one at a time, in the order asked. */
const waiting: ((r: ExportReply) => void)[] = [];

function askWorker(request: ExportRequest | ReadRequest | LossFigureRequest | TrainedFieldRequest): Promise<ExportReply> {
  if (!worker) {
    const w = new Worker(new URL('./export-worker.ts', import.meta.url), { type: 'module', name: 'rnnlab-export' });
    w.onmessage = (e: MessageEvent<ExportReply>) => waiting.shift()?.(e.data);
    w.onerror = (e) => {
      // It could not start or crashed: fail everything asked of it; the next export starts a new one.
      const message = `the export worker failed (${e.message || 'it could not start'}); try again`;
      for (const done of waiting.splice(0)) done({ ok: false, message });
      w.terminate();
      if (worker === w) worker = null;
    };
    worker = w;
  }
  const w = worker;
  return new Promise<ExportReply>((resolve) => {
    waiting.push(resolve);
    w.postMessage(request);
  });
}

/** The file name of the 3D surface image: surface-grad-tanh-gaussian-N64-T100-S16-seed1.png. */
export async function surfaceFileName(field: GradientField, shown: ShownField): Promise<string> {
  const { exportFileName } = await import('../export/names.ts');
  return `surface-${exportFileName(field.config, SHOWN_GRID[shown], 'png')}`;
}

/** Hand a file to the browser as a download. */
export function saveFile(file: ExportedFile): void {
  const url = URL.createObjectURL(file.blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = file.name;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

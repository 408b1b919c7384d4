/**
 * Downloads of the run on screen, through the shared writers in src/export (the same files the
 * CLI writes): the heatmap of the shown field as PNG or SVG (in compare mode, the difference
 * A - B), the tidy CSV, the NPZ, and the JSON run bundle with the matrices. The writers are
 * loaded on first use, so they cost nothing until someone exports.
 */
import type { GradientField } from '../core/field.ts';
import type { BundleReply } from './bundle-worker.ts';
import { SHOWN_GRID, type ShownField } from './state.ts';
import type { RunResult } from './store.ts';

export const EXPORT_FORMATS = ['png', 'svg', 'csv', 'npz', 'json', 'surface'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_LABELS: Record<ExportFormat, string> = {
  png: 'Heatmap PNG',
  svg: 'Heatmap SVG',
  csv: 'Grids CSV',
  npz: 'Grids NPZ (NumPy)',
  json: 'Run bundle JSON',
  surface: '3D surface PNG',
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
}

export interface ExportedFile {
  name: string;
  mime: string;
  blob: Blob;
}

/** Build the file for a format from the result on screen. Throws an Error with a message to show. */
export async function exportFile(result: RunResult, field: ShownField, format: Exclude<ExportFormat, 'surface'>, options: ExportOptions = {}): Promise<ExportedFile> {
  const files = await import('../export/files.ts');
  const grid = SHOWN_GRID[field];
  let f;
  if (format === 'png' || format === 'svg') {
    const [{ fetchFigureFont }, { differenceOf }] = await Promise.all([import('../export/font-url.ts'), import('../export/compare.ts')]);
    const font = await fetchFigureFont();
    const difference = result.b ? differenceOf(result.a, result.b, grid, result.a.config.activation, result.b.config.activation) : undefined;
    f = files.heatmapFile(result.a, font, { grid, scale: options.scale ?? 2, difference }, format);
  } else if (format === 'csv') f = files.csvFile(result.a);
  else if (format === 'npz') f = files.npzFile(result.a);
  else {
    // Same name and contents as files.bundleFile(field, buildProblem(config)), written in a worker.
    const { exportFileName } = await import('../export/names.ts');
    return { name: exportFileName(result.a.config, 'run', 'json'), mime: 'application/json', blob: new Blob([await bundleJson(result.a)], { type: 'application/json' }) };
  }
  const parts: BlobPart[] = [];
  for (const p of f.parts) parts.push(typeof p === 'string' ? p : new Uint8Array(p));
  return { name: f.name, mime: f.mime, blob: new Blob(parts, { type: f.mime }) };
}

/** The bundle JSON (with the matrices) written by bundle-worker.ts. */
function bundleJson(field: GradientField): Promise<string> {
  const worker = new Worker(new URL('./bundle-worker.ts', import.meta.url), { type: 'module', name: 'rnnlab-bundle' });
  return new Promise<string>((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<BundleReply>) => {
      if (e.data.ok) resolve(e.data.json);
      else reject(new Error(`the bundle could not be written: ${e.data.message}`));
    };
    worker.onerror = (e) => reject(new Error(`the bundle worker failed: ${e.message || 'it could not start'}`));
    worker.postMessage(field);
  }).finally(() => worker.terminate());
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

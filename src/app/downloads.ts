/**
 * Downloads of the run on screen, through the shared writers in src/export (the same files the
 * CLI writes): the heatmap of the shown field as PNG or SVG (in compare mode, the difference
 * A - B), the tidy CSV, the NPZ, and the JSON run bundle with the matrices. The writers are
 * loaded on first use, so they cost nothing until someone exports.
 */
import { buildProblem } from '../core/problem.ts';
import { SHOWN_GRID, type ShownField } from './state.ts';
import type { RunResult } from './store.ts';

export const EXPORT_FORMATS = ['png', 'svg', 'csv', 'npz', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_LABELS: Record<ExportFormat, string> = {
  png: 'Heatmap PNG',
  svg: 'Heatmap SVG',
  csv: 'Grids CSV',
  npz: 'Grids NPZ (NumPy)',
  json: 'Run bundle JSON',
};

export interface ExportedFile {
  name: string;
  mime: string;
  blob: Blob;
}

/** Build the file for a format from the result on screen. Throws an Error with a message to show. */
export async function exportFile(result: RunResult, field: ShownField, format: ExportFormat): Promise<ExportedFile> {
  const files = await import('../export/files.ts');
  const grid = SHOWN_GRID[field];
  let f;
  if (format === 'png' || format === 'svg') {
    const [{ fetchFigureFont }, { differenceOf }] = await Promise.all([import('../export/font-url.ts'), import('../export/compare.ts')]);
    const font = await fetchFigureFont();
    const difference = result.b ? differenceOf(result.a, result.b, grid, result.a.config.activation, result.b.config.activation) : undefined;
    f = files.heatmapFile(result.a, font, { grid, scale: 2, difference }, format);
  } else if (format === 'csv') f = files.csvFile(result.a);
  else if (format === 'npz') f = files.npzFile(result.a);
  else f = files.bundleFile(result.a, buildProblem(result.a.config));
  const parts: BlobPart[] = [];
  for (const p of f.parts) parts.push(typeof p === 'string' ? p : new Uint8Array(p));
  return { name: f.name, mime: f.mime, blob: new Blob(parts, { type: f.mime }) };
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

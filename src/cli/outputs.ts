/**
 * What the CLI writes: the formats asked for, named by the config (src/export/names.ts), each
 * file written whole under a temporary name in the same directory and renamed into place, so
 * an interrupted or failed write leaves nothing half-written behind.
 */
import { closeSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { GRID_NAMES, type GradientField, type GridName } from '../core/field.ts';
import type { Problem } from '../core/problem.ts';
import { COLORMAPS, type ColormapName } from '../export/colormap.ts';
import { SCALES, type HeatmapOptions, type Scale } from '../export/figure.ts';
import { bundleFile, csvFile, heatmapFile, npzFile, rateFigureFile, sliceFile, spectrumFile, type ExportFile } from '../export/files.ts';
import { sliceFromField } from '../export/slice.ts';
import { nearestRhoIndex } from '../core/field.ts';
import { eigenvaluesOf } from '../core/problem.ts';
import { hasEigenvalues } from '../core/spectrum.ts';
import { GRID_FILE_PREFIX, configSlug, exportFileName } from '../export/names.ts';
import { loadFigureFont } from './font.ts';

export const FORMATS = ['json', 'csv', 'npy', 'png', 'svg'] as const;
export type Format = (typeof FORMATS)[number];

/** Bad input, in words the user can act on; the CLI prints it and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** "png,svg" -> ['png', 'svg'] (or "all"), checked against the formats this command can write. */
export function parseFormats(text: string, allowed: readonly Format[]): Format[] {
  const items = text.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  if (items.length === 1 && items[0] === 'all') return [...allowed];
  if (items.length === 0) throw new UsageError(`--format: ${JSON.stringify(text)} names no format; expected a comma list of ${allowed.join(', ')}`);
  for (const f of items) {
    if (!(allowed as readonly string[]).includes(f)) {
      throw new UsageError(`--format: ${JSON.stringify(f)} is not a format this command writes; expected a comma list of ${allowed.join(', ')}`);
    }
  }
  return [...new Set(items)] as Format[];
}

/** "grad,hiddenLog10Mean" or "all" -> grid names; both the grid names and their file prefixes are accepted. */
export function parseFields(text: string): GridName[] {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 1 && items[0] === 'all') return [...GRID_NAMES];
  const byPrefix = Object.fromEntries(GRID_NAMES.map((g) => [GRID_FILE_PREFIX[g], g])) as Record<string, GridName>;
  const out: GridName[] = [];
  for (const item of items) {
    const g = (GRID_NAMES as readonly string[]).includes(item) ? (item as GridName) : byPrefix[item];
    if (!g) {
      const names = GRID_NAMES.map((n) => `${n} (${GRID_FILE_PREFIX[n]})`).join(', ');
      throw new UsageError(`--field: ${JSON.stringify(item)} is not a grid; expected all, or a comma list of ${names}`);
    }
    out.push(g);
  }
  if (out.length === 0) throw new UsageError('--field names no grid; expected all, or a comma list of grid names');
  return [...new Set(out)];
}

/** "auto" or "MIN:MAX" (finite, MIN < MAX). */
export function parseRange(text: string): HeatmapOptions['range'] {
  if (text === 'auto') return 'auto';
  const parts = text.split(':');
  const nums = parts.map((p) => (p.trim() === '' ? NaN : Number(p)));
  if (parts.length !== 2 || !nums.every(Number.isFinite) || !(nums[0] < nums[1])) {
    throw new UsageError(`--range: ${JSON.stringify(text)} is not a colour range; expected auto or MIN:MAX with MIN < MAX, e.g. -20:0`);
  }
  return { min: nums[0], max: nums[1] };
}

export function parseScale(text: string): Scale {
  const s = Number(text);
  if (!(SCALES as readonly number[]).includes(s)) throw new UsageError(`--scale: ${JSON.stringify(text)} is not allowed; expected one of ${SCALES.join(', ')}`);
  return s as Scale;
}

export function parseColormap(text: string): ColormapName {
  if (!(COLORMAPS as readonly string[]).includes(text)) throw new UsageError(`--colormap: ${JSON.stringify(text)} is not allowed; expected one of ${COLORMAPS.join(', ')}`);
  return text as ColormapName;
}

/** The figures --format png/svg draws: the heatmap of each --field, the slice chart, the eigenvalue plot, the rate per step against rho. */
export const FIGURES = ['heatmap', 'slice', 'spectrum', 'rate'] as const;
export type FigureKind = (typeof FIGURES)[number];

/** "heatmap,slice" or "all" -> figure kinds. */
export function parseFigures(text: string): FigureKind[] {
  const items = text.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  if (items.length === 1 && items[0] === 'all') return [...FIGURES];
  if (items.length === 0) throw new UsageError(`--figure: ${JSON.stringify(text)} names no figure; expected all, or a comma list of ${FIGURES.join(', ')}`);
  for (const f of items) {
    if (!(FIGURES as readonly string[]).includes(f)) throw new UsageError(`--figure: ${JSON.stringify(f)} is not a figure; expected all, or a comma list of ${FIGURES.join(', ')}`);
  }
  return [...new Set(items)] as FigureKind[];
}

/** "1" -> 1: the rho of the slice chart and the eigenvalue plot (snapped to the sweep's nearest rho). */
export function parseAtRho(text: string): number {
  const v = text.trim() === '' ? NaN : Number(text);
  if (!(Number.isFinite(v) && v >= 0 && v <= 10)) throw new UsageError(`--at-rho: ${JSON.stringify(text)} is not allowed; expected a number in 0..10 (snapped to the sweep's nearest rho)`);
  return v;
}

export interface FigureSettings {
  /** Which figures png/svg draw (default: the heatmap only). */
  figures?: FigureKind[];
  /** The rho of the slice chart and the eigenvalue plot (default 1, snapped to the sweep's nearest rho). */
  atRho?: number;
  fields: GridName[];
  scale: Scale;
  colormap: ColormapName;
  range: HeatmapOptions['range'];
  /** Plot area in CSS px. */
  plotWidth: number;
  plotHeight: number;
}

/** "WxH" plot-area size in CSS px, each 100..4000. */
export function parsePlotSize(text: string): { plotWidth: number; plotHeight: number } {
  const m = /^(\d+)x(\d+)$/.exec(text.trim());
  const w = m ? Number(m[1]) : NaN;
  const h = m ? Number(m[2]) : NaN;
  if (!(w >= 100 && w <= 4000 && h >= 100 && h <= 4000)) {
    throw new UsageError(`--plot-size: ${JSON.stringify(text)} is not allowed; expected WIDTHxHEIGHT in CSS px, each 100..4000, e.g. 600x360`);
  }
  return { plotWidth: w, plotHeight: h };
}

/**
 * Where the files go: with only the JSON format and an --out ending in .json, that file
 * (the bundle, as `rnnlab sweep --out run.json` always did); otherwise a directory.
 */
export type Destination = { kind: 'file'; path: string } | { kind: 'dir'; path: string };

export function destination(out: string | undefined, formats: readonly Format[]): Destination {
  if (out === undefined) return formats.length === 1 && formats[0] === 'json' ? { kind: 'file', path: resolve('rnnlab-run.json') } : { kind: 'dir', path: resolve('.') };
  if (out.toLowerCase().endsWith('.json')) {
    if (formats.length === 1 && formats[0] === 'json') return { kind: 'file', path: resolve(out) };
    throw new UsageError(`--out: ${JSON.stringify(out)} names one .json file, but --format asks for ${formats.join(', ')}; give a directory for several files`);
  }
  return { kind: 'dir', path: resolve(out) };
}

/**
 * Check before the (possibly long) run that the destination can be written: create the
 * directory, then write and remove a probe file in it. Returns a function that removes the
 * directories this created, if they are still empty (for a run that fails or is interrupted).
 */
export function checkWritable(dest: Destination): () => void {
  const dir = dest.kind === 'dir' ? dest.path : dirname(dest.path);
  let created: string | undefined;
  try {
    created = mkdirSync(dir, { recursive: true });
    const probe = join(dir, `.rnnlab-probe-${process.pid}`);
    closeSync(openSync(probe, 'w'));
    rmSync(probe, { force: true });
  } catch (e) {
    throw new UsageError(`cannot write to ${dir}: ${(e as Error).message}; choose another --out`);
  }
  return () => {
    // `created` is the top directory mkdir made; below it there is only the chain down to dir.
    if (created !== undefined && readdirSync(dir).length === 0) rmSync(created, { recursive: true, force: true });
  };
}

/** Write a file from its parts under a temporary name beside it, then rename: all or nothing. */
export function writeAtomic(path: string, parts: Iterable<string | Uint8Array>): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${path.slice(dirname(path).length + 1)}.tmp-${process.pid}`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'w');
    for (const part of parts) {
      if (typeof part === 'string') writeSync(fd, part);
      else writeSync(fd, part);
    }
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Every file of the run: its path and a function that writes it (contents made only when written). */
export function plannedFiles(
  field: GradientField,
  formats: readonly Format[],
  dest: Destination,
  figure: FigureSettings,
  problem?: Problem,
): { path: string; write: () => void }[] {
  if (dest.kind === 'file') return [{ path: dest.path, write: () => writeAtomic(dest.path, bundleFile(field, problem).parts) }];
  const planned: { path: string; write: () => void }[] = [];
  const add = (name: string, make: () => ExportFile) => {
    const path = join(dest.path, name);
    planned.push({ path, write: () => writeAtomic(path, make().parts) });
  };
  for (const f of formats) {
    switch (f) {
      case 'json':
        add(exportFileName(field.config, 'run', 'json'), () => bundleFile(field, problem));
        break;
      case 'csv':
        add(exportFileName(field.config, 'field', 'csv'), () => csvFile(field));
        break;
      case 'npy':
        add(exportFileName(field.config, 'field', 'npz'), () => npzFile(field));
        break;
      case 'png':
      case 'svg': {
        const figures = figure.figures ?? ['heatmap'];
        if (figures.includes('heatmap')) {
          for (const grid of figure.fields) {
            const opts: HeatmapOptions = { grid, scale: figure.scale, colormap: figure.colormap, range: figure.range, plotWidth: figure.plotWidth, plotHeight: figure.plotHeight };
            add(exportFileName(field.config, grid, f), () => heatmapFile(field, loadFigureFont(), opts, f));
          }
        }
        const rho = field.rho[nearestRhoIndex(field.rho, figure.atRho ?? 1)];
        if (figures.includes('slice')) {
          const file = () => sliceFile(sliceFromField(field, null, rho), field.config, loadFigureFont(), { scale: figure.scale }, f);
          add(`slice-rho${rho.toFixed(3)}-${configSlug(field.config)}.${f}`, file);
        }
        if (figures.includes('spectrum')) {
          // A bundle of a large sweep may come without eigenvalues (they come after the sweep): compute them from the config's W0.
          const spectrum = () => (hasEigenvalues(field.spectrum) ? field.spectrum : { ...eigenvaluesOf(field.config), meanSquare: field.spectrum.meanSquare });
          const file = () => spectrumFile(spectrum(), rho, field.config, loadFigureFont(), { scale: figure.scale, rhoMax: field.rho[field.K - 1] }, f);
          add(`spectrum-rho${rho.toFixed(3)}-${configSlug(field.config)}.${f}`, file);
        }
        if (figures.includes('rate')) {
          // The phase diagram of the whole sweep, the --at-rho row highlighted as the lab's slider row is.
          const highlightK = nearestRhoIndex(field.rho, figure.atRho ?? 1);
          add(exportFileName(field.config, 'rate', f), () => rateFigureFile(field, loadFigureFont(), f, { scale: figure.scale, highlightK }));
        }
        break;
      }
    }
  }
  return planned;
}

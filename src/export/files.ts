/**
 * Each export as a named file: name (carrying the config), MIME type and contents, ready for a
 * browser download (`new Blob(file.parts, { type: file.mime })`) or a CLI write. The lab and the
 * CLI both go through these, so the same run gives the same files from either.
 */
import { bundleToJson, type BundleView } from '../core/bundle.ts';
import type { GradientField } from '../core/field.ts';
import type { Config } from '../core/config.ts';
import type { Problem } from '../core/problem.ts';
import type { Spectrum } from '../core/spectrum.ts';
import { chartPng, chartSvg, type ChartScene } from './chart.ts';
import { csvChunks } from './csv.ts';
import type { HeatmapOptions } from './figure.ts';
import type { FigureFont } from './font.ts';
import { renderHeatmapPng, renderHeatmapSvg } from './heatmap.ts';
import { configSlug, exportFileName } from './names.ts';
import { buildDerivativeScene, type DerivativeFigureData, type DerivativeFigureOptions } from './derivative.ts';
import { buildSliceScene, type SliceFigureData, type SliceFigureOptions } from './slice.ts';
import { buildSpectrumScene, type SpectrumFigureOptions } from './spectrum.ts';
import { fieldNpz } from './npy.ts';
import { rateCsv, renderRatePng, renderRateSvg } from './rate.ts';

export interface ExportFile {
  /** File name without a directory, e.g. grad-tanh-gaussian-N64-T100-S16-seed1.png. */
  name: string;
  mime: string;
  /** The contents in order (a large CSV comes in many pieces). */
  parts: Iterable<string | Uint8Array>;
}

/** The heatmap figure as PNG or SVG; in difference mode the name starts with diff-. */
export function heatmapFile(field: GradientField, font: FigureFont, opts: HeatmapOptions, format: 'png' | 'svg'): ExportFile {
  const what = opts.difference ? { difference: opts.grid } : opts.grid;
  return format === 'png'
    ? { name: exportFileName(field.config, what, 'png'), mime: 'image/png', parts: [renderHeatmapPng(field, font, opts)] }
    : { name: exportFileName(field.config, what, 'svg'), mime: 'image/svg+xml', parts: [renderHeatmapSvg(field, font, opts)] };
}

function chartFile(scene: ChartScene, font: FigureFont, stem: string, format: 'png' | 'svg'): ExportFile {
  return format === 'png'
    ? { name: `${stem}.png`, mime: 'image/png', parts: [chartPng(scene, font)] }
    : { name: `${stem}.svg`, mime: 'image/svg+xml', parts: [chartSvg(scene)] };
}

/** The slice chart at one rho as PNG or SVG: slice-rho1.000-tanh-gaussian-N64-T100-S16-seed1.png. */
export function sliceFile(data: SliceFigureData, config: Config, font: FigureFont, opts: SliceFigureOptions, format: 'png' | 'svg'): ExportFile {
  // The statistic drawn is in the name where it is not the gradient: slice-hidden-rho1.000-….
  const what = data.shown ? `${data.shown.key}-` : '';
  return chartFile(buildSliceScene(data, config, font, opts), font, `slice-${what}rho${data.rho.toFixed(3)}-${configSlug(config)}`, format);
}

/** The derivative panel (phi, phi' and the histogram of a_t) as PNG or SVG: derivative-rho1.000-t40-tanh-gaussian-N64-T100-S16-seed1.png. */
export function derivativeFile(data: DerivativeFigureData, config: Config, font: FigureFont, opts: DerivativeFigureOptions, format: 'png' | 'svg'): ExportFile {
  return chartFile(buildDerivativeScene(data, config, font, opts), font, `derivative-rho${data.rho.toFixed(3)}-t${data.step}-${configSlug(config)}`, format);
}

/** The eigenvalues of rho * W0 as PNG or SVG: spectrum-rho1.000-tanh-gaussian-N64-T100-S16-seed1.png. */
export function spectrumFile(spectrum: Spectrum, rho: number, config: Config, font: FigureFont, opts: SpectrumFigureOptions, format: 'png' | 'svg'): ExportFile {
  return chartFile(buildSpectrumScene(spectrum, rho, config, font, opts), font, `spectrum-rho${rho.toFixed(3)}-${configSlug(config)}`, format);
}

/** Tidy CSV of every grid, streamed in pieces. */
export function csvFile(field: GradientField): ExportFile {
  return { name: exportFileName(field.config, 'field', 'csv'), mime: 'text/csv', parts: csvChunks(field) };
}

/** Every grid as float32 .npy in one .npz, with the config sidecar. */
export function npzFile(field: GradientField): ExportFile {
  return { name: exportFileName(field.config, 'field', 'npz'), mime: 'application/zip', parts: [fieldNpz(field)] };
}

/** The JSON run bundle (src/core/bundle.ts); pass the problem to include the matrices, and the lab's view to save it too. */
export function bundleFile(field: GradientField, problem?: Problem, view?: BundleView): ExportFile {
  return { name: exportFileName(field.config, 'run', 'json'), mime: 'application/json', parts: [bundleToJson(field, problem, view)] };
}

/** The rate per step against rho (the phase diagram) as a PNG or SVG figure; highlightK marks the slider's row. */
export function rateFigureFile(field: GradientField, font: FigureFont, format: 'png' | 'svg', opts: { scale?: 1 | 2 | 4; highlightK?: number } = {}): ExportFile {
  return format === 'png'
    ? { name: exportFileName(field.config, 'rate', 'png'), mime: 'image/png', parts: [renderRatePng(field, font, opts)] }
    : { name: exportFileName(field.config, 'rate', 'svg'), mime: 'image/svg+xml', parts: [renderRateSvg(field, font, { highlightK: opts.highlightK })] };
}

/** The rate per step against rho as CSV, one row per rho. */
export function rateCsvFile(field: GradientField): ExportFile {
  return { name: exportFileName(field.config, 'rate', 'csv'), mime: 'text/csv', parts: [rateCsv(field)] };
}

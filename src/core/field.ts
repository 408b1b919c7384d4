/**
 * The result of a sweep: K x T grids over (rho_k, t), row-major with column j = timestep
 * t = j + 1. Log grids hold -Infinity for an exact zero (e.g. every gradient before T when
 * rho = 0) and NaN where the value is undefined because the forward pass overflowed or left the
 * engine's number range (the cell's flag says which, src/core/range.ts).
 */
import type { Config } from './config.ts';
import type { Spectrum } from './spectrum.ts';
import { makeGrids, type GridName, type Grids } from './statistics.ts';

export { GRID_NAMES, STATISTICS, type GridName, type Grids } from './statistics.ts';

export interface RunMeta {
  /** Which engine produced the grids: reference, cpu, webgpu, gpujs. */
  backend: string;
  /** The adapter or machine it ran on, in words. */
  adapter: string;
  /** Wall time of the run, milliseconds. */
  wallMs: number;
  /** Arithmetic precision of the engine. */
  precision: 'float64' | 'float32';
  /** Grids the run's source did not have (a bundle written before they existed): NaN, not computed. */
  absentGrids?: GridName[];
}

export interface GradientField {
  config: Config;
  /** [K] the swept rho values. */
  rho: Float64Array;
  K: number;
  T: number;
  /** [K, T] each: the grids of the statistics table (src/core/statistics.ts), by name. */
  grids: Grids;
  /**
   * [K, T] the cell's flag bits (src/core/range.ts CELL_FLAG), 0 where every value was computed:
   * 1 (overflow) where some sample's forward pass gave a non-finite h_t or its backward pass
   * crossed one; 2 (range) where some sample's state left the engine's number range (below about
   * 1e-30 in float32, 1e-300 in float64, or clamped in gpu.js) or its backward pass crossed a phi'
   * that this made untrustworthy; 3 both. A flagged cell is drawn and exported as such, never as
   * a number. (Bundles written before the kinds were split hold 1 for either.)
   */
  overflow: Uint8Array;
  /** Spectrum of the normalised W0 (the swept matrix is rho * W0). */
  spectrum: Spectrum;
  meta: RunMeta;
}

/** A field of NaN grids and zero flags, to be filled by an engine. */
export function emptyField(config: Config, rho: Float64Array, spectrum: Spectrum, meta: RunMeta): GradientField {
  const K = rho.length;
  const T = config.steps;
  return {
    config,
    rho,
    K,
    T,
    grids: makeGrids(K * T),
    overflow: new Uint8Array(K * T),
    spectrum,
    meta,
  };
}

/** Row k of a grid (all T timesteps of rho_k), a view, not a copy. */
export function gridRow(grid: Float64Array, T: number, k: number): Float64Array {
  return grid.subarray(k * T, (k + 1) * T);
}

/** The rho index nearest to a rho value. */
export function nearestRhoIndex(rho: Float64Array, value: number): number {
  let best = 0;
  for (let k = 1; k < rho.length; k++) if (Math.abs(rho[k] - value) < Math.abs(rho[best] - value)) best = k;
  return best;
}

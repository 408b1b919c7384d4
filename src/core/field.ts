/**
 * The result of a sweep: K x T grids over (rho_k, t), row-major with column j = timestep
 * t = j + 1. Log grids hold -Infinity for an exact zero (e.g. every gradient before T when
 * rho = 0) and NaN where the value is undefined because the forward pass overflowed.
 */
import type { Config } from './config.ts';
import type { Spectrum } from './spectrum.ts';

export const GRID_NAMES = [
  'gradLog10Mean',
  'gradLog10Std',
  'hiddenLog10Mean',
  'saturation',
  'weightGradLog10',
] as const;
export type GridName = (typeof GRID_NAMES)[number];

/** What each grid means, for legends, CSV headers and the bundle's documentation. */
export const GRID_INFO: Record<GridName, { label: string; unit: string; description: string }> = {
  gradLog10Mean: { label: 'log10 ||dL/dh_t||', unit: 'log10', description: 'mean over samples of log10 ||dL/dh_t||' },
  gradLog10Std: { label: 'std log10 ||dL/dh_t||', unit: 'log10', description: 'population standard deviation over samples of log10 ||dL/dh_t||' },
  hiddenLog10Mean: { label: 'log10 ||h_t||', unit: 'log10', description: 'mean over samples of log10 ||h_t||' },
  saturation: { label: 'saturated / dead fraction', unit: 'fraction', description: 'fraction of units (over units and samples) with phi\'(a) < 1% of its maximum (tanh, sigmoid) or a <= 0 (relu, leaky_relu)' },
  weightGradLog10: { label: 'log10 ||dL/dW step t||_F', unit: 'log10', description: 'mean over samples of log10 ||(phi\'(a_t) * dL/dh_t) h_{t-1}^T||_F, step t\'s contribution to dL/dW' },
};

export interface RunMeta {
  /** Which engine produced the grids: reference, cpu, webgpu, gpujs. */
  backend: string;
  /** The adapter or machine it ran on, in words. */
  adapter: string;
  /** Wall time of the run, milliseconds. */
  wallMs: number;
  /** Arithmetic precision of the engine. */
  precision: 'float64' | 'float32';
}

export interface GradientField {
  config: Config;
  /** [K] the swept rho values. */
  rho: Float64Array;
  K: number;
  T: number;
  gradLog10Mean: Float64Array;
  gradLog10Std: Float64Array;
  hiddenLog10Mean: Float64Array;
  saturation: Float64Array;
  weightGradLog10: Float64Array;
  /**
   * [K, T] 1 where some sample left the engine's number range: its forward pass gave a non-finite
   * h_t (or its backward pass crossed one), or, in the float32 engines, h_t was clamped or fell
   * towards float32 underflow where phi' would no longer be trustworthy; else 0.
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
  const grid = () => new Float64Array(K * T).fill(NaN);
  return {
    config,
    rho,
    K,
    T,
    gradLog10Mean: grid(),
    gradLog10Std: grid(),
    hiddenLog10Mean: grid(),
    saturation: grid(),
    weightGradLog10: grid(),
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

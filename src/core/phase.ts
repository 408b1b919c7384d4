/**
 * The phase diagram of a sweep: the gradient's rate per step backwards against rho, measured
 * (rate.ts, one least-squares slope per row) beside three predictions over the same window:
 *
 * - mean field (meanfield.ts): the slope of sum_{s > t} (1/2) log10 chi_s, which is
 *   (1/2) log10 chi* once q_t has settled at its fixed point under a constant drive;
 * - linear: log10 rho (exact for a linear phi and a normal W0);
 * - Pascanu et al. 2013's bound: log10(gamma rho ||W0||_2).
 *
 * The edge of chaos is where a rate crosses 0: for mean field found by bisection in rho between
 * the swept values, for the measurement by linear interpolation between neighbouring rows.
 */
import { activationFns } from './activations.ts';
import type { GradientField } from './field.ts';
import { meanFieldApplicability, meanFieldRow } from './meanfield.ts';
import { fitRate, fitRates, rateWindow, zeroCrossing, type RateTable, type RateWindow } from './rate.ts';

export interface PhaseDiagram {
  /** [K] the swept rho values. */
  rho: Float64Array;
  window: RateWindow | null;
  /** The rate of the mean of log10 ||dL/dh_t|| (gradLog10Mean), with its standard-error bound. */
  measured: RateTable;
  /** [K] mean-field rate over the same window; null where mean field does not apply. */
  meanField: Float64Array | null;
  /** Why mean field does not apply, or what it assumes. */
  meanFieldNote: string;
  /** [K] log10 rho. */
  linear: Float64Array;
  /** [K] log10(gamma rho ||W0||_2). */
  pascanu: Float64Array;
  /** rho where the mean-field rate crosses 0 inside the sweep, or null. */
  edgeMeanField: number | null;
  /**
   * Where the mean-field rate crosses 0 outside the sweep (searched over 0 < rho <= EDGE_SEARCH_MAX
   * when it does not cross inside), or null: the edge a wider sweep would find.
   */
  edgeMeanFieldOutside: number | null;
  /** rho where the measured rate crosses 0 inside the sweep, or null. */
  edgeMeasured: number | null;
}

/** Bisection steps for the mean-field edge: 2^-40 of a sweep step is far below what a plot shows. */
const BISECTION_STEPS = 40;
/** The search for an edge outside the sweep: rho in steps of EDGE_SEARCH_STEP up to the config's largest rho. */
const EDGE_SEARCH_STEP = 0.25;
const EDGE_SEARCH_MAX = 10;

/** The mean-field rate over window w at one rho. */
export function meanFieldRate(field: Pick<GradientField, 'config' | 'spectrum'>, rho: number, w: RateWindow | null): number {
  const sigmaW2 = field.spectrum.meanSquare;
  return fitRate(meanFieldRow(field.config, rho, sigmaW2).gradLog10, null, null, w, 1).rate;
}

export function phaseDiagram(field: GradientField): PhaseDiagram {
  const { config, K, T, rho } = field;
  const window = rateWindow(T);
  const measured = fitRates(field.grids.gradLog10Mean, field.grids.gradLog10Std, field.overflow, K, T, config.samples, window);
  const gamma = activationFns(config.activation, config.leakyAlpha).gamma;
  const linear = new Float64Array(K);
  const pascanu = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    linear[k] = Math.log10(rho[k]);
    pascanu[k] = Math.log10(gamma * rho[k] * field.spectrum.norm);
  }
  const mf = meanFieldApplicability(config, field.spectrum.meanSquare);
  let meanField: Float64Array | null = null;
  let edgeMeanField: number | null = null;
  let edgeMeanFieldOutside: number | null = null;
  if (mf.applies) {
    meanField = new Float64Array(K);
    for (let k = 0; k < K; k++) meanField[k] = meanFieldRate(field, rho[k], window);
    edgeMeanField = refineEdge(field, window, rho, meanField);
    if (edgeMeanField === null) {
      const grid = Float64Array.from({ length: Math.round(EDGE_SEARCH_MAX / EDGE_SEARCH_STEP) }, (_, i) => (i + 1) * EDGE_SEARCH_STEP);
      const rates = grid.map((r) => meanFieldRate(field, r, window));
      edgeMeanFieldOutside = refineEdge(field, window, grid, rates);
    }
  }
  return {
    rho,
    window,
    measured,
    meanField,
    meanFieldNote: mf.note,
    linear,
    pascanu,
    edgeMeanField,
    edgeMeanFieldOutside,
    edgeMeasured: zeroCrossing(rho, measured.rate),
  };
}

/** The first zero of the mean-field rate in rho, bisected between the swept values that bracket it. */
function refineEdge(field: GradientField, w: RateWindow | null, rho: Float64Array, rate: Float64Array): number | null {
  for (let k = 0; k < rate.length; k++) {
    if (rate[k] === 0) return rho[k];
    if (k === 0 || !Number.isFinite(rate[k - 1]) || !Number.isFinite(rate[k])) continue;
    if (Math.sign(rate[k - 1]) === Math.sign(rate[k])) continue;
    let lo = rho[k - 1];
    let hi = rho[k];
    const loSign = Math.sign(rate[k - 1]);
    for (let i = 0; i < BISECTION_STEPS; i++) {
      const mid = (lo + hi) / 2;
      const r = meanFieldRate(field, mid, w);
      if (r === 0) return mid;
      if (Math.sign(r) === loSign) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  }
  return null;
}

/** What the phase diagram found, as plain JSON (the NPZ sidecar and the bundle): window, edges, mean field's note. */
export function rateSummary(p: PhaseDiagram): {
  window: RateWindow | null;
  edgeMeanField: number | null;
  edgeMeanFieldOutside: number | null;
  edgeMeasured: number | null;
  meanField: string;
} {
  return { window: p.window, edgeMeanField: p.edgeMeanField, edgeMeanFieldOutside: p.edgeMeanFieldOutside, edgeMeasured: p.edgeMeasured, meanField: p.meanFieldNote };
}

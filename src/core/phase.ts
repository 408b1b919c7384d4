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
 * the swept values (linear interpolation when the work budget is spent), for the measurement by
 * linear interpolation between neighbouring rows.
 */
import { activationFns } from './activations.ts';
import type { GradientField } from './field.ts';
import { meanFieldApplicability, meanFieldRow, meanFieldStationaryRate } from './meanfield.ts';
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
  /** Mean field was evaluated at every m-th row (and the last); 1 = every row. */
  meanFieldEvery: number;
  /** [K] log10 rho. */
  linear: Float64Array;
  /** [K] log10(gamma rho ||W0||_2). */
  pascanu: Float64Array;
  /** rho where the mean-field rate crosses 0 inside the sweep, or null. */
  edgeMeanField: number | null;
  /**
   * Where the stationary mean-field rate crosses 0 outside the sweep (searched over
   * 0 < rho <= EDGE_SEARCH_MAX for noise inputs when it does not cross inside), or null: the edge
   * a wider sweep would find.
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
/** 2^-20 of the 0.25 bracket: 2e-7 in rho, far below the two decimals the chart shows. */
const OUTSIDE_BISECTION_STEPS = 20;

/** The mean-field rate over window w at one rho. */
export function meanFieldRate(field: Pick<GradientField, 'config' | 'spectrum'>, rho: number, w: RateWindow | null): number {
  const sigmaW2 = field.spectrum.meanSquare;
  return fitRate(meanFieldRow(field.config, rho, sigmaW2).gradLog10, null, null, w, 1).rate;
}

/**
 * The phase diagram of a field. `meanFieldWork` caps the steps of mean-field recursion (rows x T)
 * spent on the rows: beyond it mean field is evaluated at every m-th row only (NaN between; the
 * lab's chart passes a cap so a 512 x 5000 sweep does not hold up the page, the exports do not).
 */
export function phaseDiagram(field: GradientField, meanFieldWork = Infinity): PhaseDiagram {
  const { config, K, T, rho } = field;
  const window = rateWindow(T);
  const measured = fitRates(field.grids.gradLog10Mean, field.grids.gradLog10Std, field.overflow, K, T, config.samples, window);
  const gamma = activationFns(config.activation, config).gamma;
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
  let meanFieldEvery = 1;
  if (mf.applies) {
    meanField = new Float64Array(K).fill(NaN);
    const every = Math.max(1, Math.ceil((K * T) / meanFieldWork));
    const rows: number[] = [];
    for (let k = 0; k < K; k += every) rows.push(k);
    if (rows[rows.length - 1] !== K - 1) rows.push(K - 1);
    for (const k of rows) meanField[k] = meanFieldRate(field, rho[k], window);
    const at = Float64Array.from(rows, (k) => rho[k]);
    const rates = Float64Array.from(rows, (k) => meanField![k]);
    // Bisection costs BISECTION_STEPS more rows: within the budget only; else linear interpolation.
    edgeMeanField = (rows.length + BISECTION_STEPS) * T <= meanFieldWork ? refineEdge(field, window, at, rates) : zeroCrossing(at, rates);
    meanFieldEvery = every;
    // Outside the sweep, only under a constant drive (noise inputs), where the windowed rate is
    // the stationary one, 0.5 log10 chi*, and costs a few dozen q-map steps instead of T.
    if (edgeMeanField === null && config.inputs === 'noise') {
      const stationary = (r: number) => meanFieldStationaryRate(config, r, field.spectrum.meanSquare);
      // Rates below 0 throughout: the edge lies above the sweep; above 0 throughout: below it.
      const above = meanField[K - 1] < 0;
      const from = above ? rho[K - 1] : 0;
      const to = above ? EDGE_SEARCH_MAX : rho[0];
      const grid = Float64Array.from({ length: Math.max(1, Math.ceil((to - from) / EDGE_SEARCH_STEP)) }, (_, i) => Math.min(to, from + (i + 1) * EDGE_SEARCH_STEP));
      const start = above ? Float64Array.of(rho[K - 1], ...grid) : grid;
      edgeMeanFieldOutside = bisectEdge(stationary, start, start.map(stationary), OUTSIDE_BISECTION_STEPS);
    }
  }
  return {
    rho,
    window,
    measured,
    meanField,
    meanFieldNote: mf.note,
    meanFieldEvery,
    linear,
    pascanu,
    edgeMeanField,
    edgeMeanFieldOutside,
    edgeMeasured: zeroCrossing(rho, measured.rate),
  };
}

/** The first zero of the mean-field rate in rho, bisected between the swept values that bracket it. */
function refineEdge(field: GradientField, w: RateWindow | null, rho: Float64Array, rate: Float64Array): number | null {
  return bisectEdge((r) => meanFieldRate(field, r, w), rho, rate);
}

/** The first zero of f, given its values at the ascending points x, bisected between the pair that brackets it. */
function bisectEdge(f: (rho: number) => number, rho: Float64Array, rate: Float64Array, steps = BISECTION_STEPS): number | null {
  for (let k = 0; k < rate.length; k++) {
    if (rate[k] === 0) return rho[k];
    if (k === 0 || !Number.isFinite(rate[k - 1]) || !Number.isFinite(rate[k])) continue;
    if (Math.sign(rate[k - 1]) === Math.sign(rate[k])) continue;
    let lo = rho[k - 1];
    let hi = rho[k];
    const loSign = Math.sign(rate[k - 1]);
    for (let i = 0; i < steps; i++) {
      const mid = (lo + hi) / 2;
      const r = f(mid);
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

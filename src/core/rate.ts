/**
 * The rate at which the gradient grows or shrinks per step backwards: for each rho, the
 * least-squares slope of log10 ||dL/dh_t|| against (T - t) over a window of steps, in decades
 * per step (> 0 explodes, < 0 vanishes). It is the largest Lyapunov exponent of the backward
 * tangent dynamics g_{t-1} = rho W0^T (phi'(a_t) * g_t) in base 10: the backward pass
 * renormalises g at every step and accumulates log10 of the scale, as Engelken, Wolf & Abbott
 * 2020 (arXiv 2006.02427) do with re-orthonormalisation for the whole spectrum.
 *
 * Window: the middle of the run, t from 1 + floor(T/5) to T - floor(T/5). The last fifth is
 * left out because g_T = r is an arbitrary unit vector that takes a few steps to turn into the
 * direction that grows fastest; the first fifth because q_t, the forward state's variance,
 * settles from h0 under the input drive over the first steps (the input transient).
 */
export interface RateWindow {
  /** First and last step of the fit (1-based, inclusive). */
  from: number;
  to: number;
}

/** The window of steps the rate is fitted over; null when T < 3 leaves too few steps. */
export function rateWindow(T: number): RateWindow | null {
  if (T < 3) return null;
  const cut = Math.floor(T / 5);
  return { from: 1 + cut, to: T - cut };
}

/** The window in words, for help texts and exports. */
export function describeWindow(w: RateWindow | null): string {
  return w ? `least-squares slope over t = ${w.from}..${w.to} (the middle of the run, a fifth of the steps left out at each end)` : 'no window: fewer than 3 steps';
}

/**
 * Least-squares weights w_t over the window: slope = sum_t w_t y_t, with y_t indexed by t.
 * w_t = (t - tbar) / sum (t - tbar)^2, so sum w_t = 0 and sum w_t t = 1.
 */
function slopeWeights(w: RateWindow): Float64Array {
  const n = w.to - w.from + 1;
  const tbar = (w.from + w.to) / 2;
  let sxx = 0;
  for (let t = w.from; t <= w.to; t++) sxx += (t - tbar) ** 2;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (w.from + i - tbar) / sxx;
  return out;
}

export interface RateFit {
  /** Decades per step backwards: -(slope of log10 ||dL/dh_t|| in t); NaN when not fitted. */
  rate: number;
  /**
   * Upper bound on the standard error over samples (NaN when not fitted or S = 1). See
   * fitRates for why it is a bound and not the standard error itself.
   */
  seBound: number;
  /** Why the rate is NaN: a cell of the window is flagged, undefined or an exact zero. */
  reason: string | null;
}

/**
 * The rate of row `row` ([T], index j = t - 1) over window w, the std row for the standard
 * error (population std over S samples), and the overflow flags.
 */
export function fitRate(row: ArrayLike<number>, std: ArrayLike<number> | null, flags: ArrayLike<number> | null, w: RateWindow | null, samples: number): RateFit {
  if (!w) return { rate: NaN, seBound: NaN, reason: 'fewer than 3 steps' };
  const weights = slopeWeights(w);
  let slope = 0;
  let spread = 0;
  for (let i = 0; i < weights.length; i++) {
    const j = w.from - 1 + i;
    const v = row[j];
    if (flags?.[j]) return { rate: NaN, seBound: NaN, reason: `step ${j + 1} is flagged out of range` };
    if (v === -Infinity) return { rate: NaN, seBound: NaN, reason: `the gradient is exactly 0 at step ${j + 1}` };
    if (!Number.isFinite(v)) return { rate: NaN, seBound: NaN, reason: `the gradient is undefined at step ${j + 1}` };
    slope += weights[i] * v;
    spread += Math.abs(weights[i]) * (std ? std[j] : NaN);
  }
  // The std grid is the population std; sqrt(S / (S - 1)) makes it the sample std.
  const se = samples > 1 && Number.isFinite(spread) ? (spread * Math.sqrt(samples / (samples - 1))) / Math.sqrt(samples) : NaN;
  // + 0 turns -0 (a flat row) into 0.
  return { rate: -slope + 0, seBound: se, reason: null };
}

export interface RateTable {
  window: RateWindow | null;
  /** [K] decades per step backwards, NaN where not fitted. */
  rate: Float64Array;
  /** [K] upper bound on the standard error over samples. */
  seBound: Float64Array;
  /** [K] why row k has no rate (null where it has one). */
  reasons: (string | null)[];
}

/**
 * The rate of every row of a [K, T] grid of mean log10 ||dL/dh_t||.
 *
 * The grids keep only the mean and the std over samples of each cell, not the samples, so the
 * per-sample slopes b_s = sum_t w_t y_{s,t} and their spread cannot be recomputed. What the
 * std does give is a bound: by Minkowski's inequality sd(b_s) <= sum_t |w_t| sd_t, with equality
 * when the samples' deviations are perfectly correlated across the window. The curves of one
 * rho are strongly correlated (they share every step after t), so the bound is usually within a
 * small factor of the true standard error; it never understates it. seBound is that bound over
 * sqrt(S), with the sample std.
 */
export function fitRates(
  grid: Float64Array,
  std: Float64Array | null,
  flags: Uint8Array | null,
  K: number,
  T: number,
  samples: number,
  window: RateWindow | null = rateWindow(T),
): RateTable {
  const rate = new Float64Array(K);
  const seBound = new Float64Array(K);
  const reasons: (string | null)[] = [];
  for (let k = 0; k < K; k++) {
    const f = fitRate(
      grid.subarray(k * T, (k + 1) * T),
      std ? std.subarray(k * T, (k + 1) * T) : null,
      flags ? flags.subarray(k * T, (k + 1) * T) : null,
      window,
      samples,
    );
    rate[k] = f.rate;
    seBound[k] = f.seBound;
    reasons.push(f.reason);
  }
  return { window, rate, seBound, reasons };
}

/**
 * Where a rate curve crosses 0 (the edge of chaos), by linear interpolation between the first
 * pair of neighbouring finite values of opposite sign (or an exact 0); null when it never does.
 */
export function zeroCrossing(x: ArrayLike<number>, y: ArrayLike<number>): number | null {
  for (let k = 0; k < y.length; k++) {
    if (y[k] === 0) return x[k];
    if (k === 0) continue;
    const a = y[k - 1];
    const b = y[k];
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
    if ((a < 0 && b > 0) || (a > 0 && b < 0)) return x[k - 1] + ((x[k] - x[k - 1]) * a) / (a - b);
  }
  return null;
}

/**
 * The pre-activations a_t of one row of a sweep (one rho), binned per step: the picture behind the
 * whole argument (phi' evaluated where the network's a_t actually lie). Computed in float64 by the
 * forward pass of the reference engine (reference.ts) on the same W0, U, b, h0 and inputs as the
 * sweep, for the shown row only, and binned as it goes: no per-sample arrays are kept or sent.
 *
 *   a_t = rho W0 h_{t-1} + U x_t + b,   h_t = phi(a_t)
 *
 * For each step t: the counts of the N x S' values a_t[i] (S' of the S samples, see
 * samplesWithin) in `bins` equal bins over [lo, hi], those below lo and above hi, and the mean of
 * phi'(a_t) over the same values, taken from the values themselves, not from the bins.
 */
import { activationFns, type ActivationFns, type ActivationParams, type Activation } from './activations.ts';
import type { Problem } from './problem.ts';

export interface PreactivationRow {
  rho: number;
  T: number;
  bins: number;
  /** The binned range of a. */
  lo: number;
  hi: number;
  /** [T, bins] row-major: how many a_t[i] fall in each bin. */
  counts: Uint32Array;
  /** [T] how many fall below lo / above hi. */
  below: Uint32Array;
  above: Uint32Array;
  /** [T] the values that are not finite (a forward pass that overflowed). */
  nonFinite: Uint32Array;
  /** [T] the mean of phi'(a_t) over the finite values (NaN where there are none). */
  meanDeriv: Float64Array;
  /** Samples run (S' of `samplesTotal`) and units per sample. */
  samples: number;
  samplesTotal: number;
  units: number;
}

/**
 * The a range the panel bins and draws for an activation: 1.5 times the |a| beyond which phi'
 * stays under 1% of its supremum (where saturation starts: 2.99 for tanh, 5.99 for sigmoid),
 * rounded up, at least 4 (relu's phi' jumps at 0) and at most 12.
 */
export function preactivationRange(name: Activation, params: Partial<ActivationParams> = {}): number {
  const f = activationFns(name, params);
  let edge = 0;
  for (const sign of [-1, 1]) {
    // The largest |a| on this side where phi' is still at least 1% of gamma, if it ever drops.
    if (f.der(sign * 30) >= 0.01 * f.gamma) continue;
    for (let x = 30; x >= 0; x -= 0.05) {
      if (f.der(sign * x) >= 0.01 * f.gamma) {
        edge = Math.max(edge, x);
        break;
      }
    }
  }
  return Math.min(12, Math.max(4, Math.ceil(1.5 * edge)));
}

/** How many of S samples fit a budget of multiply-adds (N^2 T per sample): at least 1. */
export function samplesWithin(N: number, T: number, S: number, budget: number): number {
  return Math.max(1, Math.min(S, Math.floor(budget / (N * N * T))));
}

/**
 * Row rho of p's sweep (tied weights, W = rho W0): the binned a_t of the first `samples` samples.
 * `fns` defaults to the config's activation.
 */
export function preactivationRow(p: Problem, rho: number, opts: { samples: number; lo: number; hi: number; bins: number; fns?: ActivationFns }): PreactivationRow {
  const { config, W0, U, b, h0 } = p;
  const n = config.hidden;
  const d = config.input;
  const T = config.steps;
  const { lo, hi, bins } = opts;
  const S = Math.max(1, Math.min(opts.samples, config.samples));
  const act = opts.fns ?? activationFns(config.activation, config);
  const counts = new Uint32Array(T * bins);
  const below = new Uint32Array(T);
  const above = new Uint32Array(T);
  const nonFinite = new Uint32Array(T);
  const derSum = new Float64Array(T);
  const width = (hi - lo) / bins;
  let h = new Float64Array(n);
  let next = new Float64Array(n);
  for (let s = 0; s < S; s++) {
    const x = p.inputsFor(s);
    h.set(h0);
    for (let t = 1; t <= T; t++) {
      const xt = (t - 1) * d;
      const bias = p.biasOn(t) ? 1 : 0;
      for (let i = 0; i < n; i++) {
        let acc = 0;
        for (let j = 0; j < n; j++) acc += W0[i * n + j] * h[j];
        let u = 0;
        for (let j = 0; j < d; j++) u += U[i * d + j] * x[xt + j];
        const ai = rho * acc + u + bias * b[i];
        next[i] = act.output(ai);
        if (!Number.isFinite(ai)) nonFinite[t - 1]++;
        else {
          derSum[t - 1] += act.der(ai);
          if (ai < lo) below[t - 1]++;
          else if (ai >= hi) above[t - 1]++;
          else counts[(t - 1) * bins + Math.min(bins - 1, Math.floor((ai - lo) / width))]++;
        }
      }
      [h, next] = [next, h];
    }
  }
  const meanDeriv = new Float64Array(T);
  for (let j = 0; j < T; j++) {
    const finite = n * S - nonFinite[j];
    meanDeriv[j] = finite > 0 ? derSum[j] / finite : NaN;
  }
  return { rho, T, bins, lo, hi, counts, below, above, nonFinite, meanDeriv, samples: S, samplesTotal: config.samples, units: n };
}

/**
 * Mean-field theory of the vanilla RNN's forward and backward pass (Poole et al. 2016,
 * arXiv 1606.05340; Schoenholz et al. 2017, arXiv 1611.01232; for RNNs Chen, Pennington &
 * Schoenholz 2018, arXiv 1806.05394).
 *
 * Treat the entries of rho W0 as independent N(0, rho^2 sigma_w^2 / N) and let N be large, with
 * sigma_w^2 = ||W0||_F^2 / N, N times the normalised W0's mean squared entry (Spectrum.meanSquare):
 * 1 for an orthogonal W0; 1 / radius(G)^2 for a gaussian G scaled to radius 1, which is 1 as
 * N -> infinity (circular law) but 0.87-1.10 at N = 64 depending on the draw; about 1/4 for a
 * gaussian scaled to spectral norm 1. The measured mean square rather than the nominal 1: at
 * N = 64 it moved the predicted tanh rate onto the measured one for two seeds of three
 * (docs/theory.md). Then every pre-activation a_t,i is N(0, q_t) over units and samples, with
 *
 *   q_t   = rho^2 sigma_w^2 E[phi(sqrt(q_{t-1}) z)^2] + s_in(t) + sigma_b^2(t),   z ~ N(0, 1)
 *   chi_t = rho^2 sigma_w^2 E[phi'(sqrt(q_t) z)^2]
 *
 * (at t = 1 the first term is rho^2 sigma_w^2 ||h0||^2 / N instead). The backward pass
 * g_{t-1} = rho W0^T (phi'(a_t) * g_t) multiplies E||g||^2 by chi_t, so with ||g_T|| = 1
 *
 *   log10 ||dL/dh_t|| = sum over s in (t, T] of (1/2) log10 chi_s.
 *
 * This predicts the mean of squared norms, (1/2) log10 E||g_t||^2, not the mean of logs.
 */
import { activationFns, type ActivationParams } from './activations.ts';
import { driveOn, type Config } from './config.ts';

/**
 * The expectations E[f(sqrt(q) z)], z ~ N(0, 1), by composite Gauss-Legendre quadrature in z.
 * Not Gauss-Hermite: phi'(sqrt(q) z) narrows as q grows, and a 96-node Gauss-Hermite rule was
 * off by 5e-6 already at q = 2.5 for tanh (its nodes are 0.2 apart near 0), worse beyond.
 * Panels: every 0.5 in z over |z| <= Z_MAX (the normal density's scale; the mass beyond 9 is
 * 2e-19), plus every 1 in a = sqrt(q) z over |a| <= A_FINE (the activations' own scale: tanh,
 * sigmoid and their derivatives change over O(1) in a and are flat to 1e-13 beyond |a| = 30).
 * z = 0 is always a panel edge, so the kinks of relu and leaky_relu fall on an edge and each
 * panel's integrand is smooth: 6 nodes per panel (exact for degree 11) agree with adaptive
 * integration to 1e-9 there (tests/core/meanfield.test.ts asks 1e-6).
 */
const Z_MAX = 9;
const Z_STEP = 0.5;
const A_FINE = 30;
const A_STEP = 1;
const LEGENDRE_ORDER = 6;

/** Gauss-Legendre nodes and weights on [-1, 1] by Newton's method on P_n (Numerical Recipes' gauleg). */
function gaussLegendre(n: number): { x: Float64Array; w: Float64Array } {
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let pp = 0;
    for (let iter = 0; iter < 100; iter++) {
      // P_j by the three-term recurrence; pp = P_n'(z).
      let p1 = 1;
      let p2 = 0;
      for (let j = 1; j <= n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = ((2 * j - 1) * z * p2 - (j - 1) * p3) / j;
      }
      pp = (n * (z * p1 - p2)) / (z * z - 1);
      const dz = p1 / pp;
      z -= dz;
      if (Math.abs(dz) < 1e-16) break;
    }
    x[i] = -z;
    x[n - 1 - i] = z;
    w[i] = w[n - 1 - i] = 2 / ((1 - z * z) * pp * pp);
  }
  return { x, w };
}

const LEGENDRE = gaussLegendre(LEGENDRE_ORDER);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** The panel edges in z for a given standard deviation sd = sqrt(q), sorted, from -Z_MAX to Z_MAX. */
function panelEdges(sd: number): number[] {
  const edges: number[] = [];
  for (let z = -Z_MAX; z <= Z_MAX + 1e-12; z += Z_STEP) edges.push(z);
  if (sd > 0 && Number.isFinite(sd)) {
    for (let a = A_STEP; a <= A_FINE; a += A_STEP) {
      const z = a / sd;
      if (z >= Z_MAX) break;
      edges.push(z, -z);
    }
  }
  edges.sort((p, q) => p - q);
  const out: number[] = [];
  for (const e of edges) if (out.length === 0 || e - out[out.length - 1] > 1e-12) out.push(e);
  return out;
}

/** E[f(sqrt(q) z)] for z ~ N(0, 1). q = 0 gives f(0); q = Infinity evaluates f at +-Infinity. */
export function gaussianMean(f: (a: number) => number, q: number): number {
  const sd = Math.sqrt(q);
  const edges = panelEdges(sd);
  let acc = 0;
  for (let p = 0; p + 1 < edges.length; p++) {
    const lo = edges[p];
    const half = (edges[p + 1] - lo) / 2;
    const mid = lo + half;
    let panel = 0;
    for (let i = 0; i < LEGENDRE_ORDER; i++) {
      const z = mid + half * LEGENDRE.x[i];
      // sd * z with sd = Infinity and z != 0 is +-Infinity: f's value at the ends of its domain.
      panel += LEGENDRE.w[i] * f(sd * z) * Math.exp(-0.5 * z * z);
    }
    acc += half * panel;
  }
  return acc * INV_SQRT_2PI;
}

/** Where mean field says something the lab can compare, and why not where it does not. */
export interface MeanFieldApplicability {
  applies: boolean;
  /** In words, for the legend: why it does not apply, or what it assumes. */
  note: string;
}

/** Whether mean field applies to this config; sigmaW2 = ||W0||_F^2 / N (NaN when unknown). */
export function meanFieldApplicability(config: Pick<Config, 'init' | 'activation'> & Partial<Pick<Config, 'sweep'>>, sigmaW2 = 1): MeanFieldApplicability {
  if (config.sweep === 'outlier') {
    return { applies: false, note: 'mean field is not computed for the outlier sweep (W is not ρ·W0 there)' };
  }
  if (config.init === 'spectrum') {
    return { applies: false, note: 'mean field is not computed for a spectrum init yet (its outliers break the independent-entries picture)' };
  }
  if (config.init === 'identity') {
    return { applies: false, note: 'mean field does not apply to an identity W0 (no random matrix to average over)' };
  }
  if (config.init === 'orthogonal' && config.activation === 'linear') {
    return { applies: false, note: 'orthogonal W0, linear φ: the linear prediction is exact here' };
  }
  if (!Number.isFinite(sigmaW2)) {
    return { applies: false, note: "mean field needs W0's mean square, which this bundle does not record (no W0 in it)" };
  }
  return { applies: true, note: `large N, W0 entries independent N(0, ρ²σ_w²/N), σ_w² = ‖W0‖_F²/N = ${sigmaW2.toFixed(3)}; predicts ½·log10 E‖dL/dh_t‖²` };
}

/** The mean-field sequences for one rho, index j = t - 1. */
export interface MeanFieldRow {
  /** [T] q_t, the variance of a pre-activation at step t. */
  q: Float64Array;
  /** [T] chi_t = rho^2 sigma_w^2 E[phi'(a_t)^2]. */
  chi: Float64Array;
  /** [T] predicted log10 ||dL/dh_t|| (0 at t = T, -Infinity after a chi of 0). */
  gradLog10: Float64Array;
}

/** The config fields the theory reads; an activation parameter not given takes its default. */
type MeanFieldConfig = Pick<Config, 'activation' | 'steps' | 'inputs' | 'inputUntil' | 'inputScale' | 'biasScale' | 'h0' | 'hidden'> & Partial<ActivationParams>;

/**
 * The input drive's variance at step t: (U x_t)_i with U_ij ~ N(0, 1/D) and x_t,j ~
 * N(0, inputScale^2) has E[(U x_t)_i^2] = inputScale^2 while the input is on (problem.ts, inputs.ts),
 * plus the bias b_i ~ N(0, biasScale^2) while the bias is on (config.ts driveOn).
 */
export function driveVariance(config: Pick<Config, 'inputs' | 'inputUntil' | 'inputScale' | 'biasScale'>, t: number): number {
  const on = driveOn(config, t);
  return (on.input ? config.inputScale ** 2 : 0) + (on.bias ? config.biasScale ** 2 : 0);
}

/**
 * q_t, chi_t and the predicted log10 ||dL/dh_t|| at one rho; sigmaW2 = sigma_w^2 = ||W0||_F^2 / N
 * of the normalised W0 (Spectrum.meanSquare).
 */
export function meanFieldRow(config: MeanFieldConfig, rho: number, sigmaW2: number): MeanFieldRow {
  const T = config.steps;
  const act = activationFns(config.activation, config);
  const gain = rho * rho * sigmaW2; // rho^2 sigma_w^2
  const q = new Float64Array(T);
  const chi = new Float64Array(T);
  // h0 = 0, or entries N(0, 1/N): E[h0_i^2] = 1/N.
  let prevSquare = config.h0 === 'random' ? 1 / config.hidden : 0; // E[h_{t-1,i}^2]
  let lastQ = NaN;
  let lastDer2 = NaN;
  for (let t = 1; t <= T; t++) {
    // 0 * Infinity would be NaN: with rho = 0 the recurrent term is exactly 0.
    const recurrent = gain === 0 ? 0 : gain * prevSquare;
    const qt = recurrent + driveVariance(config, t);
    q[t - 1] = qt;
    // Once q has settled to the last ulp the expectations are the same: reuse them (long T).
    if (!(Math.abs(qt - lastQ) <= 2 * Number.EPSILON * qt)) {
      lastDer2 = gaussianMean((a) => act.der(a) ** 2, qt);
      prevSquare = gaussianMean((a) => act.output(a) ** 2, qt);
      lastQ = qt;
    }
    chi[t - 1] = gain * lastDer2;
  }
  const gradLog10 = new Float64Array(T);
  let acc = 0;
  for (let t = T; t >= 1; t--) {
    gradLog10[t - 1] = acc;
    acc += 0.5 * Math.log10(chi[t - 1]);
  }
  return { q, chi, gradLog10 };
}

/**
 * The stationary rate 0.5 log10 chi* of the fixed point q* reached under a constant drive
 * (the noise input: inputScale^2 + biasScale^2 every step), in decades per step backwards.
 * Iterates the q map from q = drive until it settles (relative change below 1e-13), at most
 * `maxSteps` steps; unbounded activations whose q grows without bound have a chi that does not
 * depend on q (relu, leaky_relu, linear) or tends to its limit at q = Infinity.
 */
export function meanFieldStationaryRate(
  config: Pick<Config, 'activation' | 'inputScale' | 'biasScale'> & Partial<ActivationParams>,
  rho: number,
  sigmaW2: number,
  maxSteps = 10000,
): number {
  const act = activationFns(config.activation, config);
  const gain = rho * rho * sigmaW2;
  const drive = config.inputScale ** 2 + config.biasScale ** 2;
  let q = drive;
  for (let i = 0; i < maxSteps; i++) {
    const next = (gain === 0 ? 0 : gain * gaussianMean((a) => act.output(a) ** 2, q)) + drive;
    if (!(next < Infinity)) {
      q = Infinity;
      break;
    }
    const done = Math.abs(next - q) <= 1e-13 * Math.max(next, 1e-300);
    q = next;
    if (done) break;
  }
  return 0.5 * Math.log10(gain * gaussianMean((a) => act.der(a) ** 2, q));
}

/**
 * An engine's pre-activation histogram (core/preactivations.ts) against the float64 reference,
 * with a tolerance that comes from the reference itself (an interval per value, as gpuweb/cts
 * does), not from a magic count.
 *
 * Every a_t[i] of the row is computed by the reference in float64 (traceSequence), with an error
 * radius eps that a float32 forward pass may have:
 *   eps = 2^-19 m + 30 |a' - a| + 1e-37
 * - m = |rho| sum_j |W0_ij h_j| + sum_j |U_ij x_j| + |b_i|: float32 rounds each of the N <= 16
 *   products and sums of this step's dot product (gamma_N = N 2^-24 <= 2^-20 relative to m), plus
 *   the drive and rho's product rounded once each: 2^-19 m covers both with a factor 2 to spare;
 * - a' is the reference rerun with every W0_ij multiplied by (1 + 1e-7 n_ij), n_ij ~ N(0, 1), and
 *   rho by (1 + 1e-7): perturbations of float32's rounding size (W0 is rounded to float32 once,
 *   h_{t-1} at every step), so |a' - a| is how much this value amplifies earlier rounding (the
 *   rho > 1 rows amplify it over the steps); 30 times it, as in tests/engine/cpu.test.ts;
 * - 1e-37: a float32 engine flushes states below 1.2e-38 to zero.
 * The engine's counts must then lie in the interval the reference allows at every bin edge e:
 *   #{a : a + eps < e}  <=  (engine's count of values below e)  <=  #{a : a - eps < e}
 * (below lo, each bin, above hi, all as cumulative counts), its total must be N x S' exactly,
 * and nothing may be non-finite where the reference has nothing non-finite. A bin off by one, a
 * wrong rho, sample or step moves far more values than those within eps of an edge.
 * The mean phi'(a_t) may differ by what phi' changes over each value's interval (the jump where
 * an interval holds the kink of relu-like activations) averaged over the values, plus 1e-5:
 * float32 evaluates phi' (at most 1) to a few ulps (~1e-6) and may sum the N x S' <= 128 values
 * in float32 (128 x 6e-8 relative).
 */
import { expect } from 'vitest';
import { activationFns } from '../../src/core/activations.ts';
import type { Config } from '../../src/core/config.ts';
import { binWidth, type HistogramRequest, type PreactivationHistogram } from '../../src/core/preactivations.ts';
import { buildProblem, type Problem } from '../../src/core/problem.ts';
import { traceSequence } from '../../src/core/reference.ts';
import { Rng } from '../../src/core/rng.ts';
import { untiedWeightsSync, type RowWeights, type UntiedWeights } from '../../src/core/weights.ts';

const PERTURBATION = 1e-7;

/** [T] per step: the reference's a_t values of the row's first S' samples and their error radii. */
export interface ReferenceValues {
  a: Float64Array[];
  eps: Float64Array[];
}

/**
 * The values a_t[i] of row k for the first `samples` samples, with their error radii: a rho sweep,
 * tied or untied (every W0_t perturbed alike).
 */
export function referenceValues(config: Config, req: HistogramRequest, seed: number): ReferenceValues {
  if (config.sweep !== 'rho') throw new Error('referenceValues: a rho sweep only (no outlier move in its radius)');
  const p = buildProblem(config, { outlierAndUntied: true });
  const untied = untiedWeightsSync(config);
  const rho = p.rho[req.rhoIndex];
  const rng = new Rng(seed, 77);
  const perturb = (W: Float64Array) => W.map((w) => w * (1 + PERTURBATION * rng.normal()));
  const q: Problem = { ...p, W0: perturb(p.W0) };
  const untiedQ = untied && { ...untied, W: untied.W.map(perturb) };
  const row = (r: number, u: UntiedWeights | null): RowWeights => ({ rho: r, shift: 0, direction: null, untied: u });
  const weightsAt = (t: number) => (untied ? untied.W[t - 1] : p.W0);
  const { hidden: n, input: d, steps: T } = config;
  const act = activationFns(config.activation, config);
  const S = req.samples;
  const a = Array.from({ length: T }, () => new Float64Array(n * S));
  const eps = Array.from({ length: T }, () => new Float64Array(n * S));
  for (let s = 0; s < S; s++) {
    const x = p.inputsFor(s);
    const mine = new Float64Array(T * n);
    traceSequence(p, row(rho, untied), s, (t, at, off) => mine.set(at.subarray(off, off + n), (t - 1) * n));
    const moved = new Float64Array(T * n);
    traceSequence(q, row(rho * (1 + PERTURBATION), untiedQ), s, (t, at, off) => moved.set(at.subarray(off, off + n), (t - 1) * n));
    for (let t = 1; t <= T; t++) {
      const bias = p.biasOn(t) ? 1 : 0;
      for (let i = 0; i < n; i++) {
        let m = 0;
        const W = weightsAt(t);
        for (let j = 0; j < n; j++) m += Math.abs(W[i * n + j] * (t === 1 ? p.h0[j] : act.output(mine[(t - 2) * n + j])));
        m *= Math.abs(rho);
        for (let j = 0; j < d; j++) m += Math.abs(p.U[i * d + j] * x[(t - 1) * d + j]);
        m += bias * Math.abs(p.b[i]);
        const v = mine[(t - 1) * n + i];
        a[t - 1][s * n + i] = v;
        eps[t - 1][s * n + i] = 2 ** -19 * m + 30 * Math.abs(moved[(t - 1) * n + i] - v) + 1e-37;
      }
    }
  }
  return { a, eps };
}

/** What the comparison saw: values within their radius of some edge (the only ones that may move). */
export interface HistogramComparison {
  values: number;
  nearEdge: number;
}

/** Check `h` (an engine's) against the reference's values: counts within the intervals, the mean phi' within its bound. */
export function expectHistogramAgrees(h: PreactivationHistogram, config: Config, req: HistogramRequest, ref: ReferenceValues, what: string): HistogramComparison {
  const { bins, lo } = req;
  const w = binWidth(req);
  const T = config.steps;
  const count = config.hidden * req.samples;
  const act = activationFns(config.activation, config);
  expect(h.T, what).toBe(T);
  expect(h.bins, what).toBe(bins);
  let nearEdge = 0;
  for (let j = 0; j < T; j++) {
    const at = `${what}, t = ${j + 1}`;
    const a = ref.a[j];
    const eps = ref.eps[j];
    const refNonFinite = a.filter((v) => !Number.isFinite(v)).length;
    expect(h.nonFinite[j], `${at}: non-finite a_t`).toBe(refNonFinite);
    let total = h.below[j] + h.above[j] + h.nonFinite[j];
    for (let i = 0; i < bins; i++) total += h.counts[j * bins + i];
    expect(total, `${at}: every a_t counted once`).toBe(count);
    // Cumulative counts at each edge e_i = lo + i w, i = 0..bins.
    let below = h.below[j];
    for (let e = 0; e <= bins; e++) {
      const edge = lo + e * w;
      let least = 0;
      let most = 0;
      for (let v = 0; v < count; v++) {
        if (!Number.isFinite(a[v])) continue;
        if (a[v] + eps[v] < edge) least++;
        if (a[v] - eps[v] < edge) most++;
      }
      expect(below, `${at}: values below the edge ${edge} (reference allows ${least}..${most})`).toBeGreaterThanOrEqual(least);
      expect(below, `${at}: values below the edge ${edge} (reference allows ${least}..${most})`).toBeLessThanOrEqual(most);
      if (e < bins) below += h.counts[j * bins + e];
    }
    // The mean phi' over the finite values, and how far phi' can move within each value's radius.
    let sum = 0;
    let slack = 0;
    let finite = 0;
    for (let v = 0; v < count; v++) {
      const x = a[v];
      if (!Number.isFinite(x)) continue;
      finite++;
      const d = act.der(x);
      sum += d;
      const probes = [x - eps[v], x + eps[v]];
      if (act.kink && Math.abs(x) <= eps[v]) probes.push(-Number.MIN_VALUE, 0, Number.MIN_VALUE);
      slack += Math.max(...probes.map((y) => Math.abs(act.der(y) - d)));
      // Near an edge only where there is one: beyond +-X a large |a| has a large radius but no edge to cross.
      const e = (x - lo) / w;
      const nearest = Math.round(e);
      if (nearest >= 0 && nearest <= bins && Math.abs(e - nearest) * w <= eps[v]) nearEdge++;
    }
    if (finite > 0) {
      const want = sum / finite;
      expect(Math.abs(h.meanDeriv[j] - want), `${at}: mean phi'(a_t) ${h.meanDeriv[j]} vs the reference's ${want}`).toBeLessThanOrEqual(slack / finite + 1e-5);
    } else expect(h.meanDeriv[j], at).toBeNaN();
  }
  return { values: count * T, nearEdge };
}

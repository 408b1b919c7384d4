/**
 * The theory curves (src/core/theory.ts) against values derived here independently: the linear
 * prediction written out by hand, gamma = sup phi' found by scanning phi' numerically, ||W0||_2 by
 * power iteration on W0^T W0 (the engine uses an SVD), and both curves against what the float64
 * reference actually measures: the linear prediction is exact for a norm-preserving W0, and the
 * Pascanu et al. bound holds for every activation and init.
 */
import { describe, expect, it } from 'vitest';
import { activationFns } from '../../src/core/activations.ts';
import { ACTIVATIONS, INITS, parseConfig } from '../../src/core/config.ts';
import { buildProblem } from '../../src/core/problem.ts';
import { ReferenceEngine } from '../../src/core/reference.ts';
import { Rng } from '../../src/core/rng.ts';
import { linearPrediction, pascanuBound, theoryRow } from '../../src/core/theory.ts';
import { testSeed } from '../helpers/seed.ts';

const SEED = testSeed('theory tests');

/** ||A||_2 of a row-major n x n matrix: the square root of the top eigenvalue of A^T A, by power iteration. */
function powerNorm(a: Float64Array, n: number): number {
  let v = new Float64Array(n).fill(1 / Math.sqrt(n));
  let lambda = 0;
  for (let iter = 0; iter < 2000; iter++) {
    const av = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) av[i] += a[i * n + j] * v[j];
    const atav = new Float64Array(n);
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) atav[j] += a[i * n + j] * av[i];
    const len = Math.hypot(...atav);
    if (len === 0) return 0;
    const next = atav.map((x) => x / len);
    const change = Math.hypot(...next.map((x, i) => x - v[i]));
    v = next;
    lambda = len;
    if (change < 1e-14) break;
  }
  return Math.sqrt(lambda);
}

/**
 * sup phi' over a dense grid of a in [-40, 40] (phi' of these activations peaks in there, or
 * approaches its sup towards +-40), plus points next to 0 where a kink's one-sided limit lies.
 */
function scannedGamma(der: (a: number) => number): number {
  let sup = 0;
  for (let i = -400_000; i <= 400_000; i++) sup = Math.max(sup, der(i * 1e-4));
  for (const a of [-1e-12, -1e-300, 1e-300, 1e-12]) sup = Math.max(sup, der(a));
  return sup;
}

describe('linear prediction (T - t) log10 rho', () => {
  it('is the hand-computed value, 0 at t = T, -Infinity before T when rho = 0', () => {
    // rho = 0.5, T = 4: 3 log10 0.5, 2 log10 0.5, log10 0.5, 0
    const half = -0.30102999566398120;
    expect(linearPrediction(0.5, 4, 1)).toBeCloseTo(3 * half, 14);
    expect(linearPrediction(0.5, 4, 3)).toBeCloseTo(half, 14);
    expect(linearPrediction(0.5, 4, 4)).toBe(0);
    expect(linearPrediction(10, 7, 2)).toBeCloseTo(5, 14);
    expect(linearPrediction(1, 100, 1)).toBe(0);
    expect(linearPrediction(0, 5, 1)).toBe(-Infinity);
    expect(linearPrediction(0, 5, 4)).toBe(-Infinity);
    expect(linearPrediction(0, 5, 5)).toBe(0);
  });

  it('is what the float64 reference measures for a linear RNN with identity or orthogonal W0', async () => {
    // ||dL/dh_t|| = rho^(T-t) ||(W0^T)^(T-t) r|| = rho^(T-t) when W0 preserves norms; float64
    // rounding over 40 steps of a 10 x 10 product stays below 1e-12 in log10.
    for (const init of ['identity', 'orthogonal'] as const) {
      const config = parseConfig({ activation: 'linear', init, normalize: 'norm', hidden: 10, steps: 40, rhoMin: 0.3, rhoMax: 1.9, rhoCount: 4, samples: 2, seed: SEED });
      const f = await new ReferenceEngine().run(config);
      for (let k = 0; k < f.K; k++) {
        const row = theoryRow(config, f.rho[k], f.spectrum.norm).linear;
        for (let t = 1; t <= f.T; t++) {
          const measured = f.grids.gradLog10Mean[k * f.T + t - 1];
          expect(Math.abs(row[t - 1] - measured), `seed ${SEED} ${init} rho=${f.rho[k]} t=${t}`).toBeLessThan(1e-12);
        }
      }
    }
  });
});

describe('Pascanu et al. bound (T - t) log10(gamma rho ||W0||_2)', () => {
  it('uses gamma = sup phi\' of each activation (scanned numerically) and the norm it is given', () => {
    const rng = new Rng(SEED, 1);
    for (const activation of ACTIVATIONS) {
      for (const leakyAlpha of [0.01, 0.3]) {
        const params = { leakyAlpha, eluAlpha: 10 * leakyAlpha }; // elu's alpha 0.1 and 3: gamma 1 and alpha
        const fns = activationFns(activation, params);
        const gamma = scannedGamma(fns.der);
        // gamma is a supremum: no phi' exceeds it, and the scan comes within 1e-9 of it (phi' is
        // flat or smooth at its peak, or the peak is a kink's one-sided limit next to 0).
        expect(gamma, `${activation} alpha=${leakyAlpha}`).toBeLessThanOrEqual(fns.gamma + 1e-12);
        expect(fns.gamma - gamma, `${activation} alpha=${leakyAlpha}`).toBeLessThan(1e-9);
        const rho = 0.2 + 2 * rng.uniform();
        const norm = 0.5 + rng.uniform();
        const T = 30;
        const row = theoryRow({ activation, ...params, steps: T }, rho, norm).pascanu;
        for (const t of [1, 2, 17, 29, 30]) {
          const want = t === T ? 0 : (T - t) * Math.log10(gamma * rho * norm);
          expect(Math.abs(row[t - 1] - want), `${activation} t=${t}`).toBeLessThan(1e-8 * Math.max(1, Math.abs(want)));
        }
      }
    }
    // Sigmoid's 1/4 makes the bound fall by log10 4 = 0.602 per step at rho ||W0|| = 1.
    expect(pascanuBound(1, 11, 1, 0.25, 1)).toBeCloseTo(-10 * Math.log10(4), 12);
  });

  it('bounds what the float64 reference measures, for every activation and init (||W0||_2 by power iteration)', async () => {
    const rng = new Rng(SEED, 2);
    const reference = new ReferenceEngine();
    for (const activation of ACTIVATIONS) {
      for (const init of INITS) {
        const config = parseConfig({ activation, init, hidden: 12, steps: 25, rhoMin: 0.3, rhoMax: 2.5, rhoCount: 5, samples: 4, leakyAlpha: 0.2, seed: rng.nextU32() });
        const p = buildProblem(config);
        const norm = powerNorm(p.W0, config.hidden);
        // The engine's own spectral norm (an SVD) agrees with the power iteration.
        expect(Math.abs(norm - p.spectrum.norm) / norm, `${activation}/${init}`).toBeLessThan(1e-9);
        const f = await reference.run(config);
        const gamma = activationFns(activation, config).gamma;
        for (let k = 0; k < f.K; k++) {
          const row = theoryRow(config, f.rho[k], norm).pascanu;
          for (let t = 1; t <= f.T; t++) {
            // Each sample's ||dL/dh_t|| <= (gamma rho ||W0||)^(T-t) ||r|| with ||r|| = 1, so the
            // mean of the log10s is below the bound too (up to float64 rounding).
            const measured = f.grids.gradLog10Mean[k * f.T + t - 1];
            const bound = (f.T - t) * Math.log10(gamma * f.rho[k] * norm);
            expect(Math.abs(row[t - 1] - bound)).toBeLessThan(1e-9 * Math.max(1, Math.abs(bound)));
            if (!f.overflow[k * f.T + t - 1]) expect(measured, `seed ${SEED} ${activation}/${init} rho=${f.rho[k]} t=${t}`).toBeLessThanOrEqual(row[t - 1] + 1e-9);
          }
        }
      }
    }
  });

  it('is reached exactly by a linear RNN with identity W0 (gamma = 1, ||W0|| = 1)', async () => {
    const config = parseConfig({ activation: 'linear', init: 'identity', hidden: 6, steps: 30, rhoMin: 0.5, rhoMax: 1.5, rhoCount: 3, samples: 2, seed: SEED });
    const f = await new ReferenceEngine().run(config);
    for (let k = 0; k < f.K; k++) {
      const { linear, pascanu } = theoryRow(config, f.rho[k], powerNorm(buildProblem(config).W0, 6));
      for (let t = 1; t <= f.T; t++) {
        expect(Math.abs(pascanu[t - 1] - linear[t - 1])).toBeLessThan(1e-12);
        expect(Math.abs(pascanu[t - 1] - f.grids.gradLog10Mean[k * f.T + t - 1])).toBeLessThan(1e-12);
      }
    }
  });
});

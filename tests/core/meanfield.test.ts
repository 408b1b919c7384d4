/**
 * Mean-field theory (src/core/meanfield.ts) against independent evaluations of the same
 * integrals, and its q_t against the reference engine's forward pass.
 *
 * The independent evaluation is adaptive Simpson integration of f(sqrt(q) z) times the normal
 * density over z in [-12, 12] (the mass outside is 4e-33), split at z = 0 so the kinks of relu
 * and leaky_relu sit on an interval's edge, to a tolerance of 1e-10 times the integrand's size:
 * nothing in it is shared with the Gauss-Hermite rule under test. Agreement is asserted to 1e-6
 * (relative, for values that can be large); the composite Gauss-Legendre rule under test is good
 * to about 1e-12 on these integrands, so a failure means a wrong node, panel, weight or map.
 */
import { describe, expect, it } from 'vitest';
import { activationFns } from '../../src/core/activations.ts';
import { ACTIVATIONS, parseConfig, type Activation } from '../../src/core/config.ts';
import {
  driveVariance,
  gaussianMean,
  meanFieldApplicability,
  meanFieldRow,
  meanFieldStationaryRate,
} from '../../src/core/meanfield.ts';
import { buildProblem } from '../../src/core/problem.ts';
import { traceSequence } from '../../src/core/reference.ts';

const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** Adaptive Simpson on [a, b] to absolute tolerance eps. */
function simpson(f: (x: number) => number, a: number, b: number, eps: number): number {
  const m = (a + b) / 2;
  const fa = f(a);
  const fm = f(m);
  const fb = f(b);
  const whole = ((b - a) / 6) * (fa + 4 * fm + fb);
  const rec = (a: number, b: number, fa: number, fm: number, fb: number, whole: number, eps: number, depth: number): number => {
    const m = (a + b) / 2;
    const lm = (a + m) / 2;
    const rm = (m + b) / 2;
    const flm = f(lm);
    const frm = f(rm);
    const left = ((m - a) / 6) * (fa + 4 * flm + fm);
    const right = ((b - m) / 6) * (fm + 4 * frm + fb);
    const diff = left + right - whole;
    if (depth <= 0 || Math.abs(diff) <= 15 * eps) return left + right + diff / 15;
    return rec(a, m, fa, flm, fm, left, eps / 2, depth - 1) + rec(m, b, fm, frm, fb, right, eps / 2, depth - 1);
  };
  return rec(a, b, fa, fm, fb, whole, eps, 50);
}

/** E[f(sqrt(q) z)], z ~ N(0, 1), by adaptive Simpson (independent of the Gauss-Hermite rule). */
function expectIndependent(f: (a: number) => number, q: number): number {
  const sd = Math.sqrt(q);
  const g = (z: number) => (f(sd * z) * Math.exp(-0.5 * z * z)) / SQRT_2PI;
  // Absolute tolerance 1e-10 relative to the integrand's size at |a| = sqrt(q) (q grows to 1e12 for relu).
  const eps = 1e-10 * Math.max(1, Math.abs(f(sd)), Math.abs(f(-sd)));
  return simpson(g, -12, 0, eps) + simpson(g, 0, 12, eps);
}

/** The stationary rate 0.5 log10 chi*, by iterating the q map with the independent integrator. */
function stationaryRateIndependent(activation: Activation, rho: number, drive: number): number {
  const act = activationFns(activation);
  const gain = rho * rho;
  let q = drive;
  for (let i = 0; i < 5000; i++) {
    const next = gain * expectIndependent((a) => act.output(a) ** 2, q) + drive;
    const done = Math.abs(next - q) <= 1e-14 * next;
    q = next;
    // Growing without bound (relu, leaky_relu, linear above their edge): their chi does not
    // depend on q, so any large q gives the rate.
    if (done || q > 1e12) break;
  }
  return 0.5 * Math.log10(gain * expectIndependent((a) => act.der(a) ** 2, q));
}

function close(actual: number, expected: number, rel: number, what: string): void {
  const tol = rel * Math.max(1, Math.abs(expected));
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
}

describe('the Gaussian quadrature', () => {
  it('integrates the normal moments E[z^2k] = (2k-1)!! and the odd ones to 0', () => {
    let dfact = 1;
    // Up to z^10: the rule stops at |z| = 9, where z^10 times the density leaves under 1e-9.
    for (let k = 1; k <= 5; k++) {
      dfact *= 2 * k - 1;
      close(gaussianMean((z) => z ** (2 * k), 1), dfact, 1e-9, `E[z^${2 * k}]`);
      expect(Math.abs(gaussianMean((z) => z ** (2 * k - 1), 1)), `E[z^${2 * k - 1}]`).toBeLessThan(1e-12 * dfact);
    }
    // Scaled: E[(sqrt(q) z)^2] = q, at any q, and f(0) at q = 0.
    for (const q of [1e-6, 0.7, 1e4]) close(gaussianMean((a) => a * a, q), q, 1e-12, `E[a^2] at q=${q}`);
    expect(gaussianMean(() => 3, 0)).toBeCloseTo(3, 14);
  });
});

describe('mean-field integrals against adaptive integration', () => {
  for (const activation of ACTIVATIONS) {
    it(`${activation}: E[phi^2] and E[phi'^2] to 1e-6 over q from 1e-3 to 1e4`, () => {
      const act = activationFns(activation);
      for (const q of [1e-3, 0.05, 0.3, 1, 2.5, 9, 100, 1e4]) {
        close(gaussianMean((a) => act.output(a) ** 2, q), expectIndependent((a) => act.output(a) ** 2, q), 1e-6, `${activation} E[phi^2] at q=${q}`);
        close(gaussianMean((a) => act.der(a) ** 2, q), expectIndependent((a) => act.der(a) ** 2, q), 1e-6, `${activation} E[phi'^2] at q=${q}`);
      }
    });
    it(`${activation}: the stationary rate 0.5 log10 chi* to 1e-6 at rho 0.5..2`, () => {
      const drive = 1; // inputScale 1, no bias: the default noise input
      for (const rho of [0.5, 1, 1.5, 2]) {
        const config = { activation, leakyAlpha: 0.01, inputScale: 1, biasScale: 0 };
        const mine = meanFieldStationaryRate(config, rho, 1);
        const theirs = stationaryRateIndependent(activation, rho, drive);
        if (!Number.isFinite(theirs)) expect(mine).toBe(theirs);
        else close(mine, theirs, 1e-6, `${activation} rate at rho=${rho}`);
      }
    });
  }

  it('tanh at rho = 1 decays at about 0.2 decades per step (the default view)', () => {
    const r = meanFieldStationaryRate({ activation: 'tanh', leakyAlpha: 0.01, inputScale: 1, biasScale: 0 }, 1, 1);
    expect(r).toBeGreaterThan(-0.21);
    expect(r).toBeLessThan(-0.19);
  });
});

describe('the mean-field row', () => {
  it('sums half-logs of chi over s in (t, T]: 0 at t = T, each step back adds 0.5 log10 chi_t', () => {
    const config = parseConfig({ steps: 30, inputs: 'zero-after', inputUntil: 8, biasScale: 0.3 });
    const row = meanFieldRow(config, 1.2, 1);
    expect(row.gradLog10[29]).toBe(0);
    for (let t = 29; t >= 1; t--) close(row.gradLog10[t - 1] - row.gradLog10[t], 0.5 * Math.log10(row.chi[t]), 1e-12, `step ${t}`);
  });

  it('rho = 0 predicts an exact zero before T, as the reference has', () => {
    const row = meanFieldRow(parseConfig({ steps: 5 }), 0, 1);
    expect(Array.from(row.gradLog10)).toEqual([-Infinity, -Infinity, -Infinity, -Infinity, 0]);
  });

  it('the drive variance is E[(U x_t)_i^2 + b_i^2] of the drawn problem for every input mode', () => {
    // N = 400 units x S = 32 samples: the empirical mean of squares has relative sampling
    // error about sqrt(2 / 12800) ~ 1.3 %, plus the spread of U's and b's row norms; 8 % is
    // several standard errors and still far below any mistake in which steps are driven.
    for (const inputs of ['noise', 'impulse', 'zero-after'] as const) {
      const config = parseConfig({ hidden: 400, input: 8, steps: 6, samples: 32, inputs, inputUntil: 3, inputScale: 1.7, biasScale: 0.6 });
      const p = buildProblem(config);
      for (let t = 1; t <= 6; t++) {
        let ss = 0;
        for (let s = 0; s < config.samples; s++) {
          const x = p.inputsFor(s);
          for (let i = 0; i < config.hidden; i++) {
            let u = 0;
            for (let j = 0; j < config.input; j++) u += p.U[i * config.input + j] * x[(t - 1) * config.input + j];
            const v = u + (p.biasOn(t) ? p.b[i] : 0);
            ss += v * v;
          }
        }
        const empirical = ss / (config.samples * config.hidden);
        const predicted = driveVariance(config, t);
        if (predicted === 0) expect(empirical, `${inputs} t=${t}`).toBe(0);
        else expect(Math.abs(empirical / predicted - 1), `${inputs} t=${t}: ${empirical} vs ${predicted}`).toBeLessThan(0.08);
      }
    }
  });

  it("q_t predicts the reference's ||h_t||^2 / N step by step (impulse, zero-after, random h0)", () => {
    // E ||h_t||^2 / N = E[phi(sqrt(q_t) z)^2] at large N. The samples share W0, U and b and
    // differ only through x (only at t = 1 for impulse), so the mean square averages over about
    // N = 300 independent units: relative error sqrt(2 / N) ~ 8 %, 0.035 in log10. 0.1 is three
    // of those, and still far below what a wrong drive does (leaving out the input, or driving
    // the impulse at every step, moves q by a factor of 2 or more: 0.3 and up).
    const cases = [
      { inputs: 'impulse', rho: 0.9, h0: 'zeros', biasScale: 0.5 },
      { inputs: 'zero-after', rho: 1.3, h0: 'random', biasScale: 0 },
      { inputs: 'noise', rho: 1.8, h0: 'random', biasScale: 0.2 },
    ] as const;
    for (const c of cases) {
      const config = parseConfig({ hidden: 300, steps: 25, samples: 8, rhoMin: c.rho, rhoMax: c.rho, rhoCount: 1, inputs: c.inputs, inputUntil: 6, h0: c.h0, biasScale: c.biasScale, seed: 11 });
      const p = buildProblem(config);
      const row = meanFieldRow(config, c.rho, p.spectrum.meanSquare);
      const act = activationFns(config.activation, config);
      const meanSq = new Float64Array(config.steps);
      for (let s = 0; s < config.samples; s++) {
        const tr = traceSequence(p, c.rho, s);
        for (let j = 0; j < config.steps; j++) meanSq[j] += 10 ** (2 * tr.values.hidden[j]) / config.hidden / config.samples;
      }
      for (let j = 0; j < config.steps; j++) {
        const predicted = gaussianMean((a) => act.output(a) ** 2, row.q[j]);
        expect(Math.abs(Math.log10(meanSq[j] / predicted)), `${c.inputs} t=${j + 1}: ${meanSq[j]} vs ${predicted}`).toBeLessThan(0.1);
      }
    }
  });

  it('says where it does not apply', () => {
    expect(meanFieldApplicability({ init: 'identity', activation: 'tanh' }).applies).toBe(false);
    expect(meanFieldApplicability({ init: 'orthogonal', activation: 'linear' }).applies).toBe(false);
    expect(meanFieldApplicability({ init: 'orthogonal', activation: 'linear' }).note).toMatch(/linear prediction is exact/);
    expect(meanFieldApplicability({ init: 'gaussian', activation: 'relu' }).applies).toBe(true);
    expect(meanFieldApplicability({ init: 'spectrum', activation: 'tanh' }).applies).toBe(false);
    expect(meanFieldApplicability({ init: 'gaussian', activation: 'tanh', sweep: 'outlier' }).applies).toBe(false);
    expect(meanFieldApplicability({ init: 'gaussian', activation: 'tanh' }, NaN).note).toMatch(/does not record/);
  });
});

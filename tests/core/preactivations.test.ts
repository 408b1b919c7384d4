/**
 * The derivative panel's pre-activations (src/core/preactivations.ts) against the float64
 * reference on fresh random configs: the mean of phi'(a_t) per step is the reference's own
 * per-sample mean phi' averaged over the samples (the same float64 operations in the same order,
 * so they agree to 1e-12, far below any difference that matters), and every one of the N x S
 * values a_t is counted once, in a bin or beyond an edge.
 */
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, parseConfig } from '../../src/core/config.ts';
import { buildProblem } from '../../src/core/problem.ts';
import { preactivationRange, preactivationRow, samplesWithin } from '../../src/core/preactivations.ts';
import { traceSequence } from '../../src/core/reference.ts';
import { Rng } from '../../src/core/rng.ts';
import { testSeed } from '../helpers/seed.ts';

const SEED = testSeed('pre-activation tests');

describe('pre-activations of one row', () => {
  const rng = new Rng(SEED, 1);
  for (const activation of ACTIVATIONS) {
    it(`${activation}: mean phi'(a_t) is the reference's, every a_t is counted once (seed ${SEED})`, () => {
      const r = () => rng.uniform();
      const config = parseConfig({
        activation,
        hidden: 4 + Math.floor(r() * 12),
        steps: 3 + Math.floor(r() * 20),
        samples: 2 + Math.floor(r() * 4),
        seed: Math.floor(r() * 1e6),
        biasScale: r(),
      });
      const p = buildProblem(config);
      const rho = 0.3 + 1.7 * r();
      const X = preactivationRange(activation, config);
      const row = preactivationRow(p, rho, { samples: config.samples, lo: -X, hi: X, bins: 40 });
      const traces = Array.from({ length: config.samples }, (_, s) => traceSequence(p, rho, s));
      for (let j = 0; j < config.steps; j++) {
        const want = traces.reduce((acc, tr) => acc + tr.values.deriv[j], 0) / config.samples;
        expect(Math.abs(row.meanDeriv[j] - want), `t = ${j + 1}, rho = ${rho}`).toBeLessThan(1e-12);
        let total = row.below[j] + row.above[j] + row.nonFinite[j];
        for (let i = 0; i < row.bins; i++) total += row.counts[j * row.bins + i];
        expect(total).toBe(config.hidden * config.samples);
      }
    });
  }

  it('the binned range covers where phi\' is still above 1% of its maximum', () => {
    expect(preactivationRange('tanh')).toBe(5); // tanh saturates from |a| = 2.99
    expect(preactivationRange('sigmoid')).toBe(9); // sigmoid from |a| = 5.99
    expect(preactivationRange('relu')).toBe(4); // phi' is 0 or 1: the kink at 0
  });

  it('samples within a budget: at least one, at most S', () => {
    expect(samplesWithin(64, 100, 16, 4e8)).toBe(16);
    expect(samplesWithin(1024, 5000, 256, 4e8)).toBe(1);
    expect(samplesWithin(256, 200, 64, 4e8)).toBe(30);
  });
});

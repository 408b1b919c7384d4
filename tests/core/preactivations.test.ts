/**
 * The derivative panel's pre-activations (src/core/preactivations.ts) and the reference's histogram
 * (core/reference.ts referenceHistogram) on fresh random configs: the mean of phi'(a_t) per step is
 * the reference's own per-sample mean phi' averaged over the samples (the same float64 operations in
 * the same order, so they agree to 1e-12, far below any difference that matters), and every one of
 * the N x S values a_t is counted once, in a bin, beyond an edge or as not finite. Binning by the
 * exact edges: a value on an edge belongs to the bin above it, whatever the division rounds to.
 */
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, parseConfig } from '../../src/core/config.ts';
import { buildProblem } from '../../src/core/problem.ts';
import { BIN_BELOW, BIN_NON_FINITE, binOf, HistogramCounts, histogramRequest, preactivationRange, samplesWithin } from '../../src/core/preactivations.ts';
import { referenceHistogram, traceSequence } from '../../src/core/reference.ts';
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
      const k = Math.floor(r() * p.rho.length);
      const rho = p.rho[k];
      const req = histogramRequest(config, k, config.samples);
      const h = referenceHistogram(p, { rho, shift: 0, direction: null, untied: null }, req).finish(config, req, {
        engine: 'reference',
        adapter: '',
        precision: 'float64',
        binnedWhere: '',
        wallMs: 0,
      });
      const traces = Array.from({ length: config.samples }, (_, s) => traceSequence(p, rho, s));
      for (let j = 0; j < config.steps; j++) {
        const want = traces.reduce((acc, tr) => acc + tr.values.deriv[j], 0) / config.samples;
        expect(Math.abs(h.meanDeriv[j] - want), `t = ${j + 1}, rho = ${rho}`).toBeLessThan(1e-12);
        let total = h.below[j] + h.above[j] + h.nonFinite[j];
        for (let i = 0; i < h.bins; i++) total += h.counts[j * h.bins + i];
        expect(total).toBe(config.hidden * config.samples);
      }
    });
  }

  it('bins by the exact edges: an edge belongs to the bin above, hi to "above", non-finite values apart', () => {
    const lo = -5;
    const w = 10 / 64;
    expect(binOf(-5, lo, w, 64)).toBe(0);
    expect(binOf(-5 - 1e-15, lo, w, 64)).toBe(BIN_BELOW);
    expect(binOf(5, lo, w, 64)).toBe(64);
    expect(binOf(5 - 1e-15, lo, w, 64)).toBe(63);
    expect(binOf(NaN, lo, w, 64)).toBe(BIN_NON_FINITE);
    expect(binOf(-Infinity, lo, w, 64)).toBe(BIN_NON_FINITE);
    for (let i = 0; i < 64; i++) {
      const e = lo + i * w;
      expect(binOf(e, lo, w, 64), `edge ${i}`).toBe(i);
      expect(binOf(e - 2 ** -40, lo, w, 64), `just below edge ${i}`).toBe(i - 1);
    }
  });

  it('counts of two shares add up to the counts of all', () => {
    const req = { bins: 8, lo: -4, hi: 4 };
    const all = new HistogramCounts(2, req);
    const one = new HistogramCounts(2, req);
    const two = new HistogramCounts(2, req);
    const rng = new Rng(SEED, 2);
    for (let v = 0; v < 200; v++) {
      const t = 1 + (v % 2);
      const a = 6 * rng.normal();
      all.add(t, a, 0.5);
      (v < 77 ? one : two).add(t, a, 0.5);
    }
    one.merge(two);
    expect(one.counts).toEqual(all.counts);
    expect(one.below).toEqual(all.below);
    expect(one.above).toEqual(all.above);
    expect(one.derSum).toEqual(all.derSum);
  });

  it("the binned range covers where phi' is still above 1% of its maximum", () => {
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

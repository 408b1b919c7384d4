/**
 * Colour ranges that respect sampling noise (src/export/colormap.ts): a field whose values differ
 * only by noise (the hidden norm in its steady state) is not stretched over the whole colour bar,
 * and a redraw with other samples does not move the colours by more than the noise; a field with
 * a real trend (the gradient's decay) keeps its data range.
 */
import { describe, expect, it } from 'vitest';
import { autoRange, NOISE_SPANS, samplingNoise, statisticRange } from '../../src/export/colormap.ts';
import { Rng } from '../../src/core/rng.ts';
import { testSeed } from '../helpers/seed.ts';

const SEED = testSeed('noise range tests');
const K = 24;
const T = 150;

/** A [K, T] grid: trend(k, t) plus independent normal noise of standard deviation sigma. */
function grid(trend: (k: number, t: number) => number, sigma: number, stream: number) {
  const noise = new Rng(SEED, stream).normals(K * T, sigma);
  const values = new Float64Array(K * T);
  for (let k = 0; k < K; k++) for (let t = 0; t < T; t++) values[k * T + t] = trend(k, t) + noise[k * T + t];
  return { values, overflow: new Uint8Array(K * T) };
}

describe('noise-aware colour ranges', () => {
  it('estimates the noise from step-to-step scatter, undisturbed by a smooth trend', () => {
    const g = grid((k, t) => 0.5 + 0.01 * k - 0.002 * t + 1e-5 * t * t, 0.01, 1);
    // 3450 second differences: the median's relative standard error is about 2.5%; 15% is far outside it.
    expect(Math.abs(samplingNoise([g], T) / 0.01 - 1)).toBeLessThan(0.15);
    expect(samplingNoise([{ values: new Float64Array(4), overflow: new Uint8Array(4) }], 2)).toBeNaN();
  });

  it('a steady field with noise: the range spans 20 sigma about its middle, and another draw moves it by a small part of that', () => {
    const steady = (k: number) => 0.72 + 0.0005 * k; // a trend far below the noise
    const a = grid(steady, 0.01, 2);
    const b = grid(steady, 0.01, 3);
    const ra = statisticRange([a], 'hiddenLog10Mean', T);
    const rb = statisticRange([b], 'hiddenLog10Mean', T);
    for (const r of [ra, rb]) {
      expect(r.rule).toBe('widened');
      expect((r.max - r.min) / (NOISE_SPANS * 0.01)).toBeGreaterThan(0.85);
      expect((r.max - r.min) / (NOISE_SPANS * 0.01)).toBeLessThan(1.15);
      expect(r.words).toMatch(/widened to 20× the sampling noise/);
    }
    // The data's own min..max sits inside the widened range.
    const auto = autoRange([a], 'values');
    expect(ra.min).toBeLessThan(auto.min);
    expect(ra.max).toBeGreaterThan(auto.max);
    // A redraw: the colour bar's ends move by under 10% of its span (2 sigma). They move with the
    // mid of the data's min and max (standard deviation about 0.3 sigma between two draws) and half
    // the change of the noise estimate (about 0.35 sigma): 2 sigma is 4 standard deviations out.
    // The data's own min..max (about 8 sigma wide) would put the same noise across the whole bar.
    const span = ra.max - ra.min;
    expect(Math.abs(ra.min - rb.min) / span).toBeLessThan(0.1);
    expect(Math.abs(ra.max - rb.max) / span).toBeLessThan(0.1);
  });

  it('a field with a real trend keeps the data range; a fraction keeps its fixed range', () => {
    const decay = grid((k, t) => -0.3 * (T - t) * (1 - k / K), 1e-4, 4);
    const r = statisticRange([decay], 'gradLog10Mean', T);
    expect(r.rule).toBe('auto');
    expect({ min: r.min, max: r.max }).toEqual(autoRange([decay], 'values'));
    const sat = statisticRange([decay], 'saturation', T);
    expect(sat).toMatchObject({ min: 0, max: 1, rule: 'fixed' });
  });
});

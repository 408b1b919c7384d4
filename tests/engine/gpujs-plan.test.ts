/**
 * What the gpu.js engine plans on the CPU for the outlier axis and untied weights (plan.ts, pure,
 * in Node): the clamp on pre-activations stays safe for every row's W_{k,t} = rho_k M_t + shift_k D_t
 * (rebuilt dense here, which the engine never does), the move kernels' packed direction is D's, and
 * untied matrices beyond the matrix budget are refused with the size and what to reduce.
 * Random configs from the file's fresh seed (tests/helpers/seed.ts).
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config.ts';
import { buildProblem } from '../../src/core/problem.ts';
import { Rng } from '../../src/core/rng.ts';
import { addDirection } from '../../src/core/spectrum-init.ts';
import { untiedWeightsSync } from '../../src/core/weights.ts';
import { matrixTextureBytes, overflowLimit, packedMove, untiedTextureRefusal } from '../../src/engine/gpujs/plan.ts';
import { sweepWeights, type SweepWeights } from '../../src/engine/sweep-weights.ts';
import { testSeed } from '../helpers/seed.ts';

const SEED = testSeed('gpujs plan tests');

/** The float32 magnitude plan.ts keeps every product below (FLOAT32_SAFE there). */
const FLOAT32_SAFE = 1e37;

/** max_i sum_j |W_ij| of row k's dense W_{k,t} = factor M + shift D, over every row and matrix of the sweep. */
function largestRowSum(w: SweepWeights, n: number): number {
  let most = 0;
  for (const [m, M] of w.matrices.entries()) {
    for (let k = 0; k < w.factor.length; k++) {
      const W = Float64Array.from(M, (v) => w.factor[k] * v);
      const dir = w.directions[m];
      if (dir) {
        // Column j of shift D is shift D e_j.
        const e = new Float64Array(n);
        const col = new Float64Array(n);
        for (let j = 0; j < n; j++) {
          e.fill(0);
          e[j] = 1;
          col.fill(0);
          addDirection(dir, w.shift[k], e, 0, col, n, false);
          for (let i = 0; i < n; i++) W[i * n + j] += col[i];
        }
      }
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += Math.abs(W[i * n + j]);
        most = Math.max(most, s);
      }
    }
  }
  return most;
}

describe('gpu.js plan: the outlier axis and untied weights', () => {
  it('the clamp keeps every product W_{k,t} h below float32 safety, the outlier\'s shift included (random outlier and untied configs)', () => {
    const rng = new Rng(SEED, 1);
    for (let i = 0; i < 6; i++) {
      const pair = rng.uniform() < 0.5;
      const m = 0.3 + rng.uniform();
      // Magnitudes swept up to 10 (the field's bound): a large shift, where a clamp that ignored D would be unsafe.
      const config = parseConfig({
        init: 'spectrum',
        bulk: `disk:${(0.2 + 0.6 * rng.uniform()).toFixed(3)}`,
        outliers: pair ? `${(m * 0.6).toFixed(4)},${(m * 0.8).toFixed(4)}` : `${m.toFixed(4)},0`,
        sweep: 'outlier',
        weights: rng.uniform() < 0.5 ? 'untied' : 'tied',
        hidden: 3 + Math.floor(rng.uniform() * 12),
        steps: 4,
        rhoMin: 0,
        rhoMax: 10,
        rhoCount: 5,
        seed: rng.nextU32(),
      });
      const p = buildProblem(config, { outlierAndUntied: true });
      const w = sweepWeights(p, untiedWeightsSync(config));
      // |a_t| <= ||W_{k,t}||_inf limit + drive must stay below FLOAT32_SAFE (plan.ts: half of it for the product).
      const what = `seed ${SEED}, ${JSON.stringify(config)}`;
      expect(largestRowSum(w, config.hidden) * overflowLimit(p, w), what).toBeLessThanOrEqual(FLOAT32_SAFE / 2);
      expect(overflowLimit(p, w)).toBeGreaterThan(1e30);
      // Within the fields' bounds the clamp's 1e34 cap decides; shifts a million times larger make
      // the bound on D decide (a clamp that left D out would fail here).
      const big = { ...w, shift: w.shift.map((v) => v * 1e6) };
      expect(largestRowSum(big, config.hidden) * overflowLimit(p, big), what).toBeLessThanOrEqual(FLOAT32_SAFE / 2);
      expect(overflowLimit(p, big)).toBeLessThan(1e34);
    }
  });

  it('packedMove pads P to [2, NP] (zeros beyond N, and as a real outlier\'s second row) and gives R and R^T in float32, as the move kernel reads them', () => {
    const config = parseConfig({ init: 'spectrum', bulk: 'disk:0.5', outliers: '0.3,0.9', sweep: 'outlier', hidden: 7, seed: new Rng(SEED, 2).nextU32() });
    const dir = buildProblem(config, { outlierAndUntied: true }).chosen!.direction!;
    const { P, R, RT } = packedMove(dir, 8);
    expect(P.length).toBe(16);
    for (let a = 0; a < 2; a++) {
      expect(P[a * 8 + 7]).toBe(0); // padding
      for (let i = 0; i < 7; i++) expect(P[a * 8 + i]).toBe(Math.fround(dir.P[a * 7 + i]));
    }
    expect(Array.from(R)).toEqual(Array.from(dir.R, Math.fround));
    expect(Array.from(RT)).toEqual([dir.R[0], dir.R[2], dir.R[1], dir.R[3]].map(Math.fround));
    const real = buildProblem(parseConfig({ ...config, outliers: '1.1,0' }), { outlierAndUntied: true }).chosen!.direction!;
    const r = packedMove(real, 8);
    expect(Array.from(r.R)).toEqual([Math.fround(real.R[0]), 0, 0, 0]);
    expect(Array.from(r.P.subarray(8))).toEqual(new Array(8).fill(0)); // a real outlier: no second row
  });

  it('untied matrices beyond the budget are refused with the size and what to reduce; identity and tied weights need one matrix', () => {
    const c = parseConfig({ weights: 'untied', init: 'gaussian', hidden: 256, steps: 600 });
    // 2 x 600 x 256^2 x 4 bytes = 300 MiB > 256 MiB; 256 MiB holds 512 steps.
    expect(matrixTextureBytes(c)).toBe(2 * 600 * 256 * 256 * 4);
    expect(untiedTextureRefusal(c)).toBe(
      'gpujs: weights: untied needs 600 matrices of 256x256 (padded to 256x256) float32, each with its transpose, as WebGL textures, 300 MiB (314572800 bytes), ' +
        "above the gpu.js engine's 256 MiB for them; reduce Steps T to at most 512 (at N = 256) or Hidden size N, or use tied weights",
    );
    expect(untiedTextureRefusal({ ...c, steps: 512 })).toBeNull();
    expect(untiedTextureRefusal({ ...c, init: 'identity' })).toBeNull();
    expect(untiedTextureRefusal({ ...c, weights: 'tied' })).toBeNull();
  });
});

/**
 * The float32 CPU trainer against the float64 reference trainer: one step's gradients for every
 * activation and init (SIMD and TypeScript GEMM), a 50-step run's loss curve in worker threads,
 * bit-for-bit reproducibility, and a diverging model stopped while the others go on.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { afterAll, describe, expect, it } from 'vitest';
import { ACTIVATIONS, RANDOM_INITS as INITS } from '../../src/core/config.ts';
import { Rng } from '../../src/core/rng.ts';
import { parseTrainConfig } from '../../src/core/train/config.ts';
import { initialParams } from '../../src/core/train/model.ts';
import { ReferenceModel } from '../../src/core/train/reference.ts';
import { ReferenceTrainer } from '../../src/core/train/trainer.ts';
import { taskShape, trainBatch } from '../../src/core/train/tasks.ts';
import { fmaAvailable } from '../../src/engine/cpu/simd.ts';
import { F32Model } from '../../src/engine/cpu/train/model.ts';
import { createNodeCpuTrainer } from '../../src/engine/cpu/train/pool-node.ts';
import { CpuTrainer, assignModels } from '../../src/engine/cpu/train/trainer.ts';

const trainer = createNodeCpuTrainer({ workers: 2 });
afterAll(() => trainer.dispose());

/** One step of a small random model on the float32 model against the reference: the loss and every gradient entry. */
function checkOneStep(activation: (typeof ACTIVATIONS)[number], init: (typeof INITS)[number], options: { simd: boolean; fma?: boolean }, hidden = 11): void {
  const task = activation === 'relu' ? 'copy' : 'adding';
  const config = parseTrainConfig({ task, length: 13, copySymbols: 2, copyAlphabet: 3, batch: 5, seed: 21, models: [{ activation, init, hidden, rho: 0.95, biasInit: 0.05 }] });
  const shape = taskShape(config);
  const p = initialParams(config.models[0], shape, config.seed);
  const rng = new Rng(5, 1);
  for (let i = 0; i < p.length; i++) p[i] = Math.fround(p[i] + 0.1 * rng.normal());
  const ref = new ReferenceModel(config.models[0], shape, config.length, p);
  const f32 = new F32Model(config.models[0], shape, config.length, p, options);
  const batch = trainBatch(config, 2);
  const l64 = ref.lossAndGrad(batch);
  const l32 = f32.lossAndGrad(batch);
  expect(Math.abs(l32 - l64)).toBeLessThanOrEqual(1e-5 * l64);
  let gmax = 0;
  for (const g of ref.grad) gmax = Math.max(gmax, Math.abs(g));
  expect(gmax).toBeGreaterThan(1e-3);
  for (let i = 0; i < p.length; i++) expect(Math.abs(f32.grad[i] - ref.grad[i])).toBeLessThanOrEqual(1e-4 * gmax);
}

describe('float32 model: one step against the float64 reference', () => {
  // Tolerance: every state is rounded to float32 (relative 6e-8) at each of T <= 13 steps and the
  // products accumulate in float32 on the SIMD path, so the gradient carries errors of roughly
  // T * N * 6e-8 ~ 1e-5 of its largest entry at worst; measured 1e-7. A wrong index or a missing
  // term is off by O(1) of that entry, so 1e-4 of max |g| separates the two.
  for (const simd of [true, false]) {
    for (const activation of ACTIVATIONS) {
      for (const init of INITS) {
        it(`${simd ? 'SIMD' : 'TypeScript'} GEMM, ${activation}, ${init}`, () => checkOneStep(activation, init, { simd }));
      }
    }
  }
  // N = 11 rounds Np and the hidden rows nH alike up to 16; at N = 8 and 64 the SIMD products
  // skip Np - nH = 8 rows of zeros (the input, constant and padding), as at the default N = 64.
  for (const hidden of [8, 64]) {
    for (const activation of ['tanh', 'relu'] as const) {
      it(`SIMD GEMM over the non-zero rows of Wa, N = ${hidden}, ${activation}`, () => checkOneStep(activation, 'gaussian', { simd: true }, hidden));
    }
  }
});

describe('CPU trainer', () => {
  const config = parseTrainConfig({
    length: 30,
    batch: 8,
    iterations: 50,
    evalEvery: 5,
    heldout: 32,
    seed: 7,
    models: [
      { hidden: 16 },
      { hidden: 16, init: 'orthogonal' },
      { hidden: 16, activation: 'relu', clip: 1 },
      { hidden: 16, activation: 'relu', init: 'identity' },
      { hidden: 12, activation: 'sigmoid', rho: 2 },
    ],
  });

  it('tracks the reference loss curve for 50 steps in worker threads', async () => {
    const ref = await new ReferenceTrainer().train(config);
    const f32 = await trainer.train(config);
    expect(f32.meta.precision).toBe('float32');
    expect(f32.rows.map((r) => [r.model, r.iteration])).toEqual(ref.rows.map((r) => [r.model, r.iteration]));
    // Tolerance 1e-3 relative: float32 rounding of the states (6e-8) perturbs each gradient by
    // ~1e-6 relative and Adam carries it along the curve; measured worst 6e-6 over these 50 steps
    // (IRNN, whose gradient norm starts near 1000). A lost or doubled update would move the loss
    // by far more than 1e-3.
    for (let i = 0; i < ref.rows.length; i++) {
      const a = ref.rows[i];
      const b = f32.rows[i];
      expect(Math.abs(b.heldoutLoss - a.heldoutLoss)).toBeLessThanOrEqual(1e-3 * a.heldoutLoss);
      expect(Math.abs(b.gradNorm - a.gradNorm)).toBeLessThanOrEqual(1e-3 * a.gradNorm);
      expect(Math.abs(b.spectralRadius - a.spectralRadius)).toBeLessThanOrEqual(1e-4 * a.spectralRadius);
      expect(b.clipped).toBe(a.clipped);
    }
    // the models learned something in 50 steps (the held-out loss fell), so the curve is not flat
    expect(ref.rows.filter((r) => r.model === 3).at(-1)!.heldoutLoss).toBeLessThan(ref.rows.find((r) => r.model === 3)!.heldoutLoss);
  });

  it('is bit-for-bit reproducible on the same seed (workers and calling thread alike)', async () => {
    const short = { ...config, iterations: 4 };
    const a = await trainer.train(short);
    const b = await trainer.train(short);
    const here = await new CpuTrainer(null).train(short);
    for (let k = 0; k < short.models.length; k++) {
      const last = (r: typeof a) => Array.from(r.models[k].checkpoints.at(-1)!.params);
      expect(last(b)).toEqual(last(a));
      expect(last(here)).toEqual(last(a));
    }
    expect(b.rows).toEqual(a.rows);
  });

  it('stops a diverging model with its message at the step the reference does; the others go on', async () => {
    const c = parseTrainConfig({ length: 120, batch: 2, iterations: 4, evalEvery: 2, heldout: 2, seed: 2, models: [{ hidden: 4 }, { hidden: 4, activation: 'relu', init: 'identity', rho: 3, biasInit: 1 }] });
    const seen: string[] = [];
    const r = await trainer.train(c, { onDiverged: (d) => seen.push(d.message) });
    // float32 states overflow to Infinity in the forward pass (3^120 > 3.4e38) and Infinity - Infinity
    // in the next product makes NaN: the loss says which.
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/^model 1 diverged at step 0: loss (undefined \(NaN\)|beyond the number range)$/);
    expect(r.models[0].diverged).toBeNull();
    expect(r.rows.map((x) => x.model)).toEqual([0, 0, 0]);
  });

  it('splits the models over the workers by work', () => {
    expect(assignModels(parseTrainConfig({ models: [{ hidden: 64 }, { hidden: 8 }, { hidden: 64 }, { hidden: 8 }] }), 2)).toEqual([[0, 1], [2, 3]]);
    expect(assignModels(parseTrainConfig({ models: [{ hidden: 4 }] }), 2)).toEqual([[0]]);
  });
});

describe('CPU trainer with relaxed-SIMD FMA', () => {
  // Node 20 runs relaxed SIMD behind a V8 flag (Chrome and Node >= 22 by default): switched on
  // here, after the tests above, and left on (it is process-wide, so the workers see it too).
  const enable = () => {
    if (!fmaAvailable()) setFlagsFromString('--experimental-wasm-relaxed-simd');
    expect(fmaAvailable()).toBe(true);
  };

  // The same tolerance as without FMA: a fused multiply-add rounds once where mul + add round twice.
  for (const activation of ['tanh', 'relu', 'sigmoid'] as const) {
    it(`one step against the reference: ${activation}`, () => {
      enable();
      checkOneStep(activation, 'gaussian', { simd: true, fma: true });
    });
  }

  it('0 and 2 workers bit for bit, and really fused', async () => {
    enable();
    const config = parseTrainConfig({ length: 20, batch: 6, iterations: 3, evalEvery: 1, heldout: 8, seed: 11, models: [{ hidden: 13 }, { hidden: 9, activation: 'relu', init: 'identity' }, { hidden: 10, init: 'orthogonal', clip: 0.5 }] });
    const pooled = createNodeCpuTrainer({ workers: 2, fma: true });
    try {
      expect(pooled.adapter).toMatch(/with FMA/);
      const a = await pooled.train(config);
      const here = await new CpuTrainer(null, { fma: true }).train(config);
      expect(here.rows).toEqual(a.rows);
      for (let k = 0; k < config.models.length; k++) expect(Array.from(here.models[k].checkpoints.at(-1)!.params)).toEqual(Array.from(a.models[k].checkpoints.at(-1)!.params));
      // On a CPU with FMA the fused products round differently from the plain module's somewhere.
      if (/\bfma\b/.test(readFileSync('/proc/cpuinfo', 'utf8'))) {
        const plain = await new CpuTrainer(null).train(config);
        expect(plain.models.some((m, k) => m.checkpoints.at(-1)!.params.some((x, i) => !Object.is(x, a.models[k].checkpoints.at(-1)!.params[i])))).toBe(true);
      }
    } finally {
      pooled.dispose();
    }
  });
});

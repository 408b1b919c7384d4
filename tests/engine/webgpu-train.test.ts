/**
 * The WebGPU trainer (Node + Dawn, SwiftShader here) against the float64 reference trainer on
 * fresh random small configs (the file's seed is printed; RNNLAB_TEST_SEED replays it): one
 * step's loss and gradient for every activation, clipping and the optimiser step on the GPU's own
 * gradient, short runs of every activation with and without clipping under Adam and SGD, a
 * diverging model, many models as one batched run (each bit for bit as trained alone), refusals,
 * and a device destroyed mid-run resuming elsewhere.
 *
 * Kinks: where phi' jumps (relu, leaky_relu, elu with alpha != 1), a pre-activation within
 * float32 rounding (~1e-7) of the jump can take the other side of it in float32, which changes
 * that unit's derivative by O(1) -- not a bug, and not what a tolerance should absorb. Configs
 * whose reference run meets a pre-activation within 1e-6 of a kink are drawn again.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { activationParams, activationRecord } from '../../src/core/activations.ts';
import { ACTIVATIONS, RANDOM_INITS as INITS } from '../../src/core/config.ts';
import { isAbortError } from '../../src/core/engine.ts';
import { Rng } from '../../src/core/rng.ts';
import { parseTrainConfig, type ModelConfig, type TrainConfig } from '../../src/core/train/config.ts';
import { newModelRun, runTraining, type EvalRow, type ModelKernel, type ModelRun, type TrainSnapshot } from '../../src/core/train/loop.ts';
import { initialParams, layoutFor } from '../../src/core/train/model.ts';
import { adamStep, clipByGlobalNorm, globalNorm, sgdStep } from '../../src/core/train/optim.ts';
import { ReferenceModel } from '../../src/core/train/reference.ts';
import { taskShape, trainBatch, type Batch, type TaskShape } from '../../src/core/train/tasks.ts';
import { TrainInterrupted, type TrainResult } from '../../src/core/trainer.ts';
import { CpuTrainer } from '../../src/engine/cpu/train/trainer.ts';
import { planTraining } from '../../src/engine/webgpu/train/plan.ts';
import { destroyTrainerDeviceForTest, WebGpuTrainer } from '../../src/engine/webgpu/train/trainer.ts';
import { createTestTrainer } from '../helpers/gpu.ts';
import { dawnRequirement, describeNeeding } from '../helpers/requirements.ts';
import { testSeed } from '../helpers/seed.ts';

const SEED = testSeed('webgpu trainer tests');
const DAWN = await dawnRequirement();
const rng = new Rng(SEED, 1);
const u = () => rng.uniform();
const pick = <T>(xs: readonly T[]): T => xs[Math.min(xs.length - 1, Math.floor(u() * xs.length))];
const ctx = (what: string) => `${what} (replay with RNNLAB_TEST_SEED=${SEED})`;

/** One draw of each activation parameter for the whole file (each value is a forward kernel to compile). */
const ACT_PARAMS = { leakyAlpha: 0.3 * u(), eluAlpha: 0.5 + u() };

let trainer: WebGpuTrainer;
beforeAll(async () => {
  if (DAWN.available) trainer = await createTestTrainer();
});
afterAll(() => trainer?.dispose());

/** A small random model of `activation` (N up to 12, or 33..40 so that dW spans two 32-wide tiles). */
function randomModel(activation: ModelConfig['activation'], wide = false, rhoMax = 1.5): Partial<ModelConfig> {
  return { activation, ...ACT_PARAMS, init: pick(INITS), hidden: wide ? 33 + Math.floor(8 * u()) : 1 + Math.floor(12 * u()), rho: 0.5 + (rhoMax - 0.5) * u(), biasInit: 0.2 * (u() - 0.5) };
}

function randomRun(extra: Record<string, unknown>): Record<string, unknown> {
  const length = 4 + Math.floor(9 * u()); // 4..12
  return {
    task: u() < 0.5 ? 'adding' : 'copy',
    length,
    copySymbols: 1 + Math.floor(u() * Math.min(3, Math.floor(length / 2))), // copy needs length >= 2 k
    copyAlphabet: 2 + Math.floor(4 * u()),
    batch: 1 + Math.floor(5 * u()),
    heldout: 2 + Math.floor(5 * u()),
    seed: Math.floor(u() * 2 ** 32),
    ...extra,
  };
}

function hasKink(m: ModelConfig): boolean {
  return activationRecord(m.activation).kink(activationParams(m));
}

/** Smallest |a_t| of the reference model's last pass (its private store, read here only to see kinks). */
function minAbsPreactivation(ref: ReferenceModel): number {
  const a = (ref as unknown as { a: Float64Array }).a;
  let m = Infinity;
  for (const v of a) m = Math.min(m, Math.abs(v));
  return m;
}

const KINK_MARGIN = 1e-6;

/**
 * How much float32 rounding of the prediction y can move a mean-squared loss and its gradient,
 * relative to their size. The GPU's y carries an absolute error dy_b <= Y_EPS (1 + |y_b|): a sum
 * over N <= 40 products of states each rounded at T <= 12 steps, (T + N) 2^-24 ~ 3e-6 at worst
 * (measured 1.3e-7 at |y| ~ 1, seed 1782018441). The loss sum_b r_b^2 / B with r = y - t then
 * moves by at most 2 |r| |dy| + |dy|^2 (Cauchy-Schwarz over b), i.e. relative 2 k + k^2 with
 * k = |dy| / |r| (norms over the batch); the gradient, J^T (2 r / B), moves by k of itself while
 * J is not badly conditioned. When y nearly equals the target (the adding task's sum, |t| ~ 1,
 * met to 1e-3) k is large: cancellation, not a bug. A cross-entropy loss has no such cancellation
 * (its gradient softmax - onehot loses accuracy only with the logits): 0.
 */
const Y_EPS = 3e-6;
function residualCondition(shape: TaskShape, y: ArrayLike<number>, targets: ArrayLike<number>, B: number): number {
  if (shape.loss !== 'mse') return 0;
  let r2 = 0;
  let dy2 = 0;
  for (let b = 0; b < B; b++) {
    r2 += (y[b] - targets[b]) ** 2;
    dy2 += (Y_EPS * (1 + Math.abs(y[b]))) ** 2;
  }
  return Math.sqrt(dy2 / r2);
}

/** The reference model's prediction y on `batch` (its private forward pass, read here only for the tolerance). */
function referenceOutputs(ref: ReferenceModel, batch: Batch): Float64Array {
  return (ref as unknown as { forward(b: Batch): Float64Array }).forward(batch);
}

/** The reference trainer's run through the shared loop, and whether a kinked model came within KINK_MARGIN of its kink. */
async function referenceRun(config: TrainConfig): Promise<{ rows: EvalRow[]; models: ModelRun[]; nearKink: boolean; residual: number[][] }> {
  const shape = taskShape(config);
  let nearKink = false;
  const residual = config.models.map(() => [] as number[]);
  const kernels = config.models.map((m, k) => {
    const ref = new ReferenceModel(m, shape, config.length, initialParams(m, shape, config.seed));
    const watched: ModelKernel<Float64Array> = {
      layout: ref.layout,
      params: ref.params,
      grad: ref.grad,
      loss: (b) => ref.loss(b),
      lossAndGrad: (b) => {
        residual[k].push(residualCondition(shape, referenceOutputs(ref, b), b.targets, b.size));
        const loss = ref.lossAndGrad(b);
        if (hasKink(m) && minAbsPreactivation(ref) < KINK_MARGIN) nearKink = true;
        return loss;
      },
    };
    return watched;
  });
  const rows: EvalRow[] = [];
  const models = await runTraining(config, config.models.map((_, k) => k), kernels, (n) => new Float64Array(n), { onRow: (r) => rows.push(r) });
  rows.sort((a, b) => a.model - b.model || a.iteration - b.iteration);
  return { rows, models, nearKink, residual };
}

/** A config from `draw` whose reference run stays clear of every kink (drawn again otherwise). */
async function clearOfKinks(draw: () => TrainConfig): Promise<{ config: TrainConfig; ref: Awaited<ReturnType<typeof referenceRun>> }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const config = draw();
    const ref = await referenceRun(config);
    if (!ref.nearKink) return { config, ref };
  }
  throw new Error(ctx('20 random configs in a row met a kink within 1e-6'));
}

const close = (a: number, b: number, rel: number, abs = 0) => Math.abs(a - b) <= rel * Math.abs(b) + abs;

describeNeeding(DAWN, 'WebGPU trainer: one step against the float64 reference', () => {
  // Tolerance: the GPU keeps every state in float32 (relative 6e-8) through T <= 12 steps and sums
  // the products in float32 over N <= 40 units and T B <= 72 (step, sequence) rows, so each gradient
  // entry carries an error of roughly (T + N + T B) 6e-8 ~ 1e-5 of the largest entry at worst
  // (measured ~1e-7). A wrong index, a missing term or a wrong block offset is off by O(1) of that
  // entry, so 1e-4 of max |g| separates the two. The loss: float32 states and outputs, 1e-5 relative;
  // the global norm 1e-4 (its terms' errors, up to 1e-5 of max |g| each, do not shrink with it).
  for (const activation of ACTIVATIONS) {
    it(`${activation}: loss, gradient and global norm of one batch`, async () => {
      for (const wide of [false, true]) {
        let config!: TrainConfig;
        let p!: Float64Array;
        let ref!: ReferenceModel;
        let batch!: Batch;
        let loss64: number;
        for (let attempt = 0; ; attempt++) {
          config = parseTrainConfig(randomRun({ models: [randomModel(activation, wide)] }));
          const shape = taskShape(config);
          p = initialParams(config.models[0], shape, config.seed);
          // away from the initial values' structure (identity W, zero b): perturb, in float32
          for (let i = 0; i < p.length; i++) p[i] = Math.fround(p[i] + 0.1 * rng.normal());
          ref = new ReferenceModel(config.models[0], shape, config.length, Float64Array.from(p));
          batch = trainBatch(config, 3);
          loss64 = ref.lossAndGrad(batch);
          if (!hasKink(config.models[0]) || minAbsPreactivation(ref) >= KINK_MARGIN) break;
          if (attempt === 20) throw new Error(ctx('20 random configs in a row met a kink'));
        }
        const gpu = await trainer.lossAndGradient(config, 0, p, batch);
        const what = ctx(`${activation} ${JSON.stringify(config.models[0])} T=${config.length} B=${config.batch} ${config.task}`);
        const kappa = residualCondition(taskShape(config), referenceOutputs(ref, batch), batch.targets, batch.size);
        expect(close(gpu.loss, loss64, 1e-5 + 2 * kappa + kappa ** 2, 1e-9), `${what}: loss ${gpu.loss} vs ${loss64} (residual condition ${kappa})`).toBe(true);
        let gmax = 0;
        for (const g of ref.grad) gmax = Math.max(gmax, Math.abs(g));
        expect(gmax, what).toBeGreaterThan(1e-6);
        for (let i = 0; i < p.length; i++) {
          expect(Math.abs(gpu.grad[i] - ref.grad[i]), `${what}: parameter ${i}`).toBeLessThanOrEqual((1e-4 + kappa) * gmax);
        }
        expect(close(gpu.gradNorm, globalNorm(ref.grad), 1e-4 + kappa), `${what}: norm ${gpu.gradNorm}`).toBe(true);
        expect(gpu.clipped).toBe(false);
      }
    }, 120_000);
  }
});

describeNeeding(DAWN, 'WebGPU trainer: clipping and the optimiser step', () => {
  // The update on the GPU's own gradient against optim.ts in float64 (clipByGlobalNorm with the
  // norm the GPU measured, then adamStep or sgdStep at Adam's step t = 3, from random moments):
  // the only differences are float32 rounding in a handful of operations (relative 2^-24 each) on
  // the step, and the rounding of p - step (half an ulp of p). The new first moment, a sum of two
  // terms that may cancel, is off by up to 2^-23 of their magnitudes, which reaches the step
  // through its slope (lr for SGD, lr / (c1 (sqrt(v / c2) + eps)) for Adam). So per parameter:
  // |p_gpu - p| <= 2^-22 |p| + 2e-6 |step| + slope 2^-22 (|decay m| + |g's term|).
  for (const optimizer of ['adam', 'sgd'] as const) {
    for (const clipOn of [false, true]) {
      it(`${optimizer}, ${clipOn ? 'clipped at half the norm' : 'no clipping'}`, async () => {
        // rho <= 1 and a modest step, so the updated model's next forward pass stays in range (its
        // parameters are read from the checkpoint at iteration 3, which a diverged model does not keep)
        const base = parseTrainConfig(randomRun({ optimizer, lr: optimizer === 'adam' ? 1e-2 : 0.01, iterations: 3, models: [randomModel(pick(ACTIVATIONS), false, 1)] }));
        const shape = taskShape(base);
        const L = layoutFor(base.models[0], shape);
        const p = initialParams(base.models[0], shape, base.seed).map((x) => Math.fround(x + 0.05 * rng.normal()));
        const m = new Float64Array(L.size).map(() => Math.fround(0.01 * rng.normal()));
        const v = new Float64Array(L.size).map(() => Math.fround(1e-4 * u()));
        const g = await trainer.lossAndGradient(base, 0, p, trainBatch(base, 2));
        const clip = clipOn ? 0.5 * g.gradNorm : 0;
        const config = { ...base, models: [{ ...base.models[0], clip }] };
        // resume at iteration 2: the step of iteration 2 is Adam's t = 3
        const snapshot: TrainSnapshot = { iteration: 2, state: [{ params: p, m, v }], models: [newModelRun(0, 4)], rows: [] };
        const r = await trainer.train(config, { resume: snapshot });
        const run = r.models[0];
        expect(run.diverged, ctx('a diverged model')).toBeNull();
        expect(run.clipped[2], ctx('clipped flag')).toBe(clipOn ? 1 : 0);
        expect(run.gradNorm[2]).toBe(g.gradNorm); // the same kernels on the same inputs: bit for bit
        const after = run.checkpoints.find((c) => c.iteration === 3)!.params;
        const gg = Float64Array.from(g.grad);
        clipByGlobalNorm(gg, g.gradNorm, clip);
        const want = Float64Array.from(p);
        const m1 = Float64Array.from(m);
        const v1 = Float64Array.from(v);
        if (optimizer === 'adam') adamStep(want, gg, m1, v1, 3, config);
        else sgdStep(want, gg, m1, config.lr, config.momentum);
        const c1 = 1 - config.beta1 ** 3;
        const c2 = 1 - config.beta2 ** 3;
        for (let i = 0; i < L.size; i++) {
          const step = Math.abs(want[i] - p[i]);
          const terms = optimizer === 'adam' ? Math.abs(config.beta1 * m[i]) + Math.abs((1 - config.beta1) * gg[i]) : Math.abs(config.momentum * m[i]) + Math.abs(gg[i]);
          const slope = optimizer === 'adam' ? config.lr / (c1 * (Math.sqrt(v1[i] / c2) + config.epsilon)) : config.lr;
          const tol = 2 ** -22 * Math.abs(want[i]) + 2e-6 * step + slope * 2 ** -22 * terms;
          expect(Math.abs(after[i] - want[i]), ctx(`${optimizer} parameter ${i}: ${after[i]} vs ${want[i]} (from ${p[i]})`)).toBeLessThanOrEqual(tol);
        }
      }, 120_000);
    }
  }
});

describeNeeding(DAWN, 'WebGPU trainer: short runs against the reference trainer', () => {
  // Every activation in one run of 7 models (odd ones clipped at 1e-3, below any gradient norm these
  // small models reach, so every step of theirs is clipped), 6 updates, rho <= 1 and modest steps so
  // that no unclipped model blows up (an exploding loss amplifies any rounding; divergence has its
  // own test). Adam's epsilon is 1e-4, not 1e-8: its step lr g / (|g| + eps) has slope up to lr/eps
  // in g, so at 1e-8 a gradient entry within float32 rounding of zero can step either way by lr, and
  // the later gradients then differ by the Hessian times that -- a property of Adam, not of the engine
  // (the kernel's own Adam step, epsilon included, is checked tightly above). Tolerances: the loss at
  // step 0 is one forward pass from the same float32 parameters: 1e-5 relative (as above). The
  // gradient norm, even at step 0, 1e-4: a small gradient is a sum of larger terms that cancel, and
  // float32 keeps their error, not the sum's (seed 7: a norm of 3.4e-3 off by 1e-5 relative).
  // Afterwards the float32 rounding of each update (~1e-7 relative) adds up over the steps: 1e-4
  // relative for the losses, norms and W's spectral radius (measured ~1e-6). A lost, doubled or misordered update
  // changes the loss at the next step by O(lr |g|^2) ~ 1e-3 relative or more. SGD is linear in the
  // gradient, so its parameters are compared too.
  for (const optimizer of ['adam', 'sgd'] as const) {
    it(`${optimizer}: every activation, with and without clipping`, async () => {
      const { config, ref } = await clearOfKinks(() =>
        parseTrainConfig(
          randomRun({
            optimizer,
            lr: optimizer === 'adam' ? 3e-3 : 2e-3,
            epsilon: 1e-4,
            momentum: 0.5,
            iterations: 6,
            evalEvery: 2,
            models: ACTIVATIONS.map((a, j) => ({ ...randomModel(a, false, 1), clip: j % 2 === 1 ? 1e-3 : 0 })),
          }),
        ),
      );
      const gpu = await trainer.train(config);
      expect(gpu.meta.backend).toBe('webgpu');
      expect(gpu.meta.precision).toBe('float32');
      expect(gpu.rows.map((r) => [r.model, r.iteration])).toEqual(ref.rows.map((r) => [r.model, r.iteration]));
      for (let k = 0; k < config.models.length; k++) {
        const a = ref.models[k];
        const b = gpu.models[k];
        const what = ctx(`model ${k} ${JSON.stringify(config.models[k])} T=${config.length} ${config.task}`);
        expect(a.diverged, what).toBeNull();
        expect(b.diverged, what).toBeNull();
        expect(b.stepsRun).toBe(a.stepsRun);
        for (let i = 0; i < a.stepsRun; i++) {
          const kappa = ref.residual[k][i];
          expect(close(b.trainLoss[i], a.trainLoss[i], (i === 0 ? 1e-5 : 1e-4) + 2 * kappa + kappa ** 2, 1e-9), `${what}: loss at step ${i}: ${b.trainLoss[i]} vs ${a.trainLoss[i]} (residual condition ${kappa})`).toBe(true);
          expect(close(b.gradNorm[i], a.gradNorm[i], 1e-4 + kappa), `${what}: norm at step ${i}: ${b.gradNorm[i]} vs ${a.gradNorm[i]} (residual condition ${kappa})`).toBe(true);
          expect(b.clipped[i], `${what}: clipped at step ${i}`).toBe(a.clipped[i]);
          if (k % 2 === 1) expect(a.gradNorm[i], what).toBeGreaterThan(1e-3);
        }
        expect(a.clipped.subarray(0, a.stepsRun).every((c) => c === (k % 2))).toBe(true);
        if (optimizer === 'sgd') {
          const pa = a.checkpoints.at(-1)!.params;
          const pb = b.checkpoints.at(-1)!.params;
          let pmax = 0;
          for (const x of pa) pmax = Math.max(pmax, Math.abs(x));
          for (let i = 0; i < pa.length; i++) expect(Math.abs(pb[i] - pa[i]), `${what}: parameter ${i}`).toBeLessThanOrEqual(1e-5 * pmax);
        }
      }
      for (let j = 0; j < ref.rows.length; j++) {
        const a = ref.rows[j];
        const b = gpu.rows[j];
        const what = ctx(`model ${a.model} at iteration ${a.iteration}`);
        expect(close(b.heldoutLoss, a.heldoutLoss, 1e-4, 1e-9), `${what}: held-out ${b.heldoutLoss} vs ${a.heldoutLoss}`).toBe(true);
        expect(close(b.spectralRadius, a.spectralRadius, 1e-4, 1e-6), `${what}: radius ${b.spectralRadius} vs ${a.spectralRadius}`).toBe(true);
      }
      // training moved the models: a flat curve would pass the comparisons vacuously
      expect(gpu.models.some((r) => Math.abs(r.trainLoss[config.iterations] - r.trainLoss[0]) > 1e-3 * r.trainLoss[0])).toBe(true);
      expect(trainer.liveBuffers).toBe(0);
    }, 240_000);
  }

  it('stops a diverging model with its message; the others go on', async () => {
    const c = parseTrainConfig({ length: 120, batch: 2, iterations: 4, evalEvery: 2, heldout: 2, seed: 2, models: [{ hidden: 4 }, { hidden: 4, activation: 'relu', init: 'identity', rho: 3, biasInit: 1 }] });
    const seen: string[] = [];
    const r = await trainer.train(c, { onDiverged: (d) => seen.push(d.message) });
    // float32 states overflow (3^120 > 3.4e38): the loss is infinite, or NaN once Infinity - Infinity meets a product
    expect(seen).toEqual([expect.stringMatching(/^model 1 diverged at step 0: loss (undefined \(NaN\)|beyond the number range)$/)]);
    expect(r.models[0].diverged).toBeNull();
    expect(r.models[0].stepsRun).toBe(5);
    expect(r.models[1].stepsRun).toBe(0);
    expect(r.rows.map((x) => x.model)).toEqual([0, 0, 0]);
    for (const row of r.rows) expect(Number.isFinite(row.heldoutLoss)).toBe(true);
  }, 120_000);
});

describeNeeding(DAWN, 'WebGPU trainer: many models as one batched run', () => {
  // One dispatch per kernel serves every model (its slot is workgroup_id.z): each model's
  // arithmetic is its own -- its blocks of the shared buffers, its own N, clip threshold and
  // activation, the same operations in the same order as in a run of its own -- so a model
  // trained beside others must match itself trained alone exactly, not within a tolerance
  // (a wrong offset, a slot reading another's N or clip, or a workgroup writing past its model
  // changes bits). Against the reference, the batched runs are the short runs above.

  /** Everything a run recorded of its model k, renumbered as model `as` (its index in the run compared with). */
  function recordOf(r: TrainResult, k: number, as: number) {
    const m = r.models[k];
    return {
      trainLoss: Array.from(m.trainLoss),
      gradNorm: Array.from(m.gradNorm),
      clipped: Array.from(m.clipped),
      stepsRun: m.stepsRun,
      diverged: m.diverged && { ...m.diverged, model: as, message: m.diverged.message.replace(/^model \d+/, `model ${as}`) },
      checkpoints: m.checkpoints.map((c) => ({ iteration: c.iteration, params: Array.from(c.params) })),
      rows: r.rows.filter((x) => x.model === k).map((x) => ({ ...x, model: as })),
    };
  }

  const shuffled = <T>(xs: readonly T[]): T[] => {
    const a = [...xs];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.min(i, Math.floor(u() * (i + 1)));
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  };

  it('three models of different activation, init, clip and size: each bit for bit as trained alone, and as split into groups', async () => {
    const acts = shuffled(ACTIVATIONS).slice(0, 3);
    const inits = shuffled(INITS);
    // clip: off, below every norm these models reach (every step clipped), and in between
    const clips = shuffled([0, 1e-3, 0.05]);
    const config = parseTrainConfig(
      randomRun({
        optimizer: pick(['adam', 'sgd'] as const),
        lr: 3e-3,
        epsilon: 1e-4,
        momentum: 0.5,
        iterations: 5,
        evalEvery: 2,
        // N >= 8: each model's state store then outweighs the data buffers (inputs <= 6), which the split below needs
        models: acts.map((a, j) => ({ ...randomModel(a, false, 1), init: inits[j], hidden: 8 + Math.floor(9 * u()), clip: clips[j] })),
      }),
    );
    const what = ctx(`${JSON.stringify(config.models)} T=${config.length} B=${config.batch} ${config.task} ${config.optimizer}`);
    expect(trainer.plan(config).groups.map((g) => g.models), what).toEqual([[0, 1, 2]]);
    const batched = await trainer.train(config);
    for (let k = 0; k < 3; k++) {
      const alone = await trainer.train({ ...config, models: [config.models[k]] });
      expect(recordOf(batched, k, k), `${what}: model ${k}`).toEqual(recordOf(alone, 0, k));
    }
    // the run moved: identical flat curves would match vacuously
    expect(batched.models.some((r) => r.trainLoss[5] !== r.trainLoss[0]), what).toBe(true);

    // On a device whose buffers hold no more than the largest model's largest store, the models
    // cannot share one buffer of each kind: the run is split into batched groups, with the same results.
    const full = trainer.plan(config);
    const largest = Math.max(
      full.trainData,
      full.heldData,
      ...config.models.map((m) => {
        const one = trainer.plan({ ...config, models: [m] }).groups[0].bytes;
        return Math.max(one.hs, one.dphi, one.dy, one.opt);
      }),
    );
    // (on the same device, so the compiled kernels serve it; the device is the file trainer's to dispose)
    const small = new WebGpuTrainer(trainer.device, trainer.adapterInfo, { maxBufferBytes: largest });
    const plan = small.plan(config);
    expect(plan.groups.length, what).toBeGreaterThan(1);
    expect(plan.groups.flatMap((g) => g.models), what).toEqual([0, 1, 2]);
    const split = await small.train(config);
    for (let k = 0; k < 3; k++) expect(recordOf(split, k, k), `${what}: model ${k} in groups`).toEqual(recordOf(batched, k, k));
    expect(small.liveBuffers).toBe(0);
    expect(trainer.liveBuffers).toBe(0);
  }, 240_000);

  it('a model that diverges mid-run stops with its message; the others are bit for bit as in a run without it', async () => {
    const base = parseTrainConfig(
      randomRun({
        optimizer: 'sgd',
        lr: 1e-2,
        momentum: 0.5,
        iterations: 4,
        evalEvery: 2,
        models: [
          { ...randomModel(pick(ACTIVATIONS), false, 1), clip: 0.05 },
          { activation: 'relu', init: 'identity', hidden: 4, biasInit: 1 },
          randomModel(pick(ACTIVATIONS), false, 1),
        ],
      }),
    );
    const shape = taskShape(base);
    const total = base.iterations + 1;
    // Model 1's SGD velocity starts at -1e30 (a state a run can reach): its first update moves
    // every parameter up by about lr 1e30 / 2, so at step 1 the states pass float32's range
    // (a_1 ~ 1e55) and the loss is infinite or NaN; step 0 is an ordinary step.
    const state = base.models.map((m, k) => {
      const params = initialParams(m, shape, base.seed).map(Math.fround);
      return { params, m: new Float64Array(params.length).fill(k === 1 ? -1e30 : 0), v: new Float64Array(params.length) };
    });
    const snapshot = (ks: number[]): TrainSnapshot => ({ iteration: 0, state: ks.map((k) => state[k]), models: ks.map((_, j) => newModelRun(j, total)), rows: [] });
    const seen: string[] = [];
    const withIt = await trainer.train(base, { resume: snapshot([0, 1, 2]), onDiverged: (d) => seen.push(d.message) });
    const what = ctx(`${JSON.stringify(base.models)} T=${base.length} B=${base.batch} ${base.task}`);
    expect(seen, what).toEqual([expect.stringMatching(/^model 1 diverged at step 1: loss (undefined \(NaN\)|beyond the number range)$/)]);
    expect(withIt.models[1].stepsRun, what).toBe(1);
    expect(withIt.rows.filter((r) => r.model === 1).map((r) => r.iteration)).toEqual([0]);
    const without = await trainer.train({ ...base, models: [base.models[0], base.models[2]] }, { resume: snapshot([0, 2]) });
    for (const [k, j] of [
      [0, 0],
      [2, 1],
    ]) {
      expect(withIt.models[k].stepsRun, what).toBe(total);
      expect(recordOf(withIt, k, j), `${what}: model ${k}`).toEqual(recordOf(without, j, j));
    }
    expect(trainer.liveBuffers).toBe(0);
  }, 240_000);

  it('plans one buffer of each kind for all models, each model after the previous one, and groups only past the buffer limit', () => {
    const c = parseTrainConfig({ length: 10, batch: 4, heldout: 3, models: [{ hidden: 8 }, { hidden: 5 }, { hidden: 8 }] });
    const limits = { maxBindingBytes: 2 ** 27, maxBufferBytes: 2 ** 28, maxTotalBytes: 2 ** 31 };
    const one = planTraining(c, limits);
    const L = c.models.map((m) => layoutFor(m, taskShape(c)).size);
    const hs = c.models.map((m) => 11 * 4 * m.hidden); // (T + 1) max(B, heldout) N words
    expect(one.groups.map((g) => g.models)).toEqual([[0, 1, 2]]);
    expect(one.placements.map((p) => [p.group, p.slot, p.params, p.hs])).toEqual([
      [0, 0, 0, 0],
      [0, 1, L[0], hs[0]],
      [0, 2, L[0] + L[1], hs[0] + hs[1]],
    ]);
    expect(one.groups[0].bytes.hs).toBe(4 * (hs[0] + hs[1] + hs[2]));
    // a limit that holds models 0 and 1 together but not all three
    const split = planTraining(c, { ...limits, maxBindingBytes: 4 * (hs[0] + hs[1]) });
    expect(split.groups.map((g) => g.models)).toEqual([[0, 1], [2]]);
    expect(split.placements[2]).toMatchObject({ group: 1, slot: 0, params: 0, hs: 0 });
    expect(split.groups[1].readAt).toBe(split.groups[0].readAt + 2 * 32 + 16 * (L[0] + L[1]));
  });
});

describeNeeding(DAWN, 'WebGPU trainer: refusals and misuse', () => {
  it('refuses a run over its memory limit before allocating, naming the size and what to reduce', async () => {
    const small = await createTestTrainer({ maxTotalBytes: 1024 * 1024 });
    try {
      const c = parseTrainConfig({ length: 200, batch: 64, heldout: 64, iterations: 1, models: [{ hidden: 64 }] });
      await expect(small.train(c)).rejects.toThrow(/^webgpu trainer: the run needs [\d.]+ MiB \(.*\), above the 1\.0 MiB limit; reduce hidden, length, batch, heldout or the number of models$/);
      expect(small.liveBuffers).toBe(0);
    } finally {
      small.dispose();
    }
  }, 60_000);

  it('refuses a store larger than the device allows in one buffer', () => {
    // 2001 x 4096 x 8 x 4 bytes = 250 MiB of states: a valid config (under the 1 GiB float64 BPTT limit)
    const c = parseTrainConfig({ length: 2000, batch: 8, heldout: 4096, models: [{ hidden: 8 }] });
    expect(() => planTraining(c, { maxBindingBytes: 128 * 2 ** 20, maxBufferBytes: 2 ** 30, maxTotalBytes: 2 ** 31 })).toThrow(
      "webgpu trainer: model 0's state store needs 250 MiB ((length + 1) x max(batch, heldout) x hidden x 4 bytes), above this device's 128 MiB per buffer; reduce length, batch, heldout or hidden",
    );
    // this device: refused exactly when its binding limit is below the store
    const fits = trainer.device.limits.maxStorageBufferBindingSize >= 250 * 2 ** 20;
    if (fits) expect(() => trainer.plan(c)).not.toThrow();
    else expect(() => trainer.plan(c)).toThrow(/state store needs 250 MiB/);
  });

  it('rejects an aborted signal, a second run at once, a bad option and use after dispose', async () => {
    const c = parseTrainConfig({ length: 4, batch: 2, heldout: 2, iterations: 2, models: [{ hidden: 3 }] });
    const ac = new AbortController();
    ac.abort();
    await expect(trainer.train(c, { signal: ac.signal })).rejects.toSatisfy(isAbortError);
    const mid = new AbortController();
    const aborted = trainer.train({ ...c, iterations: 50 }, { signal: mid.signal, onProgress: (p) => p.iteration === 1 && mid.abort() });
    await expect(trainer.train(c)).rejects.toThrow('webgpu trainer: one training run at a time');
    await expect(aborted).rejects.toSatisfy(isAbortError);
    expect(trainer.liveBuffers).toBe(0);
    await expect(createTestTrainer({ workgroupSize: 0 })).rejects.toThrow(/^webgpu trainer: workgroupSize must be a whole number in 1\.\.\d+, not 0$/);
    const gone = await createTestTrainer();
    gone.dispose();
    await expect(gone.train(c)).rejects.toThrow('webgpu trainer: used after dispose()');
  }, 60_000);
});

describeNeeding(DAWN, 'WebGPU trainer: device loss', () => {
  it('stops with a clear message when the device is lost and resumes from the last step on a new device or another engine', async () => {
    // (epsilon and rho as in the run comparison above: the CPU's float32 goes on from the snapshot)
    const config = parseTrainConfig(randomRun({ iterations: 8, evalEvery: 2, lr: 3e-3, epsilon: 1e-4, models: [randomModel('tanh', false, 1), { ...randomModel('relu', false, 1), clip: 1e-3 }] }));
    const full = await trainer.train(config);
    const victim = await createTestTrainer();
    let interrupted: TrainInterrupted | null = null;
    try {
      await victim.train(config, { onProgress: (p) => p.iteration === 3 && destroyTrainerDeviceForTest(victim) });
    } catch (e) {
      if (!(e instanceof TrainInterrupted)) throw e;
      interrupted = e;
    }
    expect(interrupted, ctx('the run went on after its device was destroyed')).not.toBeNull();
    expect(interrupted!.message).toMatch(
      /^webgpu trainer: the GPU device was lost \(destroyed.*\) after 4 of 8 iterations; the run can resume from iteration 4 on another engine or device \(every model's parameters and optimiser state are kept\)$/,
    );
    const snap = interrupted!.snapshot;
    expect(snap.iteration).toBe(4);
    expect(snap.rows).toEqual(full.rows.filter((r) => r.iteration < 4));
    expect(victim.liveBuffers).toBe(0);
    await expect(victim.train(config)).rejects.toThrow(/^webgpu trainer: the GPU device was lost .*; create a new trainer or use the cpu trainer$/);
    victim.dispose();

    // On a new device: the float32 state is complete, so the run is the uninterrupted one, bit for bit.
    const again = await trainer.train(config, { resume: snap });
    expect(again.rows).toEqual(full.rows);
    for (let k = 0; k < config.models.length; k++) {
      expect(Array.from(again.models[k].trainLoss)).toEqual(Array.from(full.models[k].trainLoss));
      expect(again.models[k].checkpoints.map((c) => Array.from(c.params))).toEqual(full.models[k].checkpoints.map((c) => Array.from(c.params)));
    }
    // On the CPU trainer: the records before the loss are kept as they were; the rest is that
    // engine's float32, so within 1e-3 of the WebGPU run (as the CPU trainer tracks the reference).
    const cpu = await new CpuTrainer(null).train(config, { resume: snap });
    expect(cpu.rows.map((r) => [r.model, r.iteration])).toEqual(full.rows.map((r) => [r.model, r.iteration]));
    expect(cpu.rows.filter((r) => r.iteration < 4)).toEqual(snap.rows);
    for (let j = 0; j < full.rows.length; j++) expect(close(cpu.rows[j].heldoutLoss, full.rows[j].heldoutLoss, 1e-3), ctx(`row ${j}`)).toBe(true);
    for (let k = 0; k < config.models.length; k++) expect(cpu.models[k].stepsRun).toBe(config.iterations + 1);
  }, 240_000);
});

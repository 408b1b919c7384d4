/**
 * The training loop every trainer shares: the same batches for every model, the same evaluation
 * schedule, divergence rule, clipping and optimiser code, so trainers differ only in their
 * ModelKernel (the forward/backward of one model at their precision).
 *
 * Iteration i = 0..iterations: the models' parameters after i updates meet training batch i;
 * its loss and gradient norm (before clipping) are recorded; at an evaluation iteration
 * (i % evalEvery == 0, and the last) the held-out loss and W's spectral radius are measured;
 * then, for i < iterations, the gradient is clipped and the optimiser steps. A model whose loss
 * or gradient norm leaves float32's range, or becomes NaN, stops there with a message; the
 * others go on.
 */
import { throwIfAborted, yieldToEventLoop } from '../engine.ts';
import { eigenvalues } from '../spectrum.ts';
import type { ModelConfig, TrainConfig } from './config.ts';
import { recurrentWeights, type ParamLayout } from './model.ts';
import { adamStep, clipByGlobalNorm, divergence, FLOAT32_MAX, globalNorm, sgdStep, type Vec } from './optim.ts';
import { heldoutBatch, trainBatch, type Batch } from './tasks.ts';

/** One model's forward and backward at some precision. */
export interface ModelKernel<V extends Vec = Vec> {
  readonly layout: ParamLayout;
  /** The flat parameters (model.ts's layout), updated in place by the optimiser. */
  readonly params: V;
  /** dL/dparams of the last lossAndGrad, same layout. */
  readonly grad: V;
  /** The mean loss on a batch (forward only). */
  loss(batch: Batch): number;
  /** The mean loss on a batch; writes the exact gradient into `grad`. */
  lossAndGrad(batch: Batch): number;
}

/** One evaluation of one model: a row of curves.csv. */
export interface EvalRow {
  /** The model's index in the config (from 0). */
  model: number;
  /** Updates done before this evaluation. */
  iteration: number;
  /** Mean loss on the held-out set. */
  heldoutLoss: number;
  /** Mean loss on training batch `iteration`. */
  trainLoss: number;
  /** Global norm of that batch's gradient, before clipping. */
  gradNorm: number;
  /** Whether that gradient was clipped (it is the one the update after this row uses). */
  clipped: boolean;
  /** max |lambda| of W. */
  spectralRadius: number;
}

export interface Divergence {
  model: number;
  /** The iteration at which the loss or gradient left the number range. */
  step: number;
  /** What left it, in words: "gradient norm 3e38", "loss beyond the number range". */
  reason: string;
  /** The message for the user: "model 3 diverged at step 812: gradient norm 3e38". */
  message: string;
}

export interface Checkpoint {
  iteration: number;
  /** Every parameter (model.ts's layout), float64 (exact copies of float32 ones). */
  params: Float64Array;
}

/** One model's whole run. */
export interface ModelRun {
  model: number;
  /** Per training step i (0..stepsRun-1): loss, gradient norm before clipping, clipped (0/1). */
  trainLoss: Float64Array;
  gradNorm: Float64Array;
  clipped: Uint8Array;
  /** Steps whose loss and gradient were computed (iterations + 1 unless it diverged). */
  stepsRun: number;
  diverged: Divergence | null;
  checkpoints: Checkpoint[];
}

/**
 * A run between two iterations: the parameters and optimiser state of every model after
 * `iteration` updates (the next step to run) and the records of the steps before it. Trainers
 * take one to resume (TrainOptions.resume) whatever engine made it; float32 values are exact in it.
 */
export interface TrainSnapshot {
  iteration: number;
  /** Per model, in the config's order: the flat parameters and the optimiser's two vectors (Adam m, v; SGD velocity, unused). */
  state: { params: Float64Array; m: Float64Array; v: Float64Array }[];
  /** Per model, in the config's order: its run so far (steps 0..iteration-1). */
  models: ModelRun[];
  /** The evaluations so far, every model's. */
  rows: EvalRow[];
}

export interface LoopHooks {
  signal?: AbortSignal;
  /** Start from this snapshot instead of step 0 (the kernels' parameters are set from it). */
  resume?: TrainSnapshot;
  /** Each evaluation row as soon as it is measured. */
  onRow?: (row: EvalRow) => void;
  onDiverged?: (d: Divergence) => void;
  /** After each iteration (all models), with the iteration just finished. */
  onIteration?: (iteration: number) => void;
  /**
   * Called after onIteration; a promise it returns holds the loop until it settles (the lab's
   * pause and single step). The loop checks the signal once it goes on.
   */
  gate?: (iteration: number) => Promise<void> | void;
}

/** Iterations whose parameters are kept: about ten over the run, on evaluation iterations, plus the first and last. */
export function checkpointEvery(config: Pick<TrainConfig, 'iterations' | 'evalEvery'>): number {
  const e = config.evalEvery;
  return Math.max(e, Math.round(config.iterations / 10 / e) * e);
}

export function isEvalIteration(config: Pick<TrainConfig, 'iterations' | 'evalEvery'>, i: number): boolean {
  return i % config.evalEvery === 0 || i === config.iterations;
}

/** Whether the parameters entering iteration i are kept as a checkpoint. */
export function isCheckpointIteration(config: Pick<TrainConfig, 'iterations' | 'evalEvery'>, i: number): boolean {
  return i === 0 || i === config.iterations || (isEvalIteration(config, i) && i % checkpointEvery(config) === 0);
}

/** A model's empty run record for `total` steps, or a copy of `from` (a snapshot's) grown to it. */
export function newModelRun(model: number, total: number, from?: ModelRun): ModelRun {
  const run: ModelRun = {
    model,
    trainLoss: new Float64Array(total),
    gradNorm: new Float64Array(total),
    clipped: new Uint8Array(total),
    stepsRun: from?.stepsRun ?? 0,
    diverged: from?.diverged ?? null,
    checkpoints: from ? from.checkpoints.map((c) => ({ iteration: c.iteration, params: Float64Array.from(c.params) })) : [],
  };
  if (from) {
    const n = Math.min(total, from.stepsRun);
    run.trainLoss.set(from.trainLoss.subarray(0, n));
    run.gradNorm.set(from.gradNorm.subarray(0, n));
    run.clipped.set(from.clipped.subarray(0, n));
  }
  return run;
}

/**
 * Why an evaluation stops a model, or null: the held-out loss left the number range, or W holds
 * a weight beyond it (its spectral radius came back NaN).
 */
export function evaluationFailure(heldoutLoss: number, spectralRadius: number): string | null {
  if (!(Math.abs(heldoutLoss) <= FLOAT32_MAX)) return divergence(heldoutLoss, 0)!.replace('loss', 'held-out loss');
  if (Number.isNaN(spectralRadius)) return 'W holds a weight beyond the number range';
  return null;
}

/** max |lambda_i(W)|, or NaN where W holds a value outside the number range. */
export function spectralRadiusOf(params: ArrayLike<number>, L: ParamLayout): number {
  const W = recurrentWeights(params, L);
  for (const w of W) if (!(Math.abs(w) <= FLOAT32_MAX)) return NaN;
  const { re, im } = eigenvalues(W, L.N);
  let r = 0;
  for (let i = 0; i < L.N; i++) r = Math.max(r, Math.hypot(re[i], im[i]));
  return r;
}

/** Time between yields to the event loop, so aborts and messages get through. */
const YIELD_MS = 40;

/**
 * Train `kernels` (models `indices` of the config, in that order) for the config's iterations.
 * `makeVec` allocates optimiser state at the kernels' precision.
 */
export async function runTraining<V extends Vec>(
  config: TrainConfig,
  indices: readonly number[],
  kernels: readonly ModelKernel<V>[],
  makeVec: (n: number) => V,
  hooks: LoopHooks = {},
): Promise<ModelRun[]> {
  const models: ModelConfig[] = indices.map((k) => config.models[k]);
  const total = config.iterations + 1;
  const from = hooks.resume;
  const runs: ModelRun[] = indices.map((model) => newModelRun(model, total, from?.models[model]));
  const state = kernels.map((k) => ({ m: makeVec(k.layout.size), v: makeVec(k.layout.size) }));
  if (from) {
    indices.forEach((model, k) => {
      const s = from.state[model];
      kernels[k].params.set(s.params);
      state[k].m.set(s.m);
      state[k].v.set(s.v);
    });
  }
  const held = heldoutBatch(config);
  let lastYield = performance.now();
  for (let i = from?.iteration ?? 0; i <= config.iterations; i++) {
    if (runs.every((r) => r.diverged)) break;
    const batch = trainBatch(config, i);
    const evaluate = isEvalIteration(config, i);
    const keep = isCheckpointIteration(config, i);
    for (let k = 0; k < kernels.length; k++) {
      const run = runs[k];
      if (run.diverged) continue;
      const kernel = kernels[k];
      const stop = (reason: string) => {
        run.diverged = { model: run.model, step: i, reason, message: `model ${run.model} diverged at step ${i}: ${reason}` };
        hooks.onDiverged?.(run.diverged);
      };
      const loss = kernel.lossAndGrad(batch);
      const norm = globalNorm(kernel.grad);
      const why = divergence(loss, norm);
      if (why) {
        stop(why);
        continue;
      }
      const clip = models[k].clip;
      const clipped = clip > 0 && norm > clip;
      run.trainLoss[i] = loss;
      run.gradNorm[i] = norm;
      run.clipped[i] = clipped ? 1 : 0;
      run.stepsRun = i + 1;
      if (evaluate) {
        const heldoutLoss = kernel.loss(held);
        const spectralRadius = spectralRadiusOf(kernel.params, kernel.layout);
        const evalWhy = evaluationFailure(heldoutLoss, spectralRadius);
        if (evalWhy) {
          run.stepsRun = i; // nothing of the diverging step is kept
          stop(evalWhy);
          continue;
        }
        hooks.onRow?.({ model: run.model, iteration: i, heldoutLoss, trainLoss: loss, gradNorm: norm, clipped, spectralRadius });
      }
      if (keep) run.checkpoints.push({ iteration: i, params: Float64Array.from(kernel.params) });
      if (i === config.iterations) continue;
      clipByGlobalNorm(kernel.grad, norm, clip);
      const { m, v } = state[k];
      if (config.optimizer === 'adam') adamStep(kernel.params, kernel.grad, m, v, i + 1, config);
      else sgdStep(kernel.params, kernel.grad, m, config.lr, config.momentum);
    }
    hooks.onIteration?.(i);
    const gated = hooks.gate?.(i);
    if (gated) {
      await gated;
      lastYield = performance.now();
    }
    if (performance.now() - lastYield > YIELD_MS) {
      await yieldToEventLoop();
      lastYield = performance.now();
    }
    throwIfAborted(hooks.signal);
  }
  return runs;
}

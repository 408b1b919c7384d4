/**
 * The training tasks: sequences with a long-range dependency, their losses and the loss of the
 * best constant guess (the baseline every loss chart draws).
 *
 * - adding (Hochreiter & Schmidhuber 1997; Le, Jaitly & Hinton 2015): two channels, a value
 *   u_t ~ U[0, 1] and a marker that is 1 at exactly two steps, one in each half; the target is the
 *   sum of the two marked values, read at the last step; loss (y - target)^2. The best constant is
 *   E[target] = 1 and its loss Var(u_i + u_j) = 2 / 12 = 1/6.
 * - copy: k symbols of an alphabet of A, one-hot at steps 0..k-1, then zeros, then a cue channel
 *   at the last k steps where the model must output the k symbols in order; loss the mean
 *   cross-entropy of softmax(y_t). The best constant guess is uniform: loss ln A.
 *
 * Data come in batches [T, B, D] (step-major, so step t of every sequence is contiguous) from
 * the run's seed: batch i of the training stream from Rng(seed, STREAM.trainBatch, i), held-out
 * sequence j from Rng(seed, STREAM.heldout, j), so the two never share a draw.
 */
import { Rng, STREAM } from '../rng.ts';
import type { TrainConfig } from './config.ts';

export interface TaskShape {
  /** mse: (y - target)^2 on one output; xent: softmax cross-entropy over O classes. */
  loss: 'mse' | 'xent';
  /** D, the input channels. */
  inputs: number;
  /** O, the outputs read at each output step. */
  outputs: number;
  /** The 0-based steps whose output y_t = V h_t + c enters the loss, ascending. */
  outputSteps: number[];
  /** The loss of the best constant output (1/6 for adding, ln A for copy). */
  baseline: number;
}

export interface Batch {
  /** B, the sequences. */
  size: number;
  /** [T, B, D] row-major. */
  x: Float64Array;
  /** [B, outputSteps]: adding: the target sum; copy: the symbol index (0..A-1) due at that step. */
  targets: Float64Array;
}

/** The exact baseline of the adding problem: Var(u_i + u_j) for independent u ~ U[0, 1]. */
export const ADDING_BASELINE = 2 / 12;

export function taskShape(config: Pick<TrainConfig, 'task' | 'length' | 'copySymbols' | 'copyAlphabet'>): TaskShape {
  const T = config.length;
  if (config.task === 'adding') return { loss: 'mse', inputs: 2, outputs: 1, outputSteps: [T - 1], baseline: ADDING_BASELINE };
  const k = config.copySymbols;
  return {
    loss: 'xent',
    inputs: config.copyAlphabet + 1,
    outputs: config.copyAlphabet,
    outputSteps: Array.from({ length: k }, (_, j) => T - k + j),
    baseline: Math.log(config.copyAlphabet),
  };
}

/** Integer uniform in [0, n). */
function below(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(rng.uniform() * n));
}

/** Write sequence b of a batch of `size` from rng: x [T, size, D], targets [size, outputSteps]. */
function drawSequence(config: Pick<TrainConfig, 'task' | 'length' | 'copySymbols' | 'copyAlphabet'>, rng: Rng, batch: Batch, b: number): void {
  const T = config.length;
  const B = batch.size;
  if (config.task === 'adding') {
    const D = 2;
    const half = Math.floor(T / 2);
    let sum = 0;
    const m1 = below(rng, half);
    const m2 = half + below(rng, T - half);
    for (let t = 0; t < T; t++) {
      const u = rng.uniform();
      const o = (t * B + b) * D;
      batch.x[o] = u;
      if (t === m1 || t === m2) {
        batch.x[o + 1] = 1;
        sum += u;
      }
    }
    batch.targets[b] = sum;
    return;
  }
  const k = config.copySymbols;
  const A = config.copyAlphabet;
  const D = A + 1;
  for (let j = 0; j < k; j++) {
    const s = below(rng, A);
    batch.x[(j * B + b) * D + s] = 1;
    batch.targets[b * k + j] = s;
  }
  for (let t = T - k; t < T; t++) batch.x[(t * B + b) * D + A] = 1; // the cue: "recall now"
}

function emptyBatch(shape: TaskShape, T: number, size: number): Batch {
  return { size, x: new Float64Array(T * size * shape.inputs), targets: new Float64Array(size * shape.outputSteps.length) };
}

/** Training batch i (0-based): B sequences from Rng(seed, STREAM.trainBatch, i). */
export function trainBatch(config: TrainConfig, i: number): Batch {
  const batch = emptyBatch(taskShape(config), config.length, config.batch);
  const rng = new Rng(config.seed, STREAM.trainBatch, i);
  for (let b = 0; b < config.batch; b++) drawSequence(config, rng, batch, b);
  return batch;
}

/** The held-out set: `heldout` sequences, sequence j from Rng(seed, STREAM.heldout, j). */
export function heldoutBatch(config: TrainConfig): Batch {
  const batch = emptyBatch(taskShape(config), config.length, config.heldout);
  for (let j = 0; j < config.heldout; j++) drawSequence(config, new Rng(config.seed, STREAM.heldout, j), batch, j);
  return batch;
}

/**
 * The loss of outputs y [outputSteps, B, O] against the batch's targets, and dL/dy (same shape)
 * written into dy. adding: L = mean_b (y_b - target_b)^2, dL/dy_b = 2 (y_b - target_b) / B.
 * copy: L = mean over b and output steps of -log softmax(y)[target],
 * dL/dy = (softmax(y) - onehot(target)) / (B k).
 */
export function taskLoss(shape: TaskShape, y: ArrayLike<number>, targets: ArrayLike<number>, B: number, dy?: { [i: number]: number }): number {
  const K = shape.outputSteps.length;
  const O = shape.outputs;
  let loss = 0;
  if (shape.loss === 'mse') {
    for (let b = 0; b < B; b++) {
      const r = y[b] - targets[b];
      loss += r * r;
      if (dy) dy[b] = (2 * r) / B;
    }
    return loss / B;
  }
  const scale = 1 / (B * K);
  for (let s = 0; s < K; s++) {
    for (let b = 0; b < B; b++) {
      const o = (s * B + b) * O;
      let max = -Infinity;
      for (let c = 0; c < O; c++) max = Math.max(max, y[o + c]);
      let z = 0;
      for (let c = 0; c < O; c++) z += Math.exp(y[o + c] - max);
      const target = targets[b * K + s];
      // -log softmax(y)[target] = log sum exp(y - max) - (y_target - max)
      loss += Math.log(z) - (y[o + target] - max);
      if (dy) {
        for (let c = 0; c < O; c++) dy[o + c] = (Math.exp(y[o + c] - max) / z - (c === target ? 1 : 0)) * scale;
      }
    }
  }
  return loss * scale;
}

/**
 * What the page and the Train view's worker (train-worker.ts) say to each other. The worker
 * trains on the WebGPU trainer where a hardware adapter answers (src/engine/policy.ts), else the
 * shared training loop (core/train/loop.ts) with the float32 CPU model, so the page only draws:
 * evaluations, checkpoints' eigenvalues and progress come back as they happen.
 */
import type { TrainConfig } from '../core/train/config.ts';
import type { Divergence, EvalRow, ModelRun } from '../core/train/loop.ts';

export type ToTrainView =
  /** Start a run; `steps` > 0 pauses after that many iterations (the Step button from idle). */
  | { type: 'start'; config: TrainConfig; steps: number }
  | { type: 'pause' }
  | { type: 'resume' }
  /** One iteration, then pause again. */
  | { type: 'step' };

/** An evaluation, with the fraction of the steps since the model's previous evaluation that were clipped. */
export interface LiveRow extends EvalRow {
  clippedFraction: number;
}

/** W and its eigenvalues of one model at a saved checkpoint. */
export interface EigenCheckpoint {
  model: number;
  iteration: number;
  re: Float64Array;
  im: Float64Array;
  /** [N, N] row-major, W itself (for "open in the gradient view"). */
  W: Float64Array;
}

export type FromTrainView =
  /** Which trainer runs, and why, in words (first, and again if the run moves to another). */
  | { type: 'trainer'; backend: 'webgpu' | 'cpu'; adapter: string; why: string }
  /** Something the user should know that is not a failure: "the GPU device was lost ...; resumed on the CPU trainer". */
  | { type: 'notice'; message: string }
  | { type: 'row'; row: LiveRow }
  | { type: 'checkpoint'; checkpoint: EigenCheckpoint }
  | { type: 'diverged'; divergence: Divergence }
  | { type: 'progress'; iteration: number }
  | { type: 'paused'; iteration: number }
  | { type: 'done'; models: ModelRun[]; backend: 'webgpu' | 'cpu'; adapter: string; wallMs: number }
  | { type: 'error'; message: string };

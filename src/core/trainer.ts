/**
 * The one Trainer interface, beside Engine: the float64 reference trainer (src/core/train/) and
 * the fast float32 CPU trainer (src/engine/cpu/train/) implement it, and the CLI and the lab see
 * only this.
 */
import type { EngineName } from './engine.ts';
import type { TrainConfig } from './train/config.ts';
import type { Divergence, EvalRow, ModelRun, TrainSnapshot } from './train/loop.ts';

export interface TrainProgress {
  /** Updates done by the slowest model still training, out of config.iterations. */
  iteration: number;
  /** 0..1 of the whole run. */
  fraction: number;
  /** In words, for a progress bar: "step 1200 of 3000". */
  phase: string;
}

export interface TrainOptions {
  /** Aborting it rejects the run with an AbortError as soon as the trainer next checks. */
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
  /** Each held-out evaluation as soon as it is measured (rows of different models interleave). */
  onRow?: (row: EvalRow) => void;
  /** A model stopped: its loss or gradient left the number range. The others go on. */
  onDiverged?: (d: Divergence) => void;
  /**
   * Go on from where a run stopped (a TrainInterrupted's snapshot, from any trainer): the
   * iterations before it are not run again, and the result holds the snapshot's records too.
   */
  resume?: TrainSnapshot;
}

/**
 * A run stopped part-way for a reason outside it (the GPU device was lost): the message says
 * why and where, and the snapshot holds everything to go on from there on any trainer
 * (TrainOptions.resume).
 */
export class TrainInterrupted extends Error {
  constructor(
    message: string,
    readonly snapshot: TrainSnapshot,
  ) {
    super(message);
    this.name = 'TrainInterrupted';
  }
}

export interface TrainResult {
  config: TrainConfig;
  /** Every evaluation, sorted by model, then iteration. */
  rows: EvalRow[];
  /** One per model, in the config's order. */
  models: ModelRun[];
  meta: {
    backend: EngineName;
    adapter: string;
    precision: 'float64' | 'float32';
    wallMs: number;
  };
}

export interface Trainer {
  readonly name: EngineName;
  /** The machine in words, e.g. "float64 JavaScript". */
  readonly adapter: string;
  train(config: TrainConfig, options?: TrainOptions): Promise<TrainResult>;
  /** Release every resource; the trainer is unusable afterwards. */
  dispose(): void;
}

export function sortRows(rows: EvalRow[]): EvalRow[] {
  return rows.sort((a, b) => a.model - b.model || a.iteration - b.iteration);
}

/** "step 1200 of 3000" progress from the iteration just finished. */
export function trainProgress(iteration: number, iterations: number): TrainProgress {
  return { iteration, fraction: (iteration + 1) / (iterations + 1), phase: `step ${iteration} of ${iterations}` };
}

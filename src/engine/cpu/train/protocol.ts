/**
 * What the CPU trainer's main thread and its workers say to each other (structured-cloneable,
 * the same through Node's worker_threads and the browser's Web Workers). Each worker trains a
 * subset of the models for the whole run on batches it draws itself from the seed, so there is
 * no per-step traffic: rows, divergences and progress come back as they happen.
 */
import type { TrainConfig } from '../../../core/train/config.ts';
import type { Divergence, EvalRow, ModelRun, TrainSnapshot } from '../../../core/train/loop.ts';

export type ToTrainWorker =
  /** Train `models` of the config; with `resume`, from that snapshot on. */
  | { type: 'train'; run: number; config: TrainConfig; models: number[]; simd: boolean; fma: boolean; resume?: TrainSnapshot }
  | { type: 'abort'; run: number };

export type FromTrainWorker =
  | { type: 'row'; run: number; row: EvalRow }
  | { type: 'diverged'; run: number; divergence: Divergence }
  | { type: 'progress'; run: number; iteration: number }
  | { type: 'done'; run: number; models: ModelRun[]; simd: boolean }
  | { type: 'aborted'; run: number }
  | { type: 'error'; run: number; message: string };

/** One worker, seen through the little the trainer needs of it. */
export interface TrainWorkerPort {
  post(msg: ToTrainWorker): void;
  /** Called once, right after spawning. */
  listen(onMessage: (msg: FromTrainWorker) => void, onError: (err: Error) => void): void;
  /** Whether an idle worker may let the process exit (Node's ref/unref; a no-op in browsers). */
  hold(active: boolean): void;
  terminate(): void;
}

export type SpawnTrainWorker = () => TrainWorkerPort;

/** The buffers of finished runs, moved rather than copied. */
export function runBuffers(models: ModelRun[]): ArrayBuffer[] {
  return models.flatMap((m) => [m.trainLoss, m.gradNorm, m.clipped, ...m.checkpoints.map((c) => c.params)].map((a) => a.buffer as ArrayBuffer));
}

/**
 * The fast float32 CPU Trainer: the models of a run are split over a pool of workers (largest
 * first onto the least-loaded worker), each worker training its share for the whole run on the
 * same seeded batches (model.ts: float32 states, the SIMD GEMM for the three big products). With
 * no spawner or `workers: 0` the models train on the calling thread, yielding to the event loop.
 */
import { AbortError, throwIfAborted } from '../../../core/engine.ts';
import type { TrainConfig } from '../../../core/train/config.ts';
import { runTraining, type EvalRow, type ModelRun } from '../../../core/train/loop.ts';
import { initialParams } from '../../../core/train/model.ts';
import { taskShape } from '../../../core/train/tasks.ts';
import { sortRows, trainProgress, type TrainOptions, type TrainResult, type Trainer } from '../../../core/trainer.ts';
import { fmaAvailable, simdAvailable } from '../simd.ts';
import { F32Model } from './model.ts';
import type { FromTrainWorker, SpawnTrainWorker, TrainWorkerPort } from './protocol.ts';

export interface CpuTrainerOptions {
  /** Most workers; 0 trains on the calling thread. Default: 2 with a spawner, else 0. */
  workers?: number;
  /** Use the WebAssembly SIMD GEMM where available (default true); false forces plain TypeScript. */
  simd?: boolean;
  /**
   * Use relaxed-SIMD fused multiply-adds in the products where this thread runs them (default
   * false). Decided once here and sent to every worker, so that a run's numbers do not depend on
   * the worker count. Off by default so that the lab (whose browser may run relaxed SIMD) and
   * the CLI (Node 20 runs it only behind a flag) train to the same numbers, those that
   * docs/train-stories.md and the presets quote; FMA rounds differently and a long run's curve
   * drifts from theirs.
   */
  fma?: boolean;
}

/** Models split into `bins` groups of about equal work (N^2 per model), largest first. */
export function assignModels(config: Pick<TrainConfig, 'models'>, bins: number): number[][] {
  const groups: number[][] = Array.from({ length: Math.min(bins, config.models.length) }, () => []);
  const load = groups.map(() => 0);
  const order = config.models.map((m, k) => ({ k, cost: m.hidden * m.hidden })).sort((a, b) => b.cost - a.cost || a.k - b.k);
  for (const { k, cost } of order) {
    const g = load.indexOf(Math.min(...load));
    groups[g].push(k);
    load[g] += cost;
  }
  for (const g of groups) g.sort((a, b) => a - b);
  return groups;
}

export class CpuTrainer implements Trainer {
  readonly name = 'cpu' as const;
  readonly workers: number;
  private readonly simd: boolean;
  private readonly fma: boolean;
  private pool: TrainWorkerPort[] = [];
  private listeners: ((w: number, msg: FromTrainWorker) => void) | null = null;
  private failure: ((err: Error) => void) | null = null;
  private runs = 0;
  private busy = false;
  private disposed = false;

  constructor(
    private readonly spawn: SpawnTrainWorker | null,
    options: CpuTrainerOptions = {},
  ) {
    const w = options.workers ?? (spawn ? 2 : 0);
    if (!Number.isInteger(w) || w < 0) throw new Error(`cpu trainer: workers must be a whole number >= 0, not ${w}`);
    if (w > 0 && !spawn) throw new Error('cpu trainer: workers > 0 needs a worker spawner (train/pool-node.ts or train/pool-browser.ts)');
    this.workers = w;
    this.simd = (options.simd ?? true) && simdAvailable();
    this.fma = this.simd && (options.fma ?? false) && fmaAvailable();
  }

  get adapter(): string {
    const math = this.simd ? `float32 WebAssembly SIMD${this.fma ? ' with FMA' : ''}` : 'float32 TypeScript';
    return this.workers > 0 ? `${math}, up to ${this.workers} worker${this.workers > 1 ? 's' : ''}` : `${math}, one thread`;
  }

  async train(config: TrainConfig, options: TrainOptions = {}): Promise<TrainResult> {
    if (this.disposed) throw new Error('cpu trainer: used after dispose()');
    if (this.busy) throw new Error('cpu trainer: one training run at a time');
    throwIfAborted(options.signal);
    this.busy = true;
    const t0 = performance.now();
    try {
      const models = this.workers === 0 ? await this.trainHere(config, options) : await this.trainInWorkers(config, options);
      return {
        config,
        rows: sortRows(models.rows),
        models: models.runs,
        meta: { backend: this.name, adapter: this.adapter, precision: 'float32', wallMs: performance.now() - t0 },
      };
    } finally {
      this.busy = false;
    }
  }

  private async trainHere(config: TrainConfig, options: TrainOptions): Promise<{ rows: EvalRow[]; runs: ModelRun[] }> {
    const shape = taskShape(config);
    const indices = config.models.map((_, k) => k);
    const kernels = config.models.map((m) => new F32Model(m, shape, config.length, initialParams(m, shape, config.seed), { simd: this.simd, fma: this.fma }));
    const rows: EvalRow[] = options.resume ? [...options.resume.rows] : [];
    const runs = await runTraining(config, indices, kernels, (n) => new Float32Array(n), {
      signal: options.signal,
      resume: options.resume,
      onRow: (r) => {
        rows.push(r);
        options.onRow?.(r);
      },
      onDiverged: options.onDiverged,
      onIteration: (i) => options.onProgress?.(trainProgress(i, config.iterations)),
    });
    return { rows, runs };
  }

  private ensurePool(size: number): void {
    while (this.pool.length < size) {
      const w = this.pool.length;
      const port = this.spawn!();
      port.listen(
        (msg) => this.listeners?.(w, msg),
        (err) => this.failure?.(err),
      );
      port.hold(false);
      this.pool.push(port);
    }
  }

  private async trainInWorkers(config: TrainConfig, options: TrainOptions): Promise<{ rows: EvalRow[]; runs: ModelRun[] }> {
    const groups = assignModels(config, this.workers);
    this.ensurePool(groups.length);
    const run = ++this.runs;
    const rows: EvalRow[] = options.resume ? [...options.resume.rows] : [];
    const runs: ModelRun[] = [];
    const progress = groups.map(() => -1);
    let pending = groups.length;
    const ports = this.pool.slice(0, groups.length);
    try {
      return await new Promise<{ rows: EvalRow[]; runs: ModelRun[] }>((resolve, reject) => {
        const onAbort = () => {
          for (const p of ports) p.post({ type: 'abort', run });
          reject(new AbortError());
        };
        options.signal?.addEventListener('abort', onAbort, { once: true });
        const finish = (f: () => void) => {
          options.signal?.removeEventListener('abort', onAbort);
          f();
        };
        this.failure = (err) => {
          this.resetPool();
          finish(() => reject(new Error(`cpu trainer: a worker failed: ${err.message}`)));
        };
        this.listeners = (w, msg) => {
          if (msg.run !== run) return; // a late message of an earlier, cancelled run
          switch (msg.type) {
            case 'row':
              rows.push(msg.row);
              options.onRow?.(msg.row);
              return;
            case 'diverged':
              options.onDiverged?.(msg.divergence);
              return;
            case 'progress': {
              progress[w] = msg.iteration;
              const slowest = Math.min(...progress);
              if (slowest >= 0) options.onProgress?.(trainProgress(slowest, config.iterations));
              return;
            }
            case 'done':
              runs.push(...msg.models);
              if (--pending === 0) finish(() => resolve({ rows, runs: runs.sort((a, b) => a.model - b.model) }));
              return;
            case 'aborted':
              return;
            case 'error':
              for (const p of ports) p.post({ type: 'abort', run }); // the others stop too
              finish(() => reject(new Error(`cpu trainer: ${msg.message}`)));
              return;
          }
        };
        for (const p of ports) p.hold(true);
        groups.forEach((models, w) => ports[w].post({ type: 'train', run, config, models, simd: this.simd, fma: this.fma, resume: options.resume }));
      });
    } finally {
      for (const p of ports) p.hold(false);
    }
  }

  private resetPool(): void {
    for (const p of this.pool) p.terminate();
    this.pool = [];
  }

  dispose(): void {
    this.disposed = true;
    this.resetPool();
    this.listeners = null;
    this.failure = null;
  }
}

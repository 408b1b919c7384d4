/** The float64 reference Trainer: every model in turn on the calling thread (yielding), plain loops. */
import type { TrainResult, Trainer, TrainOptions } from '../trainer.ts';
import { sortRows, trainProgress } from '../trainer.ts';
import type { TrainConfig } from './config.ts';
import { runTraining, type EvalRow } from './loop.ts';
import { initialParams } from './model.ts';
import { ReferenceModel } from './reference.ts';
import { taskShape } from './tasks.ts';

export class ReferenceTrainer implements Trainer {
  readonly name = 'reference' as const;
  readonly adapter = 'float64 JavaScript';

  async train(config: TrainConfig, options: TrainOptions = {}): Promise<TrainResult> {
    const t0 = performance.now();
    const shape = taskShape(config);
    const indices = config.models.map((_, k) => k);
    const kernels = config.models.map((m) => new ReferenceModel(m, shape, config.length, initialParams(m, shape, config.seed)));
    const rows: EvalRow[] = options.resume ? [...options.resume.rows] : [];
    const models = await runTraining(config, indices, kernels, (n) => new Float64Array(n), {
      signal: options.signal,
      resume: options.resume,
      onRow: (r) => {
        rows.push(r);
        options.onRow?.(r);
      },
      onDiverged: options.onDiverged,
      onIteration: (i) => options.onProgress?.(trainProgress(i, config.iterations)),
    });
    return {
      config,
      rows: sortRows(rows),
      models,
      meta: { backend: this.name, adapter: this.adapter, precision: 'float64', wallMs: performance.now() - t0 },
    };
  }

  dispose(): void {}
}

/**
 * A training run's curves as tidy CSV: one row per model and held-out evaluation,
 * columns model,iteration,heldout_loss,train_loss,grad_norm,clipped,spectral_radius; the comment
 * lines after the header say what each column is (pandas.read_csv(path, comment='#') skips them).
 * Every value is finite: a model that diverged has no rows from its divergence on.
 */
import type { TrainResult } from '../core/trainer.ts';
import { modelLabel } from '../core/train/config.ts';
import { taskShape } from '../core/train/tasks.ts';
import { LAB_VERSION } from '../core/version.ts';

export const CURVE_COLUMNS = ['model', 'iteration', 'heldout_loss', 'train_loss', 'grad_norm', 'clipped', 'spectral_radius'] as const;

export function curvesCsv(result: TrainResult): string {
  const { config } = result;
  const lines = [
    CURVE_COLUMNS.join(','),
    `# RNN Gradient Lab training curves; lab ${LAB_VERSION}; backend ${result.meta.backend} on ${result.meta.adapter}; precision ${result.meta.precision}`,
    `# task ${config.task}, T = ${config.length}, ${config.optimizer} lr ${config.lr}, batch ${config.batch}, ${config.iterations} iterations, seed ${config.seed}; baseline loss ${taskShape(config).baseline}`,
    ...config.models.map((m, k) => `# model ${k}: ${modelLabel(m)}, N = ${m.hidden}${result.models[k]?.diverged ? `; ${result.models[k].diverged!.message}` : ''}`),
    '# columns:',
    '#   model: index of the model in the order given (from 0)',
    '#   iteration: parameter updates done before this evaluation',
    `#   heldout_loss: mean loss on the ${config.heldout} held-out sequences`,
    '#   train_loss: mean loss on training batch `iteration` (the batch the next update uses)',
    '#   grad_norm: global norm of that batch\'s gradient, before clipping',
    '#   clipped: 1 if that gradient was clipped to the model\'s threshold, else 0',
    '#   spectral_radius: max |eigenvalue| of the recurrent matrix W',
  ];
  for (const r of result.rows) {
    lines.push([r.model, r.iteration, r.heldoutLoss, r.trainLoss, r.gradNorm, r.clipped ? 1 : 0, r.spectralRadius].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The float64 reference trainer's BPTT gradient against central finite differences of its own
 * loss, for every activation and every init, on small random configs of both tasks.
 *
 * Tolerance: central differences with step eps = 1e-6 have truncation error ~ eps^2 |L'''| ~ 1e-12
 * and rounding error ~ 1e-16 |L| / eps ~ 1e-10 here, so |grad - fd| <= 1e-7 + 1e-5 |fd| leaves two
 * orders of margin while any wrong term (a missing sum, a transposed W) is off by O(|grad|).
 * relu's kink: a pre-activation within eps of 0 would make the difference one-sided; with
 * Gaussian weights that has probability ~1e-5 per unit and step, and the seeds are fixed, so such
 * a crossing would show as a failure rather than be hidden by a looser tolerance.
 */
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, RANDOM_INITS as INITS } from '../../../src/core/config.ts';
import { Rng } from '../../../src/core/rng.ts';
import { parseTrainConfig, type ModelConfig, type TrainConfig } from '../../../src/core/train/config.ts';
import { initialParams } from '../../../src/core/train/model.ts';
import { ReferenceModel } from '../../../src/core/train/reference.ts';
import { taskShape, trainBatch } from '../../../src/core/train/tasks.ts';

const EPS = 1e-6;

function check(config: TrainConfig, model: ModelConfig, jitter: number) {
  const shape = taskShape(config);
  const params = initialParams(model, shape, config.seed);
  // Move away from the structured start (identity W, constant b and c) so every term is exercised.
  const rng = new Rng(config.seed, 99);
  for (let i = 0; i < params.length; i++) params[i] += jitter * rng.normal();
  const kernel = new ReferenceModel(model, shape, config.length, params);
  const batch = trainBatch(config, 3);
  kernel.lossAndGrad(batch);
  const grad = Float64Array.from(kernel.grad);
  let worst = 0;
  for (let i = 0; i < params.length; i++) {
    const p0 = params[i];
    params[i] = p0 + EPS;
    const up = kernel.loss(batch);
    params[i] = p0 - EPS;
    const down = kernel.loss(batch);
    params[i] = p0;
    const fd = (up - down) / (2 * EPS);
    const err = Math.abs(grad[i] - fd) / (1e-7 + 1e-5 * Math.abs(fd));
    worst = Math.max(worst, err);
  }
  return { worst, gradNorm: Math.hypot(...grad) };
}

describe('reference BPTT gradient = central finite differences', () => {
  for (const task of ['adding', 'copy'] as const) {
    for (const activation of ACTIVATIONS) {
      for (const init of INITS) {
        it(`${task}, ${activation}, ${init}`, () => {
          const config = parseTrainConfig({
            task,
            length: task === 'adding' ? 7 : 6,
            copySymbols: 2,
            copyAlphabet: 3,
            batch: 3,
            seed: 11,
            models: [{ activation, init, hidden: 4, rho: 0.9, biasInit: 0.1, inputWeightScale: 1.2 }],
          });
          const { worst, gradNorm } = check(config, config.models[0], 0.2);
          expect(gradNorm).toBeGreaterThan(1e-4); // a zero gradient would pass trivially
          expect(worst).toBeLessThanOrEqual(1);
        });
      }
    }
  }
});

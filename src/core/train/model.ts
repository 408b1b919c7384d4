/**
 * A trained model's parameters in one flat array, so that the global gradient norm, clipping and
 * the optimiser are single loops over one vector:
 *
 *   [ W (N x N) | U (N x D) | b (N) | V (O x N) | c (O) ]     row-major blocks
 *
 * a_t = W h_{t-1} + U x_t + b,  h_t = phi(a_t),  h_{-1} = 0,  y_t = V h_t + c at the task's
 * output steps (adding: y = v . h_T + c).
 *
 * Initial values from the run's seed: W = rho W0 with W0 the gradient lab's matrix for (init,
 * normalize, N, seed) (so two models that differ only in the activation start from the same W);
 * U ~ N(0, inputWeightScale^2 / D); b = biasInit; V ~ N(0, 1/N); c = the best constant output
 * (1, the mean target, for adding; 0, uniform logits, for copy), so the loss starts near the
 * baseline and any drop below it is learned from the sequence.
 */
import { recurrentMatrix } from '../problem.ts';
import { Rng, STREAM } from '../rng.ts';
import type { ModelConfig } from './config.ts';
import type { TaskShape } from './tasks.ts';

export interface ParamLayout {
  N: number;
  D: number;
  O: number;
  /** Offsets of each block in the flat vector. */
  W: number;
  U: number;
  b: number;
  V: number;
  c: number;
  /** Total length. */
  size: number;
}

export function paramLayout(N: number, D: number, O: number): ParamLayout {
  const W = 0;
  const U = W + N * N;
  const b = U + N * D;
  const V = b + N;
  const c = V + O * N;
  return { N, D, O, W, U, b, V, c, size: c + O };
}

export function layoutFor(model: Pick<ModelConfig, 'hidden'>, shape: TaskShape): ParamLayout {
  return paramLayout(model.hidden, shape.inputs, shape.outputs);
}

/** The model's parameters at step 0, float64. */
export function initialParams(model: ModelConfig, shape: TaskShape, seed: number): Float64Array {
  const L = layoutFor(model, shape);
  const { N, D, O } = L;
  const p = new Float64Array(L.size);
  const { W0 } = recurrentMatrix({ init: model.init, normalize: model.normalize, hidden: N, seed });
  for (let i = 0; i < N * N; i++) p[L.W + i] = model.rho * W0[i];
  p.set(new Rng(seed, STREAM.trainU).normals(N * D, model.inputWeightScale / Math.sqrt(D)), L.U);
  p.fill(model.biasInit, L.b, L.b + N);
  p.set(new Rng(seed, STREAM.trainV).normals(O * N, 1 / Math.sqrt(N)), L.V);
  p.fill(shape.loss === 'mse' ? 1 : 0, L.c, L.c + O);
  return p;
}

/** W as its own [N, N] copy (for the spectral radius and checkpoints). */
export function recurrentWeights(params: ArrayLike<number>, L: ParamLayout): Float64Array {
  return Float64Array.from({ length: L.N * L.N }, (_, i) => params[L.W + i]);
}

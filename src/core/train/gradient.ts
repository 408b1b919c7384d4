/**
 * "Open in the gradient view": the gradient lab's field for a trained model's recurrent matrix W.
 *
 * The lab sweeps W = rho W0 with W0 normalised to spectral radius 1, so the trained W enters as
 * W0 = W / r with r = max |lambda(W)|, and the sweep runs rho over r/2 .. 3r/2 (the default
 * 0.5 .. 1.5 scaled by r, with an odd number of rows): its middle row, rho = r, is the trained W
 * itself (up to one rounding of rho), and the rows around
 * it show what scaling that matrix would do. Everything else of the sweep (U, b, the readout r,
 * h0 and the S input sequences) is the gradient lab's own from the config and its seed, so the
 * field differs from the lab's at initialisation only through W. At iteration 0 the trained W is
 * rho W0 with W0 the lab's matrix for (init, N, seed) (model.ts), so the field is the lab's own.
 */
import { throwIfAborted, yieldToEventLoop } from '../engine.ts';
import { ACTIVATION_PARAM_FIELDS, checkConfig, FIELDS, type Config } from '../config.ts';
import { emptyField, type GradientField } from '../field.ts';
import { buildProblem } from '../problem.ts';
import { reduceRow, traceSequence, type SequenceTrace } from '../reference.ts';
import { eigenvalues, meanSquare, radiusOf, spectralNorm, type Spectrum } from '../spectrum.ts';
import type { ModelConfig } from './config.ts';

/** One saved W of a training run: which model, after how many updates, and the matrix. */
export interface TrainedW {
  model: ModelConfig;
  /** T of the training run: the field's steps. */
  length: number;
  /** The training run's seed (the lab's W0 at iteration 0 comes from it). */
  seed: number;
  /** [N, N] row-major. */
  W: Float64Array;
  /** max |lambda(W)| where already known (the checkpoint's eigenvalues), else computed here. */
  radius?: number;
}

function spectralRadius(W: Float64Array, N: number): number {
  const { re, im } = eigenvalues(W, N);
  return radiusOf(re, im);
}

export type TrainedConfigResult = { ok: true; config: Config; radius: number } | { ok: false; message: string };

/**
 * The gradient lab's config for a trained W: `base`'s input, sample and drive settings, with the
 * model's activation (and its parameters), init, N, the run's T and seed, and the rho range
 * r/2 .. 3r/2 (capped at the field's bound). Fails with a message when W has no scale to divide
 * by (r = 0 or not finite) or the config is out of the lab's bounds.
 */
export function trainedConfig(base: Config, t: TrainedW): TrainedConfigResult {
  const N = t.model.hidden;
  if (t.W.length !== N * N) return { ok: false, message: `W has ${t.W.length} entries, not N x N = ${N * N}` };
  const radius = t.radius ?? spectralRadius(t.W, N);
  if (!(radius > 0 && Number.isFinite(radius))) {
    return { ok: false, message: `W's spectral radius is ${radius}: there is no W0 = W / rho to sweep` };
  }
  const params = Object.fromEntries(Object.keys(ACTIVATION_PARAM_FIELDS).map((k) => [k, t.model[k as keyof ModelConfig]]));
  const rhoMax = Math.min(FIELDS.rhoMax.max, 1.5 * radius);
  const check = checkConfig({
    ...base,
    ...params,
    activation: t.model.activation,
    init: t.model.init,
    normalize: 'radius',
    hidden: N,
    steps: t.length,
    seed: t.seed,
    rhoMin: 0.5 * radius,
    rhoMax,
    // An odd count puts a row in the middle, at rho = r up to the rounding of r/2 + (rhoMax - rhoMin)/2.
    rhoCount: Math.max(3, base.rhoCount % 2 === 1 ? base.rhoCount : base.rhoCount - 1),
    sweep: 'rho',
    weights: 'tied',
  });
  if (!check.ok) return { ok: false, message: check.error.message };
  return { ok: true, config: check.config, radius };
}

/** The field of `config` (from trainedConfig) with W0 = W / radius, on the float64 reference. */
export async function trainedField(config: Config, W: Float64Array, radius: number, signal?: AbortSignal): Promise<GradientField> {
  const started = performance.now();
  const N = config.hidden;
  const W0 = Float64Array.from(W, (w) => w / radius);
  const { re, im } = eigenvalues(W0, N);
  const spectrum: Spectrum = { re, im, radius: radiusOf(re, im), norm: spectralNorm(W0, N), meanSquare: meanSquare(W0, N) };
  const p = { ...buildProblem(config), W0, spectrum, chosen: null };
  const field = emptyField(config, p.rho, spectrum, { backend: 'reference', adapter: 'float64 JavaScript (reference)', wallMs: 0, precision: 'float64' });
  let lastYield = performance.now();
  for (let k = 0; k < p.rho.length; k++) {
    const traces: SequenceTrace[] = [];
    for (let s = 0; s < config.samples; s++) {
      traces.push(traceSequence(p, p.rho[k], s));
      if (performance.now() - lastYield > 30) {
        await yieldToEventLoop();
        throwIfAborted(signal);
        lastYield = performance.now();
      }
    }
    reduceRow(field, k, traces);
  }
  field.meta.wallMs = performance.now() - started;
  return field;
}

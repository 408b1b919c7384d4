/**
 * The weights of one row of the sweep, without storing K matrices.
 *
 * sweep rho:     W_k = rho_k W0
 * sweep outlier: W_k = W0 + (m_k - |lambda_0|) D, D = P R P^T (spectrum-init.ts): the first
 *                outlier moved to magnitude m_k along its ray, everything else unchanged.
 * weights untied: W0 becomes W0_t, a fresh draw per step t from the same init and
 *                normalisation (init spectrum: Q_t B Q_t^T with the same B), with its own D_t.
 */
import type { Config } from './config.ts';
import { throwIfAborted, yieldToEventLoop, type RunOptions } from './engine.ts';
import { chosenMatrix, eigenvaluesOf, normalisedMatrix, type Problem } from './problem.ts';
import { spectrum, type Spectrum } from './spectrum.ts';
import type { OutlierDirection } from './spectrum-init.ts';
import { untiedRefusal } from './work.ts';

/** The T matrices W0_1..W0_T (index t - 1) and, for init spectrum, their outlier directions. */
export interface UntiedWeights {
  W: Float64Array[];
  directions: (OutlierDirection | null)[];
}

/** Row k's weights: W_t = rho W0_t + shift D_t (W0_t = W0 and D_t = D when tied; shift = 0 or rho = 1). */
export interface RowWeights {
  rho: number;
  shift: number;
  direction: OutlierDirection | null;
  untied: UntiedWeights | null;
}

export function rowWeights(p: Problem, k: number, untied: UntiedWeights | null): RowWeights {
  if (p.config.sweep === 'outlier') {
    const direction = p.chosen?.direction ?? null;
    if (!direction) throw new Error('sweep outlier without an outlier (the config check refuses it)');
    return { rho: 1, shift: p.rho[k] - direction.magnitude0, direction, untied };
  }
  return { rho: p.rho[k], shift: 0, direction: null, untied };
}

/** Refused before anything is allocated where the T matrices do not fit (work.ts). */
export class UntiedMemoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UntiedMemoryError';
  }
}

/**
 * W0_t, the matrix of layer t (1-based) of untied weights, with its outlier direction (init
 * spectrum): index t of the W0 stream (index 0 is the tied W0). `shared` is the identity's one I.
 */
export function untiedMatrix(config: Config, t: number, shared: Float64Array | null = null): { W: Float64Array; direction: OutlierDirection | null } {
  if (config.init === 'spectrum') {
    const { W, chosen } = chosenMatrix(config, t);
    return { W, direction: chosen.direction };
  }
  return { W: shared ?? normalisedMatrix(config, t), direction: null };
}

/**
 * Build W0_1..W0_T, yielding to the event loop and reporting progress per matrix (a gaussian
 * W0_t costs an eigenvalue computation to normalise it exactly). Null for tied weights.
 */
export async function untiedWeights(config: Config, options: RunOptions = {}): Promise<UntiedWeights | null> {
  if (config.weights !== 'untied') return null;
  const refusal = untiedRefusal(config);
  if (refusal) throw new UntiedMemoryError(refusal);
  const { signal, onProgress } = options;
  const T = config.steps;
  const shared = config.init === 'identity' ? normalisedMatrix(config, 0) : null;
  const out: UntiedWeights = { W: [], directions: [] };
  let lastYield = performance.now();
  for (let t = 1; t <= T; t++) {
    const step = untiedMatrix(config, t, shared);
    out.W.push(step.W);
    out.directions.push(step.direction);
    onProgress?.({ fraction: t / T, phase: `untied W0_t ${t} of ${T}` });
    if (performance.now() - lastYield > 30) {
      await yieldToEventLoop();
      throwIfAborted(signal);
      lastYield = performance.now();
    }
  }
  return out;
}

/** The same, synchronously (a worker that has no page to keep responsive). */
export function untiedWeightsSync(config: Config): UntiedWeights | null {
  if (config.weights !== 'untied') return null;
  const refusal = untiedRefusal(config);
  if (refusal) throw new UntiedMemoryError(refusal);
  const shared = config.init === 'identity' ? normalisedMatrix(config, 0) : null;
  const out: UntiedWeights = { W: [], directions: [] };
  for (let t = 1; t <= config.steps; t++) {
    const step = untiedMatrix(config, t, shared);
    out.W.push(step.W);
    out.directions.push(step.direction);
  }
  return out;
}

/**
 * Whether untied weights' layers have eigenvalues of their own (gaussian and orthogonal inits: each
 * W0_t a fresh draw), so that no one plot of W0 shows them; init spectrum and identity give every
 * layer the tied W0's eigenvalues.
 */
export function layersHaveOwnEigenvalues(config: Pick<Config, 'weights' | 'init'>): boolean {
  return config.weights === 'untied' && (config.init === 'gaussian' || config.init === 'orthogonal');
}

/**
 * The spectrum of layer t's W0_t (untied weights), what the eigenvalue plot shows for them. For the
 * gaussian and orthogonal inits each layer is its own draw: the eigenvalues (hqr.ts) and norm of
 * exactly the matrix untiedWeights builds. For init spectrum every W0_t = Q_t B Q_t^T has B's
 * eigenvalues and, being normal, its norm, and for identity every W0_t is I: the tied W0's spectrum.
 */
export function layerSpectrum(config: Config, t: number): Spectrum {
  if (!Number.isInteger(t) || t < 1 || t > config.steps) throw new RangeError(`layer t = ${t}: expected a whole number from 1 to Steps T = ${config.steps}`);
  if (config.init === 'spectrum' || config.init === 'identity') return eigenvaluesOf(config);
  return spectrum(untiedMatrix(config, t).W, config.hidden);
}

/** What the eigenvalue worker answers (src/app/spectrum-worker.ts): the tied W0's spectrum, or (layer set) W0_layer's. */
export function spectrumFor(config: Config, layer?: number): Spectrum {
  return layer === undefined ? eigenvaluesOf(config) : layerSpectrum(config, layer);
}

/**
 * The recurrent weights of every row and step, as the float32 engines carry them: a few distinct
 * matrices and a cheap per-row correction, never K dense matrices (src/core/weights.ts):
 *
 *   W_{k,t} = factor_k M_t + shift_k D_t,    D_t = P_t R_t P_t^T (rank 1 or 2)
 *
 * sweep rho:      factor_k = rho_k, shift_k = 0;
 * sweep outlier:  factor_k = 1, shift_k = |lambda_k| - |lambda_0| (the first outlier moved along its ray);
 * tied weights:   one matrix M = W0 (and its direction D); untied: M_t = W0_t, D_t its own, t = 1..T
 *                 (one matrix again for the identity init, whose W0_t are all I).
 * Since shift_k != 0 only where factor_k = 1, g_{t-1} = W^T delta = factor (M^T delta) + shift D^T delta
 * lets an engine keep factor in its log scale and add the correction to the product.
 */
import type { Problem } from '../core/problem.ts';
import type { OutlierDirection } from '../core/spectrum-init.ts';
import { rowWeights, type UntiedWeights } from '../core/weights.ts';
export { matrixAt } from './matrix-index.ts';

export interface SweepWeights {
  /** [K] the factor of M_t in row k: rho_k, or 1 on the outlier axis. */
  factor: Float64Array;
  /** [K] the outlier's shift in row k (all 0 on the rho axis). */
  shift: Float64Array;
  /** The distinct matrices M: one, or T (index t - 1), each [N, N] row-major float64. */
  matrices: Float64Array[];
  /** Per matrix, its outlier's direction where the rows shift it (sweep outlier), else null. */
  directions: (OutlierDirection | null)[];
}

/** The matrices an untied config needs (1 for identity, whose W0_t are all I; T otherwise; 1 when tied). */
export function matrixCount(config: Pick<Problem['config'], 'weights' | 'init' | 'steps'>): number {
  return config.weights === 'untied' && config.init !== 'identity' ? config.steps : 1;
}

export function sweepWeights(p: Problem, untied: UntiedWeights | null): SweepWeights {
  const K = p.rho.length;
  const factor = new Float64Array(K);
  const shift = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    const w = rowWeights(p, k, untied);
    factor[k] = w.rho;
    shift[k] = w.shift;
    if (w.shift !== 0 && w.rho !== 1) throw new Error('internal: an outlier shift on a row scaled by rho');
  }
  const outlier = p.config.sweep === 'outlier';
  // untiedWeights shares one matrix object between all steps for the identity init.
  const distinct = untied && untied.W.some((w) => w !== untied.W[0]);
  const matrices = untied ? (distinct ? untied.W : [untied.W[0]]) : [p.W0];
  const directions = untied
    ? (distinct ? untied.directions : [untied.directions[0]]).map((d) => (outlier ? d : null))
    : [outlier ? (p.chosen?.direction ?? null) : null];
  return { factor, shift, matrices, directions };
}

/**
 * Compare mode: the difference of one grid between two runs of the same shape (e.g. two
 * backends, two seeds, or two activations), ready for the heatmap's difference mode.
 */
import { STATISTICS, type GradientField, type GridName } from '../core/field.ts';

export class CompareError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompareError';
  }
}

/**
 * [K, T] a[grid] - b[grid]: NaN where either run overflowed or either value is undefined; 0
 * where both are the same infinity (both exactly zero under log10); +-Infinity where only one
 * side is an exact zero (the renderer draws those at the ends of the colour range).
 */
export function differenceGrid(a: GradientField, b: GradientField, grid: GridName): Float64Array {
  if (a.K !== b.K || a.T !== b.T) throw new CompareError(`the runs have different shapes (K x T = ${a.K} x ${a.T} and ${b.K} x ${b.T}); compare runs over the same rho values and steps`);
  for (let k = 0; k < a.K; k++) {
    if (a.rho[k] !== b.rho[k]) throw new CompareError(`the runs sweep different rho values (rho_${k} = ${a.rho[k]} and ${b.rho[k]}); compare runs over the same rho values`);
  }
  const out = new Float64Array(a.K * a.T);
  const ga = a.grids[grid];
  const gb = b.grids[grid];
  for (let i = 0; i < out.length; i++) {
    const x = ga[i];
    const y = gb[i];
    out[i] = a.overflow[i] || b.overflow[i] ? NaN : x === y ? 0 : x - y;
  }
  return out;
}

/** The difference and its colour-bar label, e.g. "webgpu − reference, log10 ||dL/dh_t||". */
export function differenceOf(a: GradientField, b: GradientField, grid: GridName, nameA = a.meta.backend, nameB = b.meta.backend) {
  return { values: differenceGrid(a, b, grid), label: `${nameA} \u2212 ${nameB}, ${STATISTICS[grid].label}` };
}

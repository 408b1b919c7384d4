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
 * The difference rule, one cell: A - B, the lab's and the CLI's one definition (the heatmap on
 * screen, the exported figures and the CLI all use it). In log grids -Infinity means an exact
 * zero (src/core/field.ts), so:
 * - either side overflowed (flag) or is NaN: NaN, undefined (drawn as overflow);
 * - both sides equal, infinities included (both exactly zero): 0, no difference;
 * - only A exactly zero (-Infinity - finite): -Infinity; only B exactly zero (finite - -Infinity):
 *   +Infinity. These are the true values of log10|A| - log10|B| (A is infinitely many decades
 *   below B, or above it); the colour map draws them at the bottom and the top of the range and
 *   the legend counts them, and a readout says which side is zero.
 */
export function differenceValue(x: number, y: number, overflowA: number, overflowB: number): number {
  if (overflowA || overflowB || Number.isNaN(x) || Number.isNaN(y)) return NaN;
  return x === y ? 0 : x - y;
}

/** [K, T] a[grid] - b[grid] cell by cell (differenceValue). Throws CompareError when the runs do not line up. */
export function differenceGrid(a: GradientField, b: GradientField, grid: GridName): Float64Array {
  if (a.K !== b.K || a.T !== b.T) throw new CompareError(`the runs have different shapes (K x T = ${a.K} x ${a.T} and ${b.K} x ${b.T}); compare runs over the same rho values and steps`);
  for (let k = 0; k < a.K; k++) {
    if (a.rho[k] !== b.rho[k]) throw new CompareError(`the runs sweep different rho values (rho_${k} = ${a.rho[k]} and ${b.rho[k]}); compare runs over the same rho values`);
  }
  const out = new Float64Array(a.K * a.T);
  const ga = a.grids[grid];
  const gb = b.grids[grid];
  for (let i = 0; i < out.length; i++) out[i] = differenceValue(ga[i], gb[i], a.overflow[i], b.overflow[i]);
  return out;
}

/** [K, T] 1 where the difference is undefined (NaN): either run overflowed there. */
export function differenceFlags(values: Float64Array): Uint8Array {
  return Uint8Array.from(values, (v) => (Number.isNaN(v) ? 1 : 0));
}

/** The difference and its colour-bar label, e.g. "webgpu − reference, log10 ||dL/dh_t||". */
export function differenceOf(a: GradientField, b: GradientField, grid: GridName, nameA = a.meta.backend, nameB = b.meta.backend) {
  return { values: differenceGrid(a, b, grid), label: `${nameA} \u2212 ${nameB}, ${STATISTICS[grid].label}` };
}

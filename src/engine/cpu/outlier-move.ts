/**
 * The outlier axis's correction to a product, in float64 over float32 storage:
 *   acc[o .. o+N) += shift D x     (forward, x = h_{t-1})
 *   acc[o .. o+N) += shift D^T x   (backward, x = delta_t)
 * with D = P R P^T (src/core/spectrum-init.ts outlierDirection): P x (width dot products of
 * length N), R or R^T applied to those width numbers, then width scaled columns of P. 4 N to 8 N
 * flops per column, against 2 N^2 for the product it corrects: no dense W_k per row.
 */
import type { KernelDirection } from './protocol.ts';

export function addOutlierMove(dir: KernelDirection, shift: number, x: Float32Array, acc: Float32Array, o: number, n: number, transpose: boolean): void {
  if (shift === 0) return;
  const { width: w, P, R } = dir;
  let p0 = 0;
  let p1 = 0;
  for (let i = 0; i < n; i++) p0 += P[i] * x[o + i];
  if (w === 2) for (let i = 0; i < n; i++) p1 += P[n + i] * x[o + i];
  // c = shift R (P x), or shift R^T (P x).
  let c0: number;
  let c1 = 0;
  if (w === 1) c0 = shift * R[0] * p0;
  else if (!transpose) {
    c0 = shift * (R[0] * p0 + R[1] * p1);
    c1 = shift * (R[2] * p0 + R[3] * p1);
  } else {
    c0 = shift * (R[0] * p0 + R[2] * p1);
    c1 = shift * (R[1] * p0 + R[3] * p1);
  }
  if (w === 1) for (let i = 0; i < n; i++) acc[o + i] += c0 * P[i];
  else for (let i = 0; i < n; i++) acc[o + i] += c0 * P[i] + c1 * P[n + i];
}

/**
 * Reducing per-sequence traces to the K x T grids on the main thread, block by block, without
 * keeping all K * S traces: per (k, t) running sums, Welford's running variance, and counts
 * for the -Infinity / NaN rules of meanStd (src/core/reference.ts):
 *   any NaN or +Infinity among the S values -> mean NaN, std NaN;
 *   all -Infinity -> mean -Infinity, std 0;  some -Infinity -> mean -Infinity, std Infinity;
 *   else mean = (sum in sample order) / S and the population standard deviation.
 * Blocks are reduced in block order whatever order the workers finish in, so the grids do not
 * depend on the number of workers; within a rho the samples arrive in order s = 0..S-1, so the
 * mean is summed in the reference's order.
 */
import type { GradientField } from '../../core/field.ts';
import { FLAG_BACKWARD_INVALID, FLAG_FORWARD_OVERFLOW, type BlockResult } from './protocol.ts';

/** Running meanStd of one quantity over the samples, for every (k, t). */
class RunningStat {
  readonly sum: Float64Array; // [K*T] sum of finite values, in arrival order
  readonly mean: Float64Array; // [K*T] Welford running mean of finite values
  readonly m2: Float64Array; // [K*T] Welford sum of squared deviations
  readonly finite: Uint16Array; // [K*T] count of finite values (S <= 256)
  readonly negInf: Uint16Array; // [K*T] count of -Infinity
  readonly bad: Uint8Array; // [K*T] 1 once a NaN or +Infinity was seen

  constructor(cells: number, withSpread: boolean) {
    this.sum = new Float64Array(cells);
    this.mean = new Float64Array(withSpread ? cells : 0);
    this.m2 = new Float64Array(withSpread ? cells : 0);
    this.finite = new Uint16Array(cells);
    this.negInf = new Uint16Array(cells);
    this.bad = new Uint8Array(cells);
  }

  add(cell: number, v: number): void {
    if (v === -Infinity) this.negInf[cell]++;
    else if (Number.isNaN(v) || v === Infinity) this.bad[cell] = 1;
    else {
      this.sum[cell] += v;
      const n = ++this.finite[cell];
      if (this.m2.length > 0) {
        const d = v - this.mean[cell];
        this.mean[cell] += d / n;
        this.m2[cell] += d * (v - this.mean[cell]);
      }
    }
  }

  /** Write mean (and std) of cell over S samples. */
  result(cell: number, S: number): { mean: number; std: number } {
    if (this.bad[cell]) return { mean: NaN, std: NaN };
    const ni = this.negInf[cell];
    if (ni === S) return { mean: -Infinity, std: 0 };
    if (ni > 0) return { mean: -Infinity, std: Infinity };
    return { mean: this.sum[cell] / S, std: this.m2.length > 0 ? Math.sqrt(this.m2[cell] / S) : NaN };
  }
}

export class FieldReducer {
  private readonly grad: RunningStat;
  private readonly hidden: RunningStat;
  private readonly weight: RunningStat;
  private readonly satSum: Float64Array; // [K*T]
  private readonly pending = new Map<number, BlockResult>();
  private next = 0;
  /** Sequences reduced so far. */
  done = 0;

  constructor(
    private readonly field: GradientField,
    private readonly S: number,
  ) {
    const cells = field.K * field.T;
    this.grad = new RunningStat(cells, true);
    this.hidden = new RunningStat(cells, false);
    this.weight = new RunningStat(cells, false);
    this.satSum = new Float64Array(cells);
  }

  /** Accept a block's result; it is reduced once every block before it has been. */
  add(result: BlockResult): void {
    this.pending.set(result.block, result);
    for (let r = this.pending.get(this.next); r; r = this.pending.get(this.next)) {
      this.pending.delete(this.next);
      this.reduce(r);
      this.next++;
    }
  }

  private reduce(r: BlockResult): void {
    const { K, T } = this.field;
    const overflow = this.field.overflow;
    for (let c = 0; c < r.count; c++) {
      const q = r.q0 + c;
      const k = q % K; // q = s * K + k
      const row = k * T;
      const src = c * T;
      for (let j = 0; j < T; j++) {
        const cell = row + j;
        this.grad.add(cell, r.gradLog10[src + j]);
        this.hidden.add(cell, r.hiddenLog10[src + j]);
        this.weight.add(cell, r.weightGradLog10[src + j]);
        this.satSum[cell] += r.saturation[src + j];
        if (r.flags[src + j] & (FLAG_FORWARD_OVERFLOW | FLAG_BACKWARD_INVALID)) overflow[cell] = 1;
      }
    }
    this.done += r.count;
  }

  /** Fill the field's grids; call after every block was added. */
  finish(): GradientField {
    const f = this.field;
    const S = this.S;
    if (this.done !== f.K * S) throw new Error(`internal: reduced ${this.done} of ${f.K * S} sequences`);
    for (let cell = 0; cell < f.K * f.T; cell++) {
      const g = this.grad.result(cell, S);
      f.gradLog10Mean[cell] = g.mean;
      f.gradLog10Std[cell] = g.std;
      f.hiddenLog10Mean[cell] = this.hidden.result(cell, S).mean;
      f.weightGradLog10[cell] = this.weight.result(cell, S).mean;
      f.saturation[cell] = this.satSum[cell] / S;
    }
    return f;
  }
}

/**
 * Reducing per-sequence traces to the K x T grids on the main thread, block by block, without
 * keeping all K * S traces: per quantity of the statistics table and per (k, t) running sums,
 * Welford's running variance, and the counts of exact zeros (-Infinity) and undefined values
 * that the table's reductions need (finishReduction, src/core/statistics.ts).
 * Blocks are reduced in block order whatever order the workers finish in, so the grids do not
 * depend on the number of workers; within a rho the samples arrive in order s = 0..S-1, so the
 * mean is summed in the reference's order.
 */
import type { GradientField } from '../../core/field.ts';
import { finishReduction, GRID_NAMES, QUANTITY_NAMES, STATISTICS, statisticsOf, type QuantityName, type SampleSums } from '../../core/statistics.ts';
import { expNeg } from '../../core/fastmath.ts';
import type { BlockResult } from './protocol.ts';

/** 2 ln 10: 10^(2 x) = e^(TWO_LN10 x). */
const TWO_LN10 = 2 * Math.LN10;

/**
 * Running sums of one quantity over the samples, for every (k, t). addColumn is the main thread's
 * hot loop while the workers run (one call per quantity, sequence and block): the test for a
 * finite value comes first and the optional sums are hoisted out of the loop, since every value
 * passes through here.
 */
class RunningStat {
  readonly sum: Float64Array; // [K*T] sum of finite values, in arrival order
  readonly mean: Float64Array; // [K*T] Welford running mean of finite values
  readonly m2: Float64Array; // [K*T] Welford sum of squared deviations
  readonly finite: Uint16Array; // [K*T] count of finite values (S <= 256)
  readonly negInf: Uint16Array; // [K*T] count of -Infinity
  readonly bad: Uint8Array; // [K*T] 1 once a NaN or +Infinity was seen
  readonly peak: Float64Array; // [K*T] largest finite value (rms)
  readonly scaled: Float64Array; // [K*T] sum of 10^(2 (v - peak)) over the finite values (rms)
  private readonly spread: boolean;
  private readonly rms: boolean;
  /** The sums of one cell, refilled by sums() (finish reads thousands of cells: no object each). */
  private readonly cell: SampleSums = { S: 0, sum: 0, m2: NaN, zeros: 0, undefined: 0, peak: NaN, scaled: NaN };

  constructor(cells: number, withSpread: boolean, withRms: boolean) {
    this.spread = withSpread;
    this.rms = withRms;
    this.peak = new Float64Array(withRms ? cells : 0).fill(-Infinity);
    this.scaled = new Float64Array(withRms ? cells : 0);
    this.sum = new Float64Array(cells);
    this.mean = new Float64Array(withSpread ? cells : 0);
    this.m2 = new Float64Array(withSpread ? cells : 0);
    this.finite = new Uint16Array(cells);
    this.negInf = new Uint16Array(cells);
    this.bad = new Uint8Array(cells);
  }

  /** Add values[src + j] to cell row + j for j < T. */
  addColumn(values: Float64Array, src: number, row: number, T: number): void {
    const { sum, finite, negInf, bad } = this;
    if (!this.spread && !this.rms) {
      for (let j = 0; j < T; j++) {
        const v = values[src + j];
        const cell = row + j;
        if (v - v === 0) {
          sum[cell] += v;
          finite[cell]++;
        } else if (v === -Infinity) negInf[cell]++;
        else bad[cell] = 1; // NaN or +Infinity
      }
      return;
    }
    const { mean, m2, peak, scaled, spread, rms } = this;
    for (let j = 0; j < T; j++) {
      const v = values[src + j];
      const cell = row + j;
      if (v - v !== 0) {
        if (v === -Infinity) negInf[cell]++;
        else bad[cell] = 1;
        continue;
      }
      sum[cell] += v;
      const n = ++finite[cell];
      if (spread) {
        const d = v - mean[cell];
        mean[cell] += d / n;
        m2[cell] += d * (v - mean[cell]);
      }
      if (rms) {
        // Online log-sum-exp: rescale the sum when a new largest value arrives. 10^(2 (v - p)) as
        // e^(2 ln 10 (v - p)) through expNeg (the argument is <= 0; 1e-15 relative): Math.pow cost
        // three times the rest of this loop.
        const p = peak[cell];
        if (v > p) {
          scaled[cell] = scaled[cell] * expNeg(TWO_LN10 * (p - v)) + 1;
          peak[cell] = v;
        } else scaled[cell] += expNeg(TWO_LN10 * (v - p));
      }
    }
  }

  sums(cell: number, S: number): SampleSums {
    const out = this.cell;
    out.S = S;
    out.sum = this.sum[cell];
    out.m2 = this.spread ? this.m2[cell] : NaN;
    out.zeros = this.negInf[cell];
    out.undefined = this.bad[cell];
    out.peak = this.rms ? this.peak[cell] : NaN;
    out.scaled = this.rms ? this.scaled[cell] : NaN;
    return out;
  }
}

export class FieldReducer {
  private readonly stats: [QuantityName, RunningStat][];
  private readonly pending = new Map<number, BlockResult>();
  private next = 0;
  /** Sequences reduced so far. */
  done = 0;

  constructor(
    private readonly field: GradientField,
    private readonly S: number,
  ) {
    const cells = field.K * field.T;
    // One running sum per quantity, with Welford's spread where a grid takes its std, the log-sum-exp where one takes its rms.
    const takes = (q: QuantityName, how: string) => statisticsOf(q).some((g) => STATISTICS[g].reduce === how);
    this.stats = QUANTITY_NAMES.map((q) => [q, new RunningStat(cells, takes(q, 'std'), takes(q, 'rms'))]);
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
    for (const [q, stat] of this.stats) {
      const values = r.values[q];
      for (let c = 0; c < r.count; c++) stat.addColumn(values, c * T, ((r.q0 + c) % K) * T, T); // sequence q = s * K + k
    }
    for (let c = 0; c < r.count; c++) {
      const row = ((r.q0 + c) % K) * T;
      const src = c * T;
      for (let j = 0; j < T; j++) overflow[row + j] |= r.flags[src + j]; // the cell flag bits of every sample
    }
    this.done += r.count;
  }

  /** Fill the field's grids; call after every block was added. */
  finish(): GradientField {
    const f = this.field;
    const S = this.S;
    if (this.done !== f.K * S) throw new Error(`internal: reduced ${this.done} of ${f.K * S} sequences`);
    const byQuantity = new Map(this.stats);
    for (const g of GRID_NAMES) {
      const { quantity, reduce } = STATISTICS[g];
      const stat = byQuantity.get(quantity)!;
      const out = f.grids[g];
      for (let cell = 0; cell < f.K * f.T; cell++) out[cell] = finishReduction(reduce, stat.sums(cell, S));
    }
    return f;
  }
}

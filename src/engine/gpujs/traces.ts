/**
 * From the per-step statistics the kernels read back to the reference's per-sequence traces,
 * on the CPU in float64: the accumulated log scale, the overflow rules, and the reduction
 * over samples (reduceRow from the reference, so the -Infinity/NaN rules are the same code).
 * This part is O(B T), far below the O(B T N^2) of the kernels, and simpler in JS.
 */
import type { Activation, ActivationParams } from '../../core/activations.ts';
import { backwardCrossesFlag, CELL_FLAG } from '../../core/range.ts';
import type { GradientField } from '../../core/field.ts';
import { reduceRow, type SequenceTrace } from '../../core/reference.ts';
import { makeQuantityArrays } from '../../core/statistics.ts';
import { LOG_ZERO } from './kernels.ts';

const LOG10_2 = Math.log10(2);

/** A kernel's log10 value back as a number: the LOG_ZERO sentinel means an exact zero. */
function fromLog(v: number): number {
  return v <= LOG_ZERO / 2 ? -Infinity : v;
}

/**
 * Per-step stats of one chunk, as read back: fwd[t - 1] and bwd[t - 1] are Float32Arrays with
 * sequence b of the chunk at [4b .. 4b + 3]:
 *   fwd: (log10 ||h_t||, saturated units, overflow 0/1, sum of phi'(a_t)), bwd: (log10 ||g_t||, k_t, log10 ||phi'(a_t) g_t||, -).
 */
export interface ChunkStats {
  fwd: Float32Array[];
  bwd: Float32Array[];
}

/**
 * Whether a sequence's whole backward pass is undefined once its forward pass left float32's
 * range, by cause: the clamp (a pre-activation reached overflowLimit) or underflow (the state fell
 * below UNDERFLOW_LIMIT). The traces of chunkTrace follow the reference's semantics:
 * - forward: h_t left float32's range at t0 (see forwardStatsSource) and is taken as out of range
 *   from t0 on (the reference's NaN propagates the same way): range flag, hidden, saturated and
 *   deriv NaN. Both causes carry the range kind (src/core/range.ts): the clamp stands in for a
 *   float32 Infinity well before float64 would overflow;
 * - backward: grad[t] = log10 ||g~_t|| + S_t with S_t = log10(2) sum_{t' > t} k_t' (exact:
 *   the kernels scaled by 2^-k); weight[t] = log10 ||phi'(a_t) g~_t|| + S_t + log10 ||h_{t-1}||;
 * - after leaving the range at t0 <= T, the a_t (t >= t0) may no longer carry what phi' needs,
 *   and then every step of the backward pass is undefined (flagged), as the reference's NaN phi'
 *   makes it (range.ts backwardCrossesFlag): after the clamp, for an unbounded phi with a phi' that
 *   is not constant (the clamp turns the state's direction; the rule of an overflow); after an
 *   underflow, for a kinked phi' (the sign of a tiny a picks the branch). linear's phi' = 1 never
 *   needs a_t, bounded tanh and sigmoid never reach the clamp, and a smooth phi' at a tiny a_t is
 *   phi'(0), as the reference's is: the gradient stays defined.
 */
export interface BackwardDies {
  clamp: boolean;
  underflow: boolean;
}
export function backwardDiesOutOfRange(act: Activation, params: Partial<ActivationParams>): BackwardDies {
  return { clamp: backwardCrossesFlag(act, params, 'overflow'), underflow: backwardCrossesFlag(act, params, 'range') };
}

/** The trace of sequence b of a chunk (see above); `dies` = backwardDiesOutOfRange of the run's activation. */
export function chunkTrace(
  stats: ChunkStats,
  b: number,
  T: number,
  N: number,
  dies: BackwardDies,
  h0Log10: number,
): SequenceTrace {
  const tr: SequenceTrace = {
    values: makeQuantityArrays(T),
    forwardOverflow: new Uint8Array(T),
    backwardInvalid: new Uint8Array(T),
  };
  const { grad, hidden, weight, saturated, deriv } = tr.values;
  const o = 4 * b;
  let over = false;
  let backwardDead = false;
  for (let t = 1; t <= T; t++) {
    const f = stats.fwd[t - 1];
    // 1: the clamp, 2: underflow (forwardStatsSource); either cause after t0 counts (sticky)
    if (f[o + 2] !== 0) {
      over = true;
      if (f[o + 2] === 1 ? dies.clamp : dies.underflow) backwardDead = true;
    }
    tr.forwardOverflow[t - 1] = over ? CELL_FLAG.range : 0;
    hidden[t - 1] = over ? NaN : fromLog(f[o]);
    saturated[t - 1] = over ? NaN : f[o + 1] / N;
    deriv[t - 1] = over ? NaN : f[o + 3] / N;
  }
  let k = 0; // sum of the k_t' of later steps: g~_t = dL/dh_t / 2^k
  for (let t = T; t >= 1; t--) {
    if (backwardDead) {
      grad[t - 1] = NaN;
      weight[t - 1] = NaN;
      tr.backwardInvalid[t - 1] = CELL_FLAG.range;
      continue;
    }
    const g = stats.bwd[t - 1];
    const scale = k * LOG10_2;
    grad[t - 1] = fromLog(g[o]) + scale;
    const hPrev = t === 1 ? h0Log10 : hidden[t - 2];
    weight[t - 1] = fromLog(g[o + 2]) + scale + hPrev;
    k += g[o + 1];
  }
  return tr;
}

/**
 * Collects traces by rho index and reduces a row of the field as soon as its S samples are in
 * (chunks need not align with rows).
 */
export class RowCollector {
  private readonly pending = new Map<number, { traces: SequenceTrace[]; count: number }>();
  rowsDone = 0;

  constructor(
    private readonly field: GradientField,
    private readonly S: number,
  ) {}

  /** Add the trace of global sequence index q = k S + s. */
  add(q: number, tr: SequenceTrace): void {
    const k = Math.floor(q / this.S);
    const s = q % this.S;
    let row = this.pending.get(k);
    if (!row) {
      row = { traces: new Array<SequenceTrace>(this.S), count: 0 };
      this.pending.set(k, row);
    }
    row.traces[s] = tr;
    row.count++;
    if (row.count === this.S) {
      reduceRow(this.field, k, row.traces);
      this.pending.delete(k);
      this.rowsDone++;
    }
  }
}

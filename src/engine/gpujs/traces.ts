/**
 * From the per-step statistics the kernels read back to the reference's per-sequence traces,
 * on the CPU in float64: the accumulated log scale, the overflow rules, and the reduction
 * over samples (reduceRow from the reference, so the -Infinity/NaN rules are the same code).
 * This part is O(B T), far below the O(B T N^2) of the kernels, and simpler in JS.
 */
import { activationParams, activationRecord, type Activation, type ActivationParams } from '../../core/activations.ts';
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
 * range. The traces of chunkTrace follow the reference's semantics:
 * - forward: h_t left float32's range at t0 (a unit reached the clamp, or the whole state fell
 *   towards float32's underflow, see forwardStatsSource) and is taken as out of range from t0
 *   on (the reference's NaN propagates the same way): overflow flag, hidden, saturated and deriv NaN;
 * - backward: grad[t] = log10 ||g~_t|| + S_t with S_t = log10(2) sum_{t' > t} k_t' (exact:
 *   the kernels scaled by 2^-k); weight[t] = log10 ||phi'(a_t) g~_t|| + S_t + log10 ||h_{t-1}||;
 * - after leaving the range at t0 < T, for an activation that is unbounded (relu, say: the
 *   reference's h_t overflows and its a_t become NaN) or has a kink (phi' jumps at
 *   0): the clamped or underflowed a_t (t > t0) no longer carry what phi' needs, so every step of
 *   the backward pass is undefined (flagged), as the reference's NaN phi' makes it. linear:
 *   phi' = 1 never needs a_t, and bounded smooth tanh and sigmoid never overflow (an underflowed
 *   a_t gives phi'(0), as the reference's tiny a_t does): the gradient stays defined.
 */
export function backwardDiesOutOfRange(act: Activation, params: Partial<ActivationParams>): boolean {
  const d = activationRecord(act);
  const p = activationParams(params);
  const constantDer = !Number.isNaN(d.der(NaN, p));
  return !constantDer && (!d.bounded || d.kink(p));
}

/** The trace of sequence b of a chunk (see above); `dies` = backwardDiesOutOfRange of the run's activation. */
export function chunkTrace(
  stats: ChunkStats,
  b: number,
  T: number,
  N: number,
  dies: boolean,
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
  let t0 = Infinity;
  for (let t = 1; t <= T; t++) {
    const f = stats.fwd[t - 1];
    if (!over && f[o + 2] !== 0) {
      over = true;
      t0 = t;
    }
    tr.forwardOverflow[t - 1] = over ? 1 : 0;
    hidden[t - 1] = over ? NaN : fromLog(f[o]);
    saturated[t - 1] = over ? NaN : f[o + 1] / N;
    deriv[t - 1] = over ? NaN : f[o + 3] / N;
  }
  const backwardDead = dies && t0 < T;
  let k = 0; // sum of the k_t' of later steps: g~_t = dL/dh_t / 2^k
  for (let t = T; t >= 1; t--) {
    if (backwardDead) {
      grad[t - 1] = NaN;
      weight[t - 1] = NaN;
      tr.backwardInvalid[t - 1] = 1;
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

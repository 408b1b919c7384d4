/**
 * The float32 CPU trainer's model: forward, loss and BPTT gradient of one model on one batch,
 * with its three big products in WebAssembly SIMD (simd.ts; or its TypeScript fallback), every
 * state stored in float32.
 *
 * The input and the bias ride along in the state: each row of the state store holds
 * z = [h_{t-1} (N) | x_t (D) | 1 | zero padding] and the GEMM multiplies it by the augmented
 * Wa = [W | U | b] (rows N.. zero), so one product gives a_t = W h_{t-1} + U x_t + b, and the
 * weight-gradient product gives dWa = sum delta_t z_t^T = [dW | dU | db] at once. Np = N + D + 1
 * rounded up to the GEMM's tile of 8 (72 for the adding task at N = 64); the SIMD products skip
 * the parts of Wa and z that are zero (gemmRect: the first nH = N rounded up to 8 outputs, the
 * first N + D + 1 inputs forward, N backward).
 *
 *   forward    A[t] = Wa Z[t],  Z[t + 1][:N] = phi(A[t])                 gemm, M = Wa^T
 *   backward   g_{t-1} = Wa^T delta_t,  delta_t = phi'(A[t]) * g_t         gemm, M = Wa
 *   dWa        sum over (t, b) of delta_t z_t^T                            atb over the stores
 *
 * dWa's inner dimension is the T * B (step, sequence) pairs: with SIMD, simd.ts's atb reads the
 * delta and state stores as they lie ([T B, Np] row-major each) and adds Np rows at a time,
 * summed in float32 in row order, into a float64 total: without FMA the very sums, in the same
 * order, that the GEMM over chunks of Np rows gave before atb existed, so runs reproduce the
 * numbers of earlier versions (docs/train-stories.md). The TypeScript fallback runs it through its GEMM
 * by chunks of np rows (transposed copies). Stores: Z [T + 1, Bp, Np] (row 0 holds h_{-1} = 0),
 * A, R = phi'(A) and deltas [T, Bp, Np], sequence-major. Units past N have zero rows in Wa and a
 * delta of exactly 0 (the mask clears them whatever R holds there), padded sequences zero input,
 * zero constant and zero dL/dy, so neither reaches a real parameter. The GEMMs use relaxed-SIMD
 * fused multiply-adds when the trainer asks for them (`fma`).
 */
import { activationFns, type ActivationFns } from '../../../core/activations.ts';
import type { ModelConfig } from '../../../core/train/config.ts';
import type { ModelKernel } from '../../../core/train/loop.ts';
import { layoutFor, type ParamLayout } from '../../../core/train/model.ts';
import { taskLoss, type Batch, type TaskShape } from '../../../core/train/tasks.ts';
import { fastTanh, gemmBlock } from '../kernel.ts';
import { fmaAvailable, instantiateKernels, packPanels, simdAvailable, type SimdAtb, type SimdMaskMul, type SimdGemmRect, type SimdRelu, type SimdTanh } from '../simd.ts';

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;


/** A bump allocator over one WebAssembly memory: every buffer the GEMM reads or writes lives in it. */
class Arena {
  readonly memory = new WebAssembly.Memory({ initial: 1 });
  private top = 64; // byte 0 kept unused
  private readonly views: { offset: number; length: number; set: (a: Float32Array) => void }[] = [];

  /** A float32 buffer of `length`, 16-byte aligned; `bind` receives its (re-made) view after every growth. */
  alloc(length: number, bind: (a: Float32Array) => void): number {
    const offset = roundUp(this.top, 16);
    this.top = offset + length * 4;
    const need = Math.ceil(this.top / 65536) - this.memory.buffer.byteLength / 65536;
    if (need > 0) this.memory.grow(need);
    this.views.push({ offset, length, set: bind });
    for (const v of this.views) v.set(new Float32Array(this.memory.buffer, v.offset, v.length));
    return offset;
  }
}

/** Buffers for a batch size: stores for training (all steps) or two rows for a forward-only pass. */
interface Stores {
  Bp: number;
  steps: number;
  H: Float32Array;
  hOff: number;
  A: Float32Array;
  aOff: number;
  /** phi'(A), same shape as A. */
  R: Float32Array;
  rOff: number;
}

type Gemm = (M: number, X: number, out: number, np: number, bp: number) => void;

export class F32Model implements ModelKernel<Float32Array> {
  readonly layout: ParamLayout;
  readonly params: Float32Array;
  readonly grad: Float32Array;
  /** Np: N + D + 1 rounded up to the GEMM's row tile of 8. */
  readonly Np: number;
  readonly simd: boolean;
  private readonly phi: ActivationFns;
  private readonly kind: 'tanh' | 'relu' | 'other';
  private readonly arena = new Arena();
  private readonly gemm: Gemm;
  /** Whether the SIMD GEMM and weight-gradient product use relaxed-SIMD fused multiply-adds. */
  readonly fma: boolean;
  /** simd.ts's h = tanh(a), d = 1 - h^2 over a row (about 1e-7 relative), or null on the fallback. */
  private readonly simdTanh: SimdTanh | null = null;
  /** simd.ts's relu, weight-gradient product and masked delta, or null on the fallback. */
  private readonly simdRelu: SimdRelu | null = null;
  private readonly atb: SimdAtb | null = null;
  private readonly maskMul: SimdMaskMul | null = null;
  private readonly gemmRect: SimdGemmRect | null = null;
  /** The hidden units rounded up to the GEMM's tile of 8: the rows of Wa that are not zero. */
  private readonly nH: number;
  /** np i32 lanes: all ones for the hidden units 0..N-1, zero for the input, constant and padding entries. */
  private maskOff = 0;
  /** dWa, float64 [np, np] in the arena, transposed: dWaT[j * np + i] = dWa[i, j]. */
  private dWaT: Float64Array = new Float64Array(0);
  private dWaOff = 0;
  private Wf: Float32Array = new Float32Array(0); // panels of Wa^T (forward)
  private wfOff = 0;
  private Wb: Float32Array = new Float32Array(0); // panels of Wa (backward)
  private wbOff = 0;
  private Mk: Float32Array = new Float32Array(0); // panels of a chunk of states (dWa)
  private mkOff = 0;
  private Xk: Float32Array = new Float32Array(0); // [Np, Np] transposed chunk of deltas
  private xkOff = 0;
  private Ok: Float32Array = new Float32Array(0); // [Np, Np] GEMM output
  private okOff = 0;
  private G: Float32Array = new Float32Array(0); // [Bp, Np] g_t
  private gOff = 0;
  private Dl: Float32Array = new Float32Array(0); // [T, Bp, Np] deltas
  private dOff = 0;
  private readonly stores = new Map<string, Stores>();
  private readonly chunk: Float32Array;
  /** Scratch reused every step (no garbage per step): Wa^T and Wa row-major, the float64 gradient. */
  private readonly waT: Float32Array;
  private readonly wa: Float32Array;
  private readonly gr: Float64Array;
  /** Fallback only: the row-major matrices the TypeScript GEMM reads, by the panel offset they stand for. */
  private unpacked: Map<number, Float32Array> | null = null;

  constructor(
    model: ModelConfig,
    private readonly shape: TaskShape,
    private readonly T: number,
    params: Float64Array | Float32Array,
    options: { simd?: boolean; fma?: boolean } = {},
  ) {
    this.layout = layoutFor(model, shape);
    this.params = Float32Array.from(params);
    this.grad = new Float32Array(this.layout.size);
    this.Np = roundUp(this.layout.N + this.layout.D + 1, 8);
    this.phi = activationFns(model.activation, model);
    this.kind = model.activation === 'tanh' ? 'tanh' : model.activation === 'relu' ? 'relu' : 'other';
    this.simd = (options.simd ?? true) && simdAvailable();
    this.fma = this.simd && (options.fma ?? false);
    if (this.fma && !fmaAvailable()) throw new Error('the CPU trainer was asked for relaxed-SIMD FMA, which this thread does not run');
    const np = this.Np;
    this.nH = roundUp(this.layout.N, 8);
    this.wfOff = this.arena.alloc(np * np, (a) => (this.Wf = a));
    this.wbOff = this.arena.alloc(np * np, (a) => (this.Wb = a));
    this.dWaOff = this.arena.alloc(2 * np * np, (a) => (this.dWaT = new Float64Array(a.buffer, a.byteOffset, np * np)));
    this.maskOff = this.arena.alloc(np, () => {});
    new Int32Array(this.arena.memory.buffer, this.maskOff, np).fill(-1, 0, this.layout.N);
    this.chunk = new Float32Array(this.simd ? 0 : np * np);
    this.waT = new Float32Array(np * np);
    this.wa = new Float32Array(np * np);
    this.gr = new Float64Array(this.layout.size);
    if (this.simd) {
      const kernels = instantiateKernels(this.arena.memory, this.fma);
      this.gemm = kernels.gemm;
      this.simdTanh = kernels.tanh;
      this.simdRelu = kernels.relu;
      this.atb = kernels.atb;
      this.maskMul = kernels.maskMul;
      this.gemmRect = kernels.gemmRect;
    } else {
      this.mkOff = this.arena.alloc(np * np, (a) => (this.Mk = a));
      this.xkOff = this.arena.alloc(np * np, (a) => (this.Xk = a));
      this.okOff = this.arena.alloc(np * np, (a) => (this.Ok = a));
      // The fallback computes out[c, i] = sum_j R[i, j] X[c, j]: R = M^T, kept unpacked.
      const unpacked = new Map<number, Float32Array>();
      this.gemm = (M, X, out, n, bp) => {
        const buf = this.arena.memory.buffer;
        gemmBlock(unpacked.get(M)!, new Float32Array(buf, X, bp * n), new Float32Array(buf, out, bp * n), n, bp);
      };
      this.unpacked = unpacked;
    }
  }

  private storesFor(Bp: number, steps: number): Stores {
    const key = `${Bp}/${steps}`;
    let s = this.stores.get(key);
    if (s) return s;
    const np = this.Np;
    const made = { Bp, steps } as Stores;
    made.hOff = this.arena.alloc((steps + 1) * Bp * np, (a) => (made.H = a));
    made.aOff = this.arena.alloc(steps * Bp * np, (a) => (made.A = a));
    made.rOff = this.arena.alloc(steps * Bp * np, (a) => (made.R = a));
    if (this.G.length < Bp * np) this.gOff = this.arena.alloc(Bp * np, (a) => (this.G = a));
    s = made;
    this.stores.set(key, s);
    return s;
  }

  /** Load Wa = [W | U | b] from the parameters into both panel layouts (or the fallback's copies). */
  private loadW(): void {
    const { N, D } = this.layout;
    const L = this.layout;
    const np = this.Np;
    // The fallback keeps these arrays by reference, so it gets fresh ones; the SIMD path reuses scratch.
    const Wt = this.unpacked ? new Float32Array(np * np) : this.waT; // M = Wa^T: Wt[j * np + i] = Wa[i, j]
    const Wm = this.unpacked ? new Float32Array(np * np) : this.wa; // M = Wa
    const p = this.params;
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N + D + 1; j++) {
        const w = j < N ? p[L.W + i * N + j] : j < N + D ? p[L.U + i * D + (j - N)] : p[L.b + i];
        Wt[j * np + i] = w;
        Wm[i * np + j] = w;
      }
    }
    if (this.unpacked) {
      this.unpacked.set(this.wfOff, Wm);
      this.unpacked.set(this.wbOff, Wt);
    } else {
      packPanels(Wt, np, this.Wf);
      packPanels(Wm, np, this.Wb);
    }
  }

  /**
   * Forward over the batch; with `keep`, every step's rows stay in the stores (for BPTT), else two
   * state rows alternate. Returns y [outputSteps, B, O] in float64 (from float32 states).
   */
  private forward(batch: Batch, keep: boolean): { y: Float64Array; s: Stores } {
    const B = batch.size;
    const Bp = roundUp(B, 4);
    const np = this.Np;
    const { N, D, O } = this.layout;
    const L = this.layout;
    const p = this.params;
    const s = this.storesFor(Bp, keep ? this.T : 1);
    const steps = this.shape.outputSteps;
    const y = new Float64Array(steps.length * B * O);
    const row = Bp * np;
    const x = batch.x;
    s.H.fill(0, 0, row);
    this.loadW();
    let k = 0;
    for (let t = 0; t < this.T; t++) {
      const zIn = keep ? t : t % 2; // state row holding h_{t-1}, now given x_t and the constant 1
      const hOut = keep ? t + 1 : (t + 1) % 2;
      const aRow = keep ? t : 0;
      const H = s.H;
      for (let b = 0; b < B; b++) {
        const zo = zIn * row + b * np + N;
        const xo = (t * B + b) * D;
        for (let d = 0; d < D; d++) H[zo + d] = x[xo + d];
        H[zo + D] = 1;
      }
      // a_t: only the first nH rows of Wa are not zero, and z ends at its constant N + D
      if (this.gemmRect) this.gemmRect(this.wfOff, s.hOff + zIn * row * 4, s.aOff + aRow * row * 4, np, Bp, this.nH, N + D + 1);
      else this.gemm(this.wfOff, s.hOff + zIn * row * 4, s.aOff + aRow * row * 4, np, Bp);
      // R past unit N holds phi'(0) of no hidden unit: the delta's mask clears it (lossAndGrad)
      this.activate(s, aRow * row, hOut * row, row);
      if (k < steps.length && steps[k] === t) {
        for (let b = 0; b < B; b++) {
          const ho = hOut * row + b * np;
          for (let o = 0; o < O; o++) {
            let acc = p[L.c + o];
            for (let i = 0; i < N; i++) acc += p[L.V + o * N + i] * H[ho + i];
            y[(k * B + b) * O + o] = Math.fround(acc);
          }
        }
        k++;
      }
    }
    return { y, s };
  }

  /**
   * H[h0 ..] = phi(A[a0 ..]) and R[a0 ..] = phi'(A[a0 ..]) over n floats: simd.ts's tanh kernel
   * where available, else one loop per activation (the switch outside the loop).
   */
  private activate(s: Stores, a0: number, h0: number, n: number): void {
    const { A, H, R } = s;
    if (this.kind === 'tanh' && this.simdTanh) {
      this.simdTanh(s.aOff + a0 * 4, s.hOff + h0 * 4, s.rOff + a0 * 4, n);
    } else if (this.kind === 'relu' && this.simdRelu) {
      this.simdRelu(s.aOff + a0 * 4, s.hOff + h0 * 4, s.rOff + a0 * 4, n);
    } else if (this.kind === 'tanh') {
      for (let q = 0; q < n; q++) {
        const h = fastTanh(A[a0 + q]);
        H[h0 + q] = h;
        R[a0 + q] = 1 - h * h; // d tanh = 1 - tanh^2, from the float64 tanh
      }
    } else if (this.kind === 'relu') {
      for (let q = 0; q < n; q++) {
        const a = A[a0 + q];
        // d relu(a) = 1 for a > 0, 0 for a <= 0; NaN stays NaN (an undefined step)
        H[h0 + q] = a > 0 ? a : a <= 0 ? 0 : a;
        R[a0 + q] = a > 0 ? 1 : a <= 0 ? 0 : NaN;
      }
    } else {
      for (let q = 0; q < n; q++) {
        const a = A[a0 + q];
        H[h0 + q] = this.phi.output(a);
        R[a0 + q] = this.phi.der(a);
      }
    }
  }

  loss(batch: Batch): number {
    return taskLoss(this.shape, this.forward(batch, false).y, batch.targets, batch.size);
  }

  lossAndGrad(batch: Batch): number {
    const { y, s } = this.forward(batch, true);
    const B = batch.size;
    const dy = new Float64Array(y.length);
    const loss = taskLoss(this.shape, y, batch.targets, B, dy);
    const { N, D, O } = this.layout;
    const L = this.layout;
    const p = this.params;
    const np = this.Np;
    const Bp = s.Bp;
    const row = Bp * np;
    const T = this.T;
    if (this.Dl.length < T * row) this.dOff = this.arena.alloc(T * row, (a) => (this.Dl = a));
    const gr = this.gr;
    gr.fill(0);
    const steps = this.shape.outputSteps;
    const { H, R } = s;
    const G = this.G;
    const Dl = this.Dl;
    G.fill(0, 0, row);
    let k = steps.length - 1;
    for (let t = T - 1; t >= 0; t--) {
      if (k >= 0 && steps[k] === t) {
        // g_t += V^T dL/dy_t;  dV += dL/dy_t h_t^T;  dc += dL/dy_t
        for (let b = 0; b < B; b++) {
          const ho = (t + 1) * row + b * np;
          for (let o = 0; o < O; o++) {
            const e = dy[(k * B + b) * O + o];
            gr[L.c + o] += e;
            for (let i = 0; i < N; i++) {
              gr[L.V + o * N + i] += e * H[ho + i];
              G[b * np + i] += p[L.V + o * N + i] * e;
            }
          }
        }
        k--;
      }
      // delta_t = phi'(a_t) * g_t over the hidden units (0 past unit N) into the delta store,
      // then g_{t-1} = Wa^T delta_t into G
      const r0 = t * row;
      if (this.maskMul) this.maskMul(this.gOff, s.rOff + r0 * 4, this.dOff + r0 * 4, this.maskOff, np, Bp);
      else {
        for (let b = 0; b < Bp; b++) {
          const o = b * np;
          for (let q = 0; q < N; q++) Dl[r0 + o + q] = G[o + q] * R[r0 + o + q];
          Dl.fill(0, r0 + o + N, r0 + o + np);
        }
      }
      // g_{t-1}: delta_t is zero past unit N and only the h part of g (the first N) is used
      if (t > 0 && this.gemmRect) this.gemmRect(this.wbOff, this.dOff + r0 * 4, this.gOff, np, Bp, this.nH, N);
      else if (t > 0) this.gemm(this.wbOff, this.dOff + r0 * 4, this.gOff, np, Bp);
    }
    this.accumulateDWa(s, T * Bp);
    const dWaT = this.dWaT;
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) gr[L.W + i * N + j] = dWaT[j * np + i];
      for (let d = 0; d < D; d++) gr[L.U + i * D + d] = dWaT[(N + d) * np + i];
      gr[L.b + i] = dWaT[(N + D) * np + i];
    }
    for (let i = 0; i < L.size; i++) this.grad[i] = gr[i];
    return loss;
  }

  /**
   * dWa = sum over the `rows` (step, sequence) pairs of delta_t z_t^T into dWaT (transposed), by
   * chunks of np rows: with SIMD one atb over each chunk of the delta and state stores as they
   * lie; on the fallback through the GEMM.
   */
  private accumulateDWa(s: Stores, rows: number): void {
    const np = this.Np;
    const dWaT = this.dWaT;
    dWaT.fill(0);
    if (this.atb) {
      const { N, D } = this.layout;
      const nJ = roundUp(N + D + 1, 4); // the z entries W, U and b multiply
      for (let r0 = 0; r0 < rows; r0 += np) {
        this.atb(this.dOff + r0 * np * 4, s.hOff + r0 * np * 4, this.dWaOff, np, Math.min(np, rows - r0), this.nH, nJ);
      }
      return;
    }
    const M = this.chunk;
    for (let r0 = 0; r0 < rows; r0 += np) {
      const n = Math.min(np, rows - r0);
      // M[r, j] = z_t[b, j]: state row r0 + r is the z that delta row r0 + r multiplied
      M.set(s.H.subarray(r0 * np, (r0 + n) * np));
      if (n < np) M.fill(0, n * np);
      const X = this.Xk;
      const Dl = this.Dl;
      for (let r = 0; r < n; r++) {
        const src = (r0 + r) * np;
        for (let i = 0; i < np; i++) X[i * np + r] = Dl[src + i];
      }
      if (n < np) for (let i = 0; i < np; i++) X.fill(0, i * np + n, (i + 1) * np);
      const Rt = new Float32Array(np * np); // R = M^T: Rt[j, r] = z[r, j]
      for (let r = 0; r < np; r++) for (let j = 0; j < np; j++) Rt[j * np + r] = M[r * np + j];
      this.unpacked!.set(this.mkOff, Rt);
      this.gemm(this.mkOff, this.xkOff, this.okOff, np, np);
      const O = this.Ok; // O[i * np + j] = dWa[i, j]
      for (let i = 0; i < np; i++) for (let j = 0; j < np; j++) dWaT[j * np + i] += O[i * np + j];
    }
  }
}

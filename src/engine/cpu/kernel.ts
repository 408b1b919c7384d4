/**
 * The fast CPU engine's kernel: a block of sequences carried through all T steps forward and
 * back, in float32 storage. No platform import, so it runs unchanged in a Node worker thread, a
 * browser Web Worker or the main thread.
 *
 * A block holds `blockColumns` (Bp) sequences side by side; every step is one small GEMM
 * with the shared recurrent matrix,
 *   forward   A[c, :] = W0 H[c, :]          then a = rho_c A + U x_t + b,  h = phi(a)
 *   backward  G[c, :] = W0^T Delta[c, :]    Delta[c, :] = phi'(a_t) * g_t / ||g_t||
 * laid out sequence-major ([Bp, Np], each sequence's vector contiguous). The products and the
 * element-wise work that dominates after them (a, h and phi' where the activation's record in
 * src/core/activations.ts names a SIMD column emitter, as tanh, relu and leaky_relu do; the norm
 * of g; delta) run in WebAssembly SIMD (simd.ts) where the JavaScript engine has it;
 * BlockProducts hides which. Other activations run the record's scalar path, and the portable
 * TypeScript versions of everything stay for engines without SIMD (and are tested).
 *
 * Semantics are those of src/core/reference.ts, with these float32 facts made explicit:
 * - storage is float32 (h_t, phi'(a_t), delta_t; W0 rounded once). The SIMD GEMM accumulates in
 *   float32 (the TypeScript one in float64), with fused multiply-adds where the runtime has relaxed
 *   SIMD (setup.fma: the same on every thread of a sweep); norms are summed in float64 everywhere;
 * - values below the smallest normal float32 (2^-126, about 1.2e-38) are flushed to zero when
 *   stored: subnormals cost 2-3x on x86. A state that small is flagged before it gets there: from
 *   the step where its largest |a_i| (or |h_i|) falls below 1e-30 the sample's cells carry the
 *   range flag and no value (src/core/range.ts stateOutOfRange, the rule of every engine), so a
 *   flushed state is never shown as an exact zero (-Infinity) or as a norm decades off; for a
 *   kinked phi' the backward pass is flagged at every step too (range.ts backwardCrossesFlag).
 *   A phi' below 1e-38 of a single unit (sigmoid at a < -87) still becomes an exact zero: next to
 *   the other units' it changes nothing a float32 norm can see;
 * - |h| beyond the float32 range (about 3.4e38) overflows to Infinity and is flagged as overflow,
 *   like the reference's non-finite h_t (earlier than float64 would: 1e38 rather than 1e308);
 * - with SIMD, tanh'(a) is computed as 4 e / (1 + e)^2, e = exp(-2|a|) (relative accuracy kept
 *   where tanh saturates; the reference's 1 - tanh^2 loses digits beyond |a| ~ 9) and is 0 from
 *   |a| = 19.06 on, where the reference's is exactly 0; the TypeScript path uses 1 - tanh^2.
 * The backward factor rho is not multiplied into g: g_{t-1} = W0^T delta_t is computed and
 * log10(rho) is added to the accumulated log scale instead, which is exact, also for rho = 0
 * (log scale -Infinity: every earlier gradient is an exact zero, as in the reference).
 */
import { sequenceInputs } from '../../core/inputs.ts';
import { activationRecord, saturationLimit, type ActivationRecord, type CpuScalar } from '../../core/activations.ts';
import { backwardKillMask, CELL_FLAG, RANGE_FLOOR, rangeRule, stateOutOfRange, type RangeRule } from '../../core/range.ts';
import { makeQuantityArrays } from '../../core/statistics.ts';
export { expNeg, fastTanh } from '../../core/fastmath.ts';
import type { BlockResult, KernelSetup } from './protocol.ts';
import type { HistogramCounts } from '../../core/preactivations.ts';
import { COLUMN_PARAMS_BYTES, COLUMN_STATS_BYTES, fmaAvailable, instantiateKernels, packPanels, simdAvailable } from './simd.ts';
import { matrixAt } from '../matrix-index.ts';
import { addOutlierMove } from './outlier-move.ts';

/** Smallest normal float32, 2^-126: anything smaller in magnitude is stored as 0. */
export const F32_MIN_NORMAL = 1.1754943508222875e-38;

/**
 * out[c * np + i] = sum_j W[i * np + j] * X[c * np + j] for c < bp, i < np (np, bp multiples of 4),
 * accumulated in float64 and stored as float32. The portable fallback of simd.ts's kernel.
 * Rows of W in groups of 4 outside, columns of X in groups of 4 inside, so the four W rows stay
 * in L1 while every column streams past them; 16 accumulators live in registers.
 */
export function gemmBlock(W: Float32Array, X: Float32Array, out: Float32Array, np: number, bp: number): void {
  for (let i = 0; i < np; i += 4) {
    const w0 = i * np;
    const w1 = w0 + np;
    const w2 = w1 + np;
    const w3 = w2 + np;
    for (let c = 0; c < bp; c += 4) {
      const x0 = c * np;
      const x1 = x0 + np;
      const x2 = x1 + np;
      const x3 = x2 + np;
      let a00 = 0, a01 = 0, a02 = 0, a03 = 0;
      let a10 = 0, a11 = 0, a12 = 0, a13 = 0;
      let a20 = 0, a21 = 0, a22 = 0, a23 = 0;
      let a30 = 0, a31 = 0, a32 = 0, a33 = 0;
      for (let j = 0; j < np; j++) {
        const h0 = X[x0 + j];
        const h1 = X[x1 + j];
        const h2 = X[x2 + j];
        const h3 = X[x3 + j];
        let w = W[w0 + j];
        a00 += w * h0; a01 += w * h1; a02 += w * h2; a03 += w * h3;
        w = W[w1 + j];
        a10 += w * h0; a11 += w * h1; a12 += w * h2; a13 += w * h3;
        w = W[w2 + j];
        a20 += w * h0; a21 += w * h1; a22 += w * h2; a23 += w * h3;
        w = W[w3 + j];
        a30 += w * h0; a31 += w * h1; a32 += w * h2; a33 += w * h3;
      }
      out[x0 + i] = a00; out[x0 + i + 1] = a10; out[x0 + i + 2] = a20; out[x0 + i + 3] = a30;
      out[x1 + i] = a01; out[x1 + i + 1] = a11; out[x1 + i + 2] = a21; out[x1 + i + 3] = a31;
      out[x2 + i] = a02; out[x2 + i + 1] = a12; out[x2 + i + 2] = a22; out[x2 + i + 3] = a32;
      out[x3 + i] = a03; out[x3 + i + 1] = a13; out[x3 + i + 2] = a23; out[x3 + i + 3] = a33;
    }
  }
}

/** The two products of a block step and the buffers they read and write ([Bp, Np] each, sequence-major). */
export interface BlockProducts {
  readonly kind: 'simd' | 'js';
  /** h_{t-1} (read by forward), then h_t (written by the activation). */
  readonly H: Float32Array;
  /** phi'(a_t) * g_t / ||g_t||, read by backward. */
  readonly delta: Float32Array;
  /** The product: M_t H after forward(t), M_t^T delta after backward(t) (M_t the step's matrix, setup.matrices). */
  readonly acc: Float32Array;
  /** [T, Bp, Np] phi'(a_t), kept for BPTT. */
  readonly der: Float32Array;
  /** [Bp, Np] U x_t + b of each input slot of the block (padding stays 0). */
  readonly u: Float32Array;
  /** Whether tanhBlock and rectBlock are available (SIMD). */
  readonly fusedTanh: boolean;
  forward(t: number): void;
  backward(t: number): void;
  /** The block's columns: rho and input slot of each of the first `count` (before tanhBlock, rectBlock). */
  columns(rho: Float64Array, slotOf: Int32Array, count: number): void;
  /**
   * Columns c < count at step t, in SIMD: a = rho_c acc + u[slot_c], H = tanh(a), der[t-1] = tanh'(a);
   * then colSs(c) is sum h^2 (float64), colSat(c) the count of tanh' < satLimit and colDerSum(c)
   * the float64 sum of the stored tanh'(a), all over the Np lanes.
   */
  tanhBlock(t: number, count: number, satLimit: number): void;
  /**
   * The same for relu (leaky false, alpha 0) and leaky_relu: colSat(c) is the count of a <= 0 (the
   * Np - N padding lanes, a = 0, included, as in colDerSum).
   */
  rectBlock(t: number, count: number, alpha: number, leaky: boolean): void;
  colSs(c: number): number;
  colSat(c: number): number;
  colDerSum(c: number): number;
  /** gss[c] = ||acc[c, :]||^2 (float64 sum), i.e. ||g_t||^2, for c < count. */
  gNormSqBlock(count: number): void;
  readonly gss: Float64Array;
  /**
   * delta[c, :] = der[t-1][c, :] * acc[c, :] * scales[c], stored flushed to float32, for c < count;
   * dss[c] = the float64 sum of squares of the unflushed products (NaN where some phi' is NaN).
   */
  scaleDeltaBlock(t: number, count: number): void;
  /** Set by the caller before scaleDeltaBlock (float32 in SIMD, where the product is float32). */
  readonly scales: Float32Array | Float64Array;
  readonly dss: Float64Array;
}

/** Portable products: plain typed arrays and gemmBlock. */
function jsProducts(setup: KernelSetup): BlockProducts {
  const { Np, T, blockColumns: bp, matrices } = setup;
  const m2 = Np * Np;
  const W0 = Array.from({ length: matrices }, (_, q) => setup.W0.subarray(q * m2, (q + 1) * m2));
  const W0T = Array.from({ length: matrices }, (_, q) => setup.W0T.subarray(q * m2, (q + 1) * m2));
  const H = new Float32Array(bp * Np);
  const delta = new Float32Array(bp * Np);
  const acc = new Float32Array(bp * Np);
  const der = new Float32Array(T * bp * Np);
  const gss = new Float64Array(bp);
  const scales = new Float64Array(bp);
  const dss = new Float64Array(bp);
  const noSimd = () => {
    throw new Error('internal: no SIMD activation in the portable products');
  };
  return {
    kind: 'js',
    H,
    delta,
    acc,
    der,
    u: new Float32Array(bp * Np),
    fusedTanh: false,
    columns: () => undefined,
    tanhBlock: noSimd,
    rectBlock: noSimd,
    colSs: noSimd,
    colSat: noSimd,
    colDerSum: noSimd,
    gss,
    scales,
    dss,
    gNormSqBlock(count) {
      for (let c = 0; c < count; c++) {
        let ss = 0;
        for (let i = c * Np; i < (c + 1) * Np; i++) ss += acc[i] * acc[i];
        gss[c] = ss;
      }
    },
    scaleDeltaBlock(t, count) {
      const derT = (t - 1) * bp * Np;
      for (let c = 0; c < count; c++) {
        const scale = scales[c];
        let ss = 0;
        for (let i = c * Np; i < (c + 1) * Np; i++) {
          const dv = der[derT + i] * acc[i] * scale;
          delta[i] = flush(dv);
          ss += dv * dv;
        }
        dss[c] = ss;
      }
    },
    forward: (t) => gemmBlock(W0[matrixAt(matrices, t)], H, acc, Np, bp),
    backward: (t) => gemmBlock(W0T[matrixAt(matrices, t)], delta, acc, Np, bp),
  };
}

/** WebAssembly SIMD products: every operand lives in the module's memory (simd.ts reads M as columns). */
function simdProducts(setup: KernelSetup): BlockProducts {
  const { Np, T, blockColumns: bp, matrices } = setup;
  const m = Np * Np * 4;
  const v = bp * Np * 4;
  // Every matrix packed twice: M_1^T .. M_count^T, then M_1 .. M_count.
  const mats = 2 * matrices * m;
  // The per-column tables after the vectors: params, stats, gss, dss (8-byte aligned: Np is a multiple of 8), scales.
  const tables = mats + 4 * v + T * v;
  const bytes = tables + bp * (COLUMN_PARAMS_BYTES + COLUMN_STATS_BYTES + 8 + 8 + 4);
  const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) });
  // The main thread chose FMA where it runs; a thread without it would compute other numbers.
  if (setup.fma && !fmaAvailable()) throw new Error('the sweep uses relaxed-SIMD FMA, which this thread does not run');
  const { gemm, tanhBlock, rectBlock, sumsqBlock, scaleDeltaBlock } = instantiateKernels(memory, setup.fma);
  const buf = memory.buffer;
  // Layout: [M^T x count | M x count | H | delta | acc | u | der | tables]. out = sum_j M[j, :] X[:, j], so W0 X takes M = W0^T.
  for (let q = 0; q < matrices; q++) {
    packPanels(setup.W0T.subarray(q * Np * Np, (q + 1) * Np * Np), Np, new Float32Array(buf, q * m, Np * Np));
    packPanels(setup.W0.subarray(q * Np * Np, (q + 1) * Np * Np), Np, new Float32Array(buf, (matrices + q) * m, Np * Np));
  }
  const H = new Float32Array(buf, mats, bp * Np);
  const delta = new Float32Array(buf, mats + v, bp * Np);
  const acc = new Float32Array(buf, mats + 2 * v, bp * Np);
  const u = new Float32Array(buf, mats + 3 * v, bp * Np);
  const der = new Float32Array(buf, mats + 4 * v, T * bp * Np);
  const params = tables;
  const stats = params + bp * COLUMN_PARAMS_BYTES;
  const paramF32 = new Float32Array(buf, params, 2 * bp); // [c * 2] rho
  const paramI32 = new Int32Array(buf, params, 2 * bp); // [c * 2 + 1] address of u
  const statI32 = new Int32Array(buf, stats, (bp * COLUMN_STATS_BYTES) / 4); // [c * 6] count
  const statF64 = new Float64Array(buf, stats, (bp * COLUMN_STATS_BYTES) / 8); // [c * 3 + 1] phi' sum, [c * 3 + 2] h^2 sum
  const gss = new Float64Array(buf, stats + bp * COLUMN_STATS_BYTES, bp);
  const dss = new Float64Array(buf, gss.byteOffset + 8 * bp, bp);
  const scales = new Float32Array(buf, dss.byteOffset + 8 * bp, bp);
  return {
    kind: 'simd',
    H,
    delta,
    acc,
    der,
    u,
    fusedTanh: true,
    forward: (t) => gemm(matrixAt(matrices, t) * m, H.byteOffset, acc.byteOffset, Np, bp),
    backward: (t) => gemm((matrices + matrixAt(matrices, t)) * m, delta.byteOffset, acc.byteOffset, Np, bp),
    columns(rho, slotOf, count) {
      for (let c = 0; c < count; c++) {
        paramF32[2 * c] = rho[c];
        paramI32[2 * c + 1] = u.byteOffset + slotOf[c] * Np * 4;
      }
    },
    tanhBlock: (t, count, satLimit) => tanhBlock(acc.byteOffset, H.byteOffset, der.byteOffset + (t - 1) * v, Np, count, params, satLimit, stats),
    rectBlock: (t, count, alpha, leaky) => rectBlock(acc.byteOffset, H.byteOffset, der.byteOffset + (t - 1) * v, Np, count, params, alpha, leaky ? -1 : 0, stats),
    colSs: (c) => statF64[3 * c + 2],
    colSat: (c) => statI32[6 * c],
    colDerSum: (c) => statF64[3 * c + 1],
    gss,
    scales,
    dss,
    gNormSqBlock: (count) => sumsqBlock(acc.byteOffset, Np, count, gss.byteOffset),
    scaleDeltaBlock: (t, count) => scaleDeltaBlock(der.byteOffset + (t - 1) * v, acc.byteOffset, delta.byteOffset, Np, count, scales.byteOffset, dss.byteOffset),
  };
}

/** SIMD products where the setup asks for them and WebAssembly SIMD runs here; else the portable ones. */
export function makeProducts(setup: KernelSetup): BlockProducts {
  return setup.simd && setup.Np % 8 === 0 && simdAvailable() ? simdProducts(setup) : jsProducts(setup);
}

/** The number of blocks of a sweep with this setup. */
export function blockCount(setup: Pick<KernelSetup, 'K' | 'S' | 'blockColumns'>): number {
  return Math.ceil((setup.K * setup.S) / setup.blockColumns);
}

/** Runs blocks of one sweep; owns its scratch buffers, reused from block to block. */
export class BlockKernel {
  private readonly s: KernelSetup;
  /** The activation's record, its scalar path with the parameters bound, and the saturation limit on phi'. */
  private readonly act: ActivationRecord;
  private readonly scalar: CpuScalar;
  private readonly satLimit: number;
  // Shapes: Bp = blockColumns, Np = padded N.
  /** H, delta, acc ([Bp, Np]), the BPTT store and the SIMD or TypeScript work over them. */
  readonly products: BlockProducts;
  private readonly der: Float32Array; // [T, Bp, Np] phi'(a_t), kept for BPTT (products.der)
  private readonly hLog: Float64Array; // [Bp, T + 1] log10 ||h_t||, t = 0..T
  private readonly u: Float32Array; // [slots, Np] U x_t + b of each distinct sample in the block (products.u)
  private readonly x: Float64Array[]; // [slots] [T, D] inputs of each distinct sample
  private cached = new Map<number, Float64Array>(); // inputs of the previous block's samples, by s
  private readonly rho: Float64Array; // [Bp] rho of each column (1 on the outlier axis)
  private readonly shift: Float64Array; // [Bp] the outlier's shift of each column (0 on the rho axis)
  private readonly slotOf: Int32Array; // [Bp] input slot of each column
  private readonly valid: Uint8Array; // [Bp] 0 once the backward pass crossed an undefined phi'
  private readonly logRho: Float64Array; // [Bp] log10 rho
  private readonly logScale: Float64Array; // [Bp] log10 of what g has been divided by
  private readonly carry: Float64Array; // [Bp] Kahan compensation of logScale
  private readonly h0Log: number;
  private readonly fwdFlag: Uint8Array; // [Bp] the column's forward cell flag so far (sticky), range.ts CELL_FLAG
  private readonly dead: Uint8Array; // [Bp] the flag bits that undefine the column's whole backward pass (0: none)
  /** When a state is out of float32's range (range.ts), and the sum of h^2 below which it can be. */
  private readonly range: RangeRule;
  private readonly rangeSs: number;
  private readonly killMask: number;

  constructor(setup: KernelSetup) {
    this.s = setup;
    this.act = activationRecord(setup.activation);
    this.scalar = this.act.cpu.scalar(setup.params);
    this.satLimit = saturationLimit(setup.activation, setup.params);
    const { T, blockColumns: bp } = setup;
    this.products = makeProducts(setup);
    this.der = this.products.der;
    this.hLog = new Float64Array(bp * (T + 1));
    this.u = this.products.u;
    this.x = [];
    this.rho = new Float64Array(bp);
    this.shift = new Float64Array(bp);
    this.slotOf = new Int32Array(bp);
    this.valid = new Uint8Array(bp);
    this.logRho = new Float64Array(bp);
    this.logScale = new Float64Array(bp);
    this.carry = new Float64Array(bp);
    this.fwdFlag = new Uint8Array(bp);
    this.dead = new Uint8Array(bp);
    this.range = rangeRule(setup.activation, setup.params, RANGE_FLOOR.float32);
    this.rangeSs = this.range.sumSquaresBelow(setup.N);
    this.killMask = backwardKillMask(setup.activation, setup.params);
    let ss = 0;
    for (let i = 0; i < setup.N; i++) {
      const v = flush(Math.fround(setup.h0[i]));
      ss += v * v;
    }
    this.h0Log = ss > 0 ? 0.5 * Math.log10(ss) : -Infinity;
  }

  /** T, the steps of every sequence. */
  get steps(): number {
    return this.s.T;
  }

  /** Forward and backward for the sequences of block `block`; per-sequence traces come back. */
  run(block: number): BlockResult {
    const { out, slots } = this.prepare(block);
    this.forward(out.count, this.rho, this.slotOf, slots, out);
    this.backward(out.count, this.rho, out);
    return out;
  }

  /**
   * The forward pass alone for the sequences of block `block`, each step's a_t binned into `into`
   * (core/preactivations.ts) with the engine's own phi'(a_t) as stored for BPTT: the derivative
   * panel's histogram of one row (the setup then holds that row alone, K = 1).
   */
  histogram(block: number, into: HistogramCounts): void {
    const { out, slots } = this.prepare(block);
    this.forward(out.count, this.rho, this.slotOf, slots, out, into);
  }

  /** Rho, shift and input slot of each column of block `block`, and its result arrays. */
  private prepare(block: number): { out: BlockResult; slots: number } {
    const { K, S, T, blockColumns: bp } = this.s;
    const q0 = block * bp;
    const count = Math.min(bp, K * S - q0);
    if (count <= 0) throw new Error(`block ${block} is outside the sweep (${K * S} sequences)`);
    const out: BlockResult = {
      block,
      q0,
      count,
      values: makeQuantityArrays(count * T),
      flags: new Uint8Array(count * T),
    };
    // Sequence q = s * K + k: the distinct samples of the block get one input slot each.
    const { rho, slotOf } = this;
    const samples: number[] = [];
    for (let c = 0; c < count; c++) {
      const q = q0 + c;
      const s = Math.floor(q / K);
      rho[c] = this.s.rho[q - s * K];
      this.shift[c] = this.s.shift[q - s * K];
      if (samples.length === 0 || samples[samples.length - 1] !== s) samples.push(s);
      slotOf[c] = samples.length - 1;
    }
    // Consecutive blocks share samples (q = s * K + k): keep the previous block's inputs.
    const cached = new Map<number, Float64Array>();
    for (let slot = 0; slot < samples.length; slot++) {
      const s = samples[slot];
      const x = this.cached.get(s) ?? this.inputsFor(s);
      cached.set(s, x);
      this.x[slot] = x;
    }
    this.cached = cached;
    this.products.columns(rho, slotOf, count);
    return { out, slots: samples.length };
  }

  /** x_1..x_T of sample s, [T, D]: the very draws of Problem.inputsFor. */
  private inputsFor(s: number): Float64Array {
    const { T, D, inputOn, seed, inputScale } = this.s;
    return sequenceInputs(seed, inputScale, T, D, inputOn, s);
  }

  /** u[slot] = U x_t + b (each when switched on), once per distinct sample of the block. */
  private project(t: number, slots: number): void {
    const { N, Np, D, U, b, biasOn } = this.s;
    const u = this.u;
    const xt = (t - 1) * D;
    const bias = biasOn[t - 1] ? 1 : 0;
    for (let slot = 0; slot < slots; slot++) {
      const x = this.x[slot];
      for (let i = 0; i < N; i++) {
        let v = 0;
        for (let j = 0; j < D; j++) v += U[i * D + j] * x[xt + j];
        u[slot * Np + i] = v + bias * b[i];
      }
    }
  }

  private forward(count: number, rho: Float64Array, slotOf: Int32Array, slots: number, out: BlockResult, bins?: HistogramCounts): void {
    const { N, Np, T, blockColumns: bp } = this.s;
    const { der, hLog, u, products } = this;
    const { H, acc } = products;
    H.fill(0);
    this.fwdFlag.fill(0);
    for (let c = 0; c < count; c++) {
      for (let i = 0; i < N; i++) H[c * Np + i] = flush(Math.fround(this.s.h0[i]));
      hLog[c * (T + 1)] = this.h0Log;
    }
    // The activation's record decides: its SIMD column emitter where it names one and SIMD runs
    // here, else its scalar path. The saturated count follows its rule (a <= 0, or phi' below the limit).
    const { act, scalar, satLimit } = this;
    const simd = products.fusedTanh ? act.cpu.simd : null;
    const leak = simd?.kind === 'rect' && simd.leak ? simd.leak(this.s.params) : null;
    const dead = act.saturation === 'dead';
    const phi = scalar.output;
    const dphi = scalar.der;
    for (let t = 1; t <= T; t++) {
      this.project(t, slots);
      // A = M_t H_{t-1} for every column of the block at once, then + shift D_t h_{t-1} (outlier axis).
      products.forward(t);
      this.moveOutlier(t, count, H);
      const derT = (t - 1) * bp * Np;
      if (simd) {
        // The activation in SIMD over every column (one call): a, h, phi'(a), sum h^2, the saturated
        // count and the sum of phi'. relu / leaky_relu count the padding lanes (a = 0) as dead: taken off.
        if (simd.kind === 'tanh') products.tanhBlock(t, count, satLimit);
        else products.rectBlock(t, count, leak ?? 0, leak !== null);
        const padDead = simd.kind === 'rect' ? Np - N : 0;
        for (let c = 0; c < count; c++) {
          this.record(out, hLog, c, t, products.colSs(c), products.colSat(c) - padDead, this.unpadded(products.colDerSum(c), derT + c * Np));
        }
        if (bins) this.bin(bins, t, count);
        continue;
      }
      for (let c = 0; c < count; c++) {
        const off = c * Np;
        const uo = slotOf[c] * Np;
        const r = rho[c];
        let ss = 0;
        let sat = 0;
        let derSum = 0;
        // a = rho W0 h + U x + b;  h = phi(a) stored as float32 (flushed);  phi'(a) kept for BPTT (NaN stays NaN)
        // and summed as stored (float32).
        for (let i = 0; i < N; i++) {
          const a = r * acc[off + i] + u[uo + i];
          const y = phi(a);
          const h = flush(Math.fround(y));
          H[off + i] = h;
          ss += h * h;
          const d = dphi(a, y);
          if (dead ? a <= 0 : d < satLimit) sat++;
          const stored = Math.fround(d < F32_MIN_NORMAL ? 0 : d);
          der[derT + off + i] = stored;
          derSum += stored;
        }
        this.record(out, hLog, c, t, ss, sat, derSum);
      }
      if (bins) this.bin(bins, t, count);
    }
  }

  /**
   * Bin a_t of the first `count` columns: a = rho_c (M_t h_{t-1})_i + (U x_t + b)_i from the
   * product still in acc and the drive in u, rounded to float32 as the engine holds it, with
   * phi'(a) as stored for BPTT (float32, flushed).
   */
  private bin(into: HistogramCounts, t: number, count: number): void {
    const { N, Np, blockColumns: bp } = this.s;
    const { acc } = this.products;
    const derT = (t - 1) * bp * Np;
    for (let c = 0; c < count; c++) {
      const r = this.rho[c];
      const uo = this.slotOf[c] * Np;
      for (let i = 0; i < N; i++) into.add(t, Math.fround(r * acc[c * Np + i] + this.u[uo + i]), this.der[derT + c * Np + i]);
    }
  }

  /** A SIMD column's sum of phi' over its Np lanes, less the Np - N padding lanes' stored at der[at + N ..]. */
  private unpadded(sum: number, at: number): number {
    const { N, Np } = this.s;
    for (let i = at + N; i < at + Np; i++) sum -= this.der[i];
    return sum;
  }

  /**
   * log10 ||h_t||, the saturated fraction, the mean phi'(a_t) and the cell flag of column c at
   * step t, from sum h^2, the saturated count and the sum of the stored phi'(a_t) over the N units.
   */
  private record(out: BlockResult, hLog: Float64Array, c: number, t: number, ss: number, sat: number, derSum: number): void {
    const { N, T } = this.s;
    // ss is +Infinity or NaN exactly when some stored h_t is not finite (float32 squares cannot overflow a double).
    let flag = this.fwdFlag[c];
    if (!(ss < Infinity)) flag |= CELL_FLAG.overflow;
    else if (ss < this.rangeSs && this.outOfRange(c)) flag |= CELL_FLAG.range;
    this.fwdFlag[c] = flag;
    const j = c * T + (t - 1);
    const hl = flag ? NaN : ss > 0 ? 0.5 * Math.log10(ss) : -Infinity;
    out.values.hidden[j] = hl;
    hLog[c * (T + 1) + t] = hl;
    out.values.saturated[j] = flag ? NaN : sat / N;
    out.values.deriv[j] = flag ? NaN : derSum / N;
    out.flags[j] |= flag;
  }

  /**
   * Whether column c's state h_t = phi(a_t) left float32's range (range.ts stateOutOfRange), from
   * a_t = rho acc + u (acc = W0 h_{t-1}, still in place) and the stored, flushed h_t. Only called
   * when sum h^2 is small enough for that (rangeSs): an O(N) pass in a rare case.
   */
  private outOfRange(c: number): boolean {
    const { N, Np } = this.s;
    const { acc, H } = this.products;
    const rho = this.rho[c];
    const uo = this.slotOf[c] * Np;
    let amax = 0;
    let hmax = 0;
    for (let i = 0; i < N; i++) {
      amax = Math.max(amax, Math.abs(rho * acc[c * Np + i] + this.u[uo + i]));
      hmax = Math.max(hmax, Math.abs(H[c * Np + i]));
    }
    return stateOutOfRange(amax, hmax, this.range);
  }

  /**
   * acc[c, :] += shift_c D_t X[c, :] after the forward product (X = h_{t-1}), or shift_c D_t^T X[c, :]
   * after the backward one (X = delta_t): O(N) per column (outlier-move.ts), nothing on the rho axis.
   */
  private moveOutlier(t: number, count: number, X: Float32Array): void {
    const dir = this.s.directions[matrixAt(this.s.matrices, t)];
    if (!dir) return;
    const transpose = X === this.products.delta;
    for (let c = 0; c < count; c++) addOutlierMove(dir, this.shift[c], X, this.products.acc, c * this.s.Np, this.s.N, transpose);
  }

  private backward(count: number, rho: Float64Array, out: BlockResult): void {
    const { N, Np, T, r } = this.s;
    const { hLog, logScale, carry, products } = this;
    const { acc, delta, gss, scales } = products;
    const dssOf = products.dss;
    const { valid, logRho, dead } = this;
    // A forward flag at some t0 <= T (sticky, so the one at T) that makes phi' untrustworthy
    // undefines every step of the column's backward pass (range.ts backwardCrossesFlag): the
    // column starts invalid, and its cells carry that flag's kind.
    for (let c = 0; c < count; c++) {
      dead[c] = this.fwdFlag[c] & this.killMask;
      valid[c] = dead[c] ? 0 : 1;
    }
    for (let c = 0; c < count; c++) logRho[c] = Math.log10(rho[c]);
    logScale.fill(0);
    carry.fill(0);
    delta.fill(0);
    // g_T = dL/dh_T = r, where the GEMM leaves g (padding 0).
    acc.fill(0);
    for (let c = 0; c < count; c++) for (let i = 0; i < N; i++) acc[c * Np + i] = r[i];
    for (let t = T; t >= 1; t--) {
      // ||g_t||^2 of every column, then each valid column's scale 1 / ||g_t|| (0 for the others).
      products.gNormSqBlock(count);
      for (let c = 0; c < count; c++) {
        const j = c * T + (t - 1);
        if (!valid[c]) {
          out.values.grad[j] = NaN;
          out.values.weight[j] = NaN;
          out.flags[j] |= dead[c] || CELL_FLAG.overflow; // the kill's kind, or a NaN phi' (an overflowed state)
          scales[c] = 0;
          continue;
        }
        const ss = gss[c];
        const gl = ss > 0 ? 0.5 * Math.log10(ss) : -Infinity;
        out.values.grad[j] = gl + logScale[c];
        scales[c] = ss > 0 ? 1 / Math.sqrt(ss) : 0;
        if (ss > 0) addLog(logScale, carry, c, gl);
      }
      // delta_t = phi'(a_t) * g_t / ||g_t|| for every column; a NaN phi' makes dss NaN (g is finite).
      products.scaleDeltaBlock(t, count);
      for (let c = 0; c < count; c++) {
        if (!valid[c]) {
          delta.fill(0, c * Np, (c + 1) * Np); // its phi' or g may be NaN: kept out of delta
          continue;
        }
        const j = c * T + (t - 1);
        const dss = dssOf[c];
        if (dss !== dss) {
          valid[c] = 0;
          out.values.weight[j] = NaN;
          delta.fill(0, c * Np, (c + 1) * Np);
          continue;
        }
        // ||delta_t h_{t-1}^T||_F = ||delta_t|| ||h_{t-1}|| (rank one)
        out.values.weight[j] = (dss > 0 ? 0.5 * Math.log10(dss) : -Infinity) + logScale[c] + hLog[c * (T + 1) + t - 1];
      }
      if (t === 1) break;
      // g_{t-1} = rho M_t^T delta_t + shift D_t^T delta_t: the product now, rho into the log scale
      // (shift is nonzero only where rho = 1).
      products.backward(t);
      this.moveOutlier(t, count, delta);
      for (let c = 0; c < count; c++) if (valid[c]) addLog(logScale, carry, c, logRho[c]);
    }
  }
}

/** Kahan-add v to logScale[c]; -Infinity (an exact zero factor) sticks. */
function addLog(logScale: Float64Array, carry: Float64Array, c: number, v: number): void {
  const cur = logScale[c];
  if (cur === -Infinity || v === -Infinity) {
    logScale[c] = -Infinity;
    return;
  }
  const y = v - carry[c];
  const sum = cur + y;
  carry[c] = sum - cur - y;
  logScale[c] = sum;
}

/** 0 for magnitudes below the smallest normal float32, else v (NaN and +-Infinity pass). */
function flush(v: number): number {
  return v < F32_MIN_NORMAL && v > -F32_MIN_NORMAL ? 0 : v;
}

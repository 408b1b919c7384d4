/**
 * What the CPU engine's main thread and its workers say to each other. Everything here is
 * structured-cloneable (plain objects and typed arrays), so the same messages travel through
 * Node's worker_threads and the browser's Web Workers.
 */
import type { Activation, ActivationParams } from '../../core/activations.ts';
import type { InputMode } from '../../core/config.ts';
import type { QuantityArrays } from '../../core/statistics.ts';

/** Everything a worker needs to run any block of sequences of one sweep. */
export interface KernelSetup {
  activation: Activation;
  /** Every activation parameter (the activation reads its own). */
  params: ActivationParams;
  /** N, D, T as in the config; S samples per rho, K rho values. */
  N: number;
  D: number;
  T: number;
  S: number;
  K: number;
  /** N rounded up to a multiple of 8 (the SIMD micro-kernel's row tile); padded rows and columns are 0. */
  Np: number;
  /** Use the WebAssembly SIMD GEMM where the JavaScript engine has it (else the portable one). */
  simd: boolean;
  /** With SIMD, the GEMM's fused multiply-add (relaxed SIMD): set only where the engine found it, so every thread uses it. */
  fma: boolean;
  /** Columns (sequences) per block, a multiple of 4; the last block is padded with idle columns. */
  blockColumns: number;
  /** Distinct recurrent matrices M: 1 (tied W0, or untied identity) or T (untied W0_t, step t uses t - 1). */
  matrices: number;
  /** [matrices, Np, Np] row-major, each M padded with zeros, float32. */
  W0: Float32Array;
  /** [matrices, Np, Np] row-major, each M^T padded with zeros, float32 (the backward product reads it row by row). */
  W0T: Float32Array;
  /** Per matrix, the outlier's direction where rows shift it (sweep outlier), else null; float64. */
  directions: (KernelDirection | null)[];
  /** [N, D] row-major, float64 (the input projection is computed in float64 once per step and sample). */
  U: Float64Array;
  /** [N] bias, float64. */
  b: Float64Array;
  /** [N] readout, the unit vector dL/dh_T. */
  r: Float64Array;
  /** [N] initial hidden state. */
  h0: Float64Array;
  /** [K] the factor of M in row k: the swept spectral radius rho_k, or 1 on the outlier axis. */
  rho: Float64Array;
  /** [K] the outlier's shift in row k, W = M + shift D (all 0 on the rho axis; nonzero only where rho is 1). */
  shift: Float64Array;
  /** [T] 1 where x_t is switched on (driveOn(config, t).input). */
  inputOn: Uint8Array;
  /** [T] 1 where the bias is switched on (driveOn(config, t).bias). */
  biasOn: Uint8Array;
  /** Seed and scale of the inputs: x of sequence s = Rng(seed, STREAM.inputs, s).normals(T * D, inputScale). */
  seed: number;
  inputScale: number;
  inputs: InputMode;
}

/** D = P R P^T, the rank-one or rank-two move of the first outlier (src/core/spectrum-init.ts). */
export interface KernelDirection {
  width: 1 | 2;
  /** [width, N] row-major: the outlier's orthonormal columns of Q. */
  P: Float64Array;
  /** [width, width] row-major. */
  R: Float64Array;
}

/**
 * Per-sequence results of one block, [count, T] row-major (column j = timestep t = j + 1),
 * for the sequences q0 .. q0 + count - 1, where sequence q = s * K + k (sample-major, so
 * the sequences of one block mostly share their input sample).
 */
export interface BlockResult {
  block: number;
  q0: number;
  count: number;
  /** One array per quantity of the statistics table (src/core/statistics.ts). */
  values: QuantityArrays;
  /**
   * The cell flag bits (src/core/range.ts CELL_FLAG) of each sequence and step: overflow where
   * h_t is not finite (or the backward pass crossed it), range where the state left float32's
   * range (or the backward pass crossed a phi' that made untrustworthy).
   */
  flags: Uint8Array;
}

/** The bins of a histogram (core/preactivations.ts HistogramRequest's). */
export interface HistogramBins {
  bins: number;
  lo: number;
  hi: number;
}

/** One block's share of a row's histogram ([T, bins] counts, [T] the rest), summed on the main thread. */
export interface HistogramShare {
  block: number;
  counts: Uint32Array;
  below: Uint32Array;
  above: Uint32Array;
  nonFinite: Uint32Array;
  derSum: Float64Array;
}

export type ToWorker =
  | { type: 'setup'; run: number; setup: KernelSetup }
  | { type: 'block'; run: number; block: number }
  /** The forward pass of a block of the setup's (one-row) sweep, its a_t binned in the worker. */
  | { type: 'histogram'; run: number; block: number; bins: HistogramBins }
  /** ||G||_2 of the gaussian W0's raw draw (core/w0-norm.ts), while the engine's thread finds its radius. */
  | { type: 'norm'; id: number; seed: number; n: number };

export type FromWorker =
  | { type: 'result'; run: number; result: BlockResult }
  | { type: 'histogram'; run: number; share: HistogramShare }
  | { type: 'error'; run: number; message: string }
  /** The answer to a 'norm' message: the norm, or null and why. */
  | { type: 'norm'; id: number; norm: number | null; message: string };

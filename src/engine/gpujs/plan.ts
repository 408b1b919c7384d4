/**
 * What the gpu.js engine decides on the CPU before any kernel runs: padding, the chunks of
 * sequences, the overflow limit, the float32 inputs the kernels read. Pure functions of the
 * problem (no gpu.js import), so they can be checked in Node.
 */
import type { Config } from '../../core/config.ts';
import type { Problem } from '../../core/problem.ts';
import { RANGE_FLOOR } from '../../core/range.ts';
import type { OutlierDirection } from '../../core/spectrum-init.ts';
import { formatBytes } from '../../core/work.ts';
import { matrixCount, type SweepWeights } from '../sweep-weights.ts';

/** Default GPU memory for the pre-activations kept for BPTT, per chunk of sequences. */
export const DEFAULT_MEMORY_BUDGET = 128 * 1024 * 1024;

/**
 * Default GPU memory for the recurrent matrices as packed textures: each of the M matrices (one
 * W0, or T untied W0_t) and its transpose, NP x NP float32 each. Only untied weights come near it.
 */
export const DEFAULT_MATRIX_BUDGET = 256 * 1024 * 1024;

/** Largest float32 magnitude the engine lets the kernels reach (float32 max is 3.4e38). */
const FLOAT32_SAFE = 1e37;
/**
 * Below this max |a_i| (and above 0) a sequence's forward state leaves float32's range from
 * below: 8 decades above the smallest normal float32 (1.2e-38), so every entry that matters
 * is still exact when the flag is raised (src/core/range.ts, the rule every engine uses).
 */
export const UNDERFLOW_LIMIT = RANGE_FLOOR.float32;
/** Upper bound of the clamp on pre-activations. */
const LIMIT_CAP = 1e34;

export interface ChunkPlan {
  /** N padded to a multiple of 4 (units packed four per texel). */
  NP: number;
  NP4: number;
  /** B = K * S sequences in all. */
  B: number;
  /** Sequences per chunk (the last chunk is padded with dummy sequences at rho = 0). */
  Bc: number;
  chunks: number;
  /** Bytes of the T pre-activation textures one chunk keeps for BPTT. */
  chunkBytes: number;
}

/**
 * Split B = K * S sequences into equal chunks whose kept pre-activations, T x Bc x NP float32,
 * fit the memory budget, with Bc at most the largest texture side (a chunk is a texture's height).
 */
export function planChunks(p: Problem, maxTextureSize: number, memoryBudget = DEFAULT_MEMORY_BUDGET): ChunkPlan {
  const { hidden: N, steps: T, samples: S } = p.config;
  const NP4 = Math.ceil(N / 4);
  const NP = 4 * NP4;
  const B = p.rho.length * S;
  const perSequence = T * NP * 4;
  const fit = Math.max(1, Math.min(maxTextureSize, Math.floor(memoryBudget / perSequence)));
  const chunks = Math.ceil(B / fit);
  const Bc = Math.ceil(B / chunks);
  return { NP, NP4, B, Bc, chunks, chunkBytes: Bc * perSequence };
}

/** max_i sum_j |M_ij| of a row-major [n, n] matrix (its infinity norm). */
function rowAbsMax(m: Float64Array, n: number): number {
  let most = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.abs(m[i * n + j]);
    most = Math.max(most, s);
  }
  return most;
}

/**
 * A bound on the infinity norm of D = P^T R P (P: width rows of N, src/core/spectrum-init.ts):
 * sum_j |D_ij| <= sum_{a,b} |R_ab| |P_ai| sum_j |P_bj|, in O(N) instead of forming D.
 */
function moveAbsBound(d: OutlierDirection, n: number): number {
  let bound = 0;
  for (let a = 0; a < d.width; a++) {
    let maxA = 0;
    for (let i = 0; i < n; i++) maxA = Math.max(maxA, Math.abs(d.P[a * n + i]));
    for (let b = 0; b < d.width; b++) {
      let sumB = 0;
      for (let j = 0; j < n; j++) sumB += Math.abs(d.P[b * n + j]);
      bound += Math.abs(d.R[a * d.width + b]) * maxA * sumB;
    }
  }
  return bound;
}

/**
 * The clamp on pre-activations, |a| <= limit. GLSL ES leaves Inf and NaN implementation-defined,
 * so no kernel may create them: with |h_{t-1}| <= limit, the next product is bounded by
 * max over rows k and matrices m of (factor_k ||M_m||_inf + |shift_k| ||D_m||_inf) * limit
 * (src/engine/sweep-weights.ts; plus the drive) and must stay below FLOAT32_SAFE.
 * A unit that reaches the limit marks its sequence as overflowed from that step on: the
 * float32 engine's overflow, earlier than float64's (the reference flags non-finite h_t).
 */
export function overflowLimit(p: Problem, weights: SweepWeights): number {
  const n = p.config.hidden;
  let gain = 0;
  for (const [m, M] of weights.matrices.entries()) {
    const rowAbs = rowAbsMax(M, n);
    const dir = weights.directions[m];
    const moveAbs = dir ? moveAbsBound(dir, n) : 0;
    for (let k = 0; k < weights.factor.length; k++) gain = Math.max(gain, weights.factor[k] * rowAbs + Math.abs(weights.shift[k]) * moveAbs);
  }
  return Math.min(LIMIT_CAP, FLOAT32_SAFE / Math.max(1, gain * 2));
}

/** Bytes of the matrix textures of a run: every recurrent matrix and its transpose, [NP, NP] float32 each. */
export function matrixTextureBytes(config: Pick<Config, 'weights' | 'init' | 'steps' | 'hidden'>): number {
  const NP = 4 * Math.ceil(config.hidden / 4);
  return 2 * matrixCount(config) * NP * NP * 4;
}

/**
 * Planned before anything is built or allocated: why the untied matrices do not fit the
 * engine's matrix budget (with the size and what to reduce), or null where they do.
 */
export function untiedTextureRefusal(config: Pick<Config, 'weights' | 'init' | 'steps' | 'hidden'>, matrixBudget = DEFAULT_MATRIX_BUDGET): string | null {
  const bytes = matrixTextureBytes(config);
  if (matrixCount(config) === 1 || bytes <= matrixBudget) return null;
  const n = config.hidden;
  const NP = 4 * Math.ceil(n / 4);
  const stepsThatFit = Math.floor(matrixBudget / (2 * NP * NP * 4));
  return (
    `gpujs: weights: untied needs ${config.steps} matrices of ${n}x${n} (padded to ${NP}x${NP}) float32, each with its transpose, as WebGL textures, ` +
    `${formatBytes(bytes)} (${bytes} bytes), above the gpu.js engine's ${formatBytes(matrixBudget)} for them; ` +
    `reduce Steps T to at most ${stepsThatFit} (at N = ${n}) or Hidden size N, or use tied weights`
  );
}

/**
 * The outlier's direction as the move kernels read it: P's rows padded to NP, [2, NP] (the second
 * row zeros for a real outlier), and R and R^T row-major as 2 x 2 (a real outlier's R = [r, 0, 0, 0]).
 */
export function packedMove(d: OutlierDirection, NP: number): { P: Float32Array; R: Float32Array; RT: Float32Array } {
  const n = d.P.length / d.width;
  const P = new Float32Array(2 * NP);
  for (let a = 0; a < d.width; a++) for (let i = 0; i < n; i++) P[a * NP + i] = d.P[a * n + i];
  const R = new Float32Array(4);
  const RT = new Float32Array(4);
  if (d.width === 1) {
    R[0] = d.R[0];
    RT[0] = d.R[0];
  } else {
    R.set(d.R);
    RT.set([d.R[0], d.R[2], d.R[1], d.R[3]]);
  }
  return { P, R, RT };
}

/** A padded float32 copy of an [n, n] row-major matrix (transposed if asked), [NP, NP]. */
export function paddedMatrix(m: Float64Array, n: number, NP: number, transpose: boolean): Float32Array {
  const out = new Float32Array(NP * NP);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) out[i * NP + j] = transpose ? m[j * n + i] : m[i * n + j];
  }
  return out;
}

/** A padded float32 copy of a vector, [NP]. */
export function paddedVector(v: Float64Array, NP: number): Float32Array {
  const out = new Float32Array(NP);
  out.set(v);
  return out;
}

/**
 * The drive of every sample at step t (1-based): drive[s * NP + i] = (U x_t^s)_i + b_i biasOn(t),
 * [S, NP], summed in float64 and rounded once. The inputs of every sample are drawn once per run.
 */
export class DriveTable {
  private readonly inputs: Float64Array[];
  private readonly cache: (Float32Array | undefined)[];
  private readonly cacheable: boolean;

  constructor(
    private readonly p: Problem,
    private readonly NP: number,
  ) {
    const { samples: S, steps: T } = p.config;
    this.inputs = Array.from({ length: S }, (_, s) => p.inputsFor(s));
    // Keep every step's drive when it is small (4M floats); recompute per chunk otherwise.
    this.cacheable = S * NP * T <= 4 * 1024 * 1024;
    this.cache = new Array(T);
  }

  at(t: number): Float32Array {
    const hit = this.cache[t - 1];
    if (hit) return hit;
    const { hidden: N, input: D, samples: S } = this.p.config;
    const { U, b } = this.p;
    const bias = this.p.biasOn(t) ? 1 : 0;
    const out = new Float32Array(S * this.NP);
    for (let s = 0; s < S; s++) {
      const x = this.inputs[s];
      const xo = (t - 1) * D;
      for (let i = 0; i < N; i++) {
        let u = 0;
        for (let j = 0; j < D; j++) u += U[i * D + j] * x[xo + j];
        out[s * this.NP + i] = u + bias * b[i];
      }
    }
    if (this.cacheable) this.cache[t - 1] = out;
    return out;
  }
}

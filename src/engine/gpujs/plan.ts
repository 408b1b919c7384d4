/**
 * What the gpu.js engine decides on the CPU before any kernel runs: padding, the chunks of
 * sequences, the overflow limit, the float32 inputs the kernels read. Pure functions of the
 * problem (no gpu.js import), so they can be checked in Node.
 */
import type { Problem } from '../../core/problem.ts';
import { RANGE_FLOOR } from '../../core/range.ts';

/** Default GPU memory for the pre-activations kept for BPTT, per chunk of sequences. */
export const DEFAULT_MEMORY_BUDGET = 128 * 1024 * 1024;

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

/**
 * The clamp on pre-activations, |a| <= limit. GLSL ES leaves Inf and NaN implementation-defined,
 * so no kernel may create them: with |h_{t-1}| <= limit, the next product is bounded by
 * rhoMax * max_i sum_j |W0_ij| * limit (plus the drive) and must stay below FLOAT32_SAFE.
 * A unit that reaches the limit marks its sequence as overflowed from that step on: the
 * float32 engine's overflow, earlier than float64's (the reference flags non-finite h_t).
 */
export function overflowLimit(p: Problem): number {
  const n = p.config.hidden;
  let rowAbs = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.abs(p.W0[i * n + j]);
    rowAbs = Math.max(rowAbs, s);
  }
  let rhoMax = 0;
  for (const r of p.rho) rhoMax = Math.max(rhoMax, r);
  const gain = Math.max(1, rhoMax * rowAbs * 2);
  return Math.min(LIMIT_CAP, FLOAT32_SAFE / gain);
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

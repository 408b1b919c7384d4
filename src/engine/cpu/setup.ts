/** Turning a Problem (float64, src/core/problem.ts) into what the CPU kernel's workers need. */
import { activationParams } from '../../core/activations.ts';
import { driveOn } from '../../core/config.ts';
import type { Problem } from '../../core/problem.ts';
import type { SweepWeights } from '../sweep-weights.ts';
import type { KernelSetup } from './protocol.ts';

/** Columns per block when memory allows: 16 sequences share each pass over W0 (measured: bench/cpu.ts). */
export const DEFAULT_BLOCK_COLUMNS = 16;
/** Most bytes one block may keep for BPTT (phi'(a_t), [T, Bp, Np] float32) in each worker. */
export const BLOCK_BYTES_LIMIT = 64 * 1024 * 1024;

function roundUp4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

/** N padded to a multiple of 8, the SIMD micro-kernel's row tile (the padding is zeros). */
export function paddedHidden(N: number): number {
  return Math.ceil(N / 8) * 8;
}

/**
 * Columns per block: at most `preferred`, fewer when the BPTT store would exceed
 * BLOCK_BYTES_LIMIT (never fewer than 4, the micro-kernel's width), and few enough that every
 * worker gets at least two blocks when the sweep is small. The grids do not depend on it: each
 * sequence's arithmetic is the same whichever block carries it.
 */
export function chooseBlockColumns(T: number, Np: number, sequences: number, workers: number, preferred = DEFAULT_BLOCK_COLUMNS): number {
  const byMemory = Math.floor(BLOCK_BYTES_LIMIT / (T * Np * 4) / 4) * 4;
  const byBalance = roundUp4(Math.ceil(sequences / Math.max(1, 2 * workers)));
  return Math.max(4, Math.min(roundUp4(preferred), byMemory, byBalance));
}

/** Pad row-major [n, n] matrices to [count, np, np] in float32, optionally transposed. */
function padMatrices(ms: Float64Array[], n: number, np: number, transpose: boolean): Float32Array {
  const out = new Float32Array(ms.length * np * np);
  for (const [q, m] of ms.entries()) {
    const o = q * np * np;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[o + i * np + j] = transpose ? m[j * n + i] : m[i * n + j];
  }
  return out;
}

export function makeSetup(p: Problem, weights: SweepWeights, blockColumns: number, simd: boolean, fma = false): KernelSetup {
  const c = p.config;
  const N = c.hidden;
  const Np = paddedHidden(N);
  const T = c.steps;
  const inputOn = new Uint8Array(T);
  const biasOn = new Uint8Array(T);
  for (let t = 1; t <= T; t++) {
    const on = driveOn(c, t);
    inputOn[t - 1] = on.input ? 1 : 0;
    biasOn[t - 1] = on.bias ? 1 : 0;
  }
  return {
    activation: c.activation,
    params: activationParams(c),
    N,
    D: c.input,
    T,
    S: c.samples,
    K: p.rho.length,
    Np,
    simd,
    fma: simd && fma,
    blockColumns,
    matrices: weights.matrices.length,
    W0: padMatrices(weights.matrices, N, Np, false),
    W0T: padMatrices(weights.matrices, N, Np, true),
    directions: weights.directions.map((d) => d && { width: d.width, P: Float64Array.from(d.P), R: Float64Array.from(d.R) }),
    U: Float64Array.from(p.U),
    b: Float64Array.from(p.b),
    r: Float64Array.from(p.r),
    h0: Float64Array.from(p.h0),
    rho: Float64Array.from(weights.factor),
    shift: Float64Array.from(weights.shift),
    inputOn,
    biasOn,
    seed: c.seed,
    inputScale: c.inputScale,
    inputs: c.inputs,
  };
}

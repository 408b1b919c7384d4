/**
 * The one seeded generator. xoshiro128** (Blackman & Vigna) on 32-bit words, seeded through
 * splitmix32, so it is exact in JavaScript's integer arithmetic and gives the same stream in
 * Node and in every browser. Each quantity of the experiment (W0, U, b, r, h0, the inputs of
 * sequence s) draws from its own substream, so changing S or T leaves W0 and the first
 * sequences unchanged.
 */

/** splitmix32 step: a well-mixed 32-bit hash of a 32-bit state. */
function splitmix32(state: number): number {
  let z = (state + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** Named substreams; the numbers are part of the format: changing one changes every run. */
export const STREAM = {
  W0: 1,
  U: 2,
  b: 3,
  r: 4,
  h0: 5,
  inputs: 6,
  /** Training: batch i of the training stream is Rng(seed, trainBatch, i). */
  trainBatch: 7,
  /** Training: held-out sequence j is Rng(seed, heldout, j). */
  heldout: 8,
  /** Training: the input weights U and the readout V of a model. */
  trainU: 9,
  trainV: 10,
  /** The bulk eigenvalues of the `spectrum` init (spectrum-init.ts). */
  bulk: 11,
} as const;

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** A generator for (seed, stream, index): independent streams from one seed. */
  constructor(seed: number, stream = 0, index = 0) {
    let h = splitmix32(seed >>> 0);
    h = splitmix32(h ^ Math.imul(stream + 1, 0x85ebca6b));
    h = splitmix32(h ^ Math.imul(index + 1, 0xc2b2ae35));
    this.s0 = splitmix32(h);
    this.s1 = splitmix32(this.s0 ^ 0x1b873593);
    this.s2 = splitmix32(this.s1 ^ 0xcc9e2d51);
    this.s3 = splitmix32(this.s2 ^ 0xe6546b64);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next uint32. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in (0, 1) with 53 random bits, never exactly 0 (safe for log). */
  uniform(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo + 0.5) / 9007199254740992;
  }

  /** Standard normal by Box-Muller (cosine branch only: two uniforms per draw, stateless). */
  normal(): number {
    const u1 = this.uniform();
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** n draws of N(0, scale^2). */
  normals(n: number, scale = 1): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = scale * this.normal();
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * The gaussian init's raw matrix: n x n row-major entries N(0, 1/n) from substream `index` of
 * the W0 stream (problem.ts normalises it; a CPU worker draws the same one for its norm).
 */
export function gaussianDraw(seed: number, n: number, index = 0): Float64Array {
  return new Rng(seed, STREAM.W0, index).normals(n * n, 1 / Math.sqrt(n));
}

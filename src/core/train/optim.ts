/**
 * Gradient clipping and the optimisers, as loops over flat parameter and gradient vectors.
 * Written once for any array type: the float64 reference passes Float64Array, the float32
 * trainer Float32Array (each store rounds to the array's precision).
 */
export type Vec = Float64Array | Float32Array;

/** The largest finite float32; a gradient norm or loss beyond it counts as divergence on every engine. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** ||g||_2 over the whole vector, accumulated in float64. */
export function globalNorm(g: Vec): number {
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  return Math.sqrt(s);
}

/**
 * Clip by global norm (Pascanu, Mikolov & Bengio 2013): g <- g clip / ||g|| when ||g|| > clip > 0.
 * Returns whether g was scaled.
 */
export function clipByGlobalNorm(g: Vec, norm: number, clip: number): boolean {
  if (!(clip > 0) || !(norm > clip)) return false;
  const s = clip / norm;
  for (let i = 0; i < g.length; i++) g[i] *= s;
  return true;
}

export interface AdamSettings {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/**
 * One Adam step (Kingma & Ba 2015, Algorithm 1), t = 1, 2, ...:
 *   m <- beta1 m + (1 - beta1) g,  v <- beta2 v + (1 - beta2) g^2,
 *   p <- p - lr (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + epsilon)
 */
export function adamStep(p: Vec, g: Vec, m: Vec, v: Vec, t: number, s: AdamSettings): void {
  const c1 = 1 - Math.pow(s.beta1, t);
  const c2 = 1 - Math.pow(s.beta2, t);
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    m[i] = s.beta1 * m[i] + (1 - s.beta1) * gi;
    v[i] = s.beta2 * v[i] + (1 - s.beta2) * gi * gi;
    p[i] -= (s.lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + s.epsilon);
  }
}

/** One step of SGD with (heavy-ball) momentum: vel <- momentum vel + g,  p <- p - lr vel. */
export function sgdStep(p: Vec, g: Vec, vel: Vec, lr: number, momentum: number): void {
  for (let i = 0; i < p.length; i++) {
    vel[i] = momentum * vel[i] + g[i];
    p[i] -= lr * vel[i];
  }
}

/** A number in words for messages: 3e+38 -> "3e38"; never prints NaN or Infinity as a number. */
export function formatMagnitude(x: number): string {
  if (Number.isNaN(x)) return 'undefined (NaN)';
  if (!Number.isFinite(x)) return 'beyond the number range';
  if (Math.abs(x) >= 1e5 || (x !== 0 && Math.abs(x) < 1e-3)) return x.toExponential(0).replace('e+', 'e');
  return String(Number(x.toPrecision(3)));
}

/**
 * Why a training step diverged, or null: the loss or the gradient norm is NaN, infinite or beyond
 * float32's range (the same threshold on every engine, so the reference stops where float32 would).
 */
export function divergence(loss: number, gradNorm: number): string | null {
  // The loss first: a forward pass that overflowed is the cause of the gradient's overflow.
  if (!(Math.abs(loss) <= FLOAT32_MAX)) return `loss ${formatMagnitude(loss)}`;
  if (!(Math.abs(gradNorm) <= FLOAT32_MAX)) return `gradient norm ${formatMagnitude(gradNorm)}`;
  return null;
}

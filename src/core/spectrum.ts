/**
 * Linear algebra the experiment needs on W0: eigenvalues of a general real matrix, the
 * spectral norm, and the Q of a QR decomposition. Matrices are row-major Float64Array.
 */
import { Matrix, QrDecomposition } from 'ml-matrix';
import { hqrEigenvalues } from './hqr.ts';
import { lanczosNorm } from './krylov.ts';

export interface Spectrum {
  /** Real parts of the N eigenvalues; empty while they have not been computed (hasEigenvalues). */
  re: Float64Array;
  /** Imaginary parts of the N eigenvalues. */
  im: Float64Array;
  /** max |lambda_i|. */
  radius: number;
  /** Largest singular value ||W||_2. */
  norm: number;
  /**
   * ||W||_F^2 / N: N times the mean squared entry, the sigma_w^2 of mean-field theory (1 for an
   * orthogonal W, 1/radius(G)^2 for a gaussian G scaled to radius 1). NaN when unknown (a bundle
   * written before it was recorded, without its W0).
   */
  meanSquare: number;
}

function toMatrix(a: Float64Array, n: number, m = n): Matrix {
  return Matrix.from1DArray(n, m, Array.from(a));
}

/**
 * Eigenvalues of the n x n row-major matrix a, eigenvalues only (hqr.ts): 0.17 s at N = 256,
 * 0.8 s at 512, 5.8 s at 1024 on the 2-core reference machine, 3x faster than ml-matrix's
 * decomposition, which computes eigenvectors too.
 */
export function eigenvalues(a: Float64Array, n: number): { re: Float64Array; im: Float64Array } {
  return hqrEigenvalues(a, n);
}

/** Largest singular value of the n x n matrix a: Lanczos on W^T W to NORM_TOLERANCE (krylov.ts). */
export function spectralNorm(a: Float64Array, n: number): number {
  return lanczosNorm(a, n).norm;
}

/** ||a||_F^2 / n for the n x n matrix a. */
export function meanSquare(a: Float64Array, n: number): number {
  let ss = 0;
  for (const v of a) ss += v * v;
  return ss / n;
}

/** max |lambda| of eigenvalues given by their real and imaginary parts. */
export function radiusOf(re: Float64Array, im: Float64Array): number {
  let radius = 0;
  for (let i = 0; i < re.length; i++) radius = Math.max(radius, Math.hypot(re[i], im[i]));
  return radius;
}

/** Every eigenvalue, the radius from them, and the spectral norm. */
export function spectrum(a: Float64Array, n: number): Spectrum {
  const { re, im } = eigenvalues(a, n);
  return { re, im, radius: radiusOf(re, im), norm: spectralNorm(a, n), meanSquare: meanSquare(a, n) };
}

/**
 * Whether a spectrum has its eigenvalues (an empty re/im means they have not been computed yet:
 * for N > EAGER_EIGENVALUES_MAX_N they come after the sweep, see problem.ts).
 */
export function hasEigenvalues(s: Spectrum): boolean {
  return s.re.length > 0 || s.im.length > 0;
}

/** Q of the QR decomposition of the n x n matrix g, signs fixed so diag(R) > 0 (Haar-distributed for Gaussian g). */
export function orthogonalFromGaussian(g: Float64Array, n: number): Float64Array {
  const qr = new QrDecomposition(toMatrix(g, n));
  const q = qr.orthogonalMatrix;
  const r = qr.upperTriangularMatrix;
  const out = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const sign = r.get(j, j) < 0 ? -1 : 1;
    for (let i = 0; i < n; i++) out[i * n + j] = sign * q.get(i, j);
  }
  return out;
}

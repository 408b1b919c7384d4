/**
 * Linear algebra the experiment needs on W0: eigenvalues of a general real matrix, the
 * spectral norm, and the Q of a QR decomposition. Matrices are row-major Float64Array.
 */
import { Matrix, QrDecomposition, SingularValueDecomposition } from 'ml-matrix';
import { hqrEigenvalues } from './hqr.ts';

export interface Spectrum {
  /** Real parts of the N eigenvalues. */
  re: Float64Array;
  /** Imaginary parts of the N eigenvalues. */
  im: Float64Array;
  /** max |lambda_i|. */
  radius: number;
  /** Largest singular value ||W||_2. */
  norm: number;
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

/** Largest singular value of the n x n matrix a. */
export function spectralNorm(a: Float64Array, n: number): number {
  const s = new SingularValueDecomposition(toMatrix(a, n), {
    computeLeftSingularVectors: false,
    computeRightSingularVectors: false,
  });
  return s.diagonal.reduce((m, v) => Math.max(m, v), 0);
}

export function spectrum(a: Float64Array, n: number): Spectrum {
  const { re, im } = eigenvalues(a, n);
  let radius = 0;
  for (let i = 0; i < n; i++) radius = Math.max(radius, Math.hypot(re[i], im[i]));
  return { re, im, radius, norm: spectralNorm(a, n) };
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

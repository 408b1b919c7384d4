/**
 * The two numbers the sweep needs of W before it can start, without a full decomposition:
 * the spectral norm ||W||_2 by Lanczos on W^T W, and the spectral radius max |lambda| by
 * Arnoldi. Both cost O(m N^2) for m Krylov steps instead of O(N^3): at N = 1024 a few hundred
 * milliseconds where the full SVD took about 5 s and the eigenvalues about 6 s. The full
 * eigenvalues (for the spectrum plot) come from hqr.ts, later and off the sweep's path.
 * Matrices are row-major Float64Array; every start vector is fixed, so results are reproducible.
 */
import { hessenbergEigenvalues } from './hqr.ts';

/**
 * Lanczos stops when the Ritz residual ||W^T W y - theta y|| <= NORM_TOLERANCE * theta. For a
 * symmetric matrix some eigenvalue lies within the residual of theta (and Lanczos's largest Ritz
 * value approaches the largest eigenvalue from below), so ||W||_2^2 is found to a relative
 * 1e-12, ||W||_2 to 5e-13 -- far below the float32 rounding of W0 that every engine applies.
 */
export const NORM_TOLERANCE = 1e-12;

/**
 * Arnoldi's largest Ritz modulus is accepted when two estimates RADIUS_STEP Krylov steps apart
 * agree to RADIUS_TOLERANCE (relative); otherwise the iteration continues, and the caller
 * computes the full eigenvalues where it has not converged by min(N, RADIUS_MAX_STEPS) steps.
 * 1e-10 is far below the float32 rounding of W0 (6e-8) that the fast engines apply, and the
 * radius the lab reports comes from the full eigenvalues of the matrix used (eigenvaluesOf).
 * The agreement is a convergence test, not a proof that no eigenvalue lies further out; the
 * tests compare it with the full eigenvalues on fresh matrices.
 */
export const RADIUS_TOLERANCE = 1e-10;
const RADIUS_FIRST = 120;
const RADIUS_STEP = 60;
const RADIUS_MAX_STEPS = 480;

function dot(x: Float64Array, y: Float64Array, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    s0 += x[i] * y[i];
    s1 += x[i + 1] * y[i + 1];
  }
  if (i < n) s0 += x[i] * y[i];
  return s0 + s1;
}

/** y = A x, A row-major n x n: four rows at a time, so each x[j] is loaded once for four products. */
export function matVec(a: Float64Array, n: number, x: Float64Array, y: Float64Array): void {
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const r0 = i * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < n; j++) {
      const xj = x[j];
      s0 += a[r0 + j] * xj;
      s1 += a[r1 + j] * xj;
      s2 += a[r2 + j] * xj;
      s3 += a[r3 + j] * xj;
    }
    y[i] = s0;
    y[i + 1] = s1;
    y[i + 2] = s2;
    y[i + 3] = s3;
  }
  for (; i < n; i++) {
    let s = 0;
    const r = i * n;
    for (let j = 0; j < n; j++) s += a[r + j] * x[j];
    y[i] = s;
  }
}

/** y = A^T x, A row-major n x n: rows of A added into y, four at a time. */
export function matTVec(a: Float64Array, n: number, x: Float64Array, y: Float64Array): void {
  y.fill(0, 0, n);
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const r0 = i * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    const x0 = x[i];
    const x1 = x[i + 1];
    const x2 = x[i + 2];
    const x3 = x[i + 3];
    for (let j = 0; j < n; j++) y[j] += a[r0 + j] * x0 + a[r1 + j] * x1 + a[r2 + j] * x2 + a[r3 + j] * x3;
  }
  for (; i < n; i++) {
    const r = i * n;
    const xi = x[i];
    for (let j = 0; j < n; j++) y[j] += a[r + j] * xi;
  }
}

/**
 * w -= V (V^T w) over the first k basis vectors, twice (classical Gram-Schmidt with one
 * reorthogonalisation keeps the basis orthogonal to working precision); returns the
 * coefficients of both passes summed.
 */
function orthogonalise(basis: Float64Array[], k: number, w: Float64Array, n: number): Float64Array {
  const h = new Float64Array(k);
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < k; i++) {
      const c = dot(basis[i], w, n);
      h[i] += c;
      const v = basis[i];
      for (let j = 0; j < n; j++) w[j] -= c * v[j];
    }
  }
  return h;
}

/** A fixed unit start vector with no special structure (so it is not orthogonal to what is sought). */
function startVector(n: number): Float64Array {
  const v = new Float64Array(n);
  // Weyl sequence: equidistributed in (-0.5, 0.5), deterministic, free of the experiment's RNG streams.
  for (let i = 0; i < n; i++) v[i] = (((i + 1) * 0.6180339887498949) % 1) - 0.5;
  const s = Math.sqrt(dot(v, v, n));
  for (let i = 0; i < n; i++) v[i] /= s;
  return v;
}

/** Number of eigenvalues below x of the symmetric tridiagonal matrix (alpha diagonal, beta off-diagonal): Sturm count. */
function countBelow(alpha: number[], beta: number[], x: number): number {
  let count = 0;
  let d = 1;
  for (let i = 0; i < alpha.length; i++) {
    const b2 = i > 0 ? beta[i - 1] * beta[i - 1] : 0;
    d = alpha[i] - x - (i > 0 ? b2 / d : 0);
    if (d === 0) d = -Number.MIN_VALUE; // x is an eigenvalue of the leading block: count it below, move on
    if (d < 0) count++;
  }
  return count;
}

/** Largest eigenvalue of a symmetric tridiagonal matrix, by bisection to the last bit. */
export function largestTridiagonalEigenvalue(alpha: number[], beta: number[]): number {
  const k = alpha.length;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < k; i++) {
    const r = (i > 0 ? Math.abs(beta[i - 1]) : 0) + (i < k - 1 ? Math.abs(beta[i]) : 0);
    lo = Math.min(lo, alpha[i] - r);
    hi = Math.max(hi, alpha[i] + r);
  }
  // Gershgorin: every eigenvalue lies in [lo, hi]. Invariant: count(lo) < k <= count(hi).
  for (let it = 0; it < 200; it++) {
    const mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (countBelow(alpha, beta, mid) < k) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * |last component| of the unit eigenvector of the tridiagonal (alpha, beta) for its eigenvalue
 * theta, by two steps of inverse iteration (Gaussian elimination with partial pivoting on
 * T - theta I, nudged off exact singularity).
 */
function lastEigenvectorComponent(alpha: number[], beta: number[], theta: number): number {
  const k = alpha.length;
  if (k === 1) return 1;
  let scale = Math.abs(theta);
  for (let i = 0; i < k; i++) scale = Math.max(scale, Math.abs(alpha[i]));
  const shift = theta + Math.max(scale, Number.MIN_VALUE) * 1e-14;
  let x = new Float64Array(k).fill(1);
  for (let iter = 0; iter < 2; iter++) {
    // Rows i: sub l[i] (i > 0), diag d[i], super u[i], second super u2[i] (fill-in from pivoting).
    const d = alpha.map((a) => a - shift);
    const u = Float64Array.from({ length: k }, (_, i) => (i < k - 1 ? beta[i] : 0));
    const l = Float64Array.from({ length: k }, (_, i) => (i > 0 ? beta[i - 1] : 0));
    const u2 = new Float64Array(k);
    const rhs = Float64Array.from(x);
    for (let i = 0; i < k - 1; i++) {
      // eliminate l[i + 1] (row i + 1's entry in column i)
      if (Math.abs(l[i + 1]) > Math.abs(d[i])) {
        // swap rows i and i + 1
        const [di, ui, u2i, ri] = [d[i], u[i], u2[i], rhs[i]];
        d[i] = l[i + 1];
        u[i] = d[i + 1];
        u2[i] = u[i + 1];
        rhs[i] = rhs[i + 1];
        l[i + 1] = di;
        d[i + 1] = ui;
        u[i + 1] = u2i;
        rhs[i + 1] = ri;
      }
      if (d[i] === 0) d[i] = Number.MIN_VALUE;
      const f = l[i + 1] / d[i];
      d[i + 1] -= f * u[i];
      u[i + 1] -= f * u2[i];
      rhs[i + 1] -= f * rhs[i];
    }
    if (d[k - 1] === 0) d[k - 1] = Number.MIN_VALUE;
    const y = new Float64Array(k);
    for (let i = k - 1; i >= 0; i--) {
      let s = rhs[i];
      if (i + 1 < k) s -= u[i] * y[i + 1];
      if (i + 2 < k) s -= u2[i] * y[i + 2];
      y[i] = s / d[i];
    }
    let m = 0;
    for (let i = 0; i < k; i++) m = Math.max(m, Math.abs(y[i]));
    if (!(m > 0 && Number.isFinite(m))) return 1; // no usable vector: claim no convergence
    for (let i = 0; i < k; i++) y[i] /= m;
    x = y;
  }
  return Math.abs(x[k - 1]) / Math.sqrt(dot(x, x, k));
}

/**
 * Largest singular value of the n x n matrix a: Lanczos with full reorthogonalisation on
 * W^T W (applied as W then W^T, never formed) until the Ritz residual is below NORM_TOLERANCE.
 * Exact after at most n steps (the Krylov space is then all of R^n).
 */
export function lanczosNorm(a: Float64Array, n: number): { norm: number; steps: number } {
  if (n === 0) return { norm: 0, steps: 0 };
  const basis: Float64Array[] = [startVector(n)];
  const alpha: number[] = [];
  const beta: number[] = [];
  const wq = new Float64Array(n);
  let theta = 0;
  for (let k = 0; k < n; k++) {
    const q = basis[k];
    matVec(a, n, q, wq);
    const w = new Float64Array(n);
    matTVec(a, n, wq, w); // w = W^T W q
    alpha.push(dot(q, w, n));
    orthogonalise(basis, k + 1, w, n);
    const b = Math.sqrt(dot(w, w, n));
    theta = largestTridiagonalEigenvalue(alpha, beta);
    // b = 0: the Krylov space is invariant and theta is an eigenvalue exactly (also for W = 0).
    if (b <= Number.EPSILON * Math.max(theta, Number.MIN_VALUE) || k === n - 1) break;
    if (b * lastEigenvectorComponent(alpha, beta, theta) <= NORM_TOLERANCE * theta) break;
    beta.push(b);
    for (let j = 0; j < n; j++) w[j] /= b;
    basis.push(w);
  }
  return { norm: Math.sqrt(Math.max(theta, 0)), steps: alpha.length };
}

/**
 * Spectral radius of the n x n matrix a by Arnoldi, or null when the iteration has not met
 * RADIUS_TOLERANCE within min(n, RADIUS_MAX_STEPS) steps (the caller then computes every
 * eigenvalue). Ritz values of the m-step Krylov space approach the outermost eigenvalues first;
 * for Gaussian N = 1024 matrices about 300 steps reach 1e-14 where 200 still miss by 1e-8.
 */
export function arnoldiRadius(a: Float64Array, n: number): { radius: number; steps: number } | null {
  if (n === 0) return { radius: 0, steps: 0 };
  const maxSteps = Math.min(n, RADIUS_MAX_STEPS);
  const basis: Float64Array[] = [startVector(n)];
  const H = new Float64Array((maxSteps + 1) * maxSteps); // [(m+1), m] row-major, stride maxSteps
  let previous = NaN;
  // The first look at the Ritz values: Arnoldi needs more steps for larger N (about N / 4 for
  // Gaussian matrices), and each look costs an O(m^3) eigenvalue computation of H.
  let checkAt = Math.min(Math.max(RADIUS_FIRST, Math.floor(n / 4 / RADIUS_STEP) * RADIUS_STEP), maxSteps);
  for (let k = 0; k < maxSteps; k++) {
    const w = new Float64Array(n);
    matVec(a, n, basis[k], w);
    const h = orthogonalise(basis, k + 1, w, n);
    for (let i = 0; i <= k; i++) H[i * maxSteps + k] = h[i];
    const b = Math.sqrt(dot(w, w, n));
    H[(k + 1) * maxSteps + k] = b;
    const m = k + 1;
    // b = 0: the Krylov space is invariant, its Ritz values are eigenvalues, but perhaps not the outermost.
    const invariant = !(b > 0);
    if (m === checkAt || invariant) {
      checkAt = Math.min(m + RADIUS_STEP, maxSteps);
      const Hm = new Float64Array(m * m);
      for (let i = 0; i < m; i++) for (let j = Math.max(0, i - 1); j < m; j++) Hm[i * m + j] = H[i * maxSteps + j];
      const { re, im } = hessenbergEigenvalues(Hm, m);
      let radius = 0;
      for (let i = 0; i < m; i++) radius = Math.max(radius, Math.hypot(re[i], im[i]));
      if (m === n && !invariant) return { radius, steps: m }; // the whole space: exact
      if (invariant) return m === n ? { radius, steps: m } : null;
      if (Math.abs(radius - previous) <= RADIUS_TOLERANCE * radius) return { radius, steps: m };
      previous = radius;
    }
    for (let j = 0; j < n; j++) w[j] /= b;
    basis.push(w);
  }
  return null;
}

/**
 * The `spectrum` init: W0 = Q B Q^T with Q a seeded random orthogonal matrix and B block
 * diagonal in real Schur form (1x1 blocks for real eigenvalues, 2x2 blocks [[a, b], [-b, a]]
 * for a conjugate pair a +- ib). W0 is normal (W0 W0^T = W0^T W0) and its eigenvalues are
 * exactly those of B: no normalisation is applied.
 *
 * The spectrum is given compactly: a bulk (`disk:R` uniform in the disk of radius R,
 * `circle:R` on the circle, `segment:R` uniform on the real interval [-R, R]) for every
 * eigenvalue but the outliers, and up to MAX_OUTLIERS outliers `re,im` separated by `;`
 * (one with im != 0 brings its conjugate). The bulk is drawn from the run's seed.
 *
 * B's layout: the outliers first, in the order given (so the first outlier's block starts at
 * column 0 of Q), then the bulk's pairs, then its real eigenvalues.
 */
import { Rng, STREAM } from './rng.ts';
import { orthogonalFromGaussian, type Spectrum } from './spectrum.ts';

export const BULK_SHAPES = ['disk', 'circle', 'segment'] as const;
export type BulkShape = (typeof BULK_SHAPES)[number];
export const MAX_OUTLIERS = 4;
/** Largest magnitude of an outlier or of the bulk's radius (the rho range's bound). */
export const MAX_EIGENVALUE = 10;

export interface BulkSpec {
  shape: BulkShape;
  radius: number;
}

export interface Outlier {
  re: number;
  /** Stored as given; the pair is re +- |im| i. */
  im: number;
}

/** One diagonal block of B: a real eigenvalue (size 1) or the pair re +- i im, im > 0 (size 2). */
export interface SchurBlock {
  start: number;
  size: 1 | 2;
  re: number;
  im: number;
}

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function num(text: string): number {
  const t = text.trim();
  return NUMBER_RE.test(t) ? Number(t) : NaN;
}

/** "disk:0.8" -> the bulk, or the reason it is not one. */
export function parseBulk(text: string): BulkSpec | string {
  const parts = text.split(':');
  if (parts.length !== 2) return 'is not SHAPE:R';
  const shape = parts[0].trim();
  if (!(BULK_SHAPES as readonly string[]).includes(shape)) return `has shape ${JSON.stringify(shape)}, not one of ${BULK_SHAPES.join(', ')}`;
  const radius = num(parts[1]);
  if (!Number.isFinite(radius)) return 'has a radius that is not a number';
  if (radius < 0 || radius > MAX_EIGENVALUE) return `has radius ${radius}, outside 0..${MAX_EIGENVALUE}`;
  return { shape: shape as BulkShape, radius };
}

/** "1.1,0;0.3,0.9" -> the outliers (empty text: none), or the reason it is not a list of them. */
export function parseOutliers(text: string): Outlier[] | string {
  if (text.trim() === '') return [];
  const items = text.split(';');
  if (items.length > MAX_OUTLIERS) return `has ${items.length} outliers; at most ${MAX_OUTLIERS} are allowed`;
  const out: Outlier[] = [];
  for (const [i, item] of items.entries()) {
    const parts = item.split(',');
    if (parts.length !== 2) return `has outlier ${i + 1} (${JSON.stringify(item.trim())}) not written re,im`;
    const re = num(parts[0]);
    const im = num(parts[1]);
    if (!Number.isFinite(re) || !Number.isFinite(im)) return `has outlier ${i + 1} (${JSON.stringify(item.trim())}) with a part that is not a number`;
    if (Math.hypot(re, im) > MAX_EIGENVALUE) return `has outlier ${i + 1} of magnitude ${Math.hypot(re, im)}, above ${MAX_EIGENVALUE}`;
    out.push({ re, im });
  }
  return out;
}

/** Number of eigenvalues (columns of Q) the outliers take: 1 for a real one, 2 for a pair. */
export function outlierSlots(outliers: readonly Outlier[]): number {
  return outliers.reduce((s, o) => s + (o.im === 0 ? 1 : 2), 0);
}

/** The Schur blocks of B for N, the outliers and the bulk drawn from the seed (Rng(seed, STREAM.bulk)). */
export function schurBlocks(n: number, bulk: BulkSpec, outliers: readonly Outlier[], seed: number): SchurBlock[] {
  const blocks: SchurBlock[] = [];
  let at = 0;
  for (const o of outliers) {
    if (o.im === 0) blocks.push({ start: at++, size: 1, re: o.re, im: 0 });
    else {
      blocks.push({ start: at, size: 2, re: o.re, im: Math.abs(o.im) });
      at += 2;
    }
  }
  const rest = n - at;
  if (rest < 0) throw new Error(`the outliers take ${at} eigenvalues, more than N = ${n}`);
  const rng = new Rng(seed, STREAM.bulk);
  const r = bulk.radius;
  if (bulk.shape === 'segment') {
    for (let i = 0; i < rest; i++) blocks.push({ start: at++, size: 1, re: r * (2 * rng.uniform() - 1), im: 0 });
    return blocks;
  }
  // disk: radius r sqrt(u) is uniform in area; circle: on the rim. The angle is in (0, pi): the
  // block carries the pair re +- i im. An odd count leaves one real eigenvalue: uniform on
  // [-r, r] for the disk (its real axis), +-r for the circle.
  const pairs = Math.floor(rest / 2);
  for (let i = 0; i < pairs; i++) {
    const m = bulk.shape === 'disk' ? r * Math.sqrt(rng.uniform()) : r;
    const theta = Math.PI * rng.uniform();
    blocks.push({ start: at, size: 2, re: m * Math.cos(theta), im: m * Math.sin(theta) });
    at += 2;
  }
  if (rest % 2 === 1) {
    const u = rng.uniform();
    blocks.push({ start: at, size: 1, re: bulk.shape === 'disk' ? r * (2 * u - 1) : u < 0.5 ? -r : r, im: 0 });
  }
  return blocks;
}

/** The N eigenvalues of B (a pair as re + i im, re - i im), in block order. */
export function blockEigenvalues(blocks: readonly SchurBlock[], n: number): { re: Float64Array; im: Float64Array } {
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (const b of blocks) {
    re[b.start] = b.re;
    im[b.start] = b.im;
    if (b.size === 2) {
      re[b.start + 1] = b.re;
      im[b.start + 1] = -b.im;
    }
  }
  return { re, im };
}

/** Q for index i of the W0 stream: the tied W0 uses index 0, the untied W0_t index t. */
export function randomOrthogonal(n: number, seed: number, index: number): Float64Array {
  return orthogonalFromGaussian(new Rng(seed, STREAM.W0, index).normals(n * n), n);
}

/** Q B Q^T for row-major Q [N, N] and the blocks of B (O(N^3)). */
export function fromSchur(q: Float64Array, blocks: readonly SchurBlock[], n: number): Float64Array {
  // QB: column j of QB is a combination of Q's columns within j's block.
  const qb = new Float64Array(n * n);
  for (const b of blocks) {
    const j = b.start;
    if (b.size === 1) {
      for (let i = 0; i < n; i++) qb[i * n + j] = b.re * q[i * n + j];
    } else {
      // B's block [[a, c], [-c, a]]: (QB)[:, j] = a Q[:, j] - c Q[:, j+1]; (QB)[:, j+1] = c Q[:, j] + a Q[:, j+1].
      for (let i = 0; i < n; i++) {
        const x = q[i * n + j];
        const y = q[i * n + j + 1];
        qb[i * n + j] = b.re * x - b.im * y;
        qb[i * n + j + 1] = b.im * x + b.re * y;
      }
    }
  }
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const qi = i * n;
    for (let k = 0; k < n; k++) {
      const row = k * n;
      let acc = 0;
      for (let j = 0; j < n; j++) acc += qb[qi + j] * q[row + j];
      w[qi + k] = acc;
    }
  }
  return w;
}

/**
 * The direction the first outlier moves along: W(m) = W0 + (m - |lambda_0|) D with
 * D = P R P^T, P the outlier's columns of Q (its unit eigenvector q for a real outlier, the
 * orthonormal basis of its invariant plane for a pair), R its block of B divided by |lambda_0|
 * (sign(lambda_0) for a real one, a rotation for a pair). Then W(m) has the outlier at
 * m lambda_0 / |lambda_0| and every other eigenvalue (and eigenvector) unchanged, because W0 is
 * normal and P spans an invariant subspace orthogonal to the rest.
 */
export interface OutlierDirection {
  /** 1 (real outlier) or 2 (a conjugate pair). */
  width: 1 | 2;
  /** [width, N]: row i is column i of Q. */
  P: Float64Array;
  /** [width, width] row-major: the block over |lambda_0|. */
  R: Float64Array;
  /** |lambda_0|, the outlier's magnitude as given. */
  magnitude0: number;
}

export function outlierDirection(q: Float64Array, first: SchurBlock, n: number): OutlierDirection {
  const w = first.size;
  const m0 = Math.hypot(first.re, first.im);
  const P = new Float64Array(w * n);
  for (let c = 0; c < w; c++) for (let i = 0; i < n; i++) P[c * n + i] = q[i * n + first.start + c];
  const R = w === 1 ? Float64Array.of(first.re / m0) : Float64Array.of(first.re / m0, first.im / m0, -first.im / m0, first.re / m0);
  return { width: w, P, R, magnitude0: m0 };
}

/** y += c D x (transpose: y += c D^T x), D = P R P^T. */
export function addDirection(dir: OutlierDirection, c: number, x: Float64Array, xOff: number, y: Float64Array, n: number, transpose: boolean): void {
  if (c === 0) return;
  const w = dir.width;
  const px = [0, 0];
  for (let a = 0; a < w; a++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += dir.P[a * n + i] * x[xOff + i];
    px[a] = s;
  }
  for (let a = 0; a < w; a++) {
    let coef = 0;
    for (let b = 0; b < w; b++) coef += (transpose ? dir.R[b * w + a] : dir.R[a * w + b]) * px[b];
    coef *= c;
    for (let i = 0; i < n; i++) y[i] += coef * dir.P[a * n + i];
  }
}

/**
 * The spectrum of W_k on the outlier axis: the chosen spectrum (block order, the first outlier
 * at index 0, its conjugate at 1) with the first outlier moved to magnitude m along its ray.
 * W_k is normal, so its spectral norm is its radius.
 */
export function movedSpectrum(s: Spectrum, outliers: string, m: number): Spectrum {
  const list = parseOutliers(outliers);
  if (typeof list === 'string' || list.length === 0 || s.re.length === 0) return s;
  const m0 = Math.hypot(s.re[0], s.im[0]);
  if (m0 === 0) return s;
  const re = Float64Array.from(s.re);
  const im = Float64Array.from(s.im);
  const width = list[0].im === 0 ? 1 : 2;
  for (let i = 0; i < width; i++) {
    re[i] *= m / m0;
    im[i] *= m / m0;
  }
  let radius = 0;
  for (let i = 0; i < re.length; i++) radius = Math.max(radius, Math.hypot(re[i], im[i]));
  return { ...s, re, im, radius, norm: radius };
}

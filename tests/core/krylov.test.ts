import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { toBundle } from '../../src/core/bundle.ts';
import { parseConfig } from '../../src/core/config.ts';
import { emptyField } from '../../src/core/field.ts';
import { hqrEigenvalues } from '../../src/core/hqr.ts';
import { arnoldiRadius, lanczosNorm, largestTridiagonalEigenvalue } from '../../src/core/krylov.ts';
import { buildProblem, EAGER_EIGENVALUES_MAX_N, eigenvaluesOf } from '../../src/core/problem.ts';
import { Rng } from '../../src/core/rng.ts';
import { hasEigenvalues, radiusOf } from '../../src/core/spectrum.ts';

const FRESH = (Date.now() ^ (process.pid << 12)) >>> 0;

/** The largest singular value by ml-matrix's full SVD (one-sided Jacobi/Golub-Kahan), the independent yardstick. */
function svdNorm(a: Float64Array, n: number): number {
  const s = new SingularValueDecomposition(Matrix.from1DArray(n, n, Array.from(a)), { computeLeftSingularVectors: false, computeRightSingularVectors: false });
  return Math.max(0, ...s.diagonal);
}

describe('spectral norm by Lanczos', () => {
  // NORM_TOLERANCE bounds the error of ||W||^2 by 1e-12 relative, so ||W|| by 5e-13; the SVD's
  // own error is a few ulp times sqrt(N). 1e-12 leaves a 2x margin over both together.
  for (const n of [1, 2, 3, 7, 40, 150]) {
    it(`matches the full SVD on a fresh Gaussian matrix, N = ${n}`, () => {
      const a = new Rng(FRESH, 9, n).normals(n * n, 1 / Math.sqrt(n));
      const ours = lanczosNorm(a, n);
      const ref = svdNorm(a, n);
      expect(Math.abs(ours.norm - ref) / ref, `seed ${FRESH}`).toBeLessThan(1e-12);
      expect(ours.steps).toBeLessThanOrEqual(n);
    });
  }

  it('structured matrices: zero, nilpotent, rank one, repeated top singular value', () => {
    expect(lanczosNorm(new Float64Array(9), 3).norm).toBe(0);
    // [[0, 2], [0, 0]]: radius 0, norm 2.
    expect(lanczosNorm(Float64Array.from([0, 2, 0, 0]), 2).norm).toBeCloseTo(2, 14);
    const u = Float64Array.from([1, 2, 3, 4]);
    const v = Float64Array.from([0.5, -1, 0, 2]);
    const rank1 = Float64Array.from({ length: 16 }, (_, k) => u[Math.floor(k / 4)] * v[k % 4]);
    expect(lanczosNorm(rank1, 4).norm).toBeCloseTo(Math.hypot(...u) * Math.hypot(...v), 13);
    const diag = new Float64Array(25);
    [3, -3, 1, 0.5, 3].forEach((d, i) => (diag[i * 6] = d));
    expect(lanczosNorm(diag, 5).norm).toBeCloseTo(3, 14);
  });

  it('the tridiagonal eigenvalue is found by bisection to the last bits', () => {
    // [[2, 1], [1, 2]] has eigenvalues 1 and 3; the 3 x 3 Toeplitz (0, 1) has sqrt(2).
    expect(largestTridiagonalEigenvalue([2, 2], [1])).toBeCloseTo(3, 15);
    expect(largestTridiagonalEigenvalue([0, 0, 0], [1, 1])).toBeCloseTo(Math.SQRT2, 15);
  });
});

describe('spectral radius by Arnoldi', () => {
  // Convergence is accepted when the followed outermost Ritz value agrees with itself 20 steps
  // earlier to RADIUS_TOLERANCE = 1e-10, its Ritz residual is below it, and no Ritz value of the
  // full computation lies further out; Arnoldi converges fast once it converges (errors 1e-9 at
  // 220 steps, 3e-11 at 240 for N = 1024), so the estimate is closer than the agreement (seen:
  // at most 2e-12 over Gaussian, outlier, shifted and non-normal matrices of N = 150..1024);
  // hqr's own error is ~1e-14. 1e-9 is the bound asserted: 10x the acceptance tolerance.
  for (const n of [300, 380]) {
    it(`matches every eigenvalue's max |lambda| on a fresh Gaussian matrix, N = ${n}`, () => {
      const a = new Rng(FRESH, 11, n).normals(n * n, 1 / Math.sqrt(n));
      const est = arnoldiRadius(a, n);
      const { re, im } = hqrEigenvalues(a, n);
      const exact = radiusOf(re, im);
      expect(est, `seed ${FRESH}: Arnoldi did not converge`).not.toBeNull();
      expect(Math.abs(est!.radius - exact) / exact, `seed ${FRESH}`).toBeLessThan(1e-9);
    });
  }

  // Fresh matrices whose outermost eigenvalue is not at the edge of a disc: a real outlier
  // (rank-one push along a random direction), a complex pair pulled out of the bulk, the bulk
  // shifted off the origin (its outermost eigenvalues real and crowded), and a strongly
  // non-normal matrix (the upper triangle tripled). Same bound as above, same reason.
  const KINDS: Record<string, (a: Float64Array, n: number, rng: Rng) => void> = {
    'real outlier': (a, n, rng) => {
      const u = rng.normals(n);
      const uu = u.reduce((s, x) => s + x * x, 0);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] += (1.1 * u[i] * u[j]) / uu;
    },
    'complex outlier pair': (a, n) => {
      a[1] += 0.9;
      a[n] -= 0.9;
    },
    'shifted bulk': (a, n) => {
      for (let i = 0; i < n; i++) a[i * n + i] += 0.5;
    },
    'non-normal': (a, n) => {
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[i * n + j] *= 3;
    },
  };
  for (const [kind, make] of Object.entries(KINDS)) {
    it(`matches every eigenvalue's max |lambda| with a ${kind}, N = 220`, () => {
      const n = 220;
      const rng = new Rng(FRESH, 13, kind.length);
      const a = rng.normals(n * n, 1 / Math.sqrt(n));
      make(a, n, rng);
      const est = arnoldiRadius(a, n);
      const { re, im } = hqrEigenvalues(a, n);
      const exact = radiusOf(re, im);
      expect(est, `seed ${FRESH}: Arnoldi did not converge`).not.toBeNull();
      expect(est!.steps).toBeLessThan(n);
      expect(Math.abs(est!.radius - exact) / exact, `seed ${FRESH}`).toBeLessThan(1e-9);
    });
  }

  it('is exact on small matrices (the Krylov space becomes the whole space)', () => {
    const n = 12;
    const a = new Rng(FRESH, 12).normals(n * n);
    const { re, im } = hqrEigenvalues(a, n);
    expect(arnoldiRadius(a, n)!.radius).toBeCloseTo(radiusOf(re, im), 12);
  });
});

describe('W0 above the eager-eigenvalue size', () => {
  const n = EAGER_EIGENVALUES_MAX_N + 44;

  it('is normalised by the Krylov radius; the eigenvalues come later and agree with it', () => {
    const config = parseConfig({ hidden: n, seed: FRESH, normalize: 'radius', steps: 2, samples: 1, rhoCount: 2 });
    const p = buildProblem(config);
    expect(hasEigenvalues(p.spectrum)).toBe(false);
    expect(p.spectrum.radius).toBe(1);
    const full = eigenvaluesOf(config);
    expect(full.re.length).toBe(n);
    // The radius of the matrix actually used, from every eigenvalue: 1 to the Arnoldi tolerance (see above).
    expect(Math.abs(full.radius - 1), `seed ${FRESH}`).toBeLessThan(1e-9);
    expect(full.norm).toBe(p.spectrum.norm);
  });

  it('is normalised by the Lanczos norm', () => {
    const config = parseConfig({ hidden: n, seed: FRESH, normalize: 'norm', steps: 2, samples: 1, rhoCount: 2 });
    const p = buildProblem(config);
    expect(p.spectrum.norm).toBe(1);
    expect(Math.abs(svdNorm(p.W0, n) - 1)).toBeLessThan(1e-12);
  });

  it('orthogonal and identity W0: radius = norm = 1 (normal matrices), confirmed by the eigenvalues', () => {
    for (const init of ['orthogonal', 'identity'] as const) {
      const config = parseConfig({ hidden: n, seed: FRESH, init, steps: 2, samples: 1, rhoCount: 2 });
      const p = buildProblem(config);
      expect(Math.abs(p.spectrum.radius - 1)).toBeLessThan(1e-13);
      expect(Math.abs(eigenvaluesOf(config).radius - 1)).toBeLessThan(1e-12);
    }
  });

  it('a setting that leaves W0 alone (activation, rho range, K, T, S, inputs, bias) reuses W0 and its spectrum: no Krylov or eigenvalue work again', () => {
    const config = parseConfig({ hidden: n, seed: FRESH ^ 0x5a5a, steps: 2, samples: 1, rhoCount: 2 });
    const p = buildProblem(config);
    const others = [
      { activation: 'relu' as const },
      { rhoMin: 0.2, rhoMax: 2.5 },
      { rhoCount: 5 },
      { steps: 7, inputUntil: 3 },
      { samples: 3 },
      { biasScale: 0.3 },
    ];
    for (const change of others) {
      const q = buildProblem(parseConfig({ ...config, ...change }));
      expect(q.W0, JSON.stringify(change)).toBe(p.W0);
      expect(q.spectrum, JSON.stringify(change)).toBe(p.spectrum);
    }
    // A new seed is a new W0.
    expect(buildProblem(parseConfig({ ...config, seed: config.seed + 1 })).W0).not.toBe(p.W0);
  });

  it('a bundle of a field without eigenvalues carries them', () => {
    const config = parseConfig({ hidden: n, seed: FRESH, steps: 2, samples: 1, rhoCount: 2 });
    const p = buildProblem(config);
    const field = emptyField(config, p.rho, p.spectrum, { backend: 'reference', adapter: 'test', wallMs: 0, precision: 'float64' });
    const b = toBundle(field);
    expect(b.spectrum.re.length).toBe(n);
    expect(b.spectrum.im.length).toBe(n);
  });
});

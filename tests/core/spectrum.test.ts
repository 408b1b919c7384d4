import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { hqrEigenvalues } from '../../src/core/hqr.ts';
import { Rng } from '../../src/core/rng.ts';
import { orthogonalFromGaussian, spectralNorm, spectrum } from '../../src/core/spectrum.ts';
import { testSeed } from '../helpers/seed.ts';

const FRESH = testSeed('spectrum tests');

function sorted(re: Float64Array | number[], im: Float64Array | number[]): [number, number][] {
  return Array.from(re, (r, i) => [r, im[i]] as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

describe('spectrum', () => {
  // hqr against ml-matrix's full decomposition (a different algorithm: JAMA's hqr2 with
  // eigenvectors) on fresh random matrices. Both are backward stable: eigenvalue errors
  // ~ eps ||W|| times the condition number; for these matrices 1e-13 with a margin of 10x.
  for (const n of [1, 2, 3, 5, 17, 64, 150]) {
    it(`hqr eigenvalues match ml-matrix, N = ${n}`, () => {
      const rng = new Rng(FRESH, 7, n);
      const a = rng.normals(n * n, 1 / Math.sqrt(n));
      const ours = sorted(...Object.values(hqrEigenvalues(a, n)) as [Float64Array, Float64Array]);
      const lib = new EigenvalueDecomposition(Matrix.from1DArray(n, n, Array.from(a)));
      const theirs = sorted(lib.realEigenvalues, lib.imaginaryEigenvalues);
      for (let i = 0; i < n; i++) expect(Math.hypot(ours[i][0] - theirs[i][0], ours[i][1] - theirs[i][1]), `seed ${FRESH}`).toBeLessThan(1e-12);
      // Complex eigenvalues of a real matrix come in conjugate pairs.
      expect(ours.reduce((s, [, im]) => s + im, 0)).toBeCloseTo(0, 12);
    });
  }

  it('known spectra: diagonal, rotation, Jordan block, zero', () => {
    const diag = hqrEigenvalues(Float64Array.from([3, 0, 0, 0, -2, 0, 0, 0, 0.5]), 3);
    expect(Array.from(diag.re).sort((a, b) => a - b)).toEqual([-2, 0.5, 3]);
    const c = Math.cos(0.3), s = Math.sin(0.3);
    const rot = hqrEigenvalues(Float64Array.from([c, -s, s, c]), 2);
    expect(sorted(rot.re, rot.im)[0][1]).toBeCloseTo(-s, 15);
    expect(rot.re[0]).toBeCloseTo(c, 15);
    const zero = hqrEigenvalues(new Float64Array(16), 4);
    expect(Array.from(zero.re)).toEqual([0, 0, 0, 0]);
  });

  it('orthogonal W0 is orthogonal: radius and norm 1', () => {
    const n = 40;
    const q = orthogonalFromGaussian(new Rng(FRESH, 1).normals(n * n), n);
    const sp = spectrum(q, n);
    expect(Math.abs(sp.radius - 1)).toBeLessThan(1e-13);
    expect(Math.abs(sp.norm - 1)).toBeLessThan(1e-13);
    for (let i = 0; i < n; i++) expect(Math.hypot(sp.re[i], sp.im[i])).toBeCloseTo(1, 13);
  });

  it('spectral norm is the largest singular value', () => {
    // [[0, 2], [0, 0]]: radius 0, norm 2.
    expect(spectralNorm(Float64Array.from([0, 2, 0, 0]), 2)).toBeCloseTo(2, 14);
    expect(spectrum(Float64Array.from([0, 2, 0, 0]), 2).radius).toBe(0);
  });
});

import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { checkConfig, parseConfig, sweepAxis, type Config } from '../../src/core/config.ts';
import { buildProblem, chosenMatrix, normalisedMatrix, randomMatrix, UnsupportedConfigError } from '../../src/core/problem.ts';
import { ReferenceEngine, reduceRow, traceSequence, type SequenceTrace } from '../../src/core/reference.ts';
import { blockEigenvalues, movedSpectrum, parseBulk, parseOutliers, schurBlocks } from '../../src/core/spectrum-init.ts';
import { emptyField } from '../../src/core/field.ts';
import { untiedWeights, UntiedMemoryError } from '../../src/core/weights.ts';
import { untiedRefusal } from '../../src/core/work.ts';
import { testSeed } from '../helpers/seed.ts';

const FRESH = testSeed('spectrum init tests');

/** Eigenvalues as sorted (re, im) pairs. */
function sorted(re: ArrayLike<number>, im: ArrayLike<number>): [number, number][] {
  return Array.from({ length: re.length }, (_, i) => [re[i], im[i]] as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

function spectrumConfig(over: Partial<Config>): Config {
  return parseConfig({ init: 'spectrum', hidden: 24, steps: 12, samples: 3, rhoCount: 4, seed: FRESH, ...over });
}

describe('spectrum init', () => {
  // W0 = Q B Q^T: its eigenvalues (ml-matrix's decomposition, a separate algorithm) are the ones
  // asked for. Backward-stable eigenvalues of a normal matrix are accurate to ~eps ||W0|| ~ 1e-15
  // per eigenvalue; 1e-10 is the tolerance the design asks for and leaves a wide margin.
  for (const [bulk, outliers, n] of [
    ['disk:0.8', '1.1,0;0.3,0.9', 24],
    ['circle:0.5', '-1.2,0', 17],
    ['segment:0.9', '0.2,-1.3;1.05,0;0,0.4', 31],
    ['disk:0', '', 6],
  ] as const) {
    it(`built W0 has exactly the asked eigenvalues and is normal: ${bulk} ${outliers || '(no outliers)'} N=${n}`, () => {
      const config = spectrumConfig({ bulk, outliers, hidden: n });
      const p = buildProblem(config);
      const lib = new EigenvalueDecomposition(Matrix.from1DArray(n, n, Array.from(p.W0)));
      const got = sorted(lib.realEigenvalues, lib.imaginaryEigenvalues);
      const asked = sorted(p.spectrum.re, p.spectrum.im);
      for (let i = 0; i < n; i++) expect(Math.hypot(got[i][0] - asked[i][0], got[i][1] - asked[i][1]), `seed ${FRESH}`).toBeLessThan(1e-10);
      // The outliers are in the spectrum, a complex one with its conjugate.
      const want = parseOutliers(outliers) as { re: number; im: number }[];
      for (const o of want) {
        for (const im of o.im === 0 ? [0] : [o.im, -o.im]) expect(asked.some(([a, b]) => a === o.re && b === im)).toBe(true);
      }
      // The bulk lies in its shape.
      const b = parseBulk(bulk) as { shape: string; radius: number };
      const slots = want.reduce((s, o) => s + (o.im === 0 ? 1 : 2), 0);
      const blocks = schurBlocks(n, b as never, want, FRESH);
      const all = blockEigenvalues(blocks, n);
      for (let i = slots; i < n; i++) {
        const m = Math.hypot(all.re[i], all.im[i]);
        expect(m).toBeLessThanOrEqual(b.radius + 1e-15);
        if (b.shape === 'segment') expect(all.im[i]).toBe(0);
        if (b.shape === 'circle' && all.im[i] !== 0) expect(m).toBeCloseTo(b.radius, 14);
      }
      // Normal: W W^T = W^T W, to rounding of the O(N) sums (N eps ||W||^2 < 1e-13).
      let worst = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let a = 0;
          let c = 0;
          for (let k = 0; k < n; k++) {
            a += p.W0[i * n + k] * p.W0[j * n + k];
            c += p.W0[k * n + i] * p.W0[k * n + j];
          }
          worst = Math.max(worst, Math.abs(a - c));
        }
      }
      expect(worst).toBeLessThan(1e-12);
      expect(p.spectrum.norm).toBe(p.spectrum.radius);
    });
  }

  it('the bulk is drawn from the seed: the same seed gives the same W0, another seed another', () => {
    const a = buildProblem(spectrumConfig({})).W0;
    const b = buildProblem(spectrumConfig({})).W0;
    const c = buildProblem(spectrumConfig({ seed: (FRESH + 1) >>> 0 })).W0;
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });
});

describe('spectrum fields', () => {
  it('bulk: accepts each shape, refuses bad shapes, radii and syntax by name', () => {
    for (const v of ['disk:0.8', 'circle:0', 'segment:10', ' disk : 1.5 ']) expect(checkConfig({ bulk: v }).ok, v).toBe(true);
    for (const [v, why] of [
      ['ring:0.8', 'not one of disk, circle, segment'],
      ['disk:10.5', 'outside 0..10'],
      ['disk:-0.1', 'outside 0..10'],
      ['disk', 'is not SHAPE:R'],
      ['disk:x', 'not a number'],
    ]) {
      const r = checkConfig({ bulk: v });
      expect(r.ok, v).toBe(false);
      if (!r.ok) {
        expect(r.error.problems[0].field).toBe('bulk');
        expect(r.error.message).toContain(`Bulk: ${JSON.stringify(v)}`);
        expect(r.error.message).toContain(why);
      }
    }
  });

  it('outliers: up to 4, each re,im of magnitude <= 10; more eigenvalues than N is refused naming both fields', () => {
    for (const v of ['', '1.1,0', '1.1,0;0.3,0.9;-1,0;0,2', '10,0']) expect(checkConfig({ outliers: v }).ok, v).toBe(true);
    for (const [v, why] of [
      ['1,0;1,0;1,0;1,0;1,0', 'at most 4'],
      ['1.1', 'not written re,im'],
      ['1.1,a', 'not a number'],
      ['8,8', 'above 10'],
    ]) {
      const r = checkConfig({ outliers: v });
      expect(r.ok, v).toBe(false);
      if (!r.ok) {
        expect(r.error.problems[0].field).toBe('outliers');
        expect(r.error.message).toContain(why);
      }
    }
    // Two complex outliers take 4 eigenvalues: N = 3 cannot hold them (only with init spectrum).
    const r = checkConfig({ init: 'spectrum', hidden: 3, outliers: '0.5,0.5;1,1' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.problems[0].field).toBe('outliers');
      expect(r.error.message).toMatch(/takes 4 eigenvalues.*Hidden size N \(3\)/);
    }
    expect(checkConfig({ init: 'spectrum', hidden: 4, outliers: '0.5,0.5;1,1' }).ok).toBe(true);
    expect(checkConfig({ init: 'gaussian', hidden: 3, outliers: '0.5,0.5;1,1' }).ok).toBe(true);
  });

  it('normalize does not apply to init spectrum; sweep outlier needs init spectrum and a nonzero first outlier', () => {
    const n = checkConfig({ init: 'spectrum', normalize: 'norm' });
    expect(n.ok).toBe(false);
    if (!n.ok) expect(n.error.message).toContain('Normalise W0 to: "norm" does not apply to init spectrum');
    const s = checkConfig({ sweep: 'outlier' });
    expect(s.ok).toBe(false);
    if (!s.ok) expect(s.error.message).toContain('Sweep axis: "outlier" moves an eigenvalue of init spectrum');
    for (const outliers of ['', '0,0']) {
      const r = checkConfig({ sweep: 'outlier', init: 'spectrum', outliers });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.problems[0].field).toBe('sweep');
    }
    expect(checkConfig({ sweep: 'outlier', init: 'spectrum', weights: 'untied' }).ok).toBe(true);
  });

  it('movedSpectrum: the spectrum of W_k, the first outlier (and its conjugate) at magnitude m, the rest unchanged', () => {
    const p = buildProblem(spectrumConfig({ outliers: '-0.6,0.8;1.05,0', bulk: 'disk:0.5' }));
    const s = movedSpectrum(p.spectrum, '-0.6,0.8;1.05,0', 1.5);
    expect([s.re[0], s.im[0], s.re[1], s.im[1]].map((v) => Number(v.toFixed(12)))).toEqual([-0.9, 1.2, -0.9, -1.2]);
    expect(Array.from(s.re.slice(2))).toEqual(Array.from(p.spectrum.re.slice(2)));
    expect(s.radius).toBeCloseTo(1.5, 14);
    expect(movedSpectrum(p.spectrum, '-0.6,0.8;1.05,0', 0.2).radius).toBeCloseTo(1.05, 14);
  });

  it('the swept axis is named for labels: rho, or the outlier magnitude', () => {
    expect(sweepAxis({ sweep: 'rho' }).symbol).toBe('ρ');
    expect(sweepAxis({ sweep: 'outlier' })).toEqual({ symbol: '|λ₁|', words: 'outlier magnitude |λ₁|' });
  });

  it('engines that do not compute the outlier axis or untied weights are refused, not run as a rho sweep', () => {
    expect(() => buildProblem(spectrumConfig({ sweep: 'outlier' }))).toThrow(UnsupportedConfigError);
    expect(() => buildProblem(spectrumConfig({ weights: 'untied' }))).toThrow(/weights = untied.*reference/);
  });

  it('untied memory is planned before allocating: refused with the size and what to reduce', async () => {
    const big = parseConfig({ init: 'gaussian', hidden: 1024, steps: 5000, weights: 'untied' });
    const msg = untiedRefusal(big);
    expect(msg).toMatch(/weights: untied needs 5000 matrices of 1024x1024 float64, 39\.1 GiB.*reduce Steps T to at most 64.*Hidden size N to at most 115/);
    await expect(untiedWeights(big)).rejects.toThrow(UntiedMemoryError);
    expect(untiedRefusal(parseConfig({ hidden: 64, steps: 100, weights: 'untied' }))).toBeNull();
  });
});

/** Run the reference rows through traceSequence with the matrix given per step (a plain rebuild). */
function rowFromMatrices(config: Config, k: number, matrixAt: (t: number) => Float64Array): SequenceTrace[] {
  const p = buildProblem({ ...config, sweep: 'rho', weights: 'tied' });
  const n = config.hidden;
  const traces: SequenceTrace[] = [];
  for (let s = 0; s < config.samples; s++) {
    // traceSequence with untied weights W_t = matrixAt(t) and rho 1: nothing but the plain recursion.
    traces.push(traceSequence(p, { rho: 1, shift: 0, direction: null, untied: { W: Array.from({ length: config.steps }, (_, i) => matrixAt(i + 1)), directions: [] } }, s));
  }
  expect(n).toBe(p.W0.length ** 0.5);
  return traces;
}

/** Q B_k Q^T from scratch: the chosen spectrum with the first outlier at magnitude m along its ray. */
function rebuilt(config: Config, index: number, m: number): Float64Array {
  const first = (parseOutliers(config.outliers) as { re: number; im: number }[])[0];
  const m0 = Math.hypot(first.re, first.im);
  const moved = { ...config, outliers: config.outliers.replace(/^[^;]*/, `${(first.re * m) / m0},${(first.im * m) / m0}`) };
  return chosenMatrix(moved, index).W;
}

function expectRowsClose(field: { T: number; grids: Record<string, Float64Array> }, k: number, traces: SequenceTrace[], config: Config, tol: number) {
  const ref = emptyField(config, new Float64Array(config.rhoCount), { re: new Float64Array(0), im: new Float64Array(0), radius: 1, norm: 1, meanSquare: 1 }, { backend: 'reference', adapter: '', wallMs: 0, precision: 'float64' });
  reduceRow(ref, k, traces);
  for (const g of ['gradLog10Mean', 'hiddenLog10Mean'] as const) {
    for (let j = 0; j < field.T; j++) {
      const a = field.grids[g][k * field.T + j];
      const b = ref.grids[g][k * field.T + j];
      expect(Math.abs(a - b), `${g} k=${k} t=${j + 1} seed ${FRESH}`).toBeLessThan(tol);
    }
  }
}

describe('reference: outlier axis and untied weights', () => {
  // The rank-one/two update W0 + (m_k - |lambda_0|) D against Q B_k Q^T built from scratch: the
  // two matrices agree to ~1e-15 per entry, so log10 norms after T = 12 steps agree to far below
  // 1e-9 (stable and mildly unstable regimes alike: the outlier reaches 1.4 only).
  for (const outliers of ['1.1,0;0.3,0.9', '-0.6,0.8;0.2,0']) {
    it(`outlier rows equal a rebuild of W_k from scratch (${outliers}), tied and untied`, async () => {
      for (const weights of ['tied', 'untied'] as const) {
        const config = spectrumConfig({ outliers, sweep: 'outlier', weights, rhoMin: 0.6, rhoMax: 1.4, activation: 'tanh', biasScale: 0.3 });
        const field = await new ReferenceEngine().run(config);
        for (let k = 0; k < config.rhoCount; k++) {
          const m = field.rho[k];
          const tiedMatrix = rebuilt(config, 0, m);
          const traces = rowFromMatrices(config, k, (t) => (weights === 'tied' ? tiedMatrix : rebuilt(config, t, m)));
          expectRowsClose(field, k, traces, config, 1e-9);
        }
      }
    });
  }

  it('an untied W0_t is built without the spectrum it does not need, and is randomMatrix\'s matrix bit for bit', () => {
    // N = 300 takes the Arnoldi radius (above EAGER_EIGENVALUES_MAX_N), N = 12 the eigenvalues.
    for (const hidden of [12, 300]) {
      for (const [init, normalize] of [['gaussian', 'radius'], ['gaussian', 'norm'], ['orthogonal', 'radius'], ['identity', 'radius']] as const) {
        const config = parseConfig({ init, normalize, hidden, seed: FRESH });
        for (const t of [1, 7]) expect(Array.from(normalisedMatrix(config, t)), `${init}/${normalize} N=${hidden} t=${t}`).toEqual(Array.from(randomMatrix(config, t).W0));
      }
    }
  });

  it('untied with the identity init equals tied (every W0_t is I)', async () => {
    const base = { init: 'identity', hidden: 16, steps: 20, samples: 3, rhoCount: 5, seed: FRESH, activation: 'relu', biasScale: 0.2 } as const;
    const tied = await new ReferenceEngine().run(parseConfig(base));
    const untied = await new ReferenceEngine().run(parseConfig({ ...base, weights: 'untied' }));
    expect(Array.from(untied.grids.gradLog10Mean)).toEqual(Array.from(tied.grids.gradLog10Mean));
    expect(Array.from(untied.grids.hiddenLog10Mean)).toEqual(Array.from(tied.grids.hiddenLog10Mean));
  });

  it('untied gaussian W0_t: each is a fresh draw normalised to spectral radius 1, and the rows follow them', async () => {
    const config = parseConfig({ hidden: 12, steps: 8, samples: 2, rhoCount: 3, seed: FRESH, weights: 'untied', activation: 'linear' });
    const untied = (await untiedWeights(config))!;
    expect(untied.W).toHaveLength(8);
    expect(Array.from(untied.W[0])).not.toEqual(Array.from(untied.W[1]));
    for (const w of untied.W) {
      const lib = new EigenvalueDecomposition(Matrix.from1DArray(12, 12, Array.from(w)));
      const radius = Math.max(...lib.realEigenvalues.map((re, i) => Math.hypot(re, lib.imaginaryEigenvalues[i])));
      expect(radius).toBeCloseTo(1, 10);
    }
    const field = await new ReferenceEngine().run(config);
    for (let k = 0; k < 3; k++) {
      const rho = field.rho[k];
      const traces = rowFromMatrices(config, k, (t) => untied.W[t - 1].map((v) => rho * v));
      expectRowsClose(field, k, traces, config, 1e-9);
    }
  });
});

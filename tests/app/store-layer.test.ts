/**
 * The eigenvalue plot with untied weights: for gaussian and orthogonal inits every step has its
 * own W0_t, so the store gives the plot one layer's spectrum (layer 1 first, then the one asked
 * for, clamped to T), computed as the worker computes it (core/weights.ts spectrumFor). Checked
 * against the eigenvalues of the matrix the engines use at that step (untiedWeightsSync), and
 * that they are not the tied W0's; inits whose layers share W0's eigenvalues get no layer.
 * Seeds are fresh per run (tests/helpers/seed.ts).
 */
import { describe, expect, it } from 'vitest';
import type { SelectedBackend } from '../../src/app/backends.ts';
import { RunController } from '../../src/app/runner.ts';
import { LabStore, type LayerSpectrum } from '../../src/app/store.ts';
import { parseConfig, type Config } from '../../src/core/config.ts';
import { buildProblem } from '../../src/core/problem.ts';
import { Rng } from '../../src/core/rng.ts';
import { eigenvalues, type Spectrum } from '../../src/core/spectrum.ts';
import { layerSpectrum, spectrumFor, untiedWeightsSync } from '../../src/core/weights.ts';
import { testSeed } from '../helpers/seed.ts';
import { CountingEngine } from '../helpers/store.ts';

const SEED = testSeed('store layer tests');

/** Eigenvalues as sorted (re, im) pairs, so two computations can be compared entry by entry. */
function sorted(re: ArrayLike<number>, im: ArrayLike<number>): [number, number][] {
  return Array.from({ length: re.length }, (_, i): [number, number] => [re[i], im[i]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

/** Largest distance between matched eigenvalues, and whether the sets match within `tol`. */
function maxDistance(a: [number, number][], b: [number, number][]): number {
  expect(a.length).toBe(b.length);
  // Matched greedily nearest-first: sorting alone can pair a conjugate pair's halves across near-equal real parts.
  const left = [...b];
  let most = 0;
  for (const [re, im] of a) {
    let best = 0;
    for (let j = 1; j < left.length; j++) if (Math.hypot(left[j][0] - re, left[j][1] - im) < Math.hypot(left[best][0] - re, left[best][1] - im)) best = j;
    most = Math.max(most, Math.hypot(left[best][0] - re, left[best][1] - im));
    left.splice(best, 1);
  }
  return most;
}

/** A store on the reference engine whose eigenvalue port is the worker's own function. */
function storeAt(hash: string) {
  const engine = new CountingEngine();
  const selected: SelectedBackend = {
    engine,
    info: { choice: 'auto', engine: 'reference', adapter: 'test', why: 'test', webgpu: { available: false, description: 'none', isFallback: false } },
  };
  let current = hash;
  const port = async (config: Config, layer?: number): Promise<Spectrum> => spectrumFor(config, layer);
  const store = new LabStore(new RunController(), { get: () => current, set: (h) => (current = h) }, async () => selected, port);
  return store;
}

async function layerShown(store: LabStore, t: number): Promise<LayerSpectrum> {
  for (let i = 0; i < 2000; i++) {
    const s = store.snapshot;
    if (s.run.status !== 'running' && s.result && s.layer?.t === t && s.layer.spectrum) return s.layer;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`layer ${t} never shown: ${JSON.stringify(store.snapshot.layer)}`);
}

describe('the eigenvalue plot with untied weights', () => {
  for (const init of ['gaussian', 'orthogonal'] as const) {
    it(`${init}: shows layer t's own W0_t (the engines' matrix at step t), not the tied W0; another layer on request, clamped to T`, async () => {
      const seed = new Rng(SEED, init === 'gaussian' ? 1 : 2).nextU32();
      const T = 6;
      const store = storeAt(`init=${init}&weights=untied&hidden=7&steps=${T}&rhoCount=2&samples=2&seed=${seed}`);
      store.start();
      const config: Config = parseConfig({ init, weights: 'untied', hidden: 7, steps: T, rhoCount: 2, samples: 2, seed });
      const engineMatrices = untiedWeightsSync(config)!.W;
      const tied = buildProblem(config, { outlierAndUntied: true }).spectrum;
      const check = (layer: LayerSpectrum, t: number) => {
        expect(layer).toMatchObject({ t, T, message: null });
        const own = eigenvalues(engineMatrices[t - 1], 7);
        // The same matrix through the same eigensolver: equal to float64 rounding (1e-12 at N = 7).
        expect(maxDistance(sorted(layer.spectrum!.re, layer.spectrum!.im), sorted(own.re, own.im)), `seed ${SEED}, layer ${t}`).toBeLessThan(1e-12);
        // A fresh draw per layer: its eigenvalues are not the tied W0's (gaussian and Haar draws
        // almost surely differ; 1e-3 is far above any rounding).
        expect(maxDistance(sorted(layer.spectrum!.re, layer.spectrum!.im), sorted(tied.re, tied.im)), `seed ${SEED}, layer ${t} vs tied W0`).toBeGreaterThan(1e-3);
        expect(layer.spectrum!.radius).toBeCloseTo(Math.max(...Array.from(own.re, (re, i) => Math.hypot(re, own.im[i]))), 12);
      };
      check(await layerShown(store, 1), 1);
      store.showLayer(4);
      check(await layerShown(store, 4), 4);
      store.showLayer(99);
      check(await layerShown(store, T), T);
      expect(() => layerSpectrum(config, T + 1)).toThrow(`layer t = ${T + 1}: expected a whole number from 1 to Steps T = ${T}`);
    });
  }

  it('tied weights, and untied inits whose layers all have W0\'s eigenvalues (spectrum, identity), get no layer', async () => {
    const seed = new Rng(SEED, 3).nextU32();
    for (const hash of [
      `init=gaussian&hidden=6&steps=4&rhoCount=2&samples=2&seed=${seed}`,
      `init=spectrum&bulk=disk:0.5&outliers=0.9,0&weights=untied&hidden=6&steps=4&rhoCount=2&samples=2&seed=${seed}`,
      `init=identity&weights=untied&hidden=6&steps=4&rhoCount=2&samples=2&seed=${seed}`,
    ]) {
      const store = storeAt(hash);
      store.start();
      for (let i = 0; i < 2000 && !(store.snapshot.result && store.snapshot.run.status !== 'running'); i++) await new Promise((r) => setTimeout(r, 5));
      expect(store.snapshot.result, hash).not.toBeNull();
      expect(store.snapshot.layer, hash).toBeNull();
    }
    // init spectrum: every W0_t = Q_t B Q_t^T has B's eigenvalues, the tied W0's (so the plot of W0 is honest there).
    const c = parseConfig({ init: 'spectrum', bulk: 'disk:0.5', outliers: '0.9,0', weights: 'untied', hidden: 6, steps: 4, seed });
    const own = eigenvalues(untiedWeightsSync(c)!.W[2], 6);
    const shown = layerSpectrum(c, 3);
    expect(maxDistance(sorted(shown.re, shown.im), sorted(own.re, own.im)), `seed ${SEED}`).toBeLessThan(1e-9);
  });
});

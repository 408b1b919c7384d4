/**
 * Every engine's pre-activation histogram (Engine.preactivationHistogram, core/preactivations.ts)
 * against the float64 reference on fresh random configs: tied rho sweeps, N <= 16, T <= 20,
 * S <= 8, a random row and a random number of its samples, every activation.
 *
 * Tolerance (tests/helpers/histogram.ts, where it is derived): the reference computes every value
 * a_t[i] in float64 with the radius eps a float32 forward pass may move it by; the engine's
 * cumulative count at every bin edge must lie between the reference's counts of values surely
 * below it (a + eps < edge) and possibly below it (a - eps < edge), its total must be N x S', and
 * its mean phi'(a_t) may differ by what phi' changes within those radii plus 1e-5. The float64
 * reference engine must give the reference's counts exactly (eps = 0: the same arithmetic).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIVATIONS, parseConfig, rhoValues, type Activation, type Config } from '../../src/core/config.ts';
import type { Engine } from '../../src/core/engine.ts';
import { checkHistogramRequest, histogramRequest, HISTOGRAM_BINS, preactivationRange, type HistogramRequest } from '../../src/core/preactivations.ts';
import { ReferenceEngine } from '../../src/core/reference.ts';
import { Rng } from '../../src/core/rng.ts';
import { CpuEngine } from '../../src/engine/cpu/engine.ts';
import { createNodeCpuEngine } from '../../src/engine/cpu/pool-node.ts';
import type { WebGpuEngine } from '../../src/engine/webgpu/engine.ts';
import { GpuJsEngine } from '../../src/engine/gpujs/engine.ts';
import { createTestEngine } from '../helpers/gpu.ts';
import { expectHistogramAgrees, referenceValues } from '../helpers/histogram.ts';
import { dawnRequirement, itNeeding, type Requirement } from '../helpers/requirements.ts';
import { testSeed } from '../helpers/seed.ts';

const SEED = testSeed('pre-activation histogram tests');
const reference = new ReferenceEngine();
/** The WebGPU cases run on Dawn (SwiftShader here): without an adapter they fail, naming what to install. */
const DAWN = await dawnRequirement();

/** A random small tied rho sweep with activation `activation`, a random row of it and S' of its samples. */
function randomCase(rng: Rng, activation: Activation): { config: Config; req: HistogramRequest } {
  const r = () => rng.uniform();
  const config = parseConfig({
    activation,
    hidden: 3 + Math.floor(r() * 14),
    steps: 2 + Math.floor(r() * 19),
    samples: 1 + Math.floor(r() * 8),
    rhoMin: 0.3 + 0.5 * r(),
    rhoMax: 1.2 + 0.8 * r(),
    rhoCount: 2 + Math.floor(r() * 6),
    seed: Math.floor(r() * 1e6),
    biasScale: r(),
    init: r() < 0.5 ? 'gaussian' : 'orthogonal',
  });
  const k = Math.floor(r() * config.rhoCount);
  return { config, req: histogramRequest(config, k, 1 + Math.floor(r() * config.samples)) };
}

describe('the histogram request', () => {
  it('the panel asks for 64 bins over +-X, every edge an exact float32', () => {
    for (const activation of ACTIVATIONS) {
      const config = parseConfig({ activation });
      const req = histogramRequest(config, 0, 1);
      expect(req.bins).toBe(HISTOGRAM_BINS);
      expect(req.hi).toBe(preactivationRange(activation, config));
      expect(() => checkHistogramRequest(config, req)).not.toThrow();
    }
  });

  it('refuses a bad row, sample count or edges, naming the field', () => {
    const config = parseConfig({ rhoCount: 4, samples: 3 });
    const ok = histogramRequest(config, 0, 1);
    expect(() => checkHistogramRequest(config, { ...ok, rhoIndex: 4 })).toThrow(/rhoIndex must be a whole number from 0 to 3/);
    expect(() => checkHistogramRequest(config, { ...ok, samples: 4 })).toThrow(/samples must be a whole number from 1 to 3/);
    expect(() => checkHistogramRequest(config, { ...ok, lo: -5, hi: 5, bins: 60 })).toThrow(/exact float32/);
    expect(() => checkHistogramRequest(config, { ...ok, lo: 1, hi: 1 })).toThrow(/lo < hi/);
  });
});

describe('untied weights: the CPU engine bins its own W0_t, the GPU kernels say they cannot', () => {
  const rng = new Rng(SEED, 99);
  for (const activation of ['tanh', 'relu'] as const) {
    it(`cpu (calling thread), ${activation}, untied (seed ${SEED})`, async () => {
      const { config: tied, req } = randomCase(rng, activation);
      const config = parseConfig({ ...tied, weights: 'untied' });
      const h = await new CpuEngine(null, { workers: 0 }).preactivationHistogram(config, req);
      expectHistogramAgrees(h, config, req, referenceValues(config, req, SEED), `cpu untied ${activation} seed ${SEED}`);
    });
  }

  it('webgpu and gpu.js refuse untied weights with a HistogramUnsupportedError (the page then asks the reference)', async () => {
    const config = parseConfig({ hidden: 4, steps: 3, samples: 2, rhoCount: 2, weights: 'untied' });
    const req = histogramRequest(config, 0, 1);
    const gpujs = GpuJsEngine.create({ mode: 'cpu' });
    try {
      await expect(gpujs.preactivationHistogram(config, req)).rejects.toMatchObject({ name: 'HistogramUnsupportedError' });
    } finally {
      gpujs.dispose();
    }
    if (!DAWN.available) throw new Error(DAWN.why);
    const webgpu = await createTestEngine();
    try {
      await expect(webgpu.preactivationHistogram(config, req)).rejects.toMatchObject({ name: 'HistogramUnsupportedError' });
    } finally {
      webgpu.dispose();
    }
  });
});

describe('every engine bins a_t as the reference does', () => {
  let pooled: CpuEngine;
  let webgpu: WebGpuEngine;
  // gpu.js in its cpu mode here (Node has no WebGL): the same kernel sources as in webgl2 mode.
  const gpujs = GpuJsEngine.create({ mode: 'cpu' });
  beforeAll(async () => {
    pooled = createNodeCpuEngine({ workers: 2 });
    if (DAWN.available) webgpu = await createTestEngine();
  });
  afterAll(() => {
    pooled.dispose();
    webgpu?.dispose();
    gpujs.dispose();
  });
  const engines: { name: string; engine: () => Engine; needs: Requirement[] }[] = [
    { name: 'reference', engine: () => reference, needs: [] },
    { name: 'cpu, 2 workers', engine: () => pooled, needs: [] },
    { name: 'cpu, calling thread, no SIMD', engine: () => new CpuEngine(null, { workers: 0, simd: false }), needs: [] },
    { name: 'webgpu', engine: () => webgpu, needs: [DAWN] },
    { name: 'gpujs (cpu mode)', engine: () => gpujs, needs: [] },
  ];
  for (const { name, engine, needs } of engines) {
    const rng = new Rng(SEED, name.length);
    for (const activation of ACTIVATIONS) {
      itNeeding(needs, `${name}, ${activation} (seed ${SEED})`, async () => {
        const { config, req } = randomCase(rng, activation);
        const what = `${name} ${JSON.stringify({ activation, hidden: config.hidden, steps: config.steps, samples: config.samples, k: req.rhoIndex, S: req.samples })} seed ${SEED}`;
        const e = engine();
        const h = await e.preactivationHistogram!(config, req);
        const ref = referenceValues(config, req, SEED);
        if (name === 'reference') {
          // The same float64 arithmetic: no radius at all.
          expectHistogramAgrees(h, config, req, { a: ref.a, eps: ref.a.map((v) => new Float64Array(v.length)) }, what);
        } else {
          const cmp = expectHistogramAgrees(h, config, req, ref, what);
          // The intervals hold few values near an edge (else the check would say little): at T <= 20 the
          // radii stay near 1e-6 while the bins are X / 32 >= 0.125 wide. At most 2 % of the values, or 2
          // values where a small case has few (4200 random cases of this generator: none beyond that).
          expect(cmp.nearEdge, `${what}: values within their radius of an edge, of ${cmp.values}`).toBeLessThanOrEqual(Math.max(2, 0.02 * cmp.values));
        }
        expect(h.engine).toBe(e.name);
        expect(h.samples).toBe(req.samples);
        expect(h.rho).toBe(rhoValues(config)[req.rhoIndex]);
      });
    }
  }
});

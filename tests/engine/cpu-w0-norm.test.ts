/**
 * A gaussian W0 above the eager-eigenvalue size has its raw norm computed in a CPU-engine worker
 * while the engine's thread finds the radius (core/problem.ts recurrentMatrixBeside,
 * core/w0-norm.ts): the W0 and spectrum that come out are those of the inline path bit for bit
 * (the same draw, the same deterministic Lanczos iteration), a failed worker falls back to the
 * inline norm, and an abort stays an abort. Exact equality is the claim, so exact equality is asserted.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config.ts';
import { AbortError, isAbortError } from '../../src/core/engine.ts';
import { EAGER_EIGENVALUES_MAX_N, normApartHelps, randomMatrix, recurrentMatrixBeside } from '../../src/core/problem.ts';
import { gaussianRawNorm } from '../../src/core/w0-norm.ts';
import { CpuEngine } from '../../src/engine/cpu/engine.ts';
import { spawnNodeWorker } from '../../src/engine/cpu/pool-node.ts';
import type { ToWorker } from '../../src/engine/cpu/protocol.ts';
import { testSeed } from '../helpers/seed.ts';

const SEED = testSeed('cpu w0 norm tests');
const N = EAGER_EIGENVALUES_MAX_N + 8;
let fresh = 0;
/** A config whose W0 no earlier test built (the W0 cache is per process). */
function config(normalize: 'radius' | 'norm') {
  return parseConfig({ hidden: N, seed: (SEED + 7919 * ++fresh) >>> 0, normalize, steps: 2, rhoCount: 2, samples: 1 });
}

describe('the gaussian W0 norm computed beside the radius', () => {
  for (const normalize of ['radius', 'norm'] as const) {
    it(`gives the inline path's W0 and spectrum bit for bit (normalised to ${normalize})`, async () => {
      const c = config(normalize);
      expect(normApartHelps(c)).toBe(true);
      const inline = randomMatrix(c, 0);
      const beside = await recurrentMatrixBeside(c, async (seed, n) => gaussianRawNorm(seed, n));
      expect(beside.W0).toEqual(inline.W0);
      expect(beside.spectrum).toEqual(inline.spectrum);
      // Now cached: nothing is asked of the other thread again.
      expect(normApartHelps(c)).toBe(false);
    });
  }

  it('falls back to the inline norm when the other thread fails, and lets an abort through', async () => {
    const c = config('radius');
    const inline = randomMatrix(c, 0);
    const beside = await recurrentMatrixBeside(c, () => Promise.reject(new Error('worker gone')));
    expect(beside.spectrum).toEqual(inline.spectrum);
    const aborted = recurrentMatrixBeside(config('radius'), () => Promise.reject(new AbortError()));
    await expect(aborted).rejects.toSatisfy(isAbortError);
  });

  it('the CPU engine asks a worker for the norm and reports the inline spectrum', async () => {
    const posted: ToWorker['type'][] = [];
    const spawn = () => {
      const port = spawnNodeWorker();
      return { ...port, post: (msg: ToWorker) => (posted.push(msg.type), port.post(msg)) };
    };
    const engine = new CpuEngine(spawn, { workers: 2 });
    try {
      const c = config('radius');
      const field = await engine.run(c);
      expect(posted[0]).toBe('norm');
      expect(posted.filter((t) => t === 'norm')).toHaveLength(1);
      expect(field.spectrum).toEqual(randomMatrix(c, 0).spectrum);
      // The same W0 again (another activation): cached, no worker is asked.
      await engine.run({ ...c, activation: 'relu' });
      expect(posted.filter((t) => t === 'norm')).toHaveLength(1);
    } finally {
      engine.dispose();
    }
  });
});

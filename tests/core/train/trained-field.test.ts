/**
 * "Open in the gradient view": the field of a trained W. At iteration 0 a model's W is rho W0
 * with W0 the gradient lab's own matrix (model.ts), so the field of that W must be the reference
 * engine's field of the same config; a W with no scale is refused with a message.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/core/config.ts';
import { GRID_NAMES } from '../../../src/core/field.ts';
import { ReferenceEngine } from '../../../src/core/reference.ts';
import { parseTrainConfig } from '../../../src/core/train/config.ts';
import { trainedConfig, trainedField } from '../../../src/core/train/gradient.ts';
import { initialParams, layoutFor, recurrentWeights } from '../../../src/core/train/model.ts';
import { taskShape } from '../../../src/core/train/tasks.ts';
import { testSeed } from '../../helpers/seed.ts';

const seed = testSeed('trained-field');

describe('field of a trained W', () => {
  // An even rho count becomes odd (a middle row at the trained radius).
  const base = { ...DEFAULT_CONFIG, input: 3, samples: 3, rhoCount: 6 };
  for (const [activation, init, rho] of [
    ['tanh', 'gaussian', 1.3],
    ['relu', 'identity', 1],
    ['relu', 'orthogonal', 0.9],
  ] as const) {
    it(`at iteration 0 is the lab's own field (${activation}-${init}, rho ${rho}, seed ${seed})`, async () => {
      const run = parseTrainConfig({ length: 12, seed, models: [{ activation, init, rho, hidden: 6 }] });
      const model = run.models[0];
      const shape = taskShape(run);
      const W = recurrentWeights(initialParams(model, shape, seed), layoutFor(model, shape));
      const c = trainedConfig(base, { model, length: run.length, seed, W });
      if (!c.ok) throw new Error(c.message);
      // The middle row of the sweep r/2 .. 3r/2 is the trained W itself.
      expect(c.radius).toBeCloseTo(rho, 12);
      expect(c.config.rhoCount).toBe(5);
      expect(c.config.rhoMin + ((c.config.rhoMax - c.config.rhoMin) * 2) / 4).toBeCloseTo(c.radius, 14);
      expect(c.config).toMatchObject({ activation, init, hidden: 6, steps: 12, seed, input: 3, samples: 3 });
      const mine = await trainedField(c.config, W, c.radius);
      const lab = await new ReferenceEngine().run(c.config);
      // W0 = W / r differs from the lab's normalised W0 only by the rounding of r (hqr, ~1e-15
      // relative), so every log10 statistic agrees to far better than 1e-9 decades; exact zeros
      // (-Infinity) and undefined cells (NaN) must sit in the same cells.
      for (const g of GRID_NAMES) {
        const a = mine.grids[g];
        const b = lab.grids[g];
        for (let i = 0; i < a.length; i++) {
          if (Number.isFinite(b[i])) expect(Math.abs(a[i] - b[i]), `${g}[${i}]`).toBeLessThan(1e-9);
          else expect(a[i], `${g}[${i}]`).toBe(b[i]);
        }
      }
      expect(Array.from(mine.overflow)).toEqual(Array.from(lab.overflow));
      expect(mine.spectrum.radius).toBeCloseTo(1, 12);
    });
  }

  it('refuses a W without a spectral radius, or of the wrong size, with a message', () => {
    const run = parseTrainConfig({ length: 12, models: [{ hidden: 4 }] });
    const zero = trainedConfig(DEFAULT_CONFIG, { model: run.models[0], length: 12, seed: 1, W: new Float64Array(16) });
    expect(zero).toEqual({ ok: false, message: expect.stringMatching(/spectral radius is 0/) });
    const short = trainedConfig(DEFAULT_CONFIG, { model: run.models[0], length: 12, seed: 1, W: new Float64Array(9) });
    expect(short).toEqual({ ok: false, message: expect.stringMatching(/9 entries, not N x N = 16/) });
  });
});

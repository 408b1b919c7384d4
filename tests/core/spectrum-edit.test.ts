/**
 * The eigenvalue editor's math (src/core/spectrum-edit.ts): the spectrum it draws is the built
 * W0's, an edit puts the shown network's eigenvalue where the user put it, the limits (4
 * outliers, N's room, the outlier axis's first outlier) hold, and the one-row config computed
 * during a drag is row k of the full sweep.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../src/core/config.ts';
import { recurrentMatrix } from '../../src/core/problem.ts';
import { ReferenceEngine } from '../../src/core/reference.ts';
import { Rng } from '../../src/core/rng.ts';
import { meanSquare } from '../../src/core/spectrum.ts';
import { addProblem, applyEdit, chosenSpectrum, EDIT_DECIMALS, outlierSummary, previewConfigs, removeProblem, shownSpectrum } from '../../src/core/spectrum-edit.ts';
import { testSeed } from '../helpers/seed.ts';

const FRESH = testSeed('spectrum edit tests');
const rng = new Rng(FRESH, 7);

function cfg(over: Partial<Config>): Config {
  return parseConfig({ init: 'spectrum', hidden: 20, steps: 16, samples: 3, rhoCount: 5, seed: FRESH, bulk: 'disk:0.7', outliers: '1.1,0;0.3,0.8', ...over });
}

/** Half a unit in the last place the edits keep: an edited eigenvalue lies within this of where it was put. */
const ROUNDING = 0.5 * 10 ** -EDIT_DECIMALS;

describe('the spectrum the editor draws', () => {
  it('is the built W0 spectrum: the same eigenvalues in the same order, and ||W0||_F^2 / N', () => {
    const config = cfg({ bulk: 'circle:0.6', outliers: '-1.2,0;0.2,-0.9' });
    const built = recurrentMatrix(config);
    const chosen = chosenSpectrum(config)!;
    expect(Array.from(chosen.re)).toEqual(Array.from(built.spectrum.re));
    expect(Array.from(chosen.im)).toEqual(Array.from(built.spectrum.im));
    expect(chosen.radius).toBe(built.spectrum.radius);
    // W0 is normal: sum |lambda|^2 = ||W0||_F^2, up to the rounding of Q B Q^T (~1e-15 relative).
    expect(Math.abs(chosen.meanSquare - meanSquare(built.W0, config.hidden))).toBeLessThan(1e-12);
  });

  it('scales with rho on the rho axis and moves only the first outlier on the outlier axis', () => {
    const rhoAxis = shownSpectrum(cfg({}), 0.5)!;
    expect(rhoAxis.outliers[0]).toEqual({ re: 0.55, im: 0 });
    expect(rhoAxis.bulk.radius).toBeCloseTo(0.35, 15);
    const outlierAxis = shownSpectrum(cfg({ sweep: 'outlier', rhoMin: 0.8, rhoMax: 1.3 }), 0.9)!;
    expect(outlierAxis.outliers[0].re).toBeCloseTo(0.9, 15);
    expect(outlierAxis.outliers[1]).toEqual({ re: 0.3, im: 0.8 });
    expect(outlierAxis.spectrum.re[0]).toBeCloseTo(0.9, 15);
    expect(outlierAxis.bulk.radius).toBe(0.7);
  });
});

describe('edits', () => {
  it('put the shown network eigenvalue where it was dragged (rho axis: the spec is the point over rho)', () => {
    for (let trial = 0; trial < 20; trial++) {
      const rho = 0.3 + 1.5 * rng.uniform(); // |point| / rho stays below MAX_EIGENVALUE (no capping)
      const re = 3 * rng.uniform() - 1.5;
      const im = 1.5 * rng.uniform() + 0.01;
      const config = cfg({});
      const patch = applyEdit(config, rho, { kind: 'move', index: 1, re, im });
      if (typeof patch === 'string') throw new Error(patch);
      const shown = shownSpectrum({ ...config, ...patch }, rho)!;
      expect(Math.abs(shown.outliers[1].re - re), `seed ${FRESH}`).toBeLessThanOrEqual(ROUNDING * rho + 1e-12);
      expect(Math.abs(shown.outliers[1].im - im), `seed ${FRESH}`).toBeLessThanOrEqual(ROUNDING * rho + 1e-12);
      // The pair's conjugate moves with it: the spectrum holds re - i im too.
      const s = shown.spectrum;
      expect(s.im[s.re.length > 2 ? 2 : 1]).toBeCloseTo(-shown.outliers[1].im, 12);
    }
  });

  it('a real outlier dragged off the axis becomes a pair, unless N has no room for its conjugate', () => {
    const free = applyEdit(cfg({}), 1, { kind: 'move', index: 0, re: 0.9, im: 0.4 });
    expect(free).toMatchObject({ outliers: '0.9,0.4;0.3,0.8' });
    const full = applyEdit(cfg({ hidden: 3 }), 1, { kind: 'move', index: 0, re: 0.9, im: 0.4 });
    expect(full).toMatchObject({ outliers: '0.9,0;0.3,0.8' });
  });

  it('on the outlier axis the first outlier sets the slider within the swept range and keeps a direction', () => {
    const config = cfg({ sweep: 'outlier', rhoMin: 0.8, rhoMax: 1.3 });
    expect(applyEdit(config, 1, { kind: 'move', index: 0, re: 1.2, im: 0 })).toEqual({ outliers: '1.2,0;0.3,0.8', bulk: 'disk:0.7', rho: 1.2 });
    expect(applyEdit(config, 1, { kind: 'move', index: 0, re: 2, im: 0 })).toMatchObject({ rho: 1.3 });
    expect(applyEdit(config, 1, { kind: 'move', index: 0, re: 0, im: 0 })).toMatch(/direction/);
  });

  it('the bulk radius, and add and remove within their limits', () => {
    expect(applyEdit(cfg({}), 2, { kind: 'radius', radius: 1 })).toMatchObject({ bulk: 'disk:0.5' });
    expect(applyEdit(cfg({}), 1, { kind: 'add', re: -0.5, im: 0 })).toMatchObject({ outliers: '1.1,0;0.3,0.8;-0.5,0' });
    expect(addProblem(cfg({ outliers: '1,0;0.5,0;0.2,0;0.1,0' }), false)).toMatch(/at most 4/);
    expect(addProblem(cfg({ hidden: 3, outliers: '1,0;0.5,0' }), true)).toMatch(/no room/);
    expect(applyEdit(cfg({}), 1, { kind: 'remove', index: 0 })).toMatchObject({ outliers: '0.3,0.8' });
    expect(removeProblem(cfg({ sweep: 'outlier', outliers: '1.1,0' }), 0)).toMatch(/first outlier/);
    expect(applyEdit(cfg({}), 0, { kind: 'move', index: 0, re: 1, im: 0 })).toMatch(/slider/);
  });
});

describe('the one-row config of a drag', () => {
  // The row is the same network and the same S sequences as row k of the sweep; only the
  // rounding of W differs (W0 + (m - m0) D against Q B(m) Q^T on the outlier axis, ~1e-15 per
  // entry), which T = 16 steps of a contracting or mildly expanding map keep far below 1e-9 in log10.
  for (const weights of ['tied', 'untied'] as const) {
    for (const sweep of ['rho', 'outlier'] as const) {
      it(`is row k of the full sweep: sweep ${sweep}, ${weights}`, async () => {
        const config = cfg({ sweep, weights, activation: rng.uniform() < 0.5 ? 'tanh' : 'linear', rhoMin: 0.8, rhoMax: 1.2, rhoCount: 5, outliers: '0.6,0.8;0.2,0' });
        const full = await new ReferenceEngine().run(config);
        const k = 1 + Math.floor(rng.uniform() * 3);
        const { run, shown } = previewConfigs(config, full.rho[k]);
        expect(shown).toMatchObject({ rhoMin: full.rho[k], rhoMax: full.rho[k], rhoCount: 1, sweep });
        const one = await new ReferenceEngine().run(run);
        const T = config.steps;
        for (let t = 0; t < T; t++) {
          expect(Math.abs(one.grids.gradLog10Mean[t] - full.grids.gradLog10Mean[k * T + t]), `t ${t + 1}, seed ${FRESH}`).toBeLessThan(1e-9);
          expect(Math.abs(one.grids.hiddenLog10Mean[t] - full.grids.hiddenLog10Mean[k * T + t]), `t ${t + 1}, seed ${FRESH}`).toBeLessThan(1e-9);
        }
        expect(outlierSummary(full, full.rho[k]).k).toBe(k);
      });
    }
  }
});

/** Compare mode: the difference grid's rules for infinities and overflow, drawn by the renderer. */
import { describe, expect, it } from 'vitest';
import { CompareError, differenceGrid, differenceOf } from '../../src/export/compare.ts';
import { buildHeatmapScene } from '../../src/export/figure.ts';
import { EXTREMES, SMALL, referenceField } from './fixtures.ts';
import { testFont } from './font-file.ts';

describe('difference grid', () => {
  it('subtracts cell by cell; equal infinities give 0; overflow in either run gives NaN', async () => {
    const a = await referenceField(EXTREMES);
    const b = await referenceField({ ...EXTREMES, seed: 4, inputScale: 3 });
    const d = differenceGrid(a, b, 'gradLog10Mean');
    let nan = 0;
    let zeroBoth = 0;
    for (let i = 0; i < d.length; i++) {
      const x = a.grids.gradLog10Mean[i];
      const y = b.grids.gradLog10Mean[i];
      if (a.overflow[i] || b.overflow[i]) {
        expect(d[i]).toBeNaN();
        nan++;
      } else if (x === -Infinity && y === -Infinity) {
        expect(d[i]).toBe(0);
        zeroBoth++;
      } else expect(d[i]).toBe(x - y);
    }
    expect(nan).toBeGreaterThan(0);
    expect(zeroBoth).toBe(a.T - 1); // rho = 0 in both
    const scene = buildHeatmapScene(a, testFont(), { grid: 'gradLog10Mean', difference: differenceOf(a, b, 'gradLog10Mean', 'seed 3', 'seed 4') });
    expect(scene.counts.overflow).toBe(nan);
    expect(scene.colourBarLabel).toBe('seed 3 \u2212 seed 4, log\u2081\u2080 \u2016dL/dh\u209c\u2016');
  });

  it('refuses runs of different shapes or rho values', async () => {
    const a = await referenceField(SMALL);
    const b = await referenceField({ ...SMALL, steps: 20 });
    expect(() => differenceGrid(a, b, 'saturation')).toThrow(CompareError);
    const c = await referenceField({ ...SMALL, rhoMax: 1.4 });
    expect(() => differenceGrid(a, c, 'saturation')).toThrow(/different rho values/);
  });
});

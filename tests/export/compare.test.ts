/**
 * Compare mode: the difference rule (one cell: differenceValue; the grid: differenceGrid) for
 * infinities and overflow, drawn by the renderer, and used as it is by the lab's plots (ui/derive.ts).
 */
import { describe, expect, it } from 'vitest';
import { CELL_FLAG } from '../../src/core/range.ts';
import type { RunResult } from '../../src/app/store.ts';
import { cellColourInto, colourTable, LUT_SIZE } from '../../src/export/colormap.ts';
import { CompareError, differenceFlags, differenceGrid, differenceOf, differenceValue } from '../../src/export/compare.ts';
import { buildHeatmapScene } from '../../src/export/figure.ts';
import { formatCell } from '../../src/export/ticks.ts';
import { derivePlots } from '../../src/ui/derive.ts';
import { EXTREMES, SMALL, referenceField } from './fixtures.ts';
import { testFont } from './font-file.ts';

describe('the difference rule, one cell', () => {
  it('A - B where both are defined; 0 where both are the same exact zero', () => {
    expect(differenceValue(-3.25, -1, 0, 0)).toBe(-2.25);
    expect(differenceValue(0.5, 0.5, 0, 0)).toBe(0);
    expect(differenceValue(-Infinity, -Infinity, 0, 0)).toBe(0);
  });

  it('an exact zero on one side only is an infinite difference with the sign of A - B', () => {
    // log10|A| - log10|B| with A = 0 and B != 0 is -Infinity (A is infinitely many decades below B).
    expect(differenceValue(-Infinity, -7.5, 0, 0)).toBe(-Infinity);
    expect(differenceValue(-7.5, -Infinity, 0, 0)).toBe(Infinity);
  });

  it('overflow (a flag or NaN) on either side makes the difference undefined, whatever the values', () => {
    expect(differenceValue(1, 2, 1, 0)).toBeNaN();
    expect(differenceValue(1, 2, 0, 1)).toBeNaN();
    expect(differenceValue(-Infinity, -Infinity, 1, 0)).toBeNaN();
    expect(differenceValue(NaN, 2, 0, 0)).toBeNaN();
    expect(differenceValue(2, NaN, 0, 0)).toBeNaN();
    expect(differenceValue(NaN, NaN, 0, 0)).toBeNaN();
    expect(Array.from(differenceFlags(Float64Array.from([1, NaN, -Infinity, Infinity, 0])))).toEqual([0, 1, 0, 0, 0]);
  });

  it('infinite differences take the ends of the diverging colour map and read out which side is zero', () => {
    const lut = colourTable('rdbu');
    const out = [0, 0, 0];
    const range = { min: -2, max: 2 };
    expect(cellColourInto(out, 0, -Infinity, 0, range, 'rdbu')).toBe(true);
    expect(out).toEqual(Array.from(lut.subarray(0, 3)));
    expect(cellColourInto(out, 0, Infinity, 0, range, 'rdbu')).toBe(true);
    expect(out).toEqual(Array.from(lut.subarray(3 * (LUT_SIZE - 1), 3 * LUT_SIZE)));
    expect(cellColourInto(out, 0, NaN, 0, range, 'rdbu')).toBe(false);
    expect(formatCell(-Infinity, 0, true)).toBe('\u2212\u221e (A exactly zero, B not)');
    expect(formatCell(Infinity, 0, true)).toBe('+\u221e (B exactly zero, A not)');
    expect(formatCell(-Infinity, 0, false)).toBe('exactly zero (\u2212\u221e in log10)');
    expect(formatCell(1, 1, true)).toBe('undefined (overflow or out of range in A or B)');
    // The cell flag's kinds (src/core/range.ts) are named apart.
    expect(formatCell(1, CELL_FLAG.overflow)).toBe('overflow (undefined)');
    expect(formatCell(-3, CELL_FLAG.range)).toMatch(/^out of range/);
    expect(formatCell(NaN, CELL_FLAG.overflow | CELL_FLAG.range)).toBe('overflow and out of range (not computed)');
    expect(formatCell(-0.25, 0, true)).toBe('\u22120.250');
  });
});

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

  it("the lab's difference heatmap (ui/derive.ts) is this grid, with the range, flags and counts the exported figure uses", async () => {
    const a = await referenceField(EXTREMES);
    // ReLU with few units: whole samples die (every unit at a <= 0), so B has exact zeros where A (linear) does not.
    const b = await referenceField({ ...EXTREMES, activation: 'relu', hidden: 3 });
    const diff = differenceOf(a, b, 'gradLog10Mean', 'linear', 'relu');
    const plots = derivePlots({ a, b } as unknown as RunResult, 'grad');
    expect(plots.diff).not.toBeNull();
    expect(Array.from(plots.diff!.values)).toEqual(Array.from(diff.values));
    const scene = buildHeatmapScene(a, testFont(), { grid: 'gradLog10Mean', difference: diff });
    // The ends must agree; the legend's words are each renderer's own (the figure states its rule in a line).
    const ends = (r: { min: number; max: number }) => [r.min, r.max];
    expect(ends(plots.diff!.range)).toEqual(ends(scene.range));
    expect(Array.from(plots.diff!.overflow)).toEqual(Array.from(scene.overflow));
    expect(plots.diff!.counts).toEqual(scene.counts);
    // The case the rule is for really occurs here: exact zeros on one side only, and overflow.
    expect(scene.counts.positiveInfinity + scene.counts.negativeInfinity).toBeGreaterThan(0);
    expect(scene.counts.overflow).toBeGreaterThan(0);
    // A's own heatmap outside compare mode: the exported figure's range and counts too.
    const alone = derivePlots({ a, b: null } as unknown as RunResult, 'grad');
    const sceneA = buildHeatmapScene(a, testFont(), { grid: 'gradLog10Mean' });
    expect(ends(alone.heatA.range)).toEqual(ends(sceneA.range));
    expect(alone.heatA.counts).toEqual(sceneA.counts);
  });
});

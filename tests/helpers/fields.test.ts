/**
 * The field comparison that every engine test relies on, tested on hand-made fields: a real
 * mismatch is reported however many excused or skipped cells come before it, every mismatch is
 * counted past the cap on what is printed, non-finite values agree only with themselves, the
 * range flags and the pool are enforced, and the fraction bounds fail when exceeded.
 */
import { describe, expect, it } from 'vitest';
import { GRID_NAMES, type GridName } from '../../src/core/field.ts';
import { combine, compareFields, expectAgreement, MAX_REPORTED, strictRules, type Check, type CompareRules, type FieldLike } from './fields.ts';

const K = 4;
const T = 25; // 100 cells

function field(fill = 0): FieldLike & { grids: Record<GridName, Float64Array>; overflow: Uint8Array } {
  const grids = Object.fromEntries(GRID_NAMES.map((g) => [g, new Float64Array(K * T).fill(fill)])) as Record<GridName, Float64Array>;
  return { K, T, grids, overflow: new Uint8Array(K * T) };
}

const TOL = Object.fromEntries(GRID_NAMES.map((g) => [g, 1e-3])) as Record<GridName, number>;
const loose = { skipped: { atMost: 1, because: 'unit test' }, sensitive: { atMost: 1, because: 'unit test' } };

describe('compareFields', () => {
  it('reports a real mismatch that comes after many excused cells, and counts only that one', () => {
    const ref = field();
    const got = field();
    // 40 cells that the excuse accepts (more than any cap on reported mismatches), then one real one.
    for (let i = 0; i < 40; i++) got.grids.hiddenLog10Mean[i] = -Infinity;
    got.grids.gradLog10Mean[90] = 0.5;
    const rules: CompareRules = { ...strictRules(TOL), excuse: (m) => (m.grid === 'hiddenLog10Mean' && m.got === -Infinity ? 'float32 cancellation' : null) };
    const c = compareFields(got, ref, rules, 'excused then real');
    expect(40).toBeGreaterThan(MAX_REPORTED);
    expect(c.mismatchCount).toBe(1);
    expect(c.mismatches).toEqual([expect.objectContaining({ grid: 'gradLog10Mean', k: 3, t: 16, got: 0.5, ref: 0 })]);
    expect(c.excusedCells).toBe(40);
    expect(c.skippedCells).toBe(40);
    expect(() => expectAgreement(c, loose)).toThrow(/1 mismatches.*\n.*gradLog10Mean k=3 t=16/);
    // Without the real one, the excused cells still count against the skip bound.
    got.grids.gradLog10Mean[90] = 0;
    const clean = compareFields(got, ref, rules, 'excused only');
    expect(clean.mismatchCount).toBe(0);
    expectAgreement(clean, { skipped: { atMost: 0.4, because: 'exactly 40 of 100 excused' }, sensitive: loose.sensitive });
    expect(() => expectAgreement(clean, { skipped: { atMost: 0.39, because: 'one fewer' }, sensitive: loose.sensitive })).toThrow(/skipped 0.4 of the cells, more than the bound 0.39 \(one fewer\)/);
  });

  it('reports a real mismatch after many skipped values, and counts every mismatch beyond the cap', () => {
    const ref = field();
    const got = field();
    for (let i = 0; i < 60; i++) got.grids.saturation[i] = 0.9; // skipped by the rule below
    for (let i = 60; i < 100; i++) got.grids.weightGradLog10[i] = 1; // 40 real mismatches
    const c = compareFields(got, ref, { overflow: 'equal', check: (g, cell) => (g === 'saturation' && cell.i < 60 ? { skip: 'test skip' } : { tol: 1e-3 }) }, 'skip then real');
    expect(c.mismatchCount).toBe(40);
    expect(c.mismatches.length).toBe(MAX_REPORTED);
    expect(c.mismatches[0]).toMatchObject({ grid: 'weightGradLog10', k: 2, t: 11 });
    expect(c.reasons['test skip']).toBe(60);
    expect(() => expectAgreement(c, loose)).toThrow(/40 mismatches[\s\S]*and 28 more/);
  });

  it('non-finite values agree only with the same value; a one-sided check lets -Infinity through', () => {
    const ref = field();
    const got = field();
    ref.grids.gradLog10Mean.set([-Infinity, NaN, -Infinity, 1, NaN]);
    got.grids.gradLog10Mean.set([-Infinity, NaN, 0, -Infinity, 0]);
    const c = compareFields(got, ref, strictRules(TOL), 'non-finite');
    expect(c.mismatches.map((m) => m.t)).toEqual([3, 4, 5]);
    const oneSided: Check = { below: Infinity, above: 0.1 };
    const d = compareFields(got, ref, { overflow: 'equal', check: (g, cell) => (g === 'gradLog10Mean' && cell.i === 3 ? oneSided : { tol: 1e-3 }) }, 'one-sided');
    expect(d.mismatches.map((m) => m.t)).toEqual([3, 5]);
    const above = field();
    above.grids.gradLog10Mean[3] = 1.2;
    expect(compareFields(above, ref, { overflow: 'equal', check: (g, cell) => (g === 'gradLog10Mean' && cell.i === 3 ? oneSided : { tol: Infinity }) }, 'above').mismatchCount).toBe(3);
  });

  it('kindOnly compares only the kind of value and counts the cell as skipped', () => {
    const ref = field();
    const got = field();
    got.grids.gradLog10Std[0] = 5; // finite vs finite: passes
    got.grids.gradLog10Std[1] = -Infinity; // finite vs -Infinity: fails
    const c = compareFields(got, ref, { overflow: 'equal', check: (g) => (g === 'gradLog10Std' ? { kindOnly: 'chaotic' } : { tol: 1e-3 }) }, 'kind');
    expect(c.mismatchCount).toBe(1);
    expect(c.mismatches[0]).toMatchObject({ grid: 'gradLog10Std', t: 2 });
    expect(c.skippedCells).toBe(K * T);
  });

  it('range flags: equal must match; superset needs the reference\'s flags and justifies the extra ones', () => {
    const ref = field();
    const got = field();
    ref.overflow[5] = 1;
    got.overflow[7] = 1;
    got.grids.gradLog10Mean[7] = NaN; // not compared where only the engine flags (superset)
    const equal = compareFields(got, ref, strictRules(TOL), 'equal');
    expect(equal.mismatches.map((m) => [m.grid, m.t])).toEqual([
      ['overflow', 6],
      ['overflow', 8],
      ['gradLog10Mean', 8],
    ]);
    const superset = compareFields(got, ref, { ...strictRules(TOL), overflow: 'superset', extraFlag: (cell) => (cell.i === 7 ? null : 'unexplained') }, 'superset');
    expect(superset.mismatches.map((m) => [m.grid, m.t])).toEqual([['overflow', 6]]);
    expect(superset.skippedCells).toBe(1);
    const unexplained = compareFields(got, ref, { ...strictRules(TOL), overflow: 'superset', extraFlag: () => 'unexplained' }, 'superset');
    expect(unexplained.mismatches.map((m) => [m.grid, m.t, m.message])).toEqual([
      ['overflow', 6, 'the reference flags this cell out of range, the engine does not'],
      ['overflow', 8, 'unexplained'],
    ]);
  });

  it('pooled values: the mean difference is bounded by the perturbed reference\'s; the cells count as sensitive', () => {
    const ref = field();
    const got = field(0.01);
    const rules = (effect: number): CompareRules => ({ overflow: 'equal', check: (g, cell) => (cell.k === 0 && g === 'gradLog10Mean' ? { pooled: effect } : { tol: 0.02 }), pool: { factor: 3, slack: 1e-3 } });
    const ok = compareFields(got, ref, rules(0.004), 'pool ok'); // 0.01 <= 3 x 0.004 + 0.001
    expect(ok.mismatchCount).toBe(0);
    expect(ok.sensitiveCells).toBe(T);
    expectAgreement(ok, { skipped: { atMost: 0, because: 'none skipped' }, sensitive: { atMost: 0.25, because: 'row 0 of 4' } });
    expect(() => expectAgreement(ok, { skipped: { atMost: 0, because: 'none' }, sensitive: { atMost: 0.2, because: 'too tight' } })).toThrow(/sensitive, more than the bound 0.2/);
    const bad = compareFields(got, ref, rules(0.002), 'pool bad'); // 0.01 > 3 x 0.002 + 0.001
    expect(bad.mismatches).toEqual([expect.objectContaining({ grid: 'pool' })]);
  });

  it('a shape mismatch fails; combine() adds counts and keeps the first mismatches with their context', () => {
    const ref = field();
    const other: FieldLike = { ...field(), T: T - 1 };
    expect(compareFields(other, ref, strictRules(TOL), 'shape').mismatches[0].grid).toBe('shape');
    const got = field();
    got.grids.saturation[3] = 1;
    const both = combine([compareFields(got, ref, strictRules(TOL), 'first'), compareFields(got, ref, strictRules(TOL), 'second')]);
    expect(both.cells).toBe(2 * K * T);
    expect(both.mismatchCount).toBe(2);
    expect(both.mismatches.map((m) => m.message.endsWith('[second]'))).toEqual([false, true]);
  });

  it('reads grids held as fields (GradientField) as well as under `grids`', () => {
    const ref = field();
    const flat = { K, T, overflow: ref.overflow, ...ref.grids };
    flat.hiddenLog10Mean = Float64Array.from(flat.hiddenLog10Mean).fill(2);
    const c = compareFields(flat, ref, strictRules(TOL), 'flat');
    expect(c.mismatchCount).toBe(K * T);
    expect(c.mismatches[0].grid).toBe('hiddenLog10Mean');
  });
});

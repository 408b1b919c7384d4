/**
 * What the plots draw (src/ui/derive.ts), from real float64 reference runs: the shown grid and
 * its colour range (shared by A and B, recomputed here from the finite, unflagged cells), the
 * natural 0..1 range of the saturated fraction, the compare-mode difference plot's frame, and the
 * slice at the slider's rho with its theory rows derived here by hand. (The A - B difference
 * values have their own tests with the exported difference.)
 */
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/app/store.ts';
import { SHOWN_FIELDS, SHOWN_GRID, SHOWN_LABEL, type ShownField } from '../../src/app/state.ts';
import { activationFns } from '../../src/core/activations.ts';
import { parseConfig, type Config } from '../../src/core/config.ts';
import { STATISTICS, type GradientField } from '../../src/core/field.ts';
import { ReferenceEngine } from '../../src/core/reference.ts';
import { saturationWords, derivePlots, deriveSlice } from '../../src/ui/derive.ts';
import { statisticRange } from '../../src/export/colormap.ts';
import { gridOf } from '../helpers/fields.ts';
import { testSeed } from '../helpers/seed.ts';

const SEED = testSeed('derive tests');
const reference = new ReferenceEngine();

async function result(a: Partial<Config>, b?: Partial<Config>): Promise<RunResult> {
  const base = { hidden: 8, steps: 30, rhoMin: 0.4, rhoMax: 3, rhoCount: 6, samples: 3, seed: SEED };
  const fa = await reference.run(parseConfig({ ...base, ...a }));
  const fb = b ? await reference.run(parseConfig({ ...base, ...b })) : null;
  return { a: fa, b: fb, wallMs: 1, msPerStep: 1, gflops: 1, finishedAt: 0 };
}

/** lo and hi of the finite cells that no flag marks, over the given fields. */
function finiteRange(fields: GradientField[], field: ShownField): { lo: number; hi: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const f of fields) {
    const g = gridOf(f, SHOWN_GRID[field]);
    for (let i = 0; i < g.length; i++) {
      if (f.overflow[i] || !Number.isFinite(g[i])) continue;
      lo = Math.min(lo, g[i]);
      hi = Math.max(hi, g[i]);
    }
  }
  return { lo, hi };
}

describe('derivePlots', () => {
  it('shows the chosen grid of A with the range of its finite cells; saturation on 0..1 with its own colour map', async () => {
    // relu at rho up to 3 over 30 steps: the forward pass stays finite but the range is wide.
    const r = await result({ activation: 'relu', h0: 'random' });
    for (const field of SHOWN_FIELDS) {
      const p = derivePlots(r, field);
      expect(p.a.values).toBe(gridOf(r.a, SHOWN_GRID[field]));
      expect(p.heatA.values).toBe(p.a.values);
      expect(p.a.overflow).toBe(r.a.overflow);
      expect([p.a.K, p.a.T, p.heatA.K, p.heatA.T]).toEqual([r.a.K, r.a.T, r.a.K, r.a.T]);
      // The saturation view's legend says what it counts for this activation (saturation-words.test.ts).
      expect(p.heatA.valueLabel).toBe(field === 'saturation' ? saturationWords(r.a.config) : SHOWN_LABEL[field]);
      expect(p.b).toBeNull();
      expect(p.heatB).toBeNull();
      expect(p.diff).toBeNull();
      const fixed = STATISTICS[SHOWN_GRID[field]].range;
      if (field === 'saturation') {
        // A fraction keeps its natural scale, so that half looks like half, and its own colour map.
        expect([p.a.range.min, p.a.range.max]).toEqual([0, 1]);
        expect(p.a.colormap).not.toBe(derivePlots(r, 'grad').a.colormap);
      } else if (fixed) {
        expect([p.a.range.min, p.a.range.max], field).toEqual([...fixed]);
      } else {
        const { lo, hi } = finiteRange([r.a], field);
        expect(hi - lo, field).toBeGreaterThan(STATISTICS[SHOWN_GRID[field]].log ? 1 : 0.01); // the draw spans a real range
        expect([p.a.range.min, p.a.range.max], field).toEqual([lo, hi]);
      }
      if (STATISTICS[SHOWN_GRID[field]].log) expect(p.a.colormap).toBe(derivePlots(r, 'grad').a.colormap);
    }
  });

  it('marks exact zeros and overflow in the range: rho = 0 gives -Infinity, a linear explosion overflows', async () => {
    const zero = derivePlots(await result({ rhoMin: 0, rhoMax: 0.5, rhoCount: 2 }), 'grad');
    // rho = 0: every gradient before T is an exact zero, counted for the legend; nothing overflows.
    expect(zero.a.counts.negativeInfinity).toBe(zero.a.T - 1);
    expect(zero.a.counts.overflow).toBe(0);
    // ||h_t|| ~ 10^t at rho = 10: beyond float64 (1.8e308) within 400 steps.
    const big = await result({ activation: 'linear', rhoMin: 2, rhoMax: 10, rhoCount: 3, steps: 400 });
    expect(big.a.overflow.some((v) => v === 1), 'the run overflows float64').toBe(true);
    const p = derivePlots(big, 'hidden');
    expect(p.a.counts.overflow).toBe(big.a.overflow.reduce((n, v) => n + v, 0));
    const { lo, hi } = finiteRange([big.a], 'hidden');
    expect([p.a.range.min, p.a.range.max]).toEqual([lo, hi]);
  });

  it('in compare mode A and B share one range (so equal colours mean equal values) and the difference plot is symmetric', async () => {
    const r = await result({ activation: 'tanh' }, { activation: 'sigmoid' });
    for (const field of ['grad', 'hidden', 'weight'] as const) {
      const p = derivePlots(r, field);
      const { lo, hi } = finiteRange([r.a, r.b!], field);
      const alone = finiteRange([r.a], field);
      // The shared range covers both; sigmoid's gradient (phi' <= 1/4) falls below tanh's.
      if (field === 'grad') expect(lo, field).toBeLessThan(alone.lo);
      // One range over A and B together (widened where their values differ by noise only, colormap.ts).
      const shared = statisticRange([r.a, r.b!].map((f) => ({ values: f.grids[SHOWN_GRID[field]], overflow: f.overflow })), SHOWN_GRID[field], r.a.T);
      expect([p.a.range.min, p.a.range.max], field).toEqual([shared.min, shared.max]);
      expect(shared.min, field).toBeLessThanOrEqual(lo);
      expect(shared.max, field).toBeGreaterThanOrEqual(hi);
      if (shared.rule === 'auto') expect([shared.min, shared.max], field).toEqual([lo, hi]);
      expect(p.b!.range).toEqual(p.a.range);
      expect(p.b!.values).toBe(gridOf(r.b!, SHOWN_GRID[field]));
      expect(p.heatB!.range).toEqual(p.a.range);
      expect(p.heatB!.values).toBe(p.b!.values);
      const d = p.diff!;
      expect(d.range.min).toBe(-d.range.max);
      expect(d.range.max).toBeGreaterThan(0);
      expect([d.K, d.T, d.rho]).toEqual([r.a.K, r.a.T, r.a.rho]);
      expect(d.valueLabel).toContain('tanh');
      expect(d.valueLabel).toContain('sigmoid');
      expect(d.valueLabel).toContain(SHOWN_LABEL[field]);
      expect(d.colormap).not.toBe(p.a.colormap);
    }
  });
});

describe('deriveSlice', () => {
  it("follows Show: the shown field's row of A and B, with its unit and fixed range; none for the gradient itself", async () => {
    const r = await result({ activation: 'tanh', rhoMin: 0.5, rhoMax: 3, rhoCount: 6 }, { activation: 'relu' });
    const T = r.a.T;
    expect(deriveSlice(r, 1.5, 'grad').slice.shown).toBeNull();
    for (const field of SHOWN_FIELDS.filter((f) => f !== 'grad')) {
      const { k, slice } = deriveSlice(r, 1.5, field);
      const g = SHOWN_GRID[field];
      const s = slice.shown!;
      expect(s.key).toBe(field);
      expect(Array.from(s.values), field).toEqual(Array.from(gridOf(r.a, g)).slice(k * T, (k + 1) * T));
      expect(Array.from(s.valuesB!), field).toEqual(Array.from(gridOf(r.b!, g)).slice(k * T, (k + 1) * T));
      expect(s.unit).toBe(STATISTICS[g].unit);
      expect(s.range).toEqual(STATISTICS[g].range ? [...STATISTICS[g].range!] : null);
      expect(s.label).toContain('tanh');
      expect(s.labelB).toContain('relu');
      // The gradient stays in the slice, for the optional second line.
      expect(Array.from(slice.grad)).toEqual(Array.from(gridOf(r.a, 'gradLog10Mean')).slice(k * T, (k + 1) * T));
    }
  });

  it('takes the row of the rho nearest the slider, with the theory rows for that rho (derived here)', async () => {
    const r = await result({ activation: 'sigmoid', rhoMin: 0.5, rhoMax: 3, rhoCount: 6 }, { activation: 'tanh' });
    const { a } = r;
    const T = a.T;
    // rho = 0.5, 1, 1.5, ..., 3: 1.7 is nearest to 1.5 (k = 2), 2.8 to 3 (k = 5), 0 to 0.5 (k = 0).
    for (const [slider, want] of [
      [1.7, 2],
      [2.8, 5],
      [0, 0],
      [99, 5],
    ]) {
      const { k, slice } = deriveSlice(r, slider);
      expect(k, `slider ${slider}`).toBe(want);
      expect(slice.rho).toBe(a.rho[k]);
      expect(slice.T).toBe(T);
      expect(Array.from(slice.grad)).toEqual(Array.from(gridOf(a, 'gradLog10Mean')).slice(k * T, (k + 1) * T));
      expect(Array.from(slice.gradStd)).toEqual(Array.from(gridOf(a, 'gradLog10Std')).slice(k * T, (k + 1) * T));
      expect(Array.from(slice.hidden)).toEqual(Array.from(gridOf(a, 'hiddenLog10Mean')).slice(k * T, (k + 1) * T));
      expect(Array.from(slice.overflow)).toEqual(Array.from(a.overflow).slice(k * T, (k + 1) * T));
      expect(Array.from(slice.gradB!)).toEqual(Array.from(gridOf(r.b!, 'gradLog10Mean')).slice(k * T, (k + 1) * T));
      const gamma = 0.25; // sup sigmoid' = sigmoid'(0) = 1/4
      expect(activationFns('sigmoid').gamma).toBe(gamma);
      for (let t = 1; t <= T; t++) {
        expect(slice.linear[t - 1]).toBeCloseTo((T - t) * Math.log10(a.rho[k]), 12);
        expect(slice.pascanu[t - 1]).toBeCloseTo((T - t) * Math.log10(gamma * a.rho[k] * a.spectrum.norm), 12);
      }
      expect(slice.labelA).toContain('sigmoid');
      expect(slice.labelB).toContain('tanh');
    }
    const single = deriveSlice(await result({}), 1);
    expect(single.slice.gradB).toBeNull();
    expect(single.slice.overflowB).toBeNull();
    expect(single.slice.labelB).toBe('');
  });
});

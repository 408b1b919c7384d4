/**
 * What a preset's explanation claims, checked on the float64 reference with the preset's own
 * configuration (its seed, S and T), so the text cannot drift from what the lab shows.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config.ts';
import { ReferenceEngine } from '../../src/core/reference.ts';
import { presetById, presetState } from '../../src/app/presets.ts';

describe('IRNN preset', () => {
  const preset = presetById('irnn')!;
  const base = presetState(preset).config;
  const at = (rho: number) => new ReferenceEngine().run(parseConfig({ ...base, rhoMin: rho, rhoMax: rho, rhoCount: 1 }));

  it('rho = 1: the gradient at t = 1 is within a decade of t = T, exactly 0 in 1 of the 16 samples', async () => {
    expect(base.samples).toBe(16);
    expect(preset.explanation).toContain('1 of the 16 samples at t = 1');
    const f = await at(1);
    const T = f.T;
    expect(f.grids.gradLog10Mean[T - 1]).toBeCloseTo(0, 12); // ||dL/dh_T|| = ||r|| = 1
    // The mean over the non-zero samples: finite, within a decade of t = T.
    expect(Math.abs(f.grids.gradLog10Mean[0])).toBeLessThan(1);
    expect(f.grids.gradZeroFraction[0]).toBe(1 / 16);
  });

  it('rho = 0.9: 15 of 16 samples exactly 0 at t = 1; rho = 0.8: every sample', async () => {
    expect(preset.explanation).toContain('at ρ = 0.9, 15 of 16 at t = 1');
    const f9 = await at(0.9);
    expect(f9.grids.gradZeroFraction[0]).toBe(15 / 16);
    expect(Number.isFinite(f9.grids.gradLog10Mean[0])).toBe(true);
    const f8 = await at(0.8);
    expect(f8.grids.gradZeroFraction[0]).toBe(1);
    expect(f8.grids.gradLog10Mean[0]).toBe(-Infinity);
  });
});

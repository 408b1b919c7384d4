/**
 * The spectrum presets' texts quote numbers of the float64 reference (bench/preset-numbers.ts
 * prints them): recomputed here with each preset's own configuration, one row at a time (row k
 * of the outlier sweep is the same network and the same S sequences as a one-row sweep at
 * |lambda_1| = rho_k), so a text cannot drift from the engine. The numbers are quoted to 0.1
 * decades and 0.01 decades per step, so the check is the text's own rounding of the recomputed value.
 */
import { describe, expect, it } from 'vitest';
import { presetById, presetState } from '../../src/app/presets.ts';
import { parseConfig, type Config } from '../../src/core/config.ts';
import { ReferenceEngine } from '../../src/core/reference.ts';
import { outlierSummary } from '../../src/core/spectrum-edit.ts';

/** log10 ||dL/dh_1|| and the slope at t = 1 of the preset's row at |lambda_1| = value. */
async function row(base: Config, patch: Partial<Config>, value: number) {
  const f = await new ReferenceEngine().run(parseConfig({ ...base, ...patch, rhoMin: value, rhoMax: value, rhoCount: 1 }));
  return outlierSummary(f, value);
}

/** How the texts write a power of ten: 10^-10.6, 10^9.9. */
const power = (log10: number) => `10^${log10.toFixed(1)}`;

describe('"One eigenvalue above 1" preset', () => {
  const preset = presetById('one-eigenvalue-above-1')!;
  const base = presetState(preset).config;
  const text = preset.explanation;

  it('its sweep holds the values the text quotes, and it is the spectrum the text describes', () => {
    expect(base).toMatchObject({ init: 'spectrum', bulk: 'disk:0.8', outliers: '1.1,0', sweep: 'outlier', rhoMin: 0.8, rhoMax: 1.3, hidden: 64, steps: 100, samples: 16 });
    expect(preset.view.compare).toBe('relu');
  });

  it('linear: the gradient at t = 1 the text quotes, and the slope at t = 1 changes sign as the outlier passes 1', async () => {
    for (const v of [0.8, 1, 1.3]) expect(text).toContain(power((await row(base, {}, v)).gradT1));
    const below = await row(base, {}, 0.9);
    const above = await row(base, {}, 1.1);
    // Vanishing below 1 (the gradient shrinks going back in time), exploding above.
    expect(below.slopeT1).toBeGreaterThan(0);
    expect(above.slopeT1).toBeLessThan(0);
    expect(text).toContain(`+${below.slopeT1.toFixed(2)} decades per step at 0.9, −${(-above.slopeT1).toFixed(2)} at 1.1`);
  });

  it('ReLU and tanh: still vanishing at 1.3, at the numbers the text quotes', async () => {
    for (const activation of ['relu', 'tanh'] as const) {
      const top = await row(base, { activation }, 1.3);
      expect(top.slopeT1, activation).toBeGreaterThan(0);
      expect(text).toContain(`${power(top.gradT1)} at 1.3`);
    }
    expect(text).toContain(`${power((await row(base, { activation: 'relu' }, 0.8)).gradT1)} at 0.8`);
  });
});

describe('"RNN versus deep feed-forward" preset', () => {
  const preset = presetById('rnn-vs-feedforward')!;
  const base = presetState(preset).config;
  const text = preset.explanation;

  it('compares tied (A) with untied (B) on the outlier spectrum', () => {
    expect(base).toMatchObject({ init: 'spectrum', bulk: 'disk:0.8', outliers: '1.1,0', sweep: 'outlier', activation: 'linear', weights: 'tied' });
    expect(preset.view.compare).toBe('untied');
  });

  it('tied compounds the outlier, untied does not: the numbers the text quotes', async () => {
    const tied = [await row(base, {}, 0.8), await row(base, {}, 1.3)];
    const untied = [await row(base, { weights: 'untied' }, 0.8), await row(base, { weights: 'untied' }, 1.3)];
    expect(text).toContain(`from ${power(tied[0].gradT1)} at |λ₁| = 0.8 to ${power(tied[1].gradT1)} at 1.3`);
    expect(text).toContain(`${power(untied[0].gradT1)} at 0.8, ${power(untied[1].gradT1)} at 1.3`);
    // "stays within a decade of 10^-23".
    for (const u of untied) expect(Math.abs(u.gradT1 + 23)).toBeLessThan(1);
    // Tied grows by about 20 decades over the sweep, untied by about one.
    expect(tied[1].gradT1 - tied[0].gradT1).toBeGreaterThan(15);
    expect(untied[1].gradT1 - untied[0].gradT1).toBeLessThan(2);
  });
});

/**
 * The cell flags and their rules (src/core/range.ts), from the activation table: which states are
 * out of an engine's range, which flags undefine the backward pass, and the reference's own flags
 * where float64 runs out (relu at rho = 5e-4 without input reaches 1e-300 by t ~ 90).
 */
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, activationFns } from '../../src/core/activations.ts';
import { parseConfig } from '../../src/core/config.ts';
import { backwardCrossesFlag, CELL_FLAG, cellFlagText, flagKinds, RANGE_FLOOR, rangeRule, stateOutOfRange } from '../../src/core/range.ts';
import { bundleToJson, fieldFromBundle } from '../../src/core/bundle.ts';
import { ReferenceEngine } from '../../src/core/reference.ts';

describe('the range rule', () => {
  const f32 = RANGE_FLOOR.float32;

  it('flags a tiny state, keeps exact zeros, and ignores a tiny a where phi(0) != 0 and phi is smooth', () => {
    const tanh = rangeRule('tanh', {}, f32);
    expect(stateOutOfRange(1e-31, 1e-31, tanh)).toBe(true); // h ~ a about to underflow
    expect(stateOutOfRange(1e-20, 1e-20, tanh)).toBe(false);
    expect(stateOutOfRange(0, 0, tanh)).toBe(false); // a = 0 exactly: h = 0 exactly
    const relu = rangeRule('relu', {}, f32);
    expect(stateOutOfRange(1e-31, 0, relu)).toBe(true); // every a_i <= 0 but tiny: signs in question
    expect(stateOutOfRange(2, 0, relu)).toBe(false); // every unit dead at a normal a: an exact zero
    expect(stateOutOfRange(2, 1e-33, relu)).toBe(true); // a tiny positive h next to a large negative a
    const sigmoid = rangeRule('sigmoid', {}, f32);
    expect(stateOutOfRange(1e-31, 0.5, sigmoid)).toBe(false); // sigmoid(tiny) = 1/2 to rounding
    expect(stateOutOfRange(100, 0, sigmoid)).toBe(true); // every unit at a < -87: h underflowed to 0
    expect(stateOutOfRange(100, 1e-40, sigmoid)).toBe(true);
    // leaky_relu and elu with alpha = 0 are exactly 0 on the negative side; with alpha > 0 they are not.
    expect(rangeRule('leaky_relu', { leakyAlpha: 0 }, f32).zeroSide).toBe(true);
    expect(rangeRule('leaky_relu', { leakyAlpha: 0.1 }, f32).zeroSide).toBe(false);
    expect(rangeRule('elu', { eluAlpha: 0 }, f32).zeroSide).toBe(true);
  });

  it('the sum of squares below which a state can be out of range bounds every case of the rule', () => {
    // An engine checks the state only when sum h^2 is below sumSquaresBelow(N): it must hold for
    // every state the rule flags. Probe with states of N equal units at the edge of each case.
    for (const act of ACTIVATIONS) {
      const params = { eluAlpha: 10, leakyAlpha: 1 };
      const rule = rangeRule(act, params, f32);
      const bound = rule.sumSquaresBelow(7);
      const fns = activationFns(act, params);
      // a tiny a (where it matters): |h_i| = |phi(a_i)| <= gamma |a_i| for phi(0) = 0
      if (rule.tinyA && Number.isFinite(bound)) {
        for (const a of [0.99 * f32, -0.99 * f32]) expect(7 * fns.output(a) ** 2, act).toBeLessThan(bound);
      }
      // a tiny h
      expect(7 * (0.99 * f32) ** 2).toBeLessThan(bound);
    }
  });

  it('which flags undefine the backward pass: kinks after leaving the range, unbounded phi after an overflow', () => {
    expect(backwardCrossesFlag('relu', {}, 'range')).toBe(true);
    expect(backwardCrossesFlag('leaky_relu', { leakyAlpha: 0.1 }, 'range')).toBe(true);
    expect(backwardCrossesFlag('elu', { eluAlpha: 2 }, 'range')).toBe(true);
    // smooth phi': phi'(tiny a) = phi'(0) to rounding
    for (const act of ['tanh', 'sigmoid', 'softplus', 'linear'] as const) expect(backwardCrossesFlag(act, {}, 'range'), act).toBe(false);
    expect(backwardCrossesFlag('elu', { eluAlpha: 1 }, 'range')).toBe(false);
    // overflow: unbounded and phi' not constant
    for (const act of ['relu', 'softplus', 'elu', 'leaky_relu'] as const) expect(backwardCrossesFlag(act, {}, 'overflow'), act).toBe(true);
    for (const act of ['tanh', 'sigmoid', 'linear'] as const) expect(backwardCrossesFlag(act, {}, 'overflow'), act).toBe(false);
  });

  it('names the kinds', () => {
    expect(cellFlagText(CELL_FLAG.overflow)).toBe('overflow');
    expect(cellFlagText(CELL_FLAG.range)).toBe('out of range');
    expect(cellFlagText(CELL_FLAG.overflow | CELL_FLAG.range)).toBe('overflow and out of range');
    expect(flagKinds([0, 2, 0], [1, NaN, NaN])).toBe(CELL_FLAG.overflow | CELL_FLAG.range);
  });
});

describe('the float64 reference flags where float64 runs out', () => {
  it('relu, identity W0, rho = 5e-4, no input after t = 2: out of range from where max |a| < 1e-300, and the kinked backward pass flagged at every step', async () => {
    // h_t = rho^(t-2) h_2 for t >= 2 (identity W0, relu keeps a positive state): 1e-300 is reached
    // near t = 2 + 300 / 3.3 = 93. A state that small is still exact in float64 (subnormals start
    // at 2.2e-308), but it would be lost within a few steps: flagged, never shown as an exact 0.
    const config = parseConfig({ activation: 'relu', init: 'identity', hidden: 4, input: 2, steps: 110, inputs: 'zero-after', inputUntil: 2, rhoMin: 5e-4, rhoMax: 5e-4, rhoCount: 1, samples: 2, biasScale: 0, h0: 'zeros', seed: 5 });
    const f = await new ReferenceEngine().run(config);
    // the forward flag: from there on log10 ||h_t|| is not a number
    const first = f.grids.hiddenLog10Mean.findIndex((v) => Number.isNaN(v));
    expect(first).toBeGreaterThan(80);
    expect(first).toBeLessThan(100);
    for (let j = first; j < f.T; j++) expect(f.overflow[j]).toBe(CELL_FLAG.range);
    expect(Number.isNaN(f.grids.hiddenLog10Mean[first])).toBe(true);
    // the last unflagged step is a number, far below float32's range
    expect(f.grids.hiddenLog10Mean[first - 1]).toBeLessThan(-290);
    // relu's kink: every earlier gradient crossed phi'(a_t) of the flagged steps
    for (let j = 0; j < first; j++) expect(f.overflow[j]).toBe(CELL_FLAG.range);
    for (let j = 0; j < f.T; j++) expect(f.grids.gradLog10Mean[j]).not.toBe(-Infinity);
  });

  it('tanh keeps its gradient: only the forward cells past the range are flagged', async () => {
    const config = parseConfig({ activation: 'tanh', init: 'identity', hidden: 4, input: 2, steps: 110, inputs: 'zero-after', inputUntil: 2, rhoMin: 5e-4, rhoMax: 5e-4, rhoCount: 1, samples: 2, biasScale: 0, h0: 'zeros', seed: 5 });
    const f = await new ReferenceEngine().run(config);
    const first = f.overflow.findIndex((v) => v !== 0);
    expect(first).toBeGreaterThan(80);
    for (let j = 0; j < first; j++) expect(Number.isFinite(f.grids.gradLog10Mean[j])).toBe(true);
    // identity W0 and tanh'(tiny) = 1: log10 ||dL/dh_t|| = (T - t) log10 rho + log10 prod tanh'(a_s), exact from t = 2 on
    const T = f.T;
    const slope = f.grids.gradLog10Mean[10] - f.grids.gradLog10Mean[11];
    expect(slope).toBeCloseTo(Math.log10(5e-4), 6);
    expect(f.grids.gradLog10Mean[T - 1]).toBeCloseTo(0, 12);
  });
});

describe('the cell flag in a bundle', () => {
  it('round-trips both kinds; a flag that is no combination of them is refused; a 0/1 bundle still loads', async () => {
    const config = parseConfig({ activation: 'relu', init: 'identity', hidden: 3, input: 1, steps: 6, rhoMin: 0.5, rhoMax: 1, rhoCount: 2, samples: 1, seed: 9 });
    const f = await new ReferenceEngine().run(config);
    f.overflow.set([0, 1, 2, 3]);
    const json = bundleToJson(f);
    expect(Array.from(fieldFromBundle(json).overflow)).toEqual(Array.from(f.overflow));
    const bad = JSON.parse(json) as { grids: { overflow: number[][] } };
    bad.grids.overflow[0][0] = 4;
    expect(() => fieldFromBundle(bad)).toThrow(/overflow/);
    // A bundle written before the kinds were split holds 0/1: read as is (1, the overflow bit).
    const old = JSON.parse(json) as { grids: { overflow: number[][] } };
    old.grids.overflow = old.grids.overflow.map((row) => row.map((v) => (v ? 1 : 0)));
    expect(fieldFromBundle(old).overflow[3]).toBe(CELL_FLAG.overflow);
  });
});

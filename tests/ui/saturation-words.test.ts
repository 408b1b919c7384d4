/**
 * The saturation view's legend says what it counts, with the threshold the engines use
 * (src/core/activations.ts), as a number a reader can check: the stated |a| is where the
 * activation's own saturated() test flips.
 */
import { expect, it } from 'vitest';
import { activationFns } from '../../src/core/activations.ts';
import { saturationWords } from '../../src/ui/derive.ts';

it('states the threshold where saturated() flips, for tanh and sigmoid; dead units for relu', () => {
  for (const act of ['tanh', 'sigmoid'] as const) {
    const words = saturationWords({ activation: act, leakyAlpha: 0.01 });
    expect(words).toMatch(/below 1% of its maximum/);
    const a = Number(/\|a\| > ([\d.]+)/.exec(words)![1]);
    const phi = activationFns(act);
    // Rounded to 2 decimals: 0.01 on either side is on either side of the threshold.
    expect(phi.saturated(a - 0.01)).toBe(false);
    expect(phi.saturated(a + 0.01)).toBe(true);
  }
  expect(saturationWords({ activation: 'relu', leakyAlpha: 0.01 })).toBe("fraction of units dead: a ≤ 0, where φ'(a) = 0");
  expect(saturationWords({ activation: 'linear', leakyAlpha: 0.01 })).toMatch(/always 0/);
});

/** Clipping, Adam and SGD with momentum against values computed by hand. */
import { describe, expect, it } from 'vitest';
import { adamStep, clipByGlobalNorm, divergence, formatMagnitude, globalNorm, sgdStep } from '../../../src/core/train/optim.ts';

describe('clip by global norm', () => {
  it('scales to exactly the threshold: g = (3, 4), ||g|| = 5, clip 1 -> (0.6, 0.8)', () => {
    const g = new Float64Array([3, 4]);
    const n = globalNorm(g);
    expect(n).toBe(5);
    expect(clipByGlobalNorm(g, n, 1)).toBe(true);
    expect(Array.from(g)).toEqual([3 * (1 / 5), 4 * (1 / 5)]);
    expect(globalNorm(g)).toBeCloseTo(1, 15);
  });
  it('leaves g alone at or below the threshold and when off (0)', () => {
    const g = new Float64Array([3, 4]);
    expect(clipByGlobalNorm(g, 5, 5)).toBe(false);
    expect(clipByGlobalNorm(g, 5, 0)).toBe(false);
    expect(Array.from(g)).toEqual([3, 4]);
  });
  it('works in float32 too (each entry rounded once)', () => {
    const g = new Float32Array([3, 4]);
    clipByGlobalNorm(g, 5, 1);
    expect(Array.from(g)).toEqual([Math.fround(0.6000000000000001), Math.fround(0.8)]);
  });
});

describe('Adam', () => {
  it('step 1 moves every parameter by lr against the sign of its gradient (bias correction)', () => {
    // m = 0.1 g, v = 0.001 g^2; mhat = g, vhat = g^2; step = lr g / (|g| + eps).
    const p = new Float64Array([1, -2, 0.5]);
    const g = new Float64Array([0.3, -4, 0]);
    const m = new Float64Array(3);
    const v = new Float64Array(3);
    adamStep(p, g, m, v, 1, { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    expect(p[0]).toBeCloseTo(1 - 0.01 * (0.3 / (0.3 + 1e-8)), 14);
    expect(p[1]).toBeCloseTo(-2 + 0.01 * (4 / (4 + 1e-8)), 14);
    expect(p[2]).toBe(0.5);
    expect(m[0]).toBeCloseTo(0.03, 15);
    expect(v[1]).toBeCloseTo(0.016, 15);
  });
  it('step 2 with a changed gradient matches the formula worked by hand', () => {
    const p = new Float64Array([1]);
    const m = new Float64Array(1);
    const v = new Float64Array(1);
    const s = { lr: 0.1, beta1: 0.9, beta2: 0.99, epsilon: 0 };
    adamStep(p, new Float64Array([2]), m, v, 1, s); // m = 0.2, v = 0.04, p = 1 - 0.1 * 1 = 0.9
    expect(p[0]).toBeCloseTo(0.9, 15);
    adamStep(p, new Float64Array([-1]), m, v, 2, s);
    // m = 0.18 - 0.1 = 0.08; v = 0.0396 + 0.01 = 0.0496; mhat = 0.08 / 0.19; vhat = 0.0496 / 0.0199
    const expected = 0.9 - (0.1 * (0.08 / 0.19)) / Math.sqrt(0.0496 / 0.0199);
    expect(p[0]).toBeCloseTo(expected, 14);
  });
});

describe('SGD with momentum', () => {
  it('vel <- mu vel + g, p <- p - lr vel over two steps', () => {
    const p = new Float64Array([1, 2]);
    const vel = new Float64Array(2);
    sgdStep(p, new Float64Array([1, -1]), vel, 0.1, 0.9); // vel = (1, -1), p = (0.9, 2.1)
    expect(Array.from(p)).toEqual([0.9, 2.1]);
    sgdStep(p, new Float64Array([1, 0]), vel, 0.1, 0.9); // vel = (1.9, -0.9), p = (0.71, 2.19)
    expect(p[0]).toBeCloseTo(0.71, 15);
    expect(p[1]).toBeCloseTo(2.19, 15);
    expect(vel[0]).toBeCloseTo(1.9, 15);
  });
});

describe('divergence', () => {
  it('names what left the range and never prints NaN or Infinity as a number', () => {
    expect(divergence(0.2, 12)).toBeNull();
    expect(divergence(0.2, 3e38)).toBeNull(); // still a float32
    expect(divergence(0.2, 4e38)).toBe('gradient norm 4e38');
    expect(divergence(0.2, Infinity)).toBe('gradient norm beyond the number range');
    expect(divergence(NaN, 1)).toBe('loss undefined (NaN)');
    expect(divergence(Infinity, NaN)).toBe('loss beyond the number range'); // the forward pass is named first
    expect(formatMagnitude(0.1667)).toBe('0.167');
  });
});

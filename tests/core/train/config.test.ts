/** Training settings: defaults as the issue states them, every bad value named by its field. */
import { describe, expect, it } from 'vitest';
import { checkTrainConfig, modelLabel, parseTrainConfig } from '../../../src/core/train/config.ts';

describe('training config', () => {
  it('defaults: four models at N = 64, T = 150, Adam lr 1e-3, batch 32, 3000 steps', () => {
    const c = parseTrainConfig({});
    expect(c).toMatchObject({ task: 'adding', length: 150, optimizer: 'adam', lr: 1e-3, batch: 32, iterations: 3000 });
    expect(c.models.map(modelLabel)).toEqual(['tanh-gaussian', 'tanh-orthogonal', 'relu-gaussian clip 1', 'relu-identity']);
    expect(c.models.every((m) => m.hidden === 64)).toBe(true);
    expect(c.models[3].biasInit).toBe(0);
  });

  it('names the field of each problem, models included', () => {
    const r = checkTrainConfig({ lr: -1, optimizer: 'rmsprop', models: [{}, {}, { clip: -2, activation: 'gelu' }] });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const fields = r.error.problems.map((p) => p.field).sort();
    expect(fields).toEqual(['lr', 'models[2].activation', 'models[2].clip', 'optimizer']);
    expect(r.error.message).toContain('models[2].clip: -2 is not allowed; expected a number in 0..1000000');
    expect(r.error.message).toContain('optimizer: "rmsprop" is not allowed; expected one of adam, sgd');
  });

  it('refuses unknown fields, more than 8 models, a copy task longer than the sequence, and oversized runs before allocating', () => {
    const unknown = checkTrainConfig({ models: [{ hiden: 4 }] });
    expect(!unknown.ok && unknown.error.message).toMatch(/models\[0\]: unknown field "hiden"/);
    const nine = checkTrainConfig({ models: Array.from({ length: 9 }, () => ({})) });
    expect(!nine.ok && nine.error.problems[0].field).toBe('models');
    const copy = checkTrainConfig({ task: 'copy', length: 9, copySymbols: 5 });
    expect(!copy.ok && copy.error.problems[0].field).toBe('length');
    const big = checkTrainConfig({ length: 2000, heldout: 4096, models: Array.from({ length: 8 }, () => ({ hidden: 512 })) });
    expect(!big.ok && big.error.message).toMatch(/MiB for backpropagation through time.*reduce hidden/);
  });
});

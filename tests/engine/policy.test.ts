/**
 * Which engine computes what (src/engine/policy.ts): the outlier axis and untied weights on the
 * reference, CPU and WebGPU engines, not on gpu.js, whose refusal names the config and what to
 * choose instead (auto then runs the CPU engine: tests/app/store.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config.ts';
import { unsupportedBy } from '../../src/engine/policy.ts';

describe('unsupportedBy', () => {
  const tied = parseConfig({});
  const outlier = parseConfig({ init: 'spectrum', outliers: '1.1,0', sweep: 'outlier' });
  const untied = parseConfig({ weights: 'untied' });
  const both = { ...outlier, weights: 'untied' as const };

  it('the reference, CPU and WebGPU engines compute every config', () => {
    for (const engine of ['reference', 'cpu', 'webgpu']) for (const c of [tied, outlier, untied, both]) expect(unsupportedBy(engine, c), engine).toBeNull();
  });

  it('gpu.js computes a tied rho sweep and refuses the rest by name, saying what to choose', () => {
    expect(unsupportedBy('gpujs', tied)).toBeNull();
    expect(unsupportedBy('gpujs', outlier)).toBe('sweep = outlier: the gpujs engine computes only sweep = rho with tied weights; choose the CPU engine, WebGPU or the float64 reference');
    expect(unsupportedBy('gpujs', untied)).toMatch(/^weights = untied: the gpujs engine/);
    expect(unsupportedBy('gpujs', both)).toMatch(/^sweep = outlier and weights = untied: /);
  });
});

/**
 * The derivative panel's histogram through the store (LabStore.preactivationHistogram): binned by
 * the sweep's engine where it can, else by the float64 reference with the reason beside it.
 */
import { describe, expect, it } from 'vitest';
import type { SelectedBackend } from '../../src/app/backends.ts';
import { RunController } from '../../src/app/runner.ts';
import { LabStore } from '../../src/app/store.ts';
import { parseConfig, type Config } from '../../src/core/config.ts';
import type { Engine, RunOptions } from '../../src/core/engine.ts';
import { HistogramUnsupportedError, type HistogramRequest } from '../../src/core/preactivations.ts';
import { ReferenceEngine } from '../../src/core/reference.ts';

function storeWith(engine: Engine): LabStore {
  const selected: SelectedBackend = {
    engine,
    info: { choice: 'cpu', engine: engine.name, adapter: 'test', why: 'test', webgpu: { available: false, description: 'none', isFallback: false } },
  };
  return new LabStore(new RunController(), { get: () => '#backend=cpu', set: () => undefined }, async () => selected);
}

/** An engine whose sweeps are the reference's and that bins with it too, or refuses to, or has no histogram at all. */
function engineThat(histogram: 'bins' | 'refuses' | 'none'): Engine & { asked: HistogramRequest[] } {
  const ref = new ReferenceEngine();
  const asked: HistogramRequest[] = [];
  const e: Engine & { asked: HistogramRequest[] } = {
    name: 'cpu',
    adapter: 'test',
    asked,
    run: (c: Config, o?: RunOptions) => ref.run(c, o),
    dispose: () => undefined,
  };
  if (histogram === 'bins') e.preactivationHistogram = (c, req, o) => (asked.push(req), ref.preactivationHistogram(c, req, o));
  if (histogram === 'refuses') e.preactivationHistogram = () => Promise.reject(new HistogramUnsupportedError('no outlier move in this kernel'));
  return e;
}

describe('the derivative panel histogram through the store', () => {
  const config = parseConfig({ hidden: 6, steps: 5, samples: 3, rhoCount: 4 });

  it("is binned by the sweep's engine, every sample within the budget, for the row asked", async () => {
    const engine = engineThat('bins');
    const got = await storeWith(engine).preactivationHistogram(config, 2);
    expect(got.fallback).toBeNull();
    expect(engine.asked).toEqual([expect.objectContaining({ rhoIndex: 2, samples: 3 })]);
    expect(got.histogram.k).toBe(2);
    expect(got.histogram.samples).toBe(3);
  });

  it('falls back to the float64 reference, saying why, where the engine refuses or has no histogram', async () => {
    const refused = await storeWith(engineThat('refuses')).preactivationHistogram(config, 1);
    expect(refused.fallback).toBe('no outlier move in this kernel');
    expect(refused.histogram.engine).toBe('reference');
    expect(refused.histogram.precision).toBe('float64');
    const none = await storeWith(engineThat('none')).preactivationHistogram(config, 1);
    expect(none.fallback).toMatch(/the cpu engine does not bin pre-activations/);
    expect(none.histogram.counts).toEqual(refused.histogram.counts);
  });

  it('an engine error that is not a refusal is not hidden behind the reference', async () => {
    const e = engineThat('bins');
    e.preactivationHistogram = () => Promise.reject(new Error('webgpu: the GPU device was lost'));
    await expect(storeWith(e).preactivationHistogram(config, 0)).rejects.toThrow(/device was lost/);
  });
});

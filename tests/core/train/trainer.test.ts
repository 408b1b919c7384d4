/**
 * The reference trainer as a whole: a step reproducible bit for bit, a diverging model stopped
 * with its message while the others go on, the evaluation schedule and checkpoints.
 */
import { describe, expect, it } from 'vitest';
import { parseTrainConfig } from '../../../src/core/train/config.ts';
import { checkpointEvery } from '../../../src/core/train/loop.ts';
import { initialParams } from '../../../src/core/train/model.ts';
import { ReferenceTrainer } from '../../../src/core/train/trainer.ts';
import { taskShape } from '../../../src/core/train/tasks.ts';

const bits = (a: Float64Array) => Array.from(new BigUint64Array(a.buffer.slice(0)));

describe('reference trainer', () => {
  it('a training run is bit-for-bit reproducible for the same seed, and changes with it', async () => {
    const settings = { length: 12, batch: 4, iterations: 3, evalEvery: 1, heldout: 8, seed: 3, models: [{ hidden: 6 }, { hidden: 6, activation: 'relu', init: 'identity', clip: 0.5 }] };
    const a = await new ReferenceTrainer().train(parseTrainConfig(settings));
    const b = await new ReferenceTrainer().train(parseTrainConfig(settings));
    const c = await new ReferenceTrainer().train(parseTrainConfig({ ...settings, seed: 4 }));
    for (let k = 0; k < 2; k++) {
      const last = (r: typeof a) => r.models[k].checkpoints.at(-1)!.params;
      expect(bits(last(a))).toEqual(bits(last(b)));
      expect(bits(a.models[k].gradNorm)).toEqual(bits(b.models[k].gradNorm));
      expect(last(a)).not.toEqual(last(c));
      // the parameters moved from their start
      expect(last(a)).not.toEqual(a.models[k].checkpoints[0].params);
    }
    expect(a.rows).toEqual(b.rows);
  });

  it('the first checkpoint is the initial model; rows at every evaluation; W starts at rho W0', async () => {
    const config = parseTrainConfig({ length: 10, batch: 2, iterations: 7, evalEvery: 3, heldout: 4, seed: 1, models: [{ hidden: 5, rho: 0.7 }] });
    const r = await new ReferenceTrainer().train(config);
    expect(r.rows.map((x) => x.iteration)).toEqual([0, 3, 6, 7]);
    const start = initialParams(config.models[0], taskShape(config), config.seed);
    expect(r.models[0].checkpoints[0]).toEqual({ iteration: 0, params: start });
    expect(r.rows[0].spectralRadius).toBeCloseTo(0.7, 10);
    expect(checkpointEvery(config)).toBe(3);
    expect(r.models[0].checkpoints.map((c) => c.iteration)).toEqual([0, 3, 6, 7]);
    expect(r.models[0].stepsRun).toBe(8);
  });

  it('a diverging model stops with its message; the others train on', async () => {
    // relu at rho 3 with a large positive bias: h_t grows like 3^t, past float32's range long before T = 120.
    const config = parseTrainConfig({
      length: 120,
      batch: 2,
      iterations: 4,
      evalEvery: 2,
      heldout: 2,
      seed: 2,
      models: [{ hidden: 4 }, { hidden: 4, activation: 'relu', init: 'identity', rho: 3, biasInit: 1 }, { hidden: 4, init: 'orthogonal' }],
    });
    const seen: string[] = [];
    const r = await new ReferenceTrainer().train(config, { onDiverged: (d) => seen.push(d.message) });
    // float64 holds the loss (~1e114) but float32 would not: the reference stops where float32 must.
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/^model 1 diverged at step 0: loss \de\d+$/);
    expect(r.models[1].diverged?.step).toBe(0);
    expect(r.models[1].stepsRun).toBe(0);
    expect(r.rows.filter((x) => x.model === 1)).toEqual([]);
    for (const k of [0, 2]) {
      expect(r.models[k].diverged).toBeNull();
      expect(r.rows.filter((x) => x.model === k).map((x) => x.iteration)).toEqual([0, 2, 4]);
    }
    for (const row of r.rows) for (const v of Object.values(row)) expect(Number.isFinite(Number(v))).toBe(true);
  });

  it('an abort stops the run with an AbortError', async () => {
    const ctl = new AbortController();
    ctl.abort();
    const config = parseTrainConfig({ length: 6, batch: 2, iterations: 50, heldout: 2, models: [{ hidden: 3 }] });
    await expect(new ReferenceTrainer().train(config, { signal: ctl.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

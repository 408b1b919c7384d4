/** The training bundle reads back into the run it was written from, diverged models included; bad bundles are named. */
import { describe, expect, it } from 'vitest';
import { TrainBundleError, toTrainBundle, trainBundleToJson, trainResultFromBundle } from '../../../src/core/train/bundle.ts';
import { parseTrainConfig } from '../../../src/core/train/config.ts';
import { ReferenceTrainer } from '../../../src/core/train/trainer.ts';

describe('training bundle', async () => {
  const config = parseTrainConfig({
    length: 60,
    batch: 2,
    iterations: 4,
    evalEvery: 2,
    heldout: 3,
    seed: 4,
    models: [{ hidden: 3 }, { hidden: 3, activation: 'relu', init: 'identity', rho: 5, biasInit: 1 }],
  });
  const result = await new ReferenceTrainer().train(config);

  it('round-trips exactly, a diverged model included', () => {
    expect(result.models[1].diverged).not.toBeNull();
    const back = trainResultFromBundle(trainBundleToJson(result));
    expect(back.config).toEqual(result.config);
    expect(back.rows).toEqual(result.rows);
    expect(back.meta).toEqual(result.meta);
    for (let k = 0; k < 2; k++) {
      const a = result.models[k];
      const b = back.models[k];
      expect(b.diverged).toEqual(a.diverged);
      expect(b.stepsRun).toBe(a.stepsRun);
      expect(b.trainLoss).toEqual(a.trainLoss);
      expect(b.checkpoints).toEqual(a.checkpoints);
    }
  });

  it('refuses what is not a training bundle, naming where', () => {
    const good = toTrainBundle(result);
    const bad = (mutate: (b: ReturnType<typeof toTrainBundle>) => void) => {
      const b = structuredClone(good);
      mutate(b);
      return () => trainResultFromBundle(JSON.stringify(b));
    };
    expect(() => trainResultFromBundle('{')).toThrow(TrainBundleError);
    expect(bad((b) => ((b as { format: string }).format = 'rnn-gradient-lab.run/1'))).toThrow(/format/);
    expect(bad((b) => b.models[0].checkpoints[0].params.pop())).toThrow(/models\[0\]\.checkpoints\[0\]\.params: \d+ numbers, expected \d+/);
    expect(bad((b) => ((b.config as { lr: number }).lr = -1))).toThrow(/config: lr: -1 is not allowed/);
    expect(bad((b) => b.models[0].steps.gradNorm.pop())).toThrow(/models\[0\]\.steps/);
  });
});

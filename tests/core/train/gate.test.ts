/**
 * The loop's gate (the lab's pause and single step): a held gate stops the loop between
 * iterations, and a run held and released at every iteration ends bit for bit where an
 * unheld run ends.
 */
import { describe, expect, it } from 'vitest';
import { parseTrainConfig } from '../../../src/core/train/config.ts';
import { runTraining } from '../../../src/core/train/loop.ts';
import { initialParams } from '../../../src/core/train/model.ts';
import { ReferenceModel } from '../../../src/core/train/reference.ts';
import { taskShape } from '../../../src/core/train/tasks.ts';

const config = parseTrainConfig({ length: 10, batch: 3, iterations: 6, evalEvery: 2, heldout: 4, seed: 7, models: [{ hidden: 5 }, { hidden: 5, activation: 'relu', clip: 0.3 }] });
const kernels = () => {
  const shape = taskShape(config);
  return config.models.map((m) => new ReferenceModel(m, shape, config.length, initialParams(m, shape, config.seed)));
};

describe('training loop gate', () => {
  it('holds the loop while its promise is pending and goes on when it settles, with the same result', async () => {
    const plain = await runTraining(config, [0, 1], kernels(), (n) => new Float64Array(n));
    const seen: number[] = [];
    let release: (() => void) | null = null;
    const gated = runTraining(config, [0, 1], kernels(), (n) => new Float64Array(n), {
      onIteration: (i) => seen.push(i),
      gate: (i) => (i === 2 ? new Promise<void>((r) => (release = r)) : undefined),
    });
    // Let the loop run until it is held.
    for (let k = 0; k < 20 && !release; k++) await new Promise((r) => setTimeout(r, 5));
    expect(release).not.toBeNull();
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([0, 1, 2]);
    release!();
    const runs = await gated;
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6]);
    for (let k = 0; k < 2; k++) {
      expect(runs[k].checkpoints.at(-1)!.params).toEqual(plain[k].checkpoints.at(-1)!.params);
      expect(runs[k].gradNorm).toEqual(plain[k].gradNorm);
    }
  });
});

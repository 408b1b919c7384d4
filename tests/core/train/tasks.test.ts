/** The tasks: what each sequence holds, the exact baselines, separate seeded streams. */
import { describe, expect, it } from 'vitest';
import { parseTrainConfig } from '../../../src/core/train/config.ts';
import { ADDING_BASELINE, heldoutBatch, taskLoss, taskShape, trainBatch } from '../../../src/core/train/tasks.ts';

describe('adding problem', () => {
  const config = parseTrainConfig({ task: 'adding', length: 21, batch: 64, heldout: 2000, seed: 5 });
  const shape = taskShape(config);

  it('two channels, values in (0, 1), exactly two markers, one in each half; target = sum of the marked values', () => {
    const { x, targets } = trainBatch(config, 0);
    const T = config.length;
    const B = config.batch;
    const half = Math.floor(T / 2);
    for (let b = 0; b < B; b++) {
      const marked: number[] = [];
      let sum = 0;
      for (let t = 0; t < T; t++) {
        const u = x[(t * B + b) * 2];
        expect(u).toBeGreaterThan(0);
        expect(u).toBeLessThan(1);
        const m = x[(t * B + b) * 2 + 1];
        expect([0, 1]).toContain(m);
        if (m === 1) {
          marked.push(t);
          sum += u;
        }
      }
      expect(marked.length).toBe(2);
      expect(marked[0]).toBeLessThan(half);
      expect(marked[1]).toBeGreaterThanOrEqual(half);
      expect(targets[b]).toBe(sum);
    }
  });

  it('baseline 1/6 exactly; the held-out loss of the constant 1 matches it within sampling error', () => {
    expect(shape.baseline).toBe(1 / 6);
    const held = heldoutBatch(config);
    const y = new Float64Array(held.size).fill(1);
    const loss = taskLoss(shape, y, held.targets, held.size);
    // Var of (target - 1)^2: E[(s-1)^4] - (1/6)^2 = 1/15 - 1/36 ~ 0.039 (s = u1 + u2);
    // standard error with 2000 sequences = sqrt(0.039 / 2000) ~ 0.0044; allow 4 of them.
    expect(Math.abs(loss - ADDING_BASELINE)).toBeLessThan(0.018);
  });

  it('MSE gradient dL/dy = 2 (y - target) / B', () => {
    const dy = new Float64Array(2);
    const loss = taskLoss(shape, [1.5, 0], [1, 1], 2, dy);
    expect(loss).toBe((0.25 + 1) / 2);
    expect(Array.from(dy)).toEqual([0.5, -1]);
  });

  it('training and held-out streams are seeded and separate', () => {
    const a = trainBatch(config, 4);
    expect(trainBatch(config, 4).x).toEqual(a.x);
    expect(trainBatch(config, 5).x).not.toEqual(a.x);
    const other = parseTrainConfig({ ...config, seed: 6 });
    expect(trainBatch(other, 4).x).not.toEqual(a.x);
    const held = heldoutBatch(config);
    // No training sequence of the first 20 batches equals held-out sequence 0's values.
    const T = config.length;
    const first = Array.from({ length: T }, (_, t) => held.x[t * held.size * 2]);
    for (let i = 0; i < 20; i++) {
      const bt = trainBatch(config, i);
      for (let b = 0; b < config.batch; b++) {
        expect(bt.x[b * 2]).not.toBe(first[0]);
      }
    }
  });
});

describe('copy task', () => {
  const config = parseTrainConfig({ task: 'copy', length: 12, copySymbols: 3, copyAlphabet: 5, batch: 4, seed: 2 });
  const shape = taskShape(config);

  it('one-hot symbols first, zeros in the gap, the cue at the last k steps, which are the output steps', () => {
    expect(shape.inputs).toBe(6);
    expect(shape.outputs).toBe(5);
    expect(shape.outputSteps).toEqual([9, 10, 11]);
    const { x, targets } = trainBatch(config, 1);
    const D = 6;
    const B = 4;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < 12; t++) {
        const row = Array.from(x.subarray((t * B + b) * D, (t * B + b + 1) * D));
        if (t < 3) {
          expect(row.reduce((s, v) => s + v, 0)).toBe(1);
          expect(row[targets[b * 3 + t]]).toBe(1);
        } else if (t >= 9) expect(row).toEqual([0, 0, 0, 0, 0, 1]);
        else expect(row).toEqual([0, 0, 0, 0, 0, 0]);
      }
    }
  });

  it('uniform logits cost exactly ln A; the gradient is softmax - onehot over B k', () => {
    expect(shape.baseline).toBe(Math.log(5));
    const held = heldoutBatch(config);
    const y = new Float64Array(3 * held.size * 5);
    const dy = new Float64Array(y.length);
    expect(taskLoss(shape, y, held.targets, held.size, dy)).toBeCloseTo(Math.log(5), 14);
    const t0 = held.targets[0];
    expect(dy[t0]).toBeCloseTo((0.2 - 1) / (held.size * 3), 15);
    expect(dy[(t0 + 1) % 5]).toBeCloseTo(0.2 / (held.size * 3), 15);
  });
});

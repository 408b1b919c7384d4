/**
 * How a training run is laid out in GPU memory, decided before anything is allocated: every
 * buffer of every model and the shared ones, checked against the device's limits and a stated
 * maximum, so a run too large is refused with the size and what to reduce.
 */
import { formatBytes } from '../../../core/work.ts';
import type { TrainConfig } from '../../../core/train/config.ts';
import { layoutFor } from '../../../core/train/model.ts';
import { taskShape } from '../../../core/train/tasks.ts';
import { METRICS, structBytes } from './layout.ts';

/** Uniform slots (train, held-out) sit at multiples of this (minUniformBufferOffsetAlignment's largest allowed value). */
export const UNIFORM_STRIDE = 256;

export interface TrainBufferSizes {
  params: number;
  grad: number;
  opt: number;
  hs: number;
  dphi: number;
  dy: number;
  metrics: number;
  uniforms: number;
}

export interface TrainMemoryPlan {
  /** Per model, in the config's order: its buffers' bytes. */
  models: TrainBufferSizes[];
  /** x and targets of a training batch, and of the held-out set. */
  trainData: number;
  heldData: number;
  /** What one step reads back: per model its metrics, parameters and optimiser state (and gradient, on request). */
  readback: number;
  /** Where each model's block starts in the readback buffer. */
  readOffsets: number[];
  totalBytes: number;
}

export interface TrainPlanLimits {
  maxBindingBytes: number;
  maxBufferBytes: number;
  /** The run's buffers may total at most this. */
  maxTotalBytes: number;
}

/** Bytes the host reads back per model and step: metrics, then params, opt (2P) and grad (P) as f32. */
export function readbackBytes(size: number): number {
  return structBytes(METRICS) + 4 * size * 4;
}

/** The plan, or an Error saying which buffer is too large for what limit and what to reduce. */
export function planTraining(config: TrainConfig, limits: TrainPlanLimits): TrainMemoryPlan {
  const shape = taskShape(config);
  const T = config.length;
  const K = shape.outputSteps.length;
  const D = shape.inputs;
  const seqs = Math.max(config.batch, config.heldout);
  const bindLimit = Math.min(limits.maxBindingBytes, limits.maxBufferBytes);
  const refuse = (what: string, bytes: number, formula: string, reduce: string, limit: string): never => {
    throw new Error(`webgpu trainer: ${what} needs ${formatBytes(bytes)} (${formula}), above ${limit}; reduce ${reduce}`);
  };
  const check = (what: string, bytes: number, formula: string, reduce: string) => {
    if (bytes > bindLimit) refuse(what, bytes, formula, reduce, `this device's ${formatBytes(bindLimit)} per buffer`);
  };
  const models = config.models.map((m, k) => {
    const L = layoutFor(m, shape);
    const N = m.hidden;
    const sizes: TrainBufferSizes = {
      params: 4 * L.size,
      grad: 4 * L.size,
      opt: 8 * L.size,
      hs: 4 * (T + 1) * seqs * N,
      dphi: 4 * T * seqs * N,
      dy: 4 * K * seqs * L.O,
      metrics: structBytes(METRICS),
      uniforms: 2 * UNIFORM_STRIDE,
    };
    check(`model ${k}'s state store`, sizes.hs, '(length + 1) x max(batch, heldout) x hidden x 4 bytes', 'length, batch, heldout or hidden');
    check(`model ${k}'s derivative store`, sizes.dphi, 'length x max(batch, heldout) x hidden x 4 bytes', 'length, batch, heldout or hidden');
    return sizes;
  });
  const trainData = 4 * (T * config.batch * D + config.batch * K);
  const heldData = 4 * (T * config.heldout * D + config.heldout * K);
  check('the held-out set', heldData, '(length x inputs + outputs) x heldout x 4 bytes', 'length or heldout');
  check('a training batch', trainData, '(length x inputs + outputs) x batch x 4 bytes', 'length or batch');
  const readOffsets: number[] = [];
  let readback = 0;
  for (const m of config.models) {
    readOffsets.push(readback);
    readback += readbackBytes(layoutFor(m, shape).size);
  }
  const perModel = models.reduce((s, b) => s + Object.values(b).reduce((a, x) => a + x, 0), 0);
  const totalBytes = perModel + trainData + heldData + readback;
  if (totalBytes > limits.maxTotalBytes) {
    refuse('the run', totalBytes, 'mostly models x 2 x (length + 1) x max(batch, heldout) x hidden x 4 bytes', 'hidden, length, batch, heldout or the number of models', `the ${formatBytes(limits.maxTotalBytes)} limit`);
  }
  return { models, trainData, heldData, readback, readOffsets, totalBytes };
}

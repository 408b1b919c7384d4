/**
 * How a training run is laid out in GPU memory, decided before anything is allocated, checked
 * against the device's limits and a stated maximum, so a run too large is refused with the size
 * and what to reduce.
 *
 * The models are trained as one batched run: their buffers of each kind (parameters, gradient,
 * optimiser state, BPTT stores) are one buffer holding the models one after another, and each
 * kernel serves them all in one dispatch (shaders/train-common.wgsl). A model's blocks keep their
 * own size (no padding to the largest N): the dispatch masks what lies past a smaller model. Where
 * the models' stores together exceed the device's largest binding, the models are split, in
 * order, into groups whose stores fit, and each group is one batched run (one dispatch per kernel
 * per group): never more groups than that needs, and on the default run (four models, N = 64,
 * T = 150) one group.
 */
import { formatBytes } from '../../../core/work.ts';
import { layoutFor } from '../../../core/train/model.ts';
import { taskShape } from '../../../core/train/tasks.ts';
import { MAX_MODELS, type TrainConfig } from '../../../core/train/config.ts';
import { METRICS, MODEL_SLOT, structBytes, TRAIN_PARAMS } from './layout.ts';

/** Uniform slots (train, held-out) sit at multiples of this (minUniformBufferOffsetAlignment's largest allowed value). */
export const UNIFORM_STRIDE = 256;

/** Bytes of a group's buffers of each kind. */
export interface TrainBufferSizes {
  params: number;
  grad: number;
  opt: number;
  hs: number;
  dphi: number;
  dy: number;
  metrics: number;
  slots: number;
}

/** Where a model sits: its group, its slot there (workgroup_id.z), and its blocks' starts in f32 words (ModelSlot's fields). */
export interface ModelPlacement {
  group: number;
  slot: number;
  /** P, its number of parameters. */
  size: number;
  hidden: number;
  /** params and grad from here, opt from twice this. */
  params: number;
  hs: number;
  dphi: number;
  dy: number;
}

export interface TrainGroupPlan {
  /** The models of the group, by index in the config, in slot order. */
  models: number[];
  bytes: TrainBufferSizes;
  /** Total parameters of the group's models. */
  paramWords: number;
  /** Where the group's block starts in the readback buffer: metrics of every slot, then params, opt and grad as in the group's buffers. */
  readAt: number;
}

export interface TrainMemoryPlan {
  groups: TrainGroupPlan[];
  /** Per model, in the config's order. */
  placements: ModelPlacement[];
  /** x and targets of a training batch, and of the held-out set. */
  trainData: number;
  heldData: number;
  /** The run's uniforms: TrainParams for the training and the held-out pass. */
  uniforms: number;
  /** What one step may read back: per group its metrics, parameters, optimiser state and gradient. */
  readback: number;
  totalBytes: number;
}

export interface TrainPlanLimits {
  maxBindingBytes: number;
  maxBufferBytes: number;
  /** The run's buffers may total at most this. */
  maxTotalBytes: number;
}

/** Bytes a group reads back at most: its models' metrics, then params, opt (2P) and grad (P) as f32. */
function readbackBytes(models: number, paramWords: number): number {
  return models * structBytes(METRICS) + 4 * paramWords * 4;
}

/** The plan, or an Error saying which buffer is too large for what limit and what to reduce. */
export function planTraining(config: TrainConfig, limits: TrainPlanLimits): TrainMemoryPlan {
  const shape = taskShape(config);
  const T = config.length;
  const K = shape.outputSteps.length;
  const D = shape.inputs;
  const O = shape.outputs;
  const seqs = Math.max(config.batch, config.heldout);
  const bindLimit = Math.min(limits.maxBindingBytes, limits.maxBufferBytes);
  const refuse = (what: string, bytes: number, formula: string, reduce: string, limit: string): never => {
    throw new Error(`webgpu trainer: ${what} needs ${formatBytes(bytes)} (${formula}), above ${limit}; reduce ${reduce}`);
  };
  const check = (what: string, bytes: number, formula: string, reduce: string) => {
    if (bytes > bindLimit) refuse(what, bytes, formula, reduce, `this device's ${formatBytes(bindLimit)} per buffer`);
  };
  // each model's words in each kind of buffer
  const words = config.models.map((m, k) => {
    const P = layoutFor(m, shape).size;
    const N = m.hidden;
    const w = { params: P, hs: (T + 1) * seqs * N, dphi: T * seqs * N, dy: K * seqs * O };
    check(`model ${k}'s state store`, 4 * w.hs, '(length + 1) x max(batch, heldout) x hidden x 4 bytes', 'length, batch, heldout or hidden');
    check(`model ${k}'s derivative store`, 4 * w.dphi, 'length x max(batch, heldout) x hidden x 4 bytes', 'length, batch, heldout or hidden');
    check(`model ${k}'s optimiser state`, 8 * w.params, '2 x parameters x 4 bytes', 'hidden');
    return { ...w, N, P };
  });
  const trainData = 4 * (T * config.batch * D + config.batch * K);
  const heldData = 4 * (T * config.heldout * D + config.heldout * K);
  check('the held-out set', heldData, '(length x inputs + outputs) x heldout x 4 bytes', 'length or heldout');
  check('a training batch', trainData, '(length x inputs + outputs) x batch x 4 bytes', 'length or batch');

  // Greedy, in order: a model joins the current group while every buffer of the group still fits.
  const members: number[][] = [];
  let sum = { params: 0, hs: 0, dphi: 0, dy: 0 };
  for (let k = 0; k < words.length; k++) {
    const w = words[k];
    const next = { params: sum.params + w.params, hs: sum.hs + w.hs, dphi: sum.dphi + w.dphi, dy: sum.dy + w.dy };
    const fits = 8 * next.params <= bindLimit && 4 * Math.max(next.hs, next.dphi, next.dy) <= bindLimit;
    if (members.length === 0 || !fits) {
      members.push([k]);
      sum = { params: w.params, hs: w.hs, dphi: w.dphi, dy: w.dy };
    } else {
      members.at(-1)!.push(k);
      sum = next;
    }
  }
  const placements: ModelPlacement[] = [];
  let readback = 0;
  const groups = members.map((models, g): TrainGroupPlan => {
    const at = { params: 0, hs: 0, dphi: 0, dy: 0 };
    models.forEach((k, slot) => {
      const w = words[k];
      placements[k] = { group: g, slot, size: w.P, hidden: w.N, ...at };
      at.params += w.params;
      at.hs += w.hs;
      at.dphi += w.dphi;
      at.dy += w.dy;
    });
    const bytes: TrainBufferSizes = {
      params: 4 * at.params,
      grad: 4 * at.params,
      opt: 8 * at.params,
      hs: 4 * at.hs,
      dphi: 4 * at.dphi,
      dy: 4 * at.dy,
      metrics: models.length * structBytes(METRICS),
      slots: MAX_MODELS * structBytes(MODEL_SLOT),
    };
    const readAt = readback;
    readback += readbackBytes(models.length, at.params);
    return { models, bytes, paramWords: at.params, readAt };
  });
  const uniforms = UNIFORM_STRIDE + structBytes(TRAIN_PARAMS);
  const stores = groups.reduce((s, g) => s + Object.values(g.bytes).reduce((a, x) => a + x, 0), 0);
  const totalBytes = stores + trainData + heldData + uniforms + readback;
  if (totalBytes > limits.maxTotalBytes) {
    refuse('the run', totalBytes, 'mostly models x 2 x (length + 1) x max(batch, heldout) x hidden x 4 bytes', 'hidden, length, batch, heldout or the number of models', `the ${formatBytes(limits.maxTotalBytes)} limit`);
  }
  return { groups, placements, trainData, heldData, uniforms, readback, totalBytes };
}

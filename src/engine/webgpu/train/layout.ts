/**
 * The structs the training kernels share with the host, as tables: the WGSL struct declarations
 * and the host's reads and writes are both generated from them, so no offset is counted by hand.
 * Every field is one 4-byte word (u32, i32 or f32).
 */
import { MAX_MODELS, MODEL_FIELDS, RUN_FIELDS } from '../../../core/train/config.ts';

type Word = 'u32' | 'i32' | 'f32';

/** TrainParams (uniform): what every model of the run shares: shapes, the loss, the optimiser and this step's bias corrections. */
export const TRAIN_PARAMS = {
  d: 'u32', // D input channels
  o: 'u32', // O outputs per output step
  batch: 'u32', // B sequences of the batch bound with this struct
  steps: 'u32', // T
  outputs: 'u32', // K output steps (the last K)
  lossKind: 'u32', // 0 mse, 1 softmax cross-entropy
  lossSlot: 'u32', // 0: the loss goes to metrics.trainLoss, 1: heldoutLoss
  optimizer: 'u32', // 0 adam, 1 sgd
  lr: 'f32',
  beta1: 'f32',
  beta2: 'f32',
  oneMinusBeta1: 'f32', // 1 - beta1, formed in float64
  oneMinusBeta2: 'f32',
  epsilon: 'f32',
  c1: 'f32', // 1 - beta1^t for this step's t
  c2: 'f32', // 1 - beta2^t
  momentum: 'f32',
} as const satisfies Record<string, Word>;

/**
 * ModelSlot (uniform array, one per model of a group; the kernels' workgroup_id.z): what differs
 * between the models served by one dispatch, and where each one's blocks start (in f32 words) in
 * the group's buffers. Its size is a multiple of 16 bytes (a uniform array's stride).
 */
export const MODEL_SLOT = {
  live: 'u32', // 0: the model is skipped (diverged, or not part of this step)
  n: 'u32', // N hidden units
  size: 'u32', // P parameters
  act: 'u32', // its entry in the forward kernel's activation switch (activateOf)
  clip: 'f32', // global-norm threshold, 0 = off
  params: 'u32', // params and grad: [P] from here; opt: [2P] from 2 params
  hs: 'u32', // [T + 1][B][N] from here
  dphi: 'u32', // [T][B][N] from here
  dy: 'u32', // [K][B][O] from here
  _pad0: 'u32',
  _pad1: 'u32',
  _pad2: 'u32',
} as const satisfies Record<string, Word>;

/** Metrics (storage array, one per model of a group): what a step measured, read back by the host (train-loss.wgsl, train-norm.wgsl). */
export const METRICS = {
  trainLoss: 'f32',
  heldoutLoss: 'f32',
  sumSq: 'f32', // sum of (g_i 2^-normExp)^2
  normExp: 'i32',
  nonFinite: 'u32', // bit 0: an infinite g_i, bit 1: a NaN
  clipped: 'u32',
  clipScale: 'f32',
  _pad: 'u32',
} as const satisfies Record<string, Word>;

export type StructTable = Record<string, Word>;
export type StructValues<S extends StructTable> = { [K in keyof S]: number };

/** Bytes of a struct of one-word fields, rounded up to 16 (a uniform struct's alignment; a Metrics array's stride, as its size is a multiple of 16). */
export function structBytes(table: StructTable): number {
  return Math.ceil((Object.keys(table).length * 4) / 16) * 16;
}

export function structWgsl(name: string, table: StructTable): string {
  return `struct ${name} {\n${Object.entries(table)
    .map(([k, t]) => `  ${k}: ${t},`)
    .join('\n')}\n}\n`;
}

/** Write `values` into `view` at byte `offset`, each field as its word type. */
export function writeStruct<S extends StructTable>(table: S, values: StructValues<S>, view: DataView, offset = 0): void {
  Object.entries(table).forEach(([k, t], w) => {
    const v = values[k as keyof S];
    const at = offset + 4 * w;
    if (t === 'f32') view.setFloat32(at, v, true);
    else if (t === 'i32') view.setInt32(at, v, true);
    else view.setUint32(at, v, true);
  });
}

export function readStruct<S extends StructTable>(table: S, view: DataView, offset = 0): StructValues<S> {
  const out = {} as StructValues<S>;
  Object.entries(table).forEach(([k, t], w) => {
    const at = offset + 4 * w;
    out[k as keyof S] = t === 'f32' ? view.getFloat32(at, true) : t === 'i32' ? view.getInt32(at, true) : view.getUint32(at, true);
  });
  return out;
}

/** The prelude every training kernel starts with: the structs and the size limits of the workgroup arrays. */
export function trainPreludeWgsl(): string {
  return `${structWgsl('TrainParams', TRAIN_PARAMS)}${structWgsl('ModelSlot', MODEL_SLOT)}${structWgsl('Metrics', METRICS)}
// The most models in one run, the largest hidden size and output count the config allows (src/core/train/config.ts).
const MAX_MODELS: u32 = ${MAX_MODELS}u;
const MAX_HIDDEN: u32 = ${MODEL_FIELDS.hidden.max}u;
const MAX_OUTPUTS: u32 = ${RUN_FIELDS.copyAlphabet.max}u;
`;
}

// Array strides are the structs' sizes only where those are multiples of 16 bytes.
for (const [name, table] of [['ModelSlot', MODEL_SLOT], ['Metrics', METRICS]] as const) {
  if (Object.keys(table).length % 4 !== 0) throw new Error(`webgpu trainer: ${name} must have a multiple of 4 words`);
}

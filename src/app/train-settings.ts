/**
 * The Train view's settings: the part of a TrainConfig the lab lets the user edit (task, T, N,
 * optimiser, learning rate, batch, iterations, seed, and per model activation, init, rho and
 * clip). Plain data in the view state, so the URL hash (hash.ts) carries it and a link
 * reproduces the run. Validation is the core's (checkTrainConfig): every message names its field.
 */
import { ACTIVATIONS, RANDOM_INITS, type Activation, type Init } from '../core/config.ts';
import {
  checkTrainConfig,
  DEFAULT_MODEL,
  DEFAULT_MODEL_SPECS,
  MAX_MODELS,
  RUN_FIELDS,
  TASKS,
  OPTIMIZERS,
  type OptimizerName,
  type TaskName,
  type TrainConfig,
} from '../core/train/config.ts';

/** One model as the Train view edits it; the other ModelConfig fields keep the core's defaults. */
export interface ModelSpec {
  activation: Activation;
  init: Init;
  rho: number;
  /** Global-norm clipping threshold; 0 = off. */
  clip: number;
  /** U starts with N(0, inputWeightScale^2 / D) entries. */
  inputWeightScale: number;
  /** Every entry of b starts at this value. */
  biasInit: number;
}

export interface TrainSettings {
  task: TaskName;
  /** T, the sequence length. */
  length: number;
  /** N, the hidden size of every model. */
  hidden: number;
  optimizer: OptimizerName;
  lr: number;
  batch: number;
  iterations: number;
  seed: number;
  models: readonly ModelSpec[];
}

export type RunSetting = Exclude<keyof TrainSettings, 'models'>;
export type ModelSetting = keyof ModelSpec;
export const RUN_SETTINGS: readonly RunSetting[] = ['task', 'length', 'hidden', 'optimizer', 'lr', 'batch', 'iterations', 'seed'];
export const MODEL_SETTINGS: readonly ModelSetting[] = ['activation', 'init', 'rho', 'clip', 'inputWeightScale', 'biasInit'];

/** The four that tell the story (issue defaults): N = 64, T = 150, Adam lr 1e-3, batch 32, 3000 steps. */
export const DEFAULT_TRAIN: Readonly<TrainSettings> = Object.freeze({
  task: RUN_FIELDS.task.default,
  length: RUN_FIELDS.length.default,
  hidden: 64,
  optimizer: RUN_FIELDS.optimizer.default,
  lr: RUN_FIELDS.lr.default,
  batch: RUN_FIELDS.batch.default,
  iterations: RUN_FIELDS.iterations.default,
  seed: 1,
  models: Object.freeze(
    DEFAULT_MODEL_SPECS.map((m) => Object.freeze(modelSpecOf(m))),
  ),
});

/** The view's fields of a model, the core's defaults where `m` has none. */
export function modelSpecOf(m: Partial<ModelSpec>): ModelSpec {
  return {
    activation: m.activation ?? DEFAULT_MODEL.activation,
    init: m.init ?? DEFAULT_MODEL.init,
    rho: m.rho ?? DEFAULT_MODEL.rho,
    clip: m.clip ?? DEFAULT_MODEL.clip,
    inputWeightScale: m.inputWeightScale ?? DEFAULT_MODEL.inputWeightScale,
    biasInit: m.biasInit ?? DEFAULT_MODEL.biasInit,
  };
}

/** A model in words, as the lab lists it: "tanh-gaussian", "relu-gaussian clip 1", "IRNN" (relu-identity), "IRNN input 0.1 clip 1". */
export function specLabel(m: ModelSpec): string {
  const base = m.activation === 'relu' && m.init === 'identity' ? 'IRNN' : `${m.activation}-${m.init}`;
  const extras = [
    m.rho !== 1 ? `rho ${m.rho}` : '',
    m.inputWeightScale !== DEFAULT_MODEL.inputWeightScale ? `input ${m.inputWeightScale}` : '',
    m.biasInit !== DEFAULT_MODEL.biasInit ? `bias ${m.biasInit}` : '',
    m.clip > 0 ? `clip ${m.clip}` : '',
  ].filter(Boolean);
  return [base, ...extras].join(' ');
}

/**
 * Evaluations every this many iterations: about 40 points per curve, at most every 50 (the
 * core's default), so a short run still draws a curve and a long one spends little on held-out passes.
 */
export function evalEveryFor(iterations: number): number {
  return Math.max(1, Math.min(RUN_FIELDS.evalEvery.default, Math.round(iterations / 40)));
}

/** The core's input for these settings (unvalidated). */
function rawConfig(s: TrainSettings): Record<string, unknown> {
  return {
    task: s.task,
    length: s.length,
    optimizer: s.optimizer,
    lr: s.lr,
    batch: s.batch,
    iterations: s.iterations,
    evalEvery: typeof s.iterations === 'number' ? evalEveryFor(s.iterations) : undefined,
    seed: s.seed,
    models: s.models.map((m) => ({ ...m, hidden: s.hidden })),
  };
}

export type SettingsCheck = { ok: true; config: TrainConfig } | { ok: false; problems: { field: string; message: string }[] };

/** The validated TrainConfig of the settings, or every problem with the settings' field names. */
export function trainConfigOf(s: TrainSettings): SettingsCheck {
  const r = checkTrainConfig(rawConfig(s));
  if (r.ok) return r;
  return {
    ok: false,
    problems: r.error.problems.map((p) => {
      // The view sets N once for every model: name it as its own field.
      const hidden = p.field?.match(/^models\[\d+\]\.hidden$/);
      return hidden ? { field: 'hidden', message: p.message.replace(/^models\[\d+\]\.hidden/, 'hidden') } : { field: p.field ?? 'settings', message: p.message };
    }),
  };
}

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
/** Text to a number where it is one, else the text itself (so the message quotes what was typed). */
function valueOf(raw: string, numeric: boolean): string | number {
  return numeric && NUMBER_RE.test(raw.trim()) ? Number(raw.trim()) : raw;
}

const NUMERIC = new Set<string>(['length', 'hidden', 'lr', 'batch', 'iterations', 'seed', 'rho', 'clip', 'inputWeightScale', 'biasInit']);

/**
 * Settings with one field set from text: `field` is a run setting ("lr") or a model's
 * ("models[2].clip"). Returns the new settings, or the message naming the field, the value and
 * what is allowed (the old settings stay).
 */
export function withSetting(s: TrainSettings, field: string, raw: string): { ok: true; settings: TrainSettings } | { ok: false; message: string } {
  const m = field.match(/^models\[(\d+)\]\.(\w+)$/);
  let next: TrainSettings;
  if (m) {
    const k = Number(m[1]);
    const key = m[2] as ModelSetting;
    if (!(k < s.models.length) || !MODEL_SETTINGS.includes(key)) return { ok: false, message: `${field}: no such setting` };
    const models = s.models.map((spec, j) => (j === k ? { ...spec, [key]: valueOf(raw, NUMERIC.has(key)) } : spec));
    next = { ...s, models };
  } else {
    if (!(RUN_SETTINGS as readonly string[]).includes(field)) return { ok: false, message: `${field}: no such setting` };
    next = { ...s, [field]: valueOf(raw, NUMERIC.has(field)) };
  }
  const r = trainConfigOf(next);
  if (r.ok) return { ok: true, settings: next };
  const mine = r.problems.find((p) => p.field === field) ?? r.problems[0];
  return { ok: false, message: mine.message };
}

/** A fifth (…eighth) model to add: the next of the defaults, cycling. */
export function nextModel(s: TrainSettings): ModelSpec | null {
  if (s.models.length >= MAX_MODELS) return null;
  return { ...DEFAULT_TRAIN.models[s.models.length % DEFAULT_TRAIN.models.length] };
}

/**
 * Models in a link: `activation:init:rho:clip` joined by `~`, with `:inputWeightScale:biasInit`
 * after it where either is off its default (so links written before they existed read the same).
 */
export function encodeModels(models: readonly ModelSpec[]): string {
  return models
    .map((m) => {
      const head = `${m.activation}:${m.init}:${m.rho}:${m.clip}`;
      return m.inputWeightScale === DEFAULT_MODEL.inputWeightScale && m.biasInit === DEFAULT_MODEL.biasInit ? head : `${head}:${m.inputWeightScale}:${m.biasInit}`;
    })
    .join('~');
}

export function decodeModels(raw: string): { ok: true; models: ModelSpec[] } | { ok: false; message: string } {
  const parts = raw.split('~');
  const models: ModelSpec[] = [];
  for (const [k, p] of parts.entries()) {
    const f = p.split(':');
    if (f.length !== 4 && f.length !== 6) return { ok: false, message: `model ${k + 1} "${p.slice(0, 40)}" is not activation:init:rho:clip or activation:init:rho:clip:inputWeightScale:biasInit` };
    const [activation, init, rho, clip, inputWeightScale = String(DEFAULT_MODEL.inputWeightScale), biasInit = String(DEFAULT_MODEL.biasInit)] = f;
    if (!(ACTIVATIONS as readonly string[]).includes(activation)) return { ok: false, message: `model ${k + 1}: activation "${activation.slice(0, 20)}" is not one of ${ACTIVATIONS.join(', ')}` };
    if (!(RANDOM_INITS as readonly string[]).includes(init)) return { ok: false, message: `model ${k + 1}: init "${init.slice(0, 20)}" is not one of ${RANDOM_INITS.join(', ')}` };
    models.push({
      activation: activation as Activation,
      init: init as Init,
      rho: valueOf(rho, true) as number,
      clip: valueOf(clip, true) as number,
      inputWeightScale: valueOf(inputWeightScale, true) as number,
      biasInit: valueOf(biasInit, true) as number,
    });
  }
  const r = trainConfigOf({ ...DEFAULT_TRAIN, models });
  if (!r.ok) return { ok: false, message: r.problems[0].message };
  return { ok: true, models };
}

/** Enumerations for the form's menus: the inits the trainer builds (not the sweep's chosen-spectrum init). */
export const CHOICES = { task: TASKS, optimizer: OPTIMIZERS, activation: ACTIVATIONS, init: RANDOM_INITS } as const;

/** Most models the view trains at once (the core's limit). */
export const MAX_MODELS_IN_VIEW = MAX_MODELS;

/** A file name stem for a run's downloads: "adding-T150-N64-4models-seed1". */
export function trainFileBase(config: TrainConfig): string {
  const sizes = [...new Set(config.models.map((m) => m.hidden))].join('_');
  return `${config.task}-T${config.length}-N${sizes}-${config.models.length}models-seed${config.seed}`;
}

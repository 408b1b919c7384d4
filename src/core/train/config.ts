/**
 * Training settings: one table of fields for the run (task, optimiser, data) and one for each
 * model (the gradient lab's RNN fields plus the training-only ones), each with its default,
 * bounds and meaning. Validation is built from the tables with zod; every message names the
 * field ("models[2].clip: ..."), the bad value and what is allowed.
 */
import { z } from 'zod';
import type { ActivationParams } from '../activations.ts';
import { ACTIVATION_PARAM_FIELDS, FIELDS as SWEEP_FIELDS, RANDOM_INITS, type Activation, type Init, type Normalize, type PlainFieldSpec as FieldSpec } from '../config.ts';

export const TASKS = ['adding', 'copy'] as const;
export const OPTIMIZERS = ['adam', 'sgd'] as const;
export type TaskName = (typeof TASKS)[number];
export type OptimizerName = (typeof OPTIMIZERS)[number];

/**
 * One vanilla RNN a_t = W h_{t-1} + U x_t + b, h_t = phi(a_t), read out y_t = V h_t + c; W starts
 * as rho W0. The activations' parameters are fields too, as in the sweep's Config (from the
 * activation table, src/core/activations.ts).
 */
export interface ModelConfig extends ActivationParams {
  /** phi, the elementwise nonlinearity. */
  activation: Activation;
  /** How W0 is drawn (the gradient lab's construction): gaussian, orthogonal, identity (IRNN). */
  init: Init;
  /** W0 is scaled to spectral radius 1 (`radius`) or spectral norm 1 (`norm`). */
  normalize: Normalize;
  /** N, the hidden size. */
  hidden: number;
  /** W at step 0 is rho W0. */
  rho: number;
  /** U's entries start as N(0, inputWeightScale^2 / D). */
  inputWeightScale: number;
  /** Every entry of b starts at this value (0 for IRNN). */
  biasInit: number;
  /** Global-norm clipping threshold: g <- g min(1, clip / ||g||); 0 = off. */
  clip: number;
}

/** A training run: several models on the same data stream. */
export interface TrainConfig {
  /** adding (MSE on the sum of two marked values) or copy (recall the first k symbols; cross-entropy). */
  task: TaskName;
  /** T, the sequence length. */
  length: number;
  /** copy: k, the number of symbols to remember. */
  copySymbols: number;
  /** copy: A, the alphabet size. */
  copyAlphabet: number;
  optimizer: OptimizerName;
  /** Learning rate. */
  lr: number;
  /** SGD: the momentum coefficient mu in v <- mu v + g. */
  momentum: number;
  /** Adam: beta1, beta2, epsilon (Kingma & Ba 2015). */
  beta1: number;
  beta2: number;
  epsilon: number;
  /** B, sequences per training step. */
  batch: number;
  /** Number of parameter updates. */
  iterations: number;
  /** The held-out loss (and W's spectral radius) is measured every this many iterations, and at the end. */
  evalEvery: number;
  /** Held-out sequences (drawn once, apart from the training stream). */
  heldout: number;
  /** Seed of every random number: data streams and initial weights (uint32). */
  seed: number;
  /** The models, trained side by side on the same batches. */
  models: ModelConfig[];
}

export type ModelField = keyof ModelConfig;
export type RunField = Exclude<keyof TrainConfig, 'models'>;

export const MODEL_FIELDS = {
  activation: SWEEP_FIELDS.activation,
  ...ACTIVATION_PARAM_FIELDS,
  // The training models start from the random inits; the chosen-spectrum init is the sweep's.
  init: { ...SWEEP_FIELDS.init, options: RANDOM_INITS, help: 'gaussian N(0,1/N), orthogonal, or identity (IRNN)' },
  normalize: SWEEP_FIELDS.normalize,
  hidden: { ...SWEEP_FIELDS.hidden, max: 512 },
  rho: { kind: 'real', min: 0, max: 10, default: 1, label: 'rho', help: 'W starts as rho W0' },
  inputWeightScale: { kind: 'real', min: 0, max: 100, default: 1, label: 'Input weight scale', help: 'U starts with N(0, scale^2/D) entries' },
  biasInit: { kind: 'real', min: -10, max: 10, default: 0, label: 'Bias init', help: 'every entry of b starts at this value' },
  clip: { kind: 'real', min: 0, max: 1e6, default: 0, label: 'Clip', help: 'global gradient-norm threshold; 0 = off' },
} as const satisfies Record<ModelField, FieldSpec>;

export const RUN_FIELDS = {
  task: { kind: 'enum', options: TASKS, default: 'adding', label: 'Task', help: 'adding problem or copy/recall' },
  length: { kind: 'int', min: 2, max: 2000, default: 150, label: 'Length T', help: 'sequence length' },
  copySymbols: { kind: 'int', min: 1, max: 50, default: 5, label: 'Symbols k', help: 'copy: symbols to remember' },
  copyAlphabet: { kind: 'int', min: 2, max: 32, default: 8, label: 'Alphabet A', help: 'copy: number of distinct symbols' },
  optimizer: { kind: 'enum', options: OPTIMIZERS, default: 'adam', label: 'Optimiser', help: 'adam, or sgd with momentum' },
  lr: { kind: 'real', min: 1e-8, max: 10, default: 1e-3, label: 'Learning rate', help: 'step size' },
  momentum: { kind: 'real', min: 0, max: 0.999, default: 0.9, label: 'Momentum', help: 'sgd: v <- momentum v + g' },
  beta1: { kind: 'real', min: 0, max: 0.9999, default: 0.9, label: 'beta1', help: 'adam: first-moment decay' },
  beta2: { kind: 'real', min: 0, max: 0.999999, default: 0.999, label: 'beta2', help: 'adam: second-moment decay' },
  epsilon: { kind: 'real', min: 1e-12, max: 1, default: 1e-8, label: 'epsilon', help: 'adam: denominator offset' },
  batch: { kind: 'int', min: 1, max: 1024, default: 32, label: 'Batch B', help: 'sequences per step' },
  iterations: { kind: 'int', min: 1, max: 1_000_000, default: 3000, label: 'Iterations', help: 'parameter updates' },
  evalEvery: { kind: 'int', min: 1, max: 1_000_000, default: 50, label: 'Eval every', help: 'iterations between held-out evaluations' },
  heldout: { kind: 'int', min: 1, max: 4096, default: 256, label: 'Held-out set', help: 'held-out sequences' },
  seed: SWEEP_FIELDS.seed,
} as const satisfies Record<RunField, FieldSpec>;

export const MODEL_FIELD_NAMES = Object.keys(MODEL_FIELDS) as ModelField[];
export const RUN_FIELD_NAMES = Object.keys(RUN_FIELDS) as RunField[];
/** Most models in one run. */
export const MAX_MODELS = 8;
/**
 * Most bytes of the BPTT store (pre-activations and states of every step, float64) all models
 * may need together; beyond it a run is refused before anything is allocated.
 */
export const TRAIN_BYTES_LIMIT = 1024 * 1024 * 1024;

function defaults<K extends string>(table: Record<K, FieldSpec>): Record<K, number | string> {
  return Object.fromEntries(Object.entries<FieldSpec>(table).map(([k, f]) => [k, f.default])) as Record<K, number | string>;
}

export const DEFAULT_MODEL: Readonly<ModelConfig> = Object.freeze(defaults(MODEL_FIELDS) as unknown as ModelConfig);

/** The four that tell the story (Le, Jaitly & Hinton 2015): tanh twice, relu with clipping, IRNN. */
export const DEFAULT_MODEL_SPECS: readonly Partial<ModelConfig>[] = [
  { activation: 'tanh', init: 'gaussian' },
  { activation: 'tanh', init: 'orthogonal' },
  { activation: 'relu', init: 'gaussian', clip: 1 },
  { activation: 'relu', init: 'identity', biasInit: 0 },
];

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number') return String(value);
  if (value === undefined) return 'nothing';
  try {
    const s = JSON.stringify(value);
    return s.length > 40 ? `${s.slice(0, 40)}…` : s;
  } catch {
    return typeof value;
  }
}

export function describeSpec(f: FieldSpec): string {
  if (f.kind === 'enum') return `one of ${f.options.join(', ')}`;
  if (f.kind === 'int') return `an integer in ${f.min}..${f.max}`;
  return `a number in ${f.min}..${f.max}`;
}

function fieldSchema(label: string, f: FieldSpec): z.ZodType {
  const message = (issue: { input?: unknown }) => `${label}: ${show(issue.input)} is not allowed; expected ${describeSpec(f)}`;
  if (f.kind === 'enum') return z.enum(f.options as [string, ...string[]], { error: message });
  let s = z.number({ error: message }).refine(Number.isFinite, { error: message });
  if (f.kind === 'int') s = s.refine(Number.isInteger, { error: message });
  return s.refine((v) => v >= f.min && v <= f.max, { error: message });
}

// Building a zod object schema compiles it (a fast path per schema); the lab checks settings on
// every redraw while it trains, so each (table, prefix) schema is built once and kept.
const schemas = new WeakMap<Record<string, FieldSpec>, Map<string, ReturnType<typeof buildTableSchema>>>();

function tableSchema(table: Record<string, FieldSpec>, prefix: string) {
  let byPrefix = schemas.get(table);
  if (!byPrefix) schemas.set(table, (byPrefix = new Map()));
  let schema = byPrefix.get(prefix);
  if (!schema) byPrefix.set(prefix, (schema = buildTableSchema(table, prefix)));
  return schema;
}

function buildTableSchema(table: Record<string, FieldSpec>, prefix: string) {
  const names = Object.keys(table);
  return z.strictObject(Object.fromEntries(names.map((k) => [k, fieldSchema(`${prefix}${k}`, table[k]).optional()])), {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `${prefix === '' ? '' : `${prefix.slice(0, -1)}: `}unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; known fields: ${names.join(', ')}`
        : `${prefix === '' ? 'the training settings' : prefix.slice(0, -1)} must be an object of fields`,
  });
}

export class TrainConfigError extends Error {
  /** Every problem found, one message each, naming its field ("lr", "models[2].clip"). */
  readonly problems: readonly { field: string | null; message: string }[];
  constructor(problems: { field: string | null; message: string }[]) {
    super(problems.map((p) => p.message).join('; '));
    this.name = 'TrainConfigError';
    this.problems = problems;
  }
}

export type TrainConfigResult = { ok: true; config: TrainConfig } | { ok: false; error: TrainConfigError };

type Problem = { field: string | null; message: string };

function issuesToProblems(issues: readonly { path: readonly PropertyKey[]; message: string }[], prefix: string): Problem[] {
  return issues.map((i) => {
    const head = i.path[0];
    return { field: typeof head === 'string' ? `${prefix}${head}` : prefix === '' ? null : prefix.slice(0, -1), message: i.message };
  });
}

/** Bytes of the float64 BPTT store: a_t and h_t for every step, sequence and unit of every model. */
export function bpttBytes(config: Pick<TrainConfig, 'length' | 'batch' | 'heldout'> & { models: Pick<ModelConfig, 'hidden'>[] }): number {
  const seqs = Math.max(config.batch, config.heldout);
  return config.models.reduce((sum, m) => sum + 2 * 8 * (config.length + 1) * seqs * m.hidden, 0);
}

/**
 * Validate training settings; missing fields take their defaults, `models` defaults to the four
 * of DEFAULT_MODEL_SPECS and each model's missing fields to DEFAULT_MODEL. Never throws.
 */
export function checkTrainConfig(input: unknown): TrainConfigResult {
  const problems: Problem[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, error: new TrainConfigError([{ field: null, message: 'the training settings must be an object of fields' }]) };
  }
  const { models: rawModels, ...rawRun } = input as Record<string, unknown>;
  const run = tableSchema(RUN_FIELDS, '').safeParse(rawRun);
  if (!run.success) problems.push(...issuesToProblems(run.error.issues, ''));
  let specs: unknown[] = [...DEFAULT_MODEL_SPECS];
  if (rawModels !== undefined) {
    if (!Array.isArray(rawModels) || rawModels.length === 0 || rawModels.length > MAX_MODELS) {
      problems.push({
        field: 'models',
        message: `models: ${Array.isArray(rawModels) ? `${rawModels.length} models` : show(rawModels)} is not allowed; expected a list of 1..${MAX_MODELS} models`,
      });
      specs = [];
    } else specs = rawModels;
  }
  const models: ModelConfig[] = [];
  specs.forEach((spec, i) => {
    const parsed = tableSchema(MODEL_FIELDS, `models[${i}].`).safeParse(spec);
    if (!parsed.success) problems.push(...issuesToProblems(parsed.error.issues, `models[${i}].`));
    else models.push({ ...DEFAULT_MODEL, ...stripUndefined(parsed.data) } as ModelConfig);
  });
  if (problems.length > 0) return { ok: false, error: new TrainConfigError(problems) };
  const config = { ...defaults(RUN_FIELDS), ...stripUndefined(run.data ?? {}), models } as unknown as TrainConfig;
  if (config.task === 'copy' && config.length < 2 * config.copySymbols) {
    problems.push({
      field: 'length',
      message: `length: ${config.length} is too short for copy with ${config.copySymbols} symbols; expected at least 2 * copySymbols = ${2 * config.copySymbols}`,
    });
  }
  const bytes = bpttBytes(config);
  if (bytes > TRAIN_BYTES_LIMIT) {
    problems.push({
      field: 'models',
      message: `models: the run needs ${(bytes / 2 ** 20).toFixed(0)} MiB for backpropagation through time (models x 2 x (length + 1) x max(batch, heldout) x hidden x 8 bytes), above the ${TRAIN_BYTES_LIMIT / 2 ** 20} MiB limit; reduce hidden, length, batch, heldout or the number of models`,
    });
  }
  if (problems.length > 0) return { ok: false, error: new TrainConfigError(problems) };
  return { ok: true, config };
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

export function parseTrainConfig(input: unknown): TrainConfig {
  const r = checkTrainConfig(input);
  if (!r.ok) throw r.error;
  return r.config;
}

/** A model's name in words: "tanh-gaussian", "relu-gaussian clip 1", "relu-identity" (IRNN); fields off their defaults are named. */
export function modelLabel(m: ModelConfig): string {
  const base = `${m.activation}-${m.init}`;
  const extras: string[] = [];
  if (m.rho !== 1) extras.push(`rho ${m.rho}`);
  if (m.inputWeightScale !== DEFAULT_MODEL.inputWeightScale) extras.push(`inputWeightScale ${m.inputWeightScale}`);
  if (m.biasInit !== DEFAULT_MODEL.biasInit) extras.push(`biasInit ${m.biasInit}`);
  if (m.clip > 0) extras.push(`clip ${m.clip}`);
  return extras.length > 0 ? `${base} ${extras.join(' ')}` : base;
}

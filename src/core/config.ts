/**
 * The experiment's configuration: one table of fields, each with its default, its bounds
 * and its meaning. Validation is built from the table with zod, and every message names
 * the field, the bad value and what is allowed.
 */
import { z } from 'zod';
import { BULK_SHAPES, MAX_OUTLIERS, outlierSlots, parseBulk, parseOutliers } from './spectrum-init.ts';
import { ACTIVATION_PARAMS, ACTIVATIONS, type Activation, type ActivationParamKey, type ActivationParams } from './activations.ts';

export { ACTIVATIONS, type Activation };
export const INITS = ['gaussian', 'orthogonal', 'identity', 'spectrum'] as const;
/** The inits drawn at random and normalised (every init but `spectrum`, whose eigenvalues are given). */
export const RANDOM_INITS = ['gaussian', 'orthogonal', 'identity'] as const;
export const NORMALIZE = ['radius', 'norm'] as const;
export const INPUT_MODES = ['noise', 'impulse', 'zero-after'] as const;
export const H0_MODES = ['zeros', 'random'] as const;
export const SWEEPS = ['rho', 'outlier'] as const;
export const WEIGHTS = ['tied', 'untied'] as const;

export type Init = (typeof INITS)[number];
export type Normalize = (typeof NORMALIZE)[number];
export type InputMode = (typeof INPUT_MODES)[number];
export type H0Mode = (typeof H0_MODES)[number];
export type Sweep = (typeof SWEEPS)[number];
export type Weights = (typeof WEIGHTS)[number];

/**
 * One sweep: a vanilla RNN a_t = rho W0 h_{t-1} + U x_t + b, h_t = phi(a_t), run for every rho.
 * The activations' parameters (leakyAlpha and the like) are fields too, one per parameter of
 * the activation table (src/core/activations.ts), where their meanings and bounds are.
 */
export interface Config extends ActivationParams {
  /** phi, the elementwise nonlinearity. */
  activation: Activation;
  /**
   * How W0 is drawn: gaussian N(0, 1/N) entries, orthogonal (Q of a Gaussian QR), identity (IRNN),
   * or spectrum (Q B Q^T with the eigenvalues of `bulk` and `outliers`, spectrum-init.ts).
   */
  init: Init;
  /** W0 is scaled to spectral radius 1 (`radius`) or largest singular value 1 (`norm`); not used by init spectrum. */
  normalize: Normalize;
  /** init spectrum: the eigenvalues other than the outliers, SHAPE:R (disk, circle or segment of radius R). */
  bulk: string;
  /** init spectrum: up to 4 outliers `re,im` separated by `;` (im != 0 brings its conjugate); may be empty. */
  outliers: string;
  /** N, the hidden size. */
  hidden: number;
  /** D, the input size. */
  input: number;
  /** T, the number of time steps. */
  steps: number;
  /** Smallest rho of the sweep (inclusive). */
  rhoMin: number;
  /** Largest rho of the sweep (inclusive). */
  rhoMax: number;
  /** K, the number of evenly spaced rho values. */
  rhoCount: number;
  /**
   * rho: W_k = rho_k W0. outlier (init spectrum): W0 with its first outlier moved along its ray to
   * magnitude rho_k (rhoMin..rhoMax), the rest of the spectrum fixed.
   */
  sweep: Sweep;
  /** tied: the RNN, one W at every step. untied: a fresh W0_t at every step t (a T-layer feed-forward net). */
  weights: Weights;
  /** S, the number of input sequences per rho (the same S sequences for every rho). */
  samples: number;
  /** noise: x_t ~ N(0, inputScale^2) at every step; impulse: x_1 only; zero-after: noise up to inputUntil, then x_t = 0 and b = 0. */
  inputs: InputMode;
  /** Last step that still receives input (and bias) in `zero-after` mode. */
  inputUntil: number;
  /** Standard deviation of the input entries. */
  inputScale: number;
  /** Standard deviation of the bias entries, b ~ N(0, biasScale^2). */
  biasScale: number;
  /** Initial hidden state: zeros, or random N(0, 1/N) entries shared by all sequences. */
  h0: H0Mode;
  /** Seed of the one generator every random number comes from (uint32). */
  seed: number;
}

type NumberField = {
  kind: 'int' | 'real';
  min: number;
  max: number;
  default: number;
  label: string;
  help: string;
};
/** A field written as text with its own syntax (the spectrum's bulk and outliers). */
type TextField = {
  kind: 'text';
  default: string;
  label: string;
  help: string;
  /** What is allowed, in words (the messages and --help quote it). */
  syntax: string;
  /** The reason the text is refused, or null. */
  check: (text: string) => string | null;
};
type EnumField = {
  kind: 'enum';
  options: readonly string[];
  default: string;
  label: string;
  help: string;
};
export type FieldSpec = NumberField | EnumField | TextField;
/** A field of a number or one of a list (the training tables have no text fields). */
export type PlainFieldSpec = NumberField | EnumField;

/** One real field per activation parameter, from the activation table. */
export const ACTIVATION_PARAM_FIELDS = Object.fromEntries(
  ACTIVATION_PARAMS.map((p) => [p.key, { kind: 'real', min: p.min, max: p.max, default: p.default, label: p.label, help: p.help }]),
) as Record<ActivationParamKey, NumberField>;

/** The table every part of the lab reads: validation, CLI flags, UI controls, URL hash. */
export const FIELDS = {
  activation: { kind: 'enum', options: ACTIVATIONS, default: 'tanh', label: 'Activation', help: 'phi, the nonlinearity h_t = phi(a_t)' },
  ...ACTIVATION_PARAM_FIELDS,
  init: {
    kind: 'enum',
    options: INITS,
    default: 'gaussian',
    label: 'W0 init',
    help: 'gaussian N(0,1/N), orthogonal, identity (IRNN), or spectrum (Q B Q^T with the eigenvalues of --bulk and --outlier, exact)',
  },
  normalize: {
    kind: 'enum',
    options: NORMALIZE,
    default: 'radius',
    label: 'Normalise W0 to',
    help: 'spectral radius 1, or spectral norm 1 (does not apply to init spectrum, whose eigenvalues are exact: leave it at radius)',
  },
  bulk: {
    kind: 'text',
    default: 'disk:0.8',
    label: 'Bulk',
    help: 'init spectrum: every eigenvalue but the outliers, drawn from the seed: disk:R uniform in the disk of radius R, circle:R on its rim, segment:R uniform on [-R, R]',
    syntax: `SHAPE:R with SHAPE one of ${BULK_SHAPES.join(', ')} and R in 0..10, e.g. disk:0.8`,
    check: (text: string) => {
      const r = parseBulk(text);
      return typeof r === 'string' ? r : null;
    },
  },
  outliers: {
    kind: 'text',
    default: '1.1,0',
    label: 'Outliers',
    help: `init spectrum: up to ${MAX_OUTLIERS} eigenvalues re,im separated by ; (one with im != 0 brings its conjugate); the first is the one --sweep outlier moves`,
    syntax: `up to ${MAX_OUTLIERS} pairs re,im separated by ; each of magnitude at most 10, e.g. 1.1,0;0.3,0.9 (or nothing)`,
    check: (text: string) => {
      const r = parseOutliers(text);
      return typeof r === 'string' ? r : null;
    },
  },
  hidden: { kind: 'int', min: 1, max: 1024, default: 64, label: 'Hidden size N', help: 'number of hidden units' },
  input: { kind: 'int', min: 1, max: 64, default: 8, label: 'Input size D', help: 'number of input features' },
  steps: { kind: 'int', min: 1, max: 5000, default: 100, label: 'Steps T', help: 'sequence length' },
  rhoMin: { kind: 'real', min: 0, max: 10, default: 0.5, label: 'rho min', help: 'smallest spectral radius of the sweep' },
  rhoMax: { kind: 'real', min: 0, max: 10, default: 1.5, label: 'rho max', help: 'largest spectral radius of the sweep' },
  // 65: the default grid 0.5..1.5 then steps by 1/64 and holds rho = 1 exactly (row 32).
  rhoCount: { kind: 'int', min: 1, max: 512, default: 65, label: 'rho count K', help: 'number of rho values, evenly spaced' },
  sweep: {
    kind: 'enum',
    options: SWEEPS,
    default: 'rho',
    label: 'Sweep axis',
    help: "rho: W = rho W0 (every eigenvalue scaled); outlier (init spectrum): the first outlier's magnitude goes from rho min to rho max along its ray, the rest of the spectrum fixed",
  },
  weights: {
    kind: 'enum',
    options: WEIGHTS,
    default: 'tied',
    label: 'Weights',
    help: 'tied: the RNN, the same W at every step; untied: a fresh W0_t per step from the same init and normalisation (a T-layer feed-forward net)',
  },
  samples: { kind: 'int', min: 1, max: 256, default: 16, label: 'Samples S', help: 'input sequences per rho' },
  inputs: { kind: 'enum', options: INPUT_MODES, default: 'noise', label: 'Inputs', help: 'noise every step, an impulse at t=1, or noise then zero' },
  inputUntil: { kind: 'int', min: 0, max: 5000, default: 10, label: 'Input until t0', help: 'last step with input and bias (zero-after mode)' },
  inputScale: { kind: 'real', min: 0, max: 100, default: 1, label: 'Input scale', help: 'standard deviation of x_t' },
  biasScale: { kind: 'real', min: 0, max: 100, default: 0, label: 'Bias scale', help: 'standard deviation of b' },
  h0: { kind: 'enum', options: H0_MODES, default: 'zeros', label: 'h0', help: 'initial hidden state' },
  seed: { kind: 'int', min: 0, max: 4294967295, default: 1, label: 'Seed', help: 'seed of the random generator (uint32)' },
} as const satisfies Record<keyof Config, FieldSpec>;

export type FieldName = keyof Config;
export const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];

export const DEFAULT_CONFIG: Readonly<Config> = Object.freeze(
  Object.fromEntries(FIELD_NAMES.map((k) => [k, FIELDS[k].default])) as unknown as Config,
);

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

/** The allowed values of a field, in words: "an integer in 1..1024", "one of tanh, relu". */
export function describeAllowed(name: FieldName): string {
  const f: FieldSpec = FIELDS[name];
  if (f.kind === 'enum') return `one of ${f.options.join(', ')}`;
  if (f.kind === 'text') return f.syntax;
  if (f.kind === 'int') return `an integer in ${f.min}..${f.max}`;
  return `a number in ${f.min}..${f.max}`;
}

/** What a field takes, in a sentence's words: "a whole number between 1 and 1024", "one of tanh, relu". */
export function allowedWords(name: FieldName): string {
  const f: FieldSpec = FIELDS[name];
  if (f.kind === 'enum') return `one of ${f.options.join(', ')}`;
  if (f.kind === 'text') return f.syntax;
  return `${f.kind === 'int' ? 'a whole number' : 'a number'} between ${f.min} and ${f.max}`;
}

/**
 * The message for a bad value of one field, by its label, as a newcomer reads it: "Hidden size N
 * must be a whole number between 1 and 1024; you entered 5000". An empty field and text that
 * is not a number say so (never "NaN").
 */
export function fieldMessage(name: FieldName, input: unknown): string {
  const f: FieldSpec = FIELDS[name];
  const want = allowedWords(name);
  const empty = input === undefined || input === null || (typeof input === 'string' && input.trim() === '');
  if (empty) return `${f.label} is empty; enter ${want}`;
  if (f.kind !== 'enum' && f.kind !== 'text' && typeof input === 'string') return `${f.label} must be a number (${want}); you entered ${show(input)}`;
  if (typeof input === 'number' && Number.isNaN(input)) return `${f.label} is not a number; enter ${want}`;
  return `${f.label} must be ${want}; you entered ${show(input)}`;
}

function fieldSchema(name: FieldName): z.ZodType {
  const f: FieldSpec = FIELDS[name];
  const message = (issue: { input?: unknown }) => fieldMessage(name, issue.input);
  if (f.kind === 'enum') return z.enum(f.options as [string, ...string[]], { error: message });
  if (f.kind === 'text') {
    const check = f.check;
    return z
      .string({ error: message })
      .check((ctx) => {
        const why = check(ctx.value);
        if (why !== null) ctx.issues.push({ code: 'custom', input: ctx.value, message: `${f.label}: ${show(ctx.value)} ${why}; enter ${describeAllowed(name)}` });
      });
  }
  let s = z.number({ error: message }).refine(Number.isFinite, { error: message });
  if (f.kind === 'int') s = s.refine(Number.isInteger, { error: message });
  return s.refine((v) => v >= f.min && v <= f.max, { error: message });
}

/**
 * A control's or flag's text as the value checkConfig takes: a number where it reads as one,
 * otherwise the text itself, so the message can quote what was typed.
 */
export function fieldValue(name: FieldName, text: string): unknown {
  const kind = FIELDS[name].kind;
  if (kind === 'enum' || kind === 'text') return text;
  const v = text.trim() === '' ? NaN : Number(text);
  return Number.isNaN(v) ? text : v;
}

const configSchema = z
  .strictObject(
    Object.fromEntries(FIELD_NAMES.map((k) => [k, fieldSchema(k).optional()])) as unknown as Record<FieldName, z.ZodOptional>,
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; known fields: ${FIELD_NAMES.join(', ')}`
          : 'the configuration must be an object of fields',
    },
  );

/** One problem: the field it is shown on, and for a rule between two fields, both of them. */
export interface ConfigProblem {
  field: string | null;
  message: string;
  /** A cross-field rule (rho min <= rho max): the fields involved; the UI shows it once, on the one last edited. */
  fields?: readonly FieldName[];
}

export class ConfigError extends Error {
  /** Every problem found, one message each, naming its field. */
  readonly problems: readonly ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(problems.map((p) => p.message).join('; '));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; error: ConfigError };

/** Validate a partial configuration; missing fields take their defaults. Never throws. */
export function checkConfig(input: unknown): ConfigResult {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const problems: ConfigProblem[] = parsed.error.issues.map((i) => {
      const head = i.path[0];
      return { field: typeof head === 'string' ? head : null, message: i.message };
    });
    // The rules between fields still apply to the fields that are valid on their own, so
    // every problem is reported at once.
    if (input !== null && typeof input === 'object' && !Array.isArray(input) && problems.every((p) => p.field !== null)) {
      const bad = new Set(problems.map((p) => p.field));
      const valid = Object.fromEntries(Object.entries(input).filter(([k]) => !bad.has(k)));
      problems.push(...crossFieldProblems({ ...DEFAULT_CONFIG, ...valid } as Config, bad));
    }
    return { ok: false, error: new ConfigError(problems) };
  }
  const config = { ...DEFAULT_CONFIG } as Config;
  for (const [k, v] of Object.entries(parsed.data)) {
    if (v !== undefined) (config as unknown as Record<string, unknown>)[k] = v;
  }
  const problems = crossFieldProblems(config, new Set());
  if (problems.length > 0) return { ok: false, error: new ConfigError(problems) };
  return { ok: true, config };
}

/** The rules between two fields, over fields that are valid on their own (those in `bad` are skipped). */
function crossFieldProblems(config: Config, bad: ReadonlySet<string | null>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (!bad.has('rhoMin') && !bad.has('rhoMax') && config.rhoMin > config.rhoMax) {
    problems.push({
      field: 'rhoMax',
      fields: ['rhoMin', 'rhoMax'],
      message: `${FIELDS.rhoMin.label} (${config.rhoMin}) must not be above ${FIELDS.rhoMax.label} (${config.rhoMax}); change one of them`,
    });
  }
  if (!bad.has('inputUntil') && !bad.has('steps') && !bad.has('inputs') && config.inputs === 'zero-after' && config.inputUntil > config.steps) {
    problems.push({
      field: 'inputUntil',
      fields: ['inputUntil', 'steps'],
      message: `${FIELDS.inputUntil.label} (${config.inputUntil}) must not be beyond the last step, ${FIELDS.steps.label} (${config.steps}); change one of them`,
    });
  }
  problems.push(...spectrumProblems(config, bad));
  return problems;
}

/** The rules of the spectrum init, the outlier axis and untied weights. */
function spectrumProblems(config: Config, bad: ReadonlySet<string | null>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const spectrum = !bad.has('init') && config.init === 'spectrum';
  if (spectrum && !bad.has('normalize') && config.normalize !== 'radius') {
    problems.push({
      field: 'normalize',
      fields: ['normalize', 'init'],
      message: `${FIELDS.normalize.label}: ${show(config.normalize)} does not apply to init spectrum, whose eigenvalues are set exactly; leave it at radius or choose another ${FIELDS.init.label}`,
    });
  }
  const outliers = bad.has('outliers') ? null : parseOutliers(config.outliers);
  if (spectrum && Array.isArray(outliers) && !bad.has('hidden')) {
    const slots = outlierSlots(outliers);
    if (slots > config.hidden) {
      problems.push({
        field: 'outliers',
        fields: ['outliers', 'hidden'],
        message: `${FIELDS.outliers.label}: ${show(config.outliers)} takes ${slots} eigenvalues (a complex outlier brings its conjugate), more than ${FIELDS.hidden.label} (${config.hidden}) allows; remove outliers or raise N`,
      });
    }
  }
  if (!bad.has('sweep') && config.sweep === 'outlier') {
    if (!bad.has('init') && config.init !== 'spectrum') {
      problems.push({
        field: 'sweep',
        fields: ['sweep', 'init'],
        message: `${FIELDS.sweep.label}: "outlier" moves an eigenvalue of init spectrum, but ${FIELDS.init.label} is ${show(config.init)}; choose init spectrum or sweep rho`,
      });
    } else if (Array.isArray(outliers) && (outliers.length === 0 || Math.hypot(outliers[0].re, outliers[0].im) === 0)) {
      problems.push({
        field: 'sweep',
        fields: ['sweep', 'outliers'],
        message: `${FIELDS.sweep.label}: "outlier" moves the first outlier along its ray, but ${outliers.length === 0 ? 'there is no outlier' : 'the first outlier is 0 (no ray)'}; give a nonzero outlier or sweep rho`,
      });
    }
  }
  return problems;
}

/** Validate or throw a ConfigError. */
export function parseConfig(input: unknown): Config {
  const r = checkConfig(input);
  if (!r.ok) throw r.error;
  return r.config;
}

/** The K rho values, evenly spaced and inclusive: rho_k = rhoMin + k (rhoMax - rhoMin) / (K - 1). */
export function rhoValues(config: Pick<Config, 'rhoMin' | 'rhoMax' | 'rhoCount'>): Float64Array {
  const { rhoMin, rhoMax, rhoCount: k } = config;
  const out = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    out[i] = k === 1 ? rhoMin : rhoMin + ((rhoMax - rhoMin) * i) / (k - 1);
    // rho = 1 is the value everyone looks for: where the grid reaches it up to rounding
    // (0.8 + 0.4 * 32 / 64 is 1 + 2e-16), it is exactly 1.
    if (Math.abs(out[i] - 1) < 1e-12) out[i] = 1;
  }
  if (k > 1) out[k - 1] = rhoMax;
  return out;
}

/** Whether rho = 1 lies in the swept range but between two grid points. */
export function rhoOneMissed(config: Pick<Config, 'rhoMin' | 'rhoMax' | 'rhoCount'>): boolean {
  if (config.rhoMin > 1 || config.rhoMax < 1) return false;
  return !rhoValues(config).includes(1);
}

/**
 * The rho count nearest to the given one (ties: the larger) whose grid holds rho = 1 exactly,
 * or null when no count within the bounds does (1 outside the range, or an awkward ratio).
 */
export function rhoCountWithOne(config: Pick<Config, 'rhoMin' | 'rhoMax' | 'rhoCount'>): number | null {
  if (config.rhoMin > 1 || config.rhoMax < 1) return null;
  const { min, max } = FIELDS.rhoCount;
  for (let d = 0; d <= max; d++) {
    for (const k of [config.rhoCount + d, config.rhoCount - d]) {
      if (k >= Math.max(min, 2) && k <= max && rhoValues({ ...config, rhoCount: k }).includes(1)) return k;
    }
  }
  return null;
}

/** Parse "MIN:MAX:COUNT" (as in `--rho 0.5:1.5:64`) into the three fields, checked. */
export function parseRhoSpec(spec: string): Pick<Config, 'rhoMin' | 'rhoMax' | 'rhoCount'> {
  const parts = spec.split(':');
  const bad = (why: string) =>
    new ConfigError([{ field: 'rho', message: `rho: ${show(spec)} ${why}; expected MIN:MAX:COUNT, e.g. 0.5:1.5:64` }]);
  if (parts.length !== 3) throw bad('does not have three parts');
  const nums = parts.map((p) => (p.trim() === '' ? NaN : Number(p)));
  if (nums.some((n) => !Number.isFinite(n))) throw bad('has a part that is not a number');
  const [rhoMin, rhoMax, rhoCount] = nums as [number, number, number];
  const r = checkConfig({ rhoMin, rhoMax, rhoCount });
  if (!r.ok) throw r.error;
  return { rhoMin, rhoMax, rhoCount };
}

/**
 * Why a caller that computes only a tied rho sweep cannot run this config (sweep outlier or
 * untied weights: every engine computes them; buildProblem refuses them to callers that do not
 * say so), or null where it can.
 */
export function tiedRhoOnlyRefusal(config: Pick<Config, 'sweep' | 'weights'>): string | null {
  if (config.sweep === 'rho' && config.weights === 'tied') return null;
  const what = [config.sweep !== 'rho' ? 'sweep = outlier' : '', config.weights !== 'tied' ? 'weights = untied' : ''].filter(Boolean).join(' and ');
  return `${what}: this engine computes only sweep = rho with tied weights; choose the CPU engine, WebGPU or the float64 reference engine (--backend cpu, webgpu or reference, or the lab's engine menu)`;
}

/** What the swept axis is, for labels: the spectral radius rho, or the first outlier's magnitude. */
export function sweepAxis(config: Pick<Config, 'sweep'>): { symbol: string; words: string } {
  return config.sweep === 'outlier' ? { symbol: '|λ₁|', words: 'outlier magnitude |λ₁|' } : { symbol: 'ρ', words: 'spectral radius \u03c1' };
}

/** Whether the bias and the input are switched on at step t (1-based). */
export function driveOn(config: Pick<Config, 'inputs' | 'inputUntil'>, t: number): { input: boolean; bias: boolean } {
  switch (config.inputs) {
    case 'noise':
      return { input: true, bias: true };
    case 'impulse':
      return { input: t === 1, bias: true };
    case 'zero-after':
      return { input: t <= config.inputUntil, bias: t <= config.inputUntil };
  }
}

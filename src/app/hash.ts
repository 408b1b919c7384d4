/**
 * The URL hash: ONE table of fields, built from the core's FIELDS (every config setting,
 * the seed included) plus the view's fields. A shared link reproduces the exact view.
 *
 * Format: `#key=value&key=value`, only fields that differ from their defaults. Parsing never
 * throws: a bad value yields a message naming the field, and that field keeps its default
 * while every other field is kept.
 */
import { checkConfig, DEFAULT_CONFIG, FIELDS, FIELD_NAMES, type Config, type FieldName } from '../core/config.ts';
import { presetById } from './presets.ts';
import { MAX_MODELS } from '../core/train/config.ts';
import { decodeModels, DEFAULT_TRAIN, encodeModels, withSetting, type RunSetting } from './train-settings.ts';
import {
  BACKEND_CHOICES,
  COMPARE_OPTIONS,
  defaultState,
  DEFAULT_VIEW,
  KERNEL_CHOICES,
  OVERLAYS,
  SHOWN_FIELDS,
  type BackendChoice,
  type CompareMode,
  type KernelChoice,
  type LabState,
  type Overlay,
  type ShownField,
  TABS,
  type Tab,
} from './state.ts';

export interface HashField {
  /** The key in the hash. */
  key: string;
  /** Text of the field's value in state, or null when it has its default (left out of the hash). */
  write(state: LabState): string | null;
  /** Apply a raw value to state; returns an error message (naming the field) or null. */
  read(state: LabState, raw: string): string | null;
  /** Longest value looked at, where longer than MAX_VALUE_LENGTH (a list of up to 8 models). */
  maxLength?: number;
}

/** Longest value we look at; anything longer is refused before parsing (pathological links). */
const MAX_VALUE_LENGTH = 200;
const MAX_HASH_LENGTH = 8192;
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Quote a user-supplied value for a message: short, and plain text (the UI renders it as text, never markup). */
function quote(raw: string): string {
  const s = raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
  return JSON.stringify(s);
}

function parseNumber(raw: string): number {
  return NUMBER_RE.test(raw.trim()) ? Number(raw.trim()) : NaN;
}

function configField(name: FieldName): HashField {
  return {
    key: name,
    write: (s) => (s.config[name] === DEFAULT_CONFIG[name] ? null : String(s.config[name])),
    read: (s, raw) => {
      const spec = FIELDS[name];
      // Text that is not a number goes through as text, so the message quotes it.
      const value: unknown = spec.kind === 'enum' || spec.kind === 'text' ? raw : Number.isNaN(parseNumber(raw)) ? raw : parseNumber(raw);
      // Validate this one field alone: the other fields sit where no cross-field rule can fail
      // (those rules are checked once every field is read).
      // (sweep outlier is checked beside init spectrum, the one init it moves an eigenvalue of).
      const r = checkConfig({ rhoMin: 0, rhoMax: 10, steps: 5000, inputUntil: 0, ...(name === 'sweep' ? { init: 'spectrum' } : {}), [name]: value });
      if (!r.ok) {
        const p = r.error.problems.find((q) => q.field === name);
        // The link's own key first: that is what the reader of the link edits.
        return p ? `${name}: ${p.message}` : `${name}: ${quote(raw)} is not allowed`;
      }
      (s.config as unknown as Record<string, unknown>)[name] = r.config[name];
      return null;
    },
  };
}

function enumView<K extends 'field' | 'compare' | 'backend' | 'kernel'>(key: string, prop: K, options: readonly string[], what = ''): HashField {
  return {
    key,
    write: (s) => (s.view[prop] === DEFAULT_VIEW[prop] ? null : String(s.view[prop])),
    read: (s, raw) => {
      if (!options.includes(raw)) return `${key}: ${quote(raw)} is not allowed; expected one of ${options.join(', ')}${what}`;
      if (prop === 'field') s.view.field = raw as ShownField;
      else if (prop === 'backend') s.view.backend = raw as BackendChoice;
      else if (prop === 'kernel') s.view.kernel = raw as KernelChoice;
      else s.view.compare = raw as CompareMode;
      return null;
    },
  };
}

const VIEW_FIELDS: HashField[] = [
  enumView('field', 'field', SHOWN_FIELDS),
  {
    key: 'rho',
    write: (s) => (s.view.rho === DEFAULT_VIEW.rho ? null : String(Number(s.view.rho.toPrecision(6)))),
    read: (s, raw) => {
      const v = parseNumber(raw);
      if (!Number.isFinite(v) || v < 0 || v > 10) return `rho: ${quote(raw)} is not allowed; expected a number in 0..10 (the slider's spectral radius)`;
      s.view.rho = v;
      return null;
    },
  },
  enumView('cmp', 'compare', COMPARE_OPTIONS),
  enumView('backend', 'backend', BACKEND_CHOICES),
  enumView('kernel', 'kernel', KERNEL_CHOICES, " (the WebGPU engine's kernels; auto: tiled on a hardware GPU, persistent on a software one)"),
  {
    key: 'ov',
    write: (s) => {
      const on = OVERLAYS.filter((o) => s.view.overlays[o]);
      const def = OVERLAYS.filter((o) => DEFAULT_VIEW.overlays[o]);
      return on.join(',') === def.join(',') ? null : on.join(',') || 'none';
    },
    read: (s, raw) => {
      const parts = raw === 'none' || raw === '' ? [] : raw.split(',');
      const bad = parts.filter((p) => !(OVERLAYS as readonly string[]).includes(p));
      if (bad.length > 0) return `ov: ${quote(bad[0])} is not an overlay; expected a comma list of ${OVERLAYS.join(', ')} (or none)`;
      for (const o of OVERLAYS) s.view.overlays[o] = parts.includes(o);
      return null;
    },
  },
  {
    key: 'embed',
    write: (s) => (s.view.embed ? '1' : null),
    read: (s, raw) => {
      if (raw !== '1' && raw !== '0') return `embed: ${quote(raw)} is not allowed; expected 1 or 0`;
      s.view.embed = raw === '1';
      return null;
    },
  },
  {
    key: 'cam',
    write: (s) => (s.view.camera ? s.view.camera.map((v) => Number(v.toFixed(2))).join(',') : null),
    read: (s, raw) => {
      const v = raw.split(',').map(parseNumber);
      const ok =
        v.length === 3 && v.every(Number.isFinite) && Math.abs(v[0]) <= 360 && v[1] >= -90 && v[1] <= 90 && v[2] > 0.1 && v[2] <= 100;
      if (!ok) return `cam: ${quote(raw)} is not a camera; expected azimuth,elevation,distance e.g. 30,35,2.5`;
      s.view.camera = [v[0], v[1], v[2]];
      return null;
    },
  },
  {
    // The locked colour range: field:min:max (e.g. lock=grad:-8:0.5); absent for the auto, noise-aware one.
    key: 'lock',
    write: (s) => {
      const l = s.view.colourLock;
      return l ? `${l.field}:${Number(l.min.toPrecision(6))}:${Number(l.max.toPrecision(6))}` : null;
    },
    read: (s, raw) => {
      const [field, lo, hi, ...rest] = raw.split(':');
      const min = parseNumber(lo ?? '');
      const max = parseNumber(hi ?? '');
      if (rest.length > 0 || !(SHOWN_FIELDS as readonly string[]).includes(field) || !Number.isFinite(min) || !Number.isFinite(max) || !(min < max)) {
        return `lock: ${quote(raw)} is not a colour range; expected field:min:max with min < max, e.g. grad:-8:0.5 (field one of ${SHOWN_FIELDS.join(', ')})`;
      }
      s.view.colourLock = { field: field as ShownField, min, max };
      return null;
    },
  },
  {
    key: 'preset',
    write: (s) => s.view.preset,
    read: (s, raw) => {
      if (!presetById(raw)) return `preset: ${quote(raw)} is not a preset`;
      s.view.preset = raw;
      return null;
    },
  },
];

/** A Train view setting under the key `t.<short>`; validated like the form's field (train-settings.ts). */
function trainField(key: string, name: RunSetting): HashField {
  return {
    key,
    write: (s) => (s.view.train[name] === DEFAULT_TRAIN[name] ? null : String(s.view.train[name])),
    read: (s, raw) => {
      const r = withSetting(s.view.train, name, raw);
      if (!r.ok) return `${key}: ${r.message}`;
      s.view.train = r.settings;
      return null;
    },
  };
}

const TRAIN_FIELDS: HashField[] = [
  {
    key: 'tab',
    write: (s) => (s.view.tab === DEFAULT_VIEW.tab ? null : s.view.tab),
    read: (s, raw) => {
      if (!(TABS as readonly string[]).includes(raw)) return `tab: ${quote(raw)} is not allowed; expected one of ${TABS.join(', ')}`;
      s.view.tab = raw as Tab;
      return null;
    },
  },
  trainField('t.task', 'task'),
  trainField('t.T', 'length'),
  trainField('t.N', 'hidden'),
  trainField('t.opt', 'optimizer'),
  trainField('t.lr', 'lr'),
  trainField('t.batch', 'batch'),
  trainField('t.iter', 'iterations'),
  trainField('t.seed', 'seed'),
  {
    key: 't.models',
    // Up to MAX_MODELS models of activation:init:rho:clip[:inputWeightScale:biasInit], each well under 80 characters.
    maxLength: 80 * MAX_MODELS,
    write: (s) => {
      const text = encodeModels(s.view.train.models);
      return text === encodeModels(DEFAULT_TRAIN.models) ? null : text;
    },
    read: (s, raw) => {
      const r = decodeModels(raw);
      if (!r.ok) return `t.models: ${r.message}; expected activation:init:rho:clip (or activation:init:rho:clip:inputWeightScale:biasInit) per model, joined by ~`;
      s.view.train = { ...s.view.train, models: r.models };
      return null;
    },
  },
];

/** THE table: every config field (from core FIELDS), then the view fields, then the Train view's. */
export const HASH_FIELDS: readonly HashField[] = [...FIELD_NAMES.map(configField), ...VIEW_FIELDS, ...TRAIN_FIELDS];
const BY_KEY = new Map(HASH_FIELDS.map((f) => [f.key, f]));

/** The hash (without '#') for a state: only non-default fields, in table order. */
export function encodeHash(state: LabState): string {
  const parts: string[] = [];
  for (const f of HASH_FIELDS) {
    const v = f.write(state);
    if (v !== null) parts.push(`${f.key}=${encodeURIComponent(v)}`);
  }
  return parts.join('&');
}

export interface DecodedHash {
  state: LabState;
  /** One message per problem, each naming its field; the state holds defaults for those fields. */
  problems: { key: string; message: string }[];
}

/** Parse a hash (with or without '#'). Never throws; unknown or bad fields are reported and skipped. */
export function decodeHash(hash: string): DecodedHash {
  const state = defaultState();
  const problems: { key: string; message: string }[] = [];
  let text = hash.startsWith('#') ? hash.slice(1) : hash;
  if (text.length > MAX_HASH_LENGTH) {
    problems.push({ key: '#', message: `the link's settings are ${text.length} characters long; only the first ${MAX_HASH_LENGTH} were read` });
    text = text.slice(0, MAX_HASH_LENGTH);
  }
  const seen = new Set<string>();
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    let key: string;
    let raw: string;
    try {
      key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
      raw = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
    } catch {
      problems.push({ key: '#', message: `${quote(part)} is not valid URL text; it was ignored` });
      continue;
    }
    const f = BY_KEY.get(key);
    if (!f) {
      problems.push({ key, message: `unknown setting ${quote(key)} in the link; it was ignored` });
      continue;
    }
    if (seen.has(key)) problems.push({ key, message: `${key} appears more than once in the link; the last value is used` });
    seen.add(key);
    if (raw.length > (f.maxLength ?? MAX_VALUE_LENGTH)) {
      problems.push({ key, message: `${key}: the value is ${raw.length} characters long; expected ${describeShort(key)}` });
      continue;
    }
    const msg = f.read(state, raw);
    if (msg) problems.push({ key, message: msg });
  }
  // Cross-field rules (rhoMin <= rhoMax, inputUntil <= steps): reset the field the rule names;
  // if its default still breaks the rule, reset its partner too.
  const partner: Partial<Record<FieldName, FieldName>> = { rhoMax: 'rhoMin', inputUntil: 'steps' };
  for (let pass = 0; pass < 2; pass++) {
    const r = checkConfig(state.config);
    if (r.ok) break;
    for (const p of r.error.problems) {
      const named = p.field as FieldName | null;
      const name = pass === 0 ? named : named ? (partner[named] ?? named) : null;
      if (name && name in FIELDS) {
        (state.config as unknown as Record<string, unknown>)[name] = DEFAULT_CONFIG[name];
        problems.push({ key: name, message: `${p.message}; using the default ${name} = ${DEFAULT_CONFIG[name]}` });
      }
    }
  }
  if (!checkConfig(state.config).ok) state.config = { ...DEFAULT_CONFIG };
  return { state, problems };
}

function describeShort(key: string): string {
  return key in FIELDS ? `a short value for ${FIELDS[key as FieldName].label}` : 'a short value';
}

/** Whether two states would write the same hash (cheap equality for history handling). */
export function sameState(a: LabState, b: LabState): boolean {
  return encodeHash(a) === encodeHash(b);
}

/** Whether the experiment's config differs (a recompute is needed) between two states. */
export function configChanged(a: Config, b: Config): boolean {
  return FIELD_NAMES.some((k) => a[k] !== b[k]);
}

/** Overlay keys, re-exported for the UI's toggles. */
export type { Overlay };

/**
 * THE activation table: one record per nonlinearity phi, and everything the lab needs of it.
 *
 * A record holds the name and code (numbered once, here, for every engine), the parameters
 * (each one a config field of its own, so the URL hash, the CLI flags and the controls come
 * from here), `output` and `der` in float64 as {output, der} pairs (the function and its
 * derivative side by side), gamma = sup phi' (Pascanu et al. 2013's bound), the saturation
 * rule, whether phi' jumps somewhere (a kink), and the code each engine runs:
 * - `wgsl`: the body of the WebGPU forward kernel's `activate` (src/engine/webgpu/activation.ts
 *   wraps it and prepends it to shaders/forward.wgsl, as the matrix preludes are);
 * - `gpujs`: statements for gpu.js kernels (a JavaScript subset gpu.js translates to GLSL);
 * - `cpu`: the CPU engine's scalar float64-on-float32 path, and which WebAssembly SIMD column
 *   emitter of src/engine/cpu/simd.ts it uses (none: the scalar path runs).
 * Parameters reach engine code as constants named after the config field in capitals
 * (leakyAlpha -> LEAKY_ALPHA: a WGSL `const`, a gpu.js `this.constants.LEAKY_ALPHA`).
 *
 * A new activation is one record here plus its engine code strings; no engine switches on
 * names, and an unknown name or code throws.
 */
import { expNeg, fastTanh } from './fastmath.ts';

function sigmoid(a: number): number {
  // Split by sign so exp never overflows: sigmoid(a) = 1 / (1 + e^-a) = e^a / (1 + e^a).
  if (a >= 0) return 1 / (1 + Math.exp(-a));
  const e = Math.exp(a);
  return e / (1 + e);
}

/** One parameter of an activation: a real config field with its default and bounds. */
export interface ActivationParam<K extends string = string> {
  /** The config field (also the URL hash key and the CLI flag). */
  key: K;
  /** How it is written in formulas and figure titles. */
  symbol: string;
  min: number;
  max: number;
  default: number;
  label: string;
  help: string;
}

/**
 * How a unit at pre-activation a counts as saturated or dead:
 * - `derivative`: phi'(a) < SATURATION_FRACTION * gamma (tanh, sigmoid: flat tails);
 * - `dead`: a <= 0 (relu and leaky_relu: the negative half, where the unit passes no or only
 *   the leak's share of the gradient).
 */
export type SaturationRule = 'derivative' | 'dead';

/** The CPU engine's scalar path: float64 arithmetic whose result is stored as float32. */
export interface CpuScalar {
  /** phi(a). */
  output(a: number): number;
  /** phi'(a), given y = output(a) (so that tanh and sigmoid reuse it); NaN where a is NaN, unless phi' is constant. */
  der(a: number, y: number): number;
}

/**
 * Which WebAssembly SIMD column emitter of src/engine/cpu/simd.ts computes a, h, phi' and the
 * saturated count: `tanh` (tanhColumn), or `rect` (rectColumn: h = a for a > 0, else
 * leak(p) a, or 0 where there is no leak). Each emitter counts saturated units by one rule, which
 * must be its record's: tanh by phi' below the limit (`derivative`), rect by a <= 0 (`dead`).
 */
export type SimdEmitter<P extends string> =
  | { kind: 'tanh' }
  | { kind: 'rect'; leak: ((p: Readonly<Record<P, number>>) => number) | null };

/** One record of the table; P are its parameters' config fields. */
export interface ActivationDef<N extends string, P extends string> {
  name: N;
  /** The activation's number for every engine and file. */
  code: number;
  /** In words, for figure titles and menus: "leaky ReLU". */
  label: string;
  /** phi(a) as a formula, for docs and help text. */
  formula: string;
  params: readonly ActivationParam<P>[];
  /** phi(a) in float64. */
  output(a: number, p: Readonly<Record<P, number>>): number;
  /** phi'(a) in float64. NaN where a is NaN (an undefined step), unless phi' is constant; never NaN for +-Infinity. */
  der(a: number, p: Readonly<Record<P, number>>): number;
  /** gamma = sup over a of phi'(a). */
  gamma(p: Readonly<Record<P, number>>): number;
  saturation: SaturationRule;
  /** Whether phi' jumps (a kink in phi): finite differences and float32 sign flips at the jump are unreliable there. */
  kink(p: Readonly<Record<P, number>>): boolean;
  /** Whether phi is bounded, so that h_t can never overflow. */
  bounded: boolean;
  /**
   * WebGPU: WGSL statements reading `a: vec4<f32>` and setting `o.h` = phi(a) and `o.d` = phi'(a)
   * in float32 (the forward kernel's expNeg(x <= 0) = e^x is available). NaN lanes are flagged
   * by the wrapper, so their values do not matter.
   */
  wgsl: string;
  /** gpu.js: statements that declare `let ${out}` and assign it phi(x) or phi'(x) from the float expression x. */
  gpujs: { output(x: string, out: string): string; der(x: string, out: string): string };
  cpu: { scalar(p: Readonly<Record<P, number>>): CpuScalar; simd: SimdEmitter<P> | null };
}

function define<const N extends string, const P extends string = never>(d: ActivationDef<N, P>): ActivationDef<N, P> {
  return d;
}

/** tanh(x) = x (1 - x^2/3 + 2x^4/15 - ...) below 0.3 (the GLSL built-in loses 1e-3 relative accuracy near 0 on SwiftShader), else (1 - e)/(1 + e), e = exp(-2|x|) <= 1. */
const GPUJS_TANH = (x: string, out: string) => `let ${out} = 0.0;
{ const ax = Math.abs(${x});
  if (ax < 0.3) { const q = ${x} * ${x};
    ${out} = ${x} * (1.0 + q * (-0.3333333333333333 + q * (0.13333333333333333 + q * (-0.05396825396825397 + q * (0.021869488536155203 + q * -0.008863235529902197))))); }
  else { const e = Math.exp(-2.0 * ax); const y = (1.0 - e) / (1.0 + e); ${out} = ${x} < 0.0 ? -y : y; } }`;

/** sigmoid, split by sign so exp never overflows; its derivative as e / (1 + e)^2, e = exp(-|x|) (no cancellation). */
const GPUJS_SIGMOID = (x: string, out: string) => `let ${out} = 0.0;
{ if (${x} >= 0.0) { ${out} = 1.0 / (1.0 + Math.exp(-${x})); } else { const e = Math.exp(${x}); ${out} = e / (1.0 + e); } }`;

const TABLE = [
  define({
    name: 'tanh',
    code: 0,
    label: 'tanh',
    formula: 'tanh(a)',
    params: [],
    output: (a) => Math.tanh(a),
    // d tanh(a) = 1 - tanh(a)^2
    der: (a) => {
      const y = Math.tanh(a);
      return 1 - y * y;
    },
    gamma: () => 1,
    saturation: 'derivative',
    kink: () => false,
    bounded: true,
    // tanh' = 4 e^2 / (1 + e^2)^2 with e^2 = exp(-2|a|), so phi' keeps its relative precision when
    // saturated (1 - y^2 rounds to 0 once y rounds to 1); it is set to 0 where float64's 1 - tanh^2
    // (the reference) is exactly 0, i.e. e^2 < 2^-54. Cephes' tanhf polynomial below |a| = 0.625,
    // where (1 - e^2) / (1 + e^2) loses digits.
    wgsl: `let x = abs(a);
  let e2 = expNeg(-2.0 * x);
  let q = 1.0 + e2;
  let z = x * x;
  let small = ((((-5.70498872745e-3 * z + 2.06390887954e-2) * z - 5.37397155531e-2) * z + 1.33314422036e-1) * z - 3.33332819422e-1) * z * x + x;
  let y = select((1.0 - e2) / q, small, x < vec4<f32>(0.625));
  o.h = select(y, -y, a < vec4<f32>(0.0));
  o.d = select(4.0 * e2 / (q * q), vec4<f32>(0.0), e2 < vec4<f32>(5.551115123125783e-17));`,
    gpujs: {
      output: GPUJS_TANH,
      // tanh' = sech^2 x = 4e/(1+e)^2, e = exp(-2|x|): no cancellation, unlike 1 - tanh^2 in float32
      der: (x, out) => `let ${out} = 0.0;
{ const e = Math.exp(-2.0 * Math.abs(${x})); ${out} = 4.0 * e / ((1.0 + e) * (1.0 + e)); }`,
    },
    cpu: {
      scalar: () => ({ output: fastTanh, der: (_a, y) => 1 - y * y }),
      simd: { kind: 'tanh' },
    },
  }),
  define({
    name: 'relu',
    code: 1,
    label: 'ReLU',
    formula: 'max(a, 0)',
    params: [],
    output: (a) => (a > 0 ? a : a <= 0 ? 0 : a),
    // d relu(a) = 1 for a > 0, 0 for a <= 0 (the subgradient 0 at a = 0)
    der: (a) => (a > 0 ? 1 : a <= 0 ? 0 : NaN),
    gamma: () => 1,
    saturation: 'dead',
    kink: () => true,
    bounded: false,
    wgsl: `let dead = a <= vec4<f32>(0.0);
  o.h = select(a, vec4<f32>(0.0), dead);
  o.d = select(vec4<f32>(1.0), vec4<f32>(0.0), dead);`,
    gpujs: {
      output: (x, out) => `let ${out} = 0.0;
if (${x} > 0.0) { ${out} = ${x}; }`,
      der: (x, out) => `let ${out} = 0.0;
if (${x} > 0.0) { ${out} = 1.0; }`,
    },
    cpu: {
      scalar: () => ({ output: (a) => (a > 0 ? a : a <= 0 ? 0 : a), der: (a) => (a > 0 ? 1 : a <= 0 ? 0 : NaN) }),
      simd: { kind: 'rect', leak: null },
    },
  }),
  define({
    name: 'sigmoid',
    code: 2,
    label: 'sigmoid',
    formula: '1 / (1 + e^-a)',
    params: [],
    output: sigmoid,
    // d sigmoid(a) = sigmoid(a) (1 - sigmoid(a)), at most 1/4
    der: (a) => {
      const y = sigmoid(a);
      return y * (1 - y);
    },
    gamma: () => 0.25,
    saturation: 'derivative',
    kink: () => false,
    bounded: true,
    // sigmoid' = e / (1 + e)^2, e = exp(-|a|); float64's y (1 - y) is 0 once y rounds to 1 (a > 0, e < 2^-53)
    wgsl: `let e = expNeg(-abs(a));
  let q = 1.0 + e;
  let pos = a >= vec4<f32>(0.0);
  o.h = select(e / q, 1.0 / q, pos);
  o.d = select(e / (q * q), vec4<f32>(0.0), pos & (e < vec4<f32>(1.1102230246251565e-16)));`,
    gpujs: {
      output: GPUJS_SIGMOID,
      der: (x, out) => `let ${out} = 0.0;
{ const e = Math.exp(-Math.abs(${x})); ${out} = e / ((1.0 + e) * (1.0 + e)); }`,
    },
    cpu: {
      scalar: () => ({
        output: (a) => {
          if (a >= 0) return 1 / (1 + expNeg(-a));
          const e = expNeg(a);
          return e / (1 + e);
        },
        der: (_a, y) => y * (1 - y), // d sigmoid(a) = sigmoid(a) (1 - sigmoid(a))
      }),
      simd: null,
    },
  }),
  define({
    name: 'leaky_relu',
    code: 3,
    label: 'leaky ReLU',
    formula: 'a for a > 0, alpha a otherwise',
    params: [{ key: 'leakyAlpha', symbol: 'α', min: 0, max: 1, default: 0.01, label: 'Leaky slope', help: 'slope of leaky_relu for negative inputs' }],
    output: (a, p) => (a > 0 ? a : p.leakyAlpha * a),
    // d leaky(a) = 1 for a > 0, alpha for a <= 0
    der: (a, p) => (a > 0 ? 1 : a <= 0 ? p.leakyAlpha : NaN),
    gamma: (p) => Math.max(1, p.leakyAlpha),
    saturation: 'dead',
    kink: (p) => p.leakyAlpha !== 1,
    bounded: false,
    wgsl: `let dead = a <= vec4<f32>(0.0);
  o.h = select(a, LEAKY_ALPHA * a, dead);
  o.d = select(vec4<f32>(1.0), vec4<f32>(LEAKY_ALPHA), dead);`,
    gpujs: {
      output: (x, out) => `let ${out} = ${x};
if (${x} <= 0.0) { ${out} = this.constants.LEAKY_ALPHA * ${x}; }`,
      der: (x, out) => `let ${out} = this.constants.LEAKY_ALPHA;
if (${x} > 0.0) { ${out} = 1.0; }`,
    },
    cpu: {
      scalar: (p) => {
        const alpha = p.leakyAlpha;
        return { output: (a) => (a > 0 ? a : alpha * a), der: (a) => (a > 0 ? 1 : a <= 0 ? alpha : NaN) };
      },
      simd: { kind: 'rect', leak: (p) => p.leakyAlpha },
    },
  }),
  define({
    name: 'linear',
    code: 4,
    label: 'linear',
    formula: 'a',
    params: [],
    output: (a) => a,
    // d a = 1, whatever a is: the backward pass of a linear RNN never needs the forward
    der: () => 1,
    gamma: () => 1,
    saturation: 'derivative', // phi' = 1 = gamma everywhere: never saturated
    kink: () => false,
    bounded: false,
    wgsl: `o.h = a;
  o.d = vec4<f32>(1.0);`,
    gpujs: { output: (x, out) => `let ${out} = ${x};`, der: (_x, out) => `let ${out} = 1.0;` },
    cpu: { scalar: () => ({ output: (a) => a, der: () => 1 }), simd: null },
  }),
  define({
    name: 'elu',
    code: 5,
    label: 'ELU',
    formula: 'a for a > 0, alpha (e^a - 1) otherwise',
    params: [
      {
        key: 'eluAlpha',
        symbol: 'α',
        min: 0,
        max: 10,
        default: 1,
        label: 'ELU α',
        help: 'ELU: alpha (e^a - 1) for negative inputs, tending to -alpha (Clevert et al. 2016)',
      },
    ],
    // Clevert, Unterthiner & Hochreiter 2016, "Fast and accurate deep network learning by exponential linear units (ELUs)"
    output: (a, p) => (a > 0 ? a : p.eluAlpha * Math.expm1(a)),
    // d elu(a) = 1 for a > 0, alpha e^a for a <= 0 (continuous at 0 only for alpha = 1)
    der: (a, p) => (a > 0 ? 1 : a <= 0 ? p.eluAlpha * Math.exp(a) : NaN),
    gamma: (p) => Math.max(1, p.eluAlpha),
    saturation: 'derivative',
    kink: (p) => p.eluAlpha !== 1,
    bounded: false,
    // e^a - 1 by its Taylor series to a^7 for |a| < 0.35 (truncation below 0.35^7 / 8! = 2e-8
    // relative), where expNeg(a) - 1 would cancel; else expNeg(a) - 1 (|e^a - 1| >= 0.29).
    wgsl: `let n = min(a, vec4<f32>(0.0));
  let em1 = select(expNeg(n) - 1.0, n * (1.0 + n * (0.5 + n * (1.0 / 6.0 + n * (1.0 / 24.0 + n * (1.0 / 120.0 + n * (1.0 / 720.0 + n * (1.0 / 5040.0))))))), n > vec4<f32>(-0.35));
  let neg = a <= vec4<f32>(0.0);
  o.h = select(a, ELU_ALPHA * em1, neg);
  o.d = select(vec4<f32>(1.0), ELU_ALPHA * expNeg(n), neg);`,
    gpujs: {
      output: (x, out) => `let ${out} = ${x};
if (${x} <= 0.0) {
  let m = 0.0;
  if (${x} > -0.35) { m = ${x} * (1.0 + ${x} * (0.5 + ${x} * (0.16666666666666666 + ${x} * (0.041666666666666664 + ${x} * (0.008333333333333333 + ${x} * (0.001388888888888889 + ${x} * 0.0001984126984126984)))))); }
  else { m = Math.exp(${x}) - 1.0; }
  ${out} = this.constants.ELU_ALPHA * m;
}`,
      der: (x, out) => `let ${out} = 1.0;
if (${x} <= 0.0) { ${out} = this.constants.ELU_ALPHA * Math.exp(${x}); }`,
    },
    cpu: {
      scalar: (p) => {
        const alpha = p.eluAlpha;
        return { output: (a) => (a > 0 ? a : alpha * Math.expm1(a)), der: (a) => (a > 0 ? 1 : a <= 0 ? alpha * expNeg(a) : NaN) };
      },
      simd: null,
    },
  }),
  define({
    name: 'softplus',
    code: 6,
    label: 'softplus',
    formula: 'log(1 + e^a)',
    params: [],
    // log(1 + e^a) = max(a, 0) + log1p(e^-|a|): exp never overflows and nothing cancels
    output: (a) => (a > 0 ? a + Math.log1p(Math.exp(-a)) : Math.log1p(Math.exp(a))),
    // d softplus(a) = sigmoid(a), below 1 everywhere
    der: sigmoid,
    gamma: () => 1,
    saturation: 'derivative',
    kink: () => false,
    bounded: false,
    // log1p(e) = 2 atanh(z), z = e / (2 + e) <= 1/3 for e = exp(-|a|) <= 1: the odd series to
    // z^19 (truncation below (1/9)^10 / 21 = 1.4e-11 relative), so no log and no cancellation.
    wgsl: `let e = expNeg(-abs(a));
  let z = e / (2.0 + e);
  let w = z * z;
  let l = 2.0 * z * (1.0 + w * (1.0 / 3.0 + w * (1.0 / 5.0 + w * (1.0 / 7.0 + w * (1.0 / 9.0 + w * (1.0 / 11.0 + w * (1.0 / 13.0 + w * (1.0 / 15.0 + w * (1.0 / 17.0 + w * (1.0 / 19.0))))))))));
  let q = 1.0 + e;
  let pos = a >= vec4<f32>(0.0);
  o.h = max(a, vec4<f32>(0.0)) + l;
  o.d = select(e / q, 1.0 / q, pos);`,
    gpujs: {
      output: (x, out) => `let ${out} = 0.0;
{ const e = Math.exp(-Math.abs(${x}));
  const z = e / (2.0 + e);
  const w = z * z;
  ${out} = Math.max(${x}, 0.0) + 2.0 * z * (1.0 + w * (0.3333333333333333 + w * (0.2 + w * (0.14285714285714285 + w * (0.1111111111111111 + w * (0.09090909090909091 + w * (0.07692307692307693 + w * (0.06666666666666667 + w * (0.058823529411764705 + w * 0.05263157894736842))))))))); }`,
      der: GPUJS_SIGMOID,
    },
    cpu: {
      scalar: () => ({
        output: (a) => (a > 0 ? a + Math.log1p(expNeg(-a)) : Math.log1p(expNeg(a))),
        der: (a) => {
          if (a >= 0) return 1 / (1 + expNeg(-a));
          const e = expNeg(a); // NaN a: NaN
          return e / (1 + e);
        },
      }),
      simd: null,
    },
  }),
] as const;

type Def = (typeof TABLE)[number];
/** The activation names, in code order. */
export type Activation = Def['name'];
/** The config fields of every activation's parameters. */
export type ActivationParamKey = Def extends ActivationDef<string, infer P> ? P : never;
/** Values of every activation parameter (a Config has them all; each activation reads its own). */
export type ActivationParams = Record<ActivationParamKey, number>;
/** A record of the table, as code that handles any activation sees it. */
export type ActivationRecord = ActivationDef<Activation, ActivationParamKey>;

/** Every record, in code order (codes are 0, 1, 2, ...: checked below). */
export const ACTIVATION_RECORDS: readonly ActivationRecord[] = TABLE as unknown as readonly ActivationRecord[];
/** The activation names, in code order: the menus and the config's enum. */
export const ACTIVATIONS = TABLE.map((d) => d.name) as unknown as readonly [Activation, ...Activation[]];

ACTIVATION_RECORDS.forEach((d, i) => {
  if (d.code !== i) throw new Error(`activations: ${d.name} has code ${d.code}; codes must be 0, 1, 2, ... in table order`);
});

const BY_NAME = new Map<string, ActivationRecord>(ACTIVATION_RECORDS.map((d) => [d.name, d]));

/** Every activation parameter, with the activation it belongs to. */
export const ACTIVATION_PARAMS: readonly (ActivationParam<ActivationParamKey> & { activation: Activation })[] = ACTIVATION_RECORDS.flatMap((d) =>
  d.params.map((p) => ({ ...p, activation: d.name })),
);
/** The parameters' config fields. */
export const ACTIVATION_PARAM_KEYS = ACTIVATION_PARAMS.map((p) => p.key);
/** Every parameter at its default. */
export const DEFAULT_ACTIVATION_PARAMS: Readonly<ActivationParams> = Object.freeze(
  Object.fromEntries(ACTIVATION_PARAMS.map((p) => [p.key, p.default])) as ActivationParams,
);

/** The record of an activation by name; throws for a name not in the table. */
export function activationRecord(name: string): ActivationRecord {
  const d = BY_NAME.get(name);
  if (!d) throw new Error(`unknown activation ${JSON.stringify(name)}; known: ${ACTIVATIONS.join(', ')}`);
  return d;
}

/** The record of an activation by code; throws for a code not in the table. */
export function activationByCode(code: number): ActivationRecord {
  const d = ACTIVATION_RECORDS[code];
  if (!Number.isInteger(code) || !d) throw new Error(`unknown activation code ${code}; known: 0..${ACTIVATION_RECORDS.length - 1}`);
  return d;
}

/** Every parameter value: the given ones, the defaults for the rest (a Config can be passed as is). */
export function activationParams(given: Partial<ActivationParams> = {}): ActivationParams {
  const out = { ...DEFAULT_ACTIVATION_PARAMS };
  for (const k of ACTIVATION_PARAM_KEYS) {
    const v = given[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** The constant a parameter is known by in engine code: leakyAlpha -> LEAKY_ALPHA. */
export function paramConstName(key: ActivationParamKey): string {
  return key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}

/** The saturation threshold: under the `derivative` rule a unit is saturated when phi'(a) < SATURATION_FRACTION * gamma. */
export const SATURATION_FRACTION = 0.01;

/** The phi' below which a unit counts as saturated under the `derivative` rule: SATURATION_FRACTION * gamma. */
export function saturationLimit(name: Activation, params: Partial<ActivationParams> = {}): number {
  return SATURATION_FRACTION * activationRecord(name).gamma(activationParams(params));
}

/** The saturation rule in words, from the table (help texts, docs). */
export function saturationRuleText(): string {
  const names = (rule: SaturationRule) => ACTIVATION_RECORDS.filter((d) => d.saturation === rule && d.name !== 'linear').map((d) => d.name).join(', ');
  return `phi'(a) < ${SATURATION_FRACTION * 100}% of its supremum (${names('derivative')}; never for linear) or a <= 0 (${names('dead')})`;
}

/**
 * What the saturation count counts for an activation, in words, with its threshold as a number a
 * reader can check: "|a| > 2.99" (tanh), "a < -4.60" (softplus), "a ≤ 0" (relu). The numbers
 * are where the record's own test flips (found on a 0.01 grid over |a| <= 60, then by bisection).
 */
export function saturationWords(name: Activation, params: Partial<ActivationParams> = {}): string {
  const d = activationRecord(name);
  const p = activationParams(params);
  const fns = activationFns(name, p);
  if (d.saturation === 'dead') {
    const leak = d.der(-1, p);
    return `fraction of units ${leak === 0 ? 'dead' : 'on the negative side'}: a ≤ 0, where φ'(a) = ${leak}`;
  }
  const edges: number[] = [];
  let prev = fns.saturated(-60);
  for (let i = -5999; i <= 6000; i++) {
    const a = i / 100;
    const now = fns.saturated(a);
    if (now === prev) continue;
    let lo = a - 0.01;
    let hi = a;
    for (let k = 0; k < 40; k++) {
      const mid = (lo + hi) / 2;
      if (fns.saturated(mid) === prev) lo = mid;
      else hi = mid;
    }
    edges.push((lo + hi) / 2);
    prev = now;
  }
  const below = `φ'(a) below ${SATURATION_FRACTION * 100}% of its maximum ${fns.gamma}`;
  const x = (v: number) => v.toFixed(2);
  if (edges.length === 0) return `fraction of units saturated: always 0 (${below.replace('below', 'never falls below')})`;
  const outside = fns.saturated(-60);
  let where: string;
  if (edges.length === 2 && outside && Math.abs(edges[0] + edges[1]) < 1e-6) where = `|a| > ${x(edges[1])}`;
  else if (edges.length === 1) where = outside ? `a < ${x(edges[0])}` : `a > ${x(edges[0])}`;
  else where = `a in ${edges.map(x).join(' | ')} (alternating, saturated ${outside ? 'first' : 'second'})`;
  return `fraction of units saturated: ${below}, i.e. ${where}`;
}

export interface ActivationFns {
  /** phi(a). */
  output(a: number): number;
  /** phi'(a). NaN where a is NaN (an undefined step), unless phi' is constant; never for +-Infinity. */
  der(a: number): number;
  /** sup over a of phi'(a). */
  gamma: number;
  /** Whether a unit at pre-activation a counts as saturated or dead (see SaturationRule). */
  saturated(a: number): boolean;
  /** Whether phi' jumps somewhere (relu, leaky_relu, elu with alpha != 1). */
  kink: boolean;
}

/** The float64 functions of an activation with its parameters bound (defaults where not given; a Config can be passed). */
export function activationFns(name: Activation, params: Partial<ActivationParams> = {}): ActivationFns {
  const d = activationRecord(name);
  const p = activationParams(params);
  const gamma = d.gamma(p);
  const limit = SATURATION_FRACTION * gamma;
  return {
    output: (a) => d.output(a, p),
    der: (a) => d.der(a, p),
    gamma,
    saturated: d.saturation === 'dead' ? (a) => a <= 0 : (a) => d.der(a, p) < limit,
    kink: d.kink(p),
  };
}

/** The activation in words with its parameters, for figure titles: "ELU (α = 1)", "tanh". */
export function activationTitle(name: Activation, params: Partial<ActivationParams> = {}): string {
  const d = activationRecord(name);
  const p = activationParams(params);
  if (d.params.length === 0) return d.label;
  return `${d.label} (${d.params.map((q) => `${q.symbol} = ${p[q.key]}`).join(', ')})`;
}

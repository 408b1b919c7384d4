/**
 * The activation prelude of shaders/forward.wgsl and train-forward.wgsl: shaders/activation-base.wgsl
 * (Act, isNan, expNeg), then fn activate(a) -> Act, generated from the
 * activation's record in src/core/activations.ts (its WGSL statements for h and phi'), with its
 * parameters and the saturation limit baked in as constants, the saturation rule and the NaN
 * rule added. Prepended after the matrix prelude, as that one is: the sweep's forward kernel has
 * no switch over activations, so a module without an activation does not compile. The training
 * forward kernel serves several models at once and switches over theirs (activationSwitchWgsl).
 */
import activationBaseWgsl from '../../../shaders/activation-base.wgsl?raw';
import { activationParams, activationRecord, paramConstName, saturationLimit, type Activation, type ActivationParams } from '../../core/activations.ts';
import { RANGE_FLOOR, rangeRule } from '../../core/range.ts';

/** A WGSL float literal for a finite number (an abstract float, rounded to f32 where it is used). */
function wgslFloat(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`webgpu: ${v} cannot be a WGSL constant`);
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/**
 * fn activate<tag>(a: vec4<f32>) -> Act for `name` with `params` (defaults where not given), its
 * parameters as constants <NAME><tag>: with distinct tags, several activations (or one with
 * different parameters) sit in one module. Needs activation-base.wgsl before it.
 */
function activateFnWgsl(name: Activation, params: Partial<ActivationParams>, tag: string): string {
  const d = activationRecord(name);
  const p = activationParams(params);
  let body = d.wgsl;
  const consts = d.params.map((q) => {
    const c = paramConstName(q.key);
    body = body.replace(new RegExp(`\\b${c}\\b`, 'g'), `${c}${tag}`);
    return `const ${c}${tag}: f32 = ${wgslFloat(p[q.key])};`;
  });
  const sat = d.saturation === 'dead' ? 'a <= vec4<f32>(0.0)' : `o.d < vec4<f32>(${wgslFloat(saturationLimit(name, p))})`;
  // phi' of a NaN a is undefined unless phi' is constant (linear): the float64 record says which.
  const undef = Number.isNaN(d.der(NaN, p)) ? 'isNan(a)' : 'vec4<bool>(false)';
  return `// activation ${d.name} (code ${d.code}): h = ${d.formula}; generated from src/core/activations.ts
${consts.join('\n')}
fn activate${tag}(a: vec4<f32>) -> Act {
  var o: Act;
  ${body}
  o.sat = ${sat};
  o.undef = ${undef};
  return o;
}
`;
}

/** The WGSL prelude of `name` with `params` (defaults where not given). */
export function activationWgsl(name: Activation, params: Partial<ActivationParams> = {}): string {
  // The range rule of src/core/range.ts (stateOutOfRange) for this activation, in float32.
  const range = rangeRule(name, activationParams(params), RANGE_FLOOR.float32);
  return `${activationBaseWgsl}
// src/core/range.ts: below RANGE_FLOOR the state is out of float32's range; whether a tiny a matters; whether h = 0 can be exact with a normal a
const RANGE_FLOOR: f32 = ${wgslFloat(range.floor)};
const RANGE_TINY_A: bool = ${range.tinyA};
const RANGE_ZERO_SIDE: bool = ${range.zeroSide};
${activateFnWgsl(name, params, '')}`;
}

/**
 * A prelude with several activations for a kernel that serves models of different activations
 * in one dispatch (train-forward.wgsl): activation-base.wgsl, activate_<j>() for each entry j of
 * `list`, and fn activateOf(j: u32, a: vec4<f32>) -> Act, which runs entry j. Each entry's
 * arithmetic is that of its own activationWgsl(); j is the same for a whole workgroup, so the
 * switch costs one uniform branch per call.
 */
export function activationSwitchWgsl(list: readonly { name: Activation; params: Partial<ActivationParams> }[]): string {
  if (list.length === 0) throw new Error('webgpu: an activation switch needs at least one activation');
  const fns = list.map((e, j) => activateFnWgsl(e.name, e.params, `_${j}`));
  const cases = list.map((_, j) => (j === 0 ? '' : `    case ${j}u: { o = activate_${j}(a); }\n`)).join('');
  return `${activationBaseWgsl}
${fns.join('\n')}
fn activateOf(j: u32, a: vec4<f32>) -> Act {
  var o: Act;
  switch j {
${cases}    default: { o = activate_0(a); }
  }
  return o;
}
`;
}

/**
 * The activation prelude of shaders/forward.wgsl and train-forward.wgsl: shaders/activation-base.wgsl
 * (Act, isNan, expNeg), then fn activate(a) -> Act, generated from the
 * activation's record in src/core/activations.ts (its WGSL statements for h and phi'), with its
 * parameters and the saturation limit baked in as constants, the saturation rule and the NaN
 * rule added. Prepended after the matrix prelude, as that one is: the forward kernel has no
 * switch over activations, so a module without an activation does not compile.
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

/** The WGSL prelude of `name` with `params` (defaults where not given). */
export function activationWgsl(name: Activation, params: Partial<ActivationParams> = {}): string {
  const d = activationRecord(name);
  const p = activationParams(params);
  const consts = d.params.map((q) => `const ${paramConstName(q.key)}: f32 = ${wgslFloat(p[q.key])};`);
  const sat = d.saturation === 'dead' ? 'a <= vec4<f32>(0.0)' : `o.d < vec4<f32>(${wgslFloat(saturationLimit(name, p))})`;
  // phi' of a NaN a is undefined unless phi' is constant (linear): the float64 record says which.
  const undef = Number.isNaN(d.der(NaN, p)) ? 'isNan(a)' : 'vec4<bool>(false)';
  // The range rule of src/core/range.ts (stateOutOfRange) for this activation, in float32.
  const range = rangeRule(name, p, RANGE_FLOOR.float32);
  return `${activationBaseWgsl}
// activation ${d.name} (code ${d.code}): h = ${d.formula}; generated from src/core/activations.ts
${consts.join('\n')}
// src/core/range.ts: below RANGE_FLOOR the state is out of float32's range; whether a tiny a matters; whether h = 0 can be exact with a normal a
const RANGE_FLOOR: f32 = ${wgslFloat(range.floor)};
const RANGE_TINY_A: bool = ${range.tinyA};
const RANGE_ZERO_SIDE: bool = ${range.zeroSide};
fn activate(a: vec4<f32>) -> Act {
  var o: Act;
  ${d.wgsl}
  o.sat = ${sat};
  o.undef = ${undef};
  return o;
}
`;
}

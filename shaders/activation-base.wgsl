// activation-base.wgsl -- what every activation prelude (src/engine/webgpu/activation.ts) builds on:
// the Act struct that activate(a) returns, the NaN test and expNeg (e^x for x <= 0). Prepended
// by activationWgsl() before the generated activate(), so every kernel that runs an activation
// (forward.wgsl, train-forward.wgsl) gets the same code.

fn isNan(x: vec4<f32>) -> vec4<bool> {
  return (bitcast<vec4<u32>>(x) & vec4<u32>(0x7fffffffu)) > vec4<u32>(0x7f800000u);
}

// exp(x) for x <= 0, to about 1 ulp: x = k ln2 + r, |r| <= ln2/2, exp(r) by its degree-7 Taylor
// polynomial, times 2^k built from its bits. Written out because SwiftShader calls libm's expf
// once per lane and component for the exp builtin, which would cost as much as the matmul at N=64.
fn expNeg(x: vec4<f32>) -> vec4<f32> {
  let xc = max(x, vec4<f32>(-87.0));
  let k = floor(xc * 1.4426950408889634 + 0.5);
  let r = (xc - k * 0.693145751953125) - k * 1.428606765330187e-6; // ln 2 split in two (Cody-Waite)
  var q = 1.0 / 5040.0 + r * (1.0 / 40320.0);
  q = 1.0 / 720.0 + r * q;
  q = 1.0 / 120.0 + r * q;
  q = 1.0 / 24.0 + r * q;
  q = 1.0 / 6.0 + r * q;
  q = 0.5 + r * q;
  q = 1.0 + r * q;
  q = 1.0 + r * q;
  let scale = bitcast<vec4<f32>>(vec4<u32>(vec4<i32>(k) + 127) << vec4<u32>(23u));
  return select(q * scale, vec4<f32>(0.0), x < vec4<f32>(-87.0));
}

// What the activation prelude's activate(a) returns per lane.
struct Act {
  h: vec4<f32>,       // phi(a)
  d: vec4<f32>,       // phi'(a)
  sat: vec4<bool>,    // saturated or dead, by the activation's rule
  undef: vec4<bool>,  // phi'(a) undefined: a is NaN (never for linear, whose phi' is 1 everywhere)
}

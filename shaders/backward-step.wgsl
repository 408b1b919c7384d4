// backward-step.wgsl -- prelude of both backward kernels (backward.wgsl, the persistent one, and
// backward-tiled.wgsl): the norms and the per-step gradient record of BPTT for a vec4 of 4
// sequences, whatever carries them.
//
//   delta_t = phi'(a_t) * g_t;   g_{t-1} = rho W0^T delta_t,   g kept as g_t / 2^E
//   log10 ||dL/dh_t|| = (E + e) log10(2) + log10 m         (||g|| = m 2^e)    -> gradE / gradF
//   log10 ||delta_t h_{t-1}^T||_F = log10 ||delta_t|| + log10 ||h_{t-1}||     -> wE / wF
//
// with the reference's rules: an exact zero is -Infinity (FLAG_*_ZERO); an undefined phi'(a_t)
// makes step t's weight term and every earlier gradient NaN (FLAG_*_NAN).
//
// Needs from the kernel: `records: array<StepRecord>` (read_write); StepRecord, the FLAG_* bits
// and LOG10_2 come from the record prelude (src/engine/webgpu/record.ts).

// 2^e for e in [-126, 127], exactly, from its bits.
fn pow2(e: vec4<i32>) -> vec4<f32> {
  return bitcast<vec4<f32>>(vec4<u32>(e + 127) << vec4<u32>(23u));
}

// A vector's norm as (exponent e, log10 m) with norm = 2^e 10^(log10 m).
struct Norm {
  e: vec4<i32>,
  f: vec4<f32>,
}

// The norm from the sum of squares ss = fr 2^ex, fr in [1/2, 1): sqrt(fr 2^(ex - 2 (ex >> 1))) 2^(ex >> 1).
fn normFromSums(ss: vec4<f32>) -> Norm {
  var out: Norm;
  let fe = frexp(ss);
  let half = fe.exp >> vec4<u32>(1u);
  out.e = half;
  out.f = 0.5 * log2(ldexp(fe.fract, fe.exp - 2 * half)) * LOG10_2;
  return out;
}

// Lanes whose sum of squares is not trustworthy (max |v| outside [1e-15, 1e15], v not zero): their
// norm comes from a rescaling pass, the sum of (v_j 2^-em)^2 with em = frexp(mx).exp (exact scaling).
fn normNeedsRescale(mx: vec4<f32>) -> vec4<bool> {
  let inRange = (mx > vec4<f32>(1e-15)) & (mx < vec4<f32>(1e15));
  return !inRange & (mx > vec4<f32>(0.0));
}

// The norm from (max, sum of squares), taking the rescaling pass's sum `scaled` in the lanes that need it.
fn normOfSums(mx: vec4<f32>, ss: vec4<f32>, scaled: vec4<f32>) -> Norm {
  var out = normFromSums(ss);
  let redo = normNeedsRescale(mx);
  let r = normFromSums(scaled);
  out.e = select(out.e, frexp(mx).exp + r.e, redo);
  out.f = select(out.f, r.f, redo);
  return out;
}

// Sequences still defined after step t: valid before it, and phi'(a_t) defined (the forward flags fl).
fn stepLive(fl: vec4<u32>, valid: vec4<bool>) -> vec4<bool> {
  return valid & ((fl & vec4<u32>(FLAG_A_NAN)) == vec4<u32>(0u));
}

// The exponent e of the renormalisation from step t to t - 1: g_{t-1} = rho 2^-e W0^T delta_t and
// E grows by e, an exact power of two. A zero g keeps E (and stays zero); so does an undefined one.
fn renormExponent(gn: Norm, gz: vec4<bool>, live: vec4<bool>) -> vec4<i32> {
  return clamp(select(gn.e, vec4<i32>(0), gz | !live), vec4<i32>(-126), vec4<i32>(126));
}

struct GradStep {
  flags: vec4<u32>,
  gradE: vec4<i32>,
  gradF: vec4<f32>,
  wE: vec4<i32>,
  wF: vec4<f32>,
}

// The flags every step of a sequence's backward pass gets when a forward flag whose kind is in
// killMask (FLAG_FWD_OVERFLOW / FLAG_FWD_RANGE) was raised at some t0 <= T: phi'(a_t), t >= t0, is
// untrustworthy (src/core/range.ts backwardCrossesFlag). The forward flags are sticky, so the
// record of step T (flagsT) has them.
fn killFlags(flagsT: vec4<u32>, killMask: u32) -> vec4<u32> {
  let killed = flagsT & vec4<u32>(killMask);
  return select(vec4<u32>(0u), vec4<u32>(FLAG_GRAD_NAN | FLAG_W_NAN), killed != vec4<u32>(0u))
    | select(vec4<u32>(0u), vec4<u32>(FLAG_BWD_INVALID), (killed & vec4<u32>(FLAG_FWD_OVERFLOW)) != vec4<u32>(0u))
    | select(vec4<u32>(0u), vec4<u32>(FLAG_BWD_RANGE), (killed & vec4<u32>(FLAG_FWD_RANGE)) != vec4<u32>(0u));
}

// Step t's record: fl the forward flags of step t, E the exponent g_t is divided by, valid whether
// the sequence was defined before step t, gn / gz the norm of g_t and whether it is zero, dn / dz
// those of delta_t, hFlags / hLog the flags and log10 norm of h_{t-1}, kill the sequence's killFlags.
fn gradientStep(fl: vec4<u32>, E: vec4<i32>, valid: vec4<bool>, gn: Norm, gz: vec4<bool>, dn: Norm, dz: vec4<bool>, hFlags: vec4<u32>, hLog: vec4<f32>, kill: vec4<u32>) -> GradStep {
  var out: GradStep;
  var f = fl;
  f |= select(vec4<u32>(0u), vec4<u32>(FLAG_GRAD_ZERO), gz & valid);
  f |= select(vec4<u32>(0u), vec4<u32>(FLAG_GRAD_NAN | FLAG_W_NAN | FLAG_BWD_INVALID), !valid);
  // An undefined phi'(a_t) makes this step's weight term NaN and ends the pass for the sequence.
  let aNan = (fl & vec4<u32>(FLAG_A_NAN)) != vec4<u32>(0u);
  f |= select(vec4<u32>(0u), vec4<u32>(FLAG_W_NAN), aNan & valid);
  let hNan = (hFlags & vec4<u32>(FLAG_FWD_OVERFLOW | FLAG_FWD_RANGE)) != vec4<u32>(0u);
  let hZero = (hFlags & vec4<u32>(FLAG_HID_ZERO)) != vec4<u32>(0u);
  let live = stepLive(fl, valid);
  f |= select(vec4<u32>(0u), vec4<u32>(FLAG_W_NAN), live & hNan);
  f |= select(vec4<u32>(0u), vec4<u32>(FLAG_W_ZERO), live & !hNan & (dz | hZero));
  out.flags = f | kill;
  out.gradE = E + gn.e;
  out.gradF = gn.f;
  out.wE = E + dn.e;
  out.wF = dn.f + hLog;
  return out;
}

// Store lane q of step t's gradient statistics into record rq (the forward fields stay).
fn storeGradientRecord(rq: u32, q: u32, s: GradStep) {
  records[rq].gradE = s.gradE[q];
  records[rq].gradF = s.gradF[q];
  records[rq].wE = s.wE[q];
  records[rq].wF = s.wF[q];
  records[rq].flags = s.flags[q];
}

// forward-step.wgsl -- prelude of both forward kernels (forward.wgsl, the persistent one, and
// forward-tiled.wgsl): what one forward step computes for a vec4 of 4 sequences, whatever carries
// them. An invocation holds 4 sequences in the 4 lanes of a vec4; for each row i it owns it calls
// addRow(a_i, activate(a_i)), and once the step's rows are in (its own, or a workgroup's summed)
// it adds the range flags (rangeFlags), finishes the step with hiddenStep and stores the record
// with storeForwardRecord.
//
//   h_t = phi(a_t);  record = { log10 ||h_t||, #saturated, sum of phi', flags }
//
// Needs from the kernel: `records: array<StepRecord>` (read_write), and from the activation
// prelude (shaders/activation-base.wgsl: Act, isNan, expNeg) fn activate(a) -> Act and the range
// constants RANGE_FLOOR, RANGE_TINY_A, RANGE_ZERO_SIDE;
// StepRecord, the FLAG_* bits and LOG10_2 come from the record prelude (src/engine/webgpu/record.ts).

fn nonFinite(x: vec4<f32>) -> vec4<bool> {
  return (bitcast<vec4<u32>>(x) & vec4<u32>(0x7f800000u)) == vec4<u32>(0x7f800000u);
}

// Statistics of the current step over the rows this invocation has added, one lane per sequence.
var<private> satCount: vec4<u32>;
var<private> flags: vec4<u32>;
var<private> hmax: vec4<f32>;
var<private> amax: vec4<f32>;
var<private> hss: vec4<f32>;
var<private> derivSum: vec4<f32>;

fn beginStep() {
  satCount = vec4<u32>(0u);
  flags = vec4<u32>(0u);
  hmax = vec4<f32>(0.0);
  amax = vec4<f32>(0.0);
  hss = vec4<f32>(0.0);
  derivSum = vec4<f32>(0.0);
}

// Add one row's a_i, h_i = phi(a_i) and phi'(a_i) to the step's statistics.
fn addRow(a: vec4<f32>, o: Act) {
  satCount += select(vec4<u32>(0u), vec4<u32>(1u), o.sat);
  derivSum += o.d;
  flags |= select(vec4<u32>(0u), vec4<u32>(FLAG_FWD_OVERFLOW), nonFinite(o.h));
  flags |= select(vec4<u32>(0u), vec4<u32>(FLAG_A_NAN), o.undef);
  hmax = max(hmax, abs(o.h));
  amax = max(amax, abs(a));
  hss += o.h * o.h;
}

// The step's flags fl with the range flags added, from its max |h| and max |a|: out of float32's
// range from below (src/core/range.ts stateOutOfRange: a tiny a where that matters, a tiny h, or
// h = 0 that no exact zero explains), and both kinds sticky: `before`, the sample's flags of the
// step before (0 at t = 1), carries FWD_OVERFLOW and FWD_RANGE on.
fn rangeFlags(fl: vec4<u32>, mx: vec4<f32>, amx: vec4<f32>, before: vec4<u32>) -> vec4<u32> {
  let tinyA = (amx > vec4<f32>(0.0)) & (amx < vec4<f32>(RANGE_FLOOR)) & vec4<bool>(RANGE_TINY_A);
  let tinyH = (mx > vec4<f32>(0.0)) & (mx < vec4<f32>(RANGE_FLOOR));
  let lostH = (mx == vec4<f32>(0.0)) & (amx >= vec4<f32>(RANGE_FLOOR)) & !vec4<bool>(RANGE_ZERO_SIDE);
  return fl | select(vec4<u32>(0u), vec4<u32>(FLAG_FWD_RANGE), tinyA | tinyH | lostH) | (before & vec4<u32>(FLAG_FWD_OVERFLOW | FLAG_FWD_RANGE));
}

// Whether the step's flags (range flags included) say h_t is not a float32 value to report.
fn hiddenBad(fl: vec4<u32>) -> vec4<bool> {
  return (fl & vec4<u32>(FLAG_FWD_OVERFLOW | FLAG_FWD_RANGE)) != vec4<u32>(0u);
}

// Lanes whose log10 ||h_t|| needs the rescaling pass: max |h| puts the sum of squares outside
// float range, and h is neither zero nor out of range. The pass sums (h_j 2^-e)^2 over the rows,
// e = frexp(hmax).exp, which scales exactly.
fn hiddenNeedsRescale(mx: vec4<f32>, fl: vec4<u32>) -> vec4<bool> {
  let inRange = (mx > vec4<f32>(1e-15)) & (mx < vec4<f32>(1e15));
  let bad = hiddenBad(fl);
  return !inRange & !bad & (mx != vec4<f32>(0.0));
}

struct HiddenStep {
  log: vec4<f32>,   // log10 ||h_t|| (0 where h is zero or out of range: the flags say which)
  flags: vec4<u32>,
}

// log10 ||h_t|| from the step's max |h|, sum of squares and flags: the running sum while max |h|
// keeps it in range, else `scaled` (the rescaling pass's sum, ignored in the other lanes), as the
// reference does (overflow-safe).
fn hiddenStep(mx: vec4<f32>, ss: vec4<f32>, fl: vec4<u32>, scaled: vec4<f32>) -> HiddenStep {
  var out: HiddenStep;
  let bad = hiddenBad(fl);
  let zero = mx == vec4<f32>(0.0);
  let redo = hiddenNeedsRescale(mx, fl);
  let e = frexp(mx).exp;
  out.log = select(0.5 * log2(ss) * LOG10_2, 0.5 * log2(scaled) * LOG10_2 + vec4<f32>(e) * LOG10_2, redo);
  out.flags = fl | select(vec4<u32>(0u), vec4<u32>(FLAG_HID_ZERO), zero & !bad);
  out.log = select(out.log, vec4<f32>(0.0), zero | bad);
  return out;
}

// Store lane q of a step's forward statistics as record rq.
fn storeForwardRecord(rq: u32, q: u32, hs: HiddenStep, sat: vec4<u32>, dsum: vec4<f32>) {
  records[rq].hidLog = hs.log[q];
  records[rq].sat = sat[q];
  records[rq].derivSum = dsum[q];
  records[rq].flags = hs.flags[q];
}

// forward.wgsl -- the forward pass of a batch of vanilla RNN sequences, persistent over many steps.
//
// One invocation carries one sequence b through the steps t = tFrom .. tTo (1-based, inclusive)
// of this dispatch; sequences are independent, so there is no barrier and no workgroup memory.
// Lanes of a workgroup hold consecutive sequences: every load of h or phi' is contiguous across
// lanes (coalesced on a GPU, one vector load on SwiftShader), and every load of W0 is the same
// address for all lanes (a broadcast). Each pass over j accumulates 16 output rows in four vec4
// registers (ROWS_PER_PASS), so a row of W0^T is read once per pass and reused 16 times.
//
//   a_t = rho_k W0 h_{t-1} + c_t            c_t = U x_t + b * biasOn(t), precomputed on the host
//   h_t = phi(a_t),  phi'(a_t) kept for BPTT
//   record[t][b] = { log10 ||h_t||, #saturated units, flags }
//
// Bindings (group 0):
//   0 p       uniform Params (dynamic offset: one Params per dispatch)
//   1 wt      [N][NP4] vec4<f32>   W0^T row-major, rows padded with zeros to NP4*4 = a multiple of 16
//   2 drive   [T][N][S] f32        c_t of sample s (the same S input sequences for every rho)
//   3 rhos    [KC] f32             rho of each row k of this chunk; sequence b has k = b / S, s = b % S
//   4 h0      [N] f32              initial hidden state, shared by every sequence
//   5 hstate  [2][N][BC] f32       h_{t-1} / h_t ping-pong, slot t & 1 holds h_t
//   6 dphi    [T][N][BC] f32       phi'(a_t), read by backward.wgsl
//   7 records [T][BC] StepRecord   per sequence and step statistics, read by backward/reduce
//
// Overrides: WORKGROUP (invocations per workgroup), ACTIVATION (0 tanh, 1 relu, 2 sigmoid,
// 3 leaky_relu, 4 linear), LEAKY_ALPHA.

override WORKGROUP: u32 = 64u;
override ACTIVATION: u32 = 0u;
override LEAKY_ALPHA: f32 = 0.01;

struct Params {
  n: u32,       // N hidden units
  np4: u32,     // padded row length of W0 in vec4s (multiple of 4)
  batch: u32,   // BC sequences in this chunk
  samples: u32, // S samples per rho
  steps: u32,   // T
  tFrom: u32,   // first step of this dispatch (forward: ascending)
  tTo: u32,     // last step of this dispatch, inclusive
  h0Flags: u32, // flags of h_0 (used by backward.wgsl)
  h0Log: f32,   // log10 ||h_0|| (used by backward.wgsl)
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

struct StepRecord {
  hidLog: f32,  // log10 ||h_t|| (finite h_t, nonzero)
  sat: u32,     // saturated / dead units of h_t
  gradE: i32,   // log10 ||dL/dh_t|| = gradE * log10(2) + gradF
  gradF: f32,
  wE: i32,      // log10 ||delta_t|| ||h_{t-1}|| = wE * log10(2) + wF
  wF: f32,
  flags: u32,   // FLAG_* bits below
  _pad: u32,
}

const FLAG_FWD_OVERFLOW: u32 = 1u;   // some unit of h_t is not finite
const FLAG_HID_ZERO: u32 = 2u;       // h_t = 0 exactly
const FLAG_A_NAN: u32 = 4u;          // some a_t is NaN: phi'(a_t) undefined (not for linear)

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> wt: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> drive: array<f32>;
@group(0) @binding(3) var<storage, read> rhos: array<f32>;
@group(0) @binding(4) var<storage, read> h0: array<f32>;
@group(0) @binding(5) var<storage, read_write> hstate: array<f32>;
@group(0) @binding(6) var<storage, read_write> dphi: array<f32>;
@group(0) @binding(7) var<storage, read_write> records: array<StepRecord>;

// Per-invocation step statistics, updated by emitRow.
var<private> satCount: u32;
var<private> flags: u32;
var<private> hmax: f32;

fn isNonFinite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u;
}
fn isNan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

// tanh to float32 accuracy for every a: Cephes' tanhf polynomial near 0 (where 1 - 2/(e^2a + 1)
// loses digits), the exponential form elsewhere; exactly +-1 beyond |a| = 9.
fn tanhAccurate(a: f32) -> f32 {
  let x = abs(a);
  var y: f32;
  if (x < 0.625) {
    let z = x * x;
    y = ((((-5.70498872745e-3 * z + 2.06390887954e-2) * z - 5.37397155531e-2) * z + 1.33314422036e-1) * z - 3.33332819422e-1) * z * x + x;
  } else if (x < 9.0) {
    y = 1.0 - 2.0 / (exp(2.0 * x) + 1.0);
  } else {
    y = 1.0;
  }
  return select(y, -y, a < 0.0);
}

// h = phi(a) and phi'(a), as activations.ts defines them. Derivatives of tanh and sigmoid are
// written in e = exp(-|a|) so that they keep full relative precision when saturated
// (1 - y^2 would round to 0 once y rounds to 1).
fn activate(a: f32) -> vec2<f32> {
  switch (ACTIVATION) {
    case 0u: { // tanh; d tanh(a) = 1 - tanh(a)^2 = 4 e^2 / (1 + e^2)^2
      let e2 = exp(-2.0 * abs(a));
      let q = 1.0 + e2;
      return vec2<f32>(tanhAccurate(a), 4.0 * e2 / (q * q));
    }
    case 1u: { // relu; d relu(a) = 1 for a > 0, 0 for a <= 0; NaN stays NaN
      return vec2<f32>(select(a, 0.0, a <= 0.0), select(1.0, 0.0, a <= 0.0));
    }
    case 2u: { // sigmoid; d sigmoid(a) = sigmoid(a) (1 - sigmoid(a)) = e / (1 + e)^2
      let e = exp(-abs(a));
      let q = 1.0 + e;
      return vec2<f32>(select(e / q, 1.0 / q, a >= 0.0), e / (q * q));
    }
    case 3u: { // leaky_relu; d = 1 for a > 0, alpha for a <= 0
      return vec2<f32>(select(a, LEAKY_ALPHA * a, a <= 0.0), select(1.0, LEAKY_ALPHA, a <= 0.0));
    }
    default: { // linear; d a = 1
      return vec2<f32>(a, 1.0);
    }
  }
}

fn saturated(a: f32, d: f32) -> bool {
  switch (ACTIVATION) {
    case 0u: { return d < 0.01; }        // phi' below 1% of its maximum 1
    case 2u: { return d < 0.0025; }      // phi' below 1% of its maximum 1/4
    case 1u, 3u: { return a <= 0.0; }    // dead unit
    default: { return false; }
  }
}

// Finish row i of step t: a = rho * acc + c, store h and phi', update the step statistics.
fn emitRow(t: u32, i: u32, b: u32, s: u32, rho: f32, acc: f32, next: u32) {
  if (i >= p.n) { return; }
  let a = rho * acc + drive[((t - 1u) * p.n + i) * p.samples + s];
  let hd = activate(a);
  hstate[next + i * p.batch + b] = hd.x;
  dphi[((t - 1u) * p.n + i) * p.batch + b] = hd.y;
  if (saturated(a, hd.y)) { satCount += 1u; }
  if (isNonFinite(hd.x)) { flags |= FLAG_FWD_OVERFLOW; }
  if (ACTIVATION != 4u && isNan(a)) { flags |= FLAG_A_NAN; }
  hmax = max(hmax, abs(hd.x));
}

fn emit4(t: u32, i: u32, b: u32, s: u32, rho: f32, acc: vec4<f32>, next: u32) {
  emitRow(t, i, b, s, rho, acc.x, next);
  emitRow(t, i + 1u, b, s, rho, acc.y, next);
  emitRow(t, i + 2u, b, s, rho, acc.z, next);
  emitRow(t, i + 3u, b, s, rho, acc.w, next);
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= p.batch) { return; }
  let n = p.n;
  let bc = p.batch;
  let np4 = p.np4;
  let s = b % p.samples;
  let rho = rhos[b / p.samples];
  if (p.tFrom == 1u) {
    for (var j = 0u; j < n; j++) { hstate[j * bc + b] = h0[j]; } // slot 0 holds h_0
  }
  for (var t = p.tFrom; t <= p.tTo; t++) {
    let prev = ((t - 1u) & 1u) * n * bc;
    let next = (t & 1u) * n * bc;
    satCount = 0u;
    flags = 0u;
    hmax = 0.0;
    for (var i4 = 0u; i4 < np4; i4 += 4u) {
      var acc0 = vec4<f32>(0.0);
      var acc1 = vec4<f32>(0.0);
      var acc2 = vec4<f32>(0.0);
      var acc3 = vec4<f32>(0.0);
      // acc[i] = sum_j W0[i][j] h_{t-1}[j] = sum_j W0^T[j][i] h_{t-1}[j], rows i = 4 i4 .. 4 i4 + 15
      for (var j = 0u; j < n; j++) {
        let hj = hstate[prev + j * bc + b];
        let w = j * np4 + i4;
        acc0 += wt[w] * hj;
        acc1 += wt[w + 1u] * hj;
        acc2 += wt[w + 2u] * hj;
        acc3 += wt[w + 3u] * hj;
      }
      let i = 4u * i4;
      emit4(t, i, b, s, rho, acc0, next);
      emit4(t, i + 4u, b, s, rho, acc1, next);
      emit4(t, i + 8u, b, s, rho, acc2, next);
      emit4(t, i + 12u, b, s, rho, acc3, next);
    }
    // log10 ||h_t||, overflow-safe: scale by 2^-e (exact) with e the exponent of max |h_i|.
    var hidLog = 0.0;
    if ((flags & FLAG_FWD_OVERFLOW) == 0u) {
      if (hmax == 0.0) {
        flags |= FLAG_HID_ZERO;
      } else {
        let e = frexp(hmax).exp;
        var ss = 0.0;
        for (var i = 0u; i < n; i++) {
          let v = ldexp(hstate[next + i * bc + b], -e);
          ss += v * v;
        }
        hidLog = 0.5 * log2(ss) * 0.30102999566398120 + f32(e) * 0.30102999566398120;
      }
    }
    let r = (t - 1u) * bc + b;
    records[r].hidLog = hidLog;
    records[r].sat = satCount;
    records[r].flags = flags;
  }
}

// backward.wgsl -- backpropagation through time for a batch of sequences, persistent over many steps.
//
// One invocation carries one sequence b backwards through t = tFrom down to tTo (inclusive), with
// the same lane layout as forward.wgsl (sequences across lanes, W0 loads broadcast, 16 rows per pass).
//
//   g_T = r;   delta_t = phi'(a_t) * g_t;   g_{t-1} = rho_k W0^T delta_t
// The backward pass is linear in g, so before each step g is rescaled by an exact power of two
// 2^-e (ldexp) chosen from its largest entry and its norm, and the exponent is accumulated as an
// integer: log10 ||g_t|| = (E + e) log10(2) + log10 ||2^-e g_t||. An integer sum loses nothing
// over 5000 steps (a float32 running sum of log scales would drift by ~1e-4 per 1000 steps).
// Per step it records log10 ||g_t|| and the weight-gradient contribution
//   log10 ||delta_t h_{t-1}^T||_F = log10 ||delta_t|| + log10 ||h_{t-1}||   (a rank-one matrix),
// with the reference's rules for zeros (-Infinity) and undefined values (NaN, see FLAG_*).
//
// Bindings (group 0):
//   0 p       uniform Params (dynamic offset: one Params per dispatch); tFrom >= tTo here
//   1 w       [N][NP4] vec4<f32>   W0 row-major, rows padded with zeros to NP4*4 columns
//   2 rhos    [KC] f32             rho of row k of this chunk; k = b / S
//   3 r       [N] f32              dL/dh_T, the readout
//   4 gstate  [2][N][BC] f32       g ping-pong: slot (T - t) & 1 holds g_t (then delta_t, in place)
//   5 dphi    [T][N][BC] f32       phi'(a_t) from forward.wgsl
//   6 records [T][BC] StepRecord   forward statistics in, gradient statistics out
//   7 bstate  [BC] vec2<i32>       (E, valid) carried between dispatches
//
// Overrides: WORKGROUP (invocations per workgroup).

override WORKGROUP: u32 = 64u;

struct Params {
  n: u32,
  np4: u32,
  batch: u32,
  samples: u32,
  steps: u32,
  tFrom: u32,   // first (largest) step of this dispatch
  tTo: u32,     // last (smallest) step, inclusive
  h0Flags: u32, // FLAG_FWD_OVERFLOW / FLAG_HID_ZERO of h_0
  h0Log: f32,   // log10 ||h_0||
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

struct StepRecord {
  hidLog: f32,
  sat: u32,
  gradE: i32,
  gradF: f32,
  wE: i32,
  wF: f32,
  flags: u32,
  _pad: u32,
}

const FLAG_FWD_OVERFLOW: u32 = 1u;
const FLAG_HID_ZERO: u32 = 2u;
const FLAG_A_NAN: u32 = 4u;
const FLAG_GRAD_ZERO: u32 = 8u;      // dL/dh_t = 0 exactly (log10 = -Infinity)
const FLAG_GRAD_NAN: u32 = 16u;      // dL/dh_t undefined (a later phi' was undefined)
const FLAG_W_ZERO: u32 = 32u;        // weight contribution exactly 0
const FLAG_W_NAN: u32 = 64u;         // weight contribution undefined
const FLAG_BWD_INVALID: u32 = 128u;  // the backward pass crossed an undefined phi' after t

const LOG10_2: f32 = 0.30102999566398120;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> rhos: array<f32>;
@group(0) @binding(3) var<storage, read> r: array<f32>;
@group(0) @binding(4) var<storage, read_write> gstate: array<f32>;
@group(0) @binding(5) var<storage, read> dphi: array<f32>;
@group(0) @binding(6) var<storage, read_write> records: array<StepRecord>;
@group(0) @binding(7) var<storage, read_write> bstate: array<vec2<i32>>;

fn store4(base: u32, i: u32, bc: u32, rho: f32, acc: vec4<f32>) {
  if (i < p.n) { gstate[base + i * bc] = rho * acc.x; }
  if (i + 1u < p.n) { gstate[base + (i + 1u) * bc] = rho * acc.y; }
  if (i + 2u < p.n) { gstate[base + (i + 2u) * bc] = rho * acc.z; }
  if (i + 3u < p.n) { gstate[base + (i + 3u) * bc] = rho * acc.w; }
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= p.batch) { return; }
  let n = p.n;
  let bc = p.batch;
  let np4 = p.np4;
  let T = p.steps;
  let rho = rhos[b / p.samples];
  var E: i32 = 0;     // accumulated log2 of the factor g has been divided by
  var valid = true;   // false once an undefined phi' was crossed
  if (p.tFrom == T) {
    for (var j = 0u; j < n; j++) { gstate[j * bc + b] = r[j]; } // slot 0 holds g_T
  } else {
    let st = bstate[b];
    E = st.x;
    valid = st.y != 0;
  }
  for (var t = p.tFrom; t >= p.tTo; t--) {
    let rec = (t - 1u) * bc + b;
    var fl = records[rec].flags;
    let cur = ((T - t) & 1u) * n * bc + b;
    let nxt = ((T - t + 1u) & 1u) * n * bc + b;
    if (!valid) {
      records[rec].flags = fl | FLAG_GRAD_NAN | FLAG_W_NAN | FLAG_BWD_INVALID;
      if (t == 1u) { break; }
      continue;
    }
    // log10 ||g_t||: scale by 2^-eg (eg from max |g_i|), so the sum of squares lies in [1/4, N].
    var gmax = 0.0;
    for (var j = 0u; j < n; j++) { gmax = max(gmax, abs(gstate[cur + j * bc])); }
    var shift: i32 = 0;
    if (gmax == 0.0) {
      fl |= FLAG_GRAD_ZERO;
      records[rec].gradE = 0;
      records[rec].gradF = 0.0;
    } else {
      let eg = frexp(gmax).exp;
      var ss = 0.0;
      for (var j = 0u; j < n; j++) {
        let v = ldexp(gstate[cur + j * bc], -eg);
        ss += v * v;
      }
      let half = frexp(ss).exp >> 1u;          // floor(e/2): ss 2^-2 half lies in [1/2, 2)
      shift = eg + half;                          // ||2^-shift g|| lies in [0.7, 1.5)
      E += shift;
      records[rec].gradE = E;
      records[rec].gradF = 0.5 * log2(ldexp(ss, -2 * half)) * LOG10_2;
    }
    if ((fl & FLAG_A_NAN) != 0u) {
      // phi'(a_t) undefined: this step's weight contribution and every earlier gradient are NaN.
      records[rec].flags = fl | FLAG_W_NAN;
      valid = false;
      if (t == 1u) { break; }
      continue;
    }
    // delta_t = phi'(a_t) * 2^-shift g_t, in place; then log10 ||delta_t|| the same way.
    let dbase = (t - 1u) * n * bc + b;
    var dmax = 0.0;
    for (var j = 0u; j < n; j++) {
      let d = dphi[dbase + j * bc] * ldexp(gstate[cur + j * bc], -shift);
      gstate[cur + j * bc] = d;
      dmax = max(dmax, abs(d));
    }
    // ||h_{t-1}||: from the forward record, or h_0's for t = 1.
    var hFlags = p.h0Flags;
    var hLog = p.h0Log;
    if (t > 1u) {
      hFlags = records[rec - bc].flags;
      hLog = records[rec - bc].hidLog;
    }
    if ((hFlags & FLAG_FWD_OVERFLOW) != 0u) {
      fl |= FLAG_W_NAN;
    } else if (dmax == 0.0 || (hFlags & FLAG_HID_ZERO) != 0u) {
      fl |= FLAG_W_ZERO;
    } else {
      let ed = frexp(dmax).exp;
      var sd = 0.0;
      for (var j = 0u; j < n; j++) {
        let v = ldexp(gstate[cur + j * bc], -ed);
        sd += v * v;
      }
      let half = frexp(sd).exp >> 1u;
      records[rec].wE = E + ed + half;
      records[rec].wF = 0.5 * log2(ldexp(sd, -2 * half)) * LOG10_2 + hLog;
    }
    records[rec].flags = fl;
    if (t == 1u) { break; }
    // g_{t-1}[i] = rho sum_j W0[j][i] delta_t[j], rows i = 4 i4 .. 4 i4 + 15 per pass
    for (var i4 = 0u; i4 < np4; i4 += 4u) {
      var acc0 = vec4<f32>(0.0);
      var acc1 = vec4<f32>(0.0);
      var acc2 = vec4<f32>(0.0);
      var acc3 = vec4<f32>(0.0);
      for (var j = 0u; j < n; j++) {
        let dj = gstate[cur + j * bc];
        let k = j * np4 + i4;
        acc0 += w[k] * dj;
        acc1 += w[k + 1u] * dj;
        acc2 += w[k + 2u] * dj;
        acc3 += w[k + 3u] * dj;
      }
      let i = 4u * i4;
      store4(nxt, i, bc, rho, acc0);
      store4(nxt, i + 4u, bc, rho, acc1);
      store4(nxt, i + 8u, bc, rho, acc2);
      store4(nxt, i + 12u, bc, rho, acc3);
    }
  }
  bstate[b] = vec2<i32>(E, select(0, 1, valid));
}

// histogram.wgsl -- the pre-activations a_t of one row of a sweep, binned on the GPU (the derivative
// panel's histogram, src/core/preactivations.ts).
//
//   a_t = rho W0 h_{t-1} + c_t        c_t = U x_t + b biasOn(t), precomputed on the host
//   h_t = phi(a_t);  counts[t][bin(a_t[i])] += 1 (atomicAdd);  phi' summed per sample and step
//
// Work structure: one workgroup per sample s carries it through all T steps, with h_{t-1} and h_t
// in workgroup memory (ping-pong) and one barrier per step; invocation l computes the units
// 4q .. 4q + 3 for q = l, l + WORKGROUP, ... (a vec4 of W0's rows per column j). Only the counts
// and the sums of phi' leave the GPU: no a_t is ever stored. One row at a time, so there is no
// need for the sweep kernels' throughput tricks.
//
// Binning: the bin width and every edge lo + i width are exact float32 numbers (the host checks,
// core/preactivations.ts checkHistogramRequest), so the division only guesses the bin and the
// comparison with the exact edges decides it: the same bin the float64 reference gives the same a.
//
// Bindings (group 0):
//   0 p       uniform Params
//   1 wt      [NP][NP4] vec4<f32>  W0^T: wt[j][q] = column j of W0, rows 4q .. 4q + 3 (zero-padded to NP = 4 NP4)
//   2 drive   [S][T][NP4] vec4<f32> c_t of sample s (zero-padded)
//   3 h0      [NP4] vec4<f32>      initial hidden state (zero-padded)
//   4 counts  [T][bins + 3] atomic<u32>  per step: the bins, then below lo, at or above hi, not finite
//   5 dersum  [T][S] f32           sum over the N units of phi'(a_t) of the finite a_t (reduce: [T] over s)
//   6 hstate  [S][NP4] vec4<f32>   h at the end of a dispatch, where the next one starts (steps tFrom..tTo
//                                  per dispatch keep each dispatch short: a GPU watchdog, a responsive device)
//
// Entry points: main (one workgroup per sample), sumSamples (one invocation per step: dersum[t][0]
// = the sum over s, in float32).
// Overrides: WORKGROUP (invocations per workgroup), HS (vec4s of each h slot, >= NP4).
// Prelude: the activation prelude (src/engine/webgpu/activation.ts), fn activate(a) -> Act.

override WORKGROUP: u32 = 64u;
override HS: u32 = 256u;

struct Params {
  n: u32,       // N hidden units
  np4: u32,     // NP / 4
  steps: u32,   // T
  samples: u32, // S' samples binned
  bins: u32,
  lo: f32,      // the first edge
  width: f32,   // the bin width
  rho: f32,     // the row's spectral radius
  tFrom: u32,   // the first step of this dispatch (1: start from h0)
  tTo: u32,     // its last step, inclusive
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> wt: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> drive: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> h0: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read_write> dersum: array<f32>;
@group(0) @binding(6) var<storage, read_write> hstate: array<vec4<f32>>;

var<workgroup> hs: array<vec4<f32>, 2 * HS>;
var<workgroup> partial: array<f32, 2 * WORKGROUP>;

// Whether x is +-Infinity or NaN, from its bits (WGSL may assume neither exists in arithmetic).
fn nonFinite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u;
}

// The slot of a in a step's row of counts: 0 .. bins - 1, bins (below lo), bins + 1 (at or above
// hi), bins + 2 (not finite).
fn slotOf(a: f32) -> u32 {
  if (nonFinite(a)) {
    return p.bins + 2u;
  }
  if (a < p.lo) {
    return p.bins;
  }
  if (a >= p.lo + f32(p.bins) * p.width) {
    return p.bins + 1u;
  }
  var i = i32(clamp(floor((a - p.lo) / p.width), 0.0, f32(p.bins - 1u)));
  if (a < p.lo + f32(i) * p.width) {
    i = i - 1;
  } else if (a >= p.lo + f32(i + 1) * p.width) {
    i = i + 1;
  }
  return u32(i);
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let s = wg.x;
  let l = lid.x;
  let n = p.n;
  let np4 = p.np4;
  let row = p.bins + 3u;
  // h_{tFrom - 1} into the slot step tFrom reads.
  let first = ((p.tFrom - 1u) & 1u) * HS;
  for (var q = l; q < np4; q += WORKGROUP) {
    if (p.tFrom == 1u) {
      hs[first + q] = h0[q];
    } else {
      hs[first + q] = hstate[s * np4 + q];
    }
  }
  workgroupBarrier();
  for (var t = p.tFrom; t <= p.tTo; t++) {
    let cur = ((t - 1u) & 1u) * HS;
    let nxt = (t & 1u) * HS;
    var der = 0.0;
    for (var q = l; q < np4; q += WORKGROUP) {
      // A = W0 h_{t-1} for rows 4q .. 4q + 3: column j of those rows times h_j.
      var acc = vec4<f32>(0.0);
      for (var j4 = 0u; j4 < np4; j4++) {
        let h = hs[cur + j4];
        let j = j4 * 4u;
        acc += wt[j * np4 + q] * h.x;
        acc += wt[(j + 1u) * np4 + q] * h.y;
        acc += wt[(j + 2u) * np4 + q] * h.z;
        acc += wt[(j + 3u) * np4 + q] * h.w;
      }
      let a = p.rho * acc + drive[(s * p.steps + t - 1u) * np4 + q];
      let o = activate(a);
      var h = o.h;
      for (var k = 0u; k < 4u; k++) {
        let i = 4u * q + k;
        if (i >= n) {
          h[k] = 0.0; // padding units stay 0
          continue;
        }
        let slot = slotOf(a[k]);
        atomicAdd(&counts[(t - 1u) * row + slot], 1u);
        if (slot != p.bins + 2u) {
          der += o.d[k];
        }
      }
      hs[nxt + q] = h;
    }
    partial[(t & 1u) * WORKGROUP + l] = der;
    workgroupBarrier();
    // partial is double-buffered by step: invocation 0 reads this step's half while the others
    // already write the next step's; they write this half again only after the next barrier.
    if (l == 0u) {
      var sum = 0.0;
      for (var m = 0u; m < WORKGROUP; m++) {
        sum += partial[(t & 1u) * WORKGROUP + m];
      }
      dersum[(t - 1u) * p.samples + s] = sum;
    }
  }
  // h_tTo for the next dispatch (each invocation stores the vec4s it wrote).
  let last = (p.tTo & 1u) * HS;
  for (var q = l; q < np4; q += WORKGROUP) {
    hstate[s * np4 + q] = hs[last + q];
  }
}

@compute @workgroup_size(WORKGROUP)
fn sumSamples(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x;
  if (t >= p.steps) {
    return;
  }
  var sum = 0.0;
  for (var s = 0u; s < p.samples; s++) {
    sum += dersum[t * p.samples + s];
  }
  dersum[t * p.samples] = sum;
}

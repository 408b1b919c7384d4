// forward.wgsl -- the forward pass of a batch of vanilla RNN sequences, persistent over many steps.
//
//   a_t = rho_k W0 h_{t-1} + c_t        c_t = U x_t + b biasOn(t), precomputed on the host
//   (untied weights: W0_t in place of W0; outlier axis: + shift_k D_t h_{t-1}, weights.wgsl)
//   h_t = phi(a_t);  phi'(a_t) kept for BPTT;  record[t][b] = { log10 ||h_t||, #saturated, flags }
//
// Work structure ("persistent RNN"): sequences are independent, only time is sequential, so one
// invocation carries SEQ = 4 sequences through the steps tFrom..tTo of a dispatch (all T when the
// work is small) -- no barrier, no workgroup memory, no per-step dispatch. Its 4 sequences are
// b_q = b0 + q * WORKGROUP (q = 0..3), so each of the 4 loads of h is contiguous across the lanes
// of a workgroup (coalesced on a GPU). Per step it computes 8 rows at a time into 8 vec4
// registers (one vec4 = one row for the 4 sequences): every W0 value loaded serves 4 sequences
// and every h value 8 rows. On SwiftShader, where every indexed load is a per-lane gather,
// this halves the loads per multiply-add compared with one sequence per invocation.
//
// Bindings (group 0):
//   0 p       uniform Params (dynamic offset: one Params per dispatch)
//   1 wmat    [M][NP][NP4] vec4<f32>  W0^T row-major, padded with zeros to NP = NP4 * 4 (a multiple of 8);
//                                  M = 1 matrix, or T untied W0_t^T (step t reads matrix t - 1);
//                                  declared by the prelude (matrix-plain.wgsl or matrix-subgroups.wgsl)
//   2 drive   [T][N][S] f32        c_t of sample s (the same S input sequences for every rho)
//   3 rhos    [2][KC] f32          rho of row k of this chunk (sequence b is k = b / S, s = b % S), then its outlier shift
//   4 h0      [N] f32              initial hidden state, shared by every sequence
//   5 hstate  [2][N][BP] f32       ping-pong: slot t & 1 holds h_t (BP = batch padded to 4 WORKGROUP)
//   6 dphi    [T][N][BP] f32       phi'(a_t), read by backward.wgsl
//   7 records [T][BP] StepRecord   per sequence and step statistics, read by backward/reduce
//   8 outlier                      the outlier axis's move, declared by the prelude weights.wgsl
//
// Overrides: WORKGROUP (invocations per workgroup).
// Preludes (src/engine/webgpu): the matrix prelude (wmat, loadRows, setLane), the record prelude,
// weights.wgsl (the step's matrix and the outlier move), forward-step.wgsl (the step's statistics
// and record; all three shared with forward-tiled.wgsl) and the activation prelude,
// fn activate(a) -> Act, generated from the activation's record in src/core/activations.ts
// with its parameters and saturation limit as constants. A module without one does not compile.

override WORKGROUP: u32 = 64u;

// Params: shaders/sweep-params.wgsl (the prelude).

// StepRecord, the FLAG_* bits and LOG10_2 come from the record prelude generated from the statistics
// table (src/engine/webgpu/record.ts).

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> drive: array<f32>;
@group(0) @binding(3) var<storage, read> rhos: array<f32>;
@group(0) @binding(4) var<storage, read> h0: array<f32>;
@group(0) @binding(5) var<storage, read_write> hstate: array<f32>;
@group(0) @binding(6) var<storage, read_write> dphi: array<f32>;
@group(0) @binding(7) var<storage, read_write> records: array<StepRecord>;

fn loadH(o: u32) -> vec4<f32> {
  return vec4<f32>(hstate[o], hstate[o + WORKGROUP], hstate[o + 2u * WORKGROUP], hstate[o + 3u * WORKGROUP]);
}
fn storeH(o: u32, v: vec4<f32>) {
  hstate[o] = v.x;
  hstate[o + WORKGROUP] = v.y;
  hstate[o + 2u * WORKGROUP] = v.z;
  hstate[o + 3u * WORKGROUP] = v.w;
}
fn storeD(o: u32, v: vec4<f32>) {
  dphi[o] = v.x;
  dphi[o + WORKGROUP] = v.y;
  dphi[o + 2u * WORKGROUP] = v.z;
  dphi[o + 3u * WORKGROUP] = v.w;
}

// Finish row i of step t for the 4 sequences: a = rho acc + c, store h and phi', update statistics.
fn emitRow(t: u32, i: u32, b0: u32, s: vec4<u32>, rho: vec4<f32>, acc: vec4<f32>, next: u32) {
  if (i >= p.n) { return; }
  let cb = ((t - 1u) * p.n + i) * p.samples;
  let c = vec4<f32>(drive[cb + s.x], drive[cb + s.y], drive[cb + s.z], drive[cb + s.w]);
  let a = rho * acc + c;
  let o = activate(a);
  storeH(next + i * p.batch + b0, o.h);
  storeD(((t - 1u) * p.n + i) * p.batch + b0, o.d);
  addRow(a, o);
}

@compute @workgroup_size(WORKGROUP)
fn main(ids: Ids) {
  setLane(ids);
  let b0 = ids.wid.x * 4u * WORKGROUP + ids.lid.x;
  let n = p.n;
  let bp = p.batch;
  let np4 = p.np4;
  let np = 4u * np4;
  let S = p.samples;
  let bq = vec4<u32>(b0, b0 + WORKGROUP, b0 + 2u * WORKGROUP, b0 + 3u * WORKGROUP);
  let s = bq % vec4<u32>(S);
  let k = min(bq / vec4<u32>(S), vec4<u32>(p.kRows - 1u)); // padded sequences reuse the last row
  let rho = vec4<f32>(rhos[k.x], rhos[k.y], rhos[k.z], rhos[k.w]);
  let kr = p.kRows;
  let shift = vec4<f32>(rhos[kr + k.x], rhos[kr + k.y], rhos[kr + k.z], rhos[kr + k.w]);
  if (p.tFrom == 1u) {
    for (var j = 0u; j < n; j++) { storeH(j * bp + b0, vec4<f32>(h0[j])); } // slot 0 holds h_0
  }
  for (var t = p.tFrom; t <= p.tTo; t++) {
    let prev = ((t - 1u) & 1u) * np * bp;
    let next = (t & 1u) * np * bp;
    beginStep();
    let mo = matrixOffset(t);
    if (p.moved != 0u) {
      // P_t h_{t-1}, then the coefficients of shift D_t h_{t-1} (added row by row below).
      moveStep(t);
      var px0 = vec4<f32>(0.0);
      var px1 = vec4<f32>(0.0);
      for (var j = 0u; j < n; j++) {
        let hv = loadH(prev + j * bp + b0);
        px0 += moveP(0u, j) * hv;
        px1 += moveP(1u, j) * hv;
      }
      moveFrom(shift, px0, px1, false);
    }
    for (var i4 = 0u; i4 < np4; i4 += 2u) {
      // acc_r[q] = sum_j W_t^T[j][i + r] h_{t-1}[j][b_q], rows i = 4 i4 .. 4 i4 + 7
      var a0 = vec4<f32>(0.0);
      var a1 = vec4<f32>(0.0);
      var a2 = vec4<f32>(0.0);
      var a3 = vec4<f32>(0.0);
      var a4 = vec4<f32>(0.0);
      var a5 = vec4<f32>(0.0);
      var a6 = vec4<f32>(0.0);
      var a7 = vec4<f32>(0.0);
      for (var j = 0u; j < np; j += 4u) {
        {
          let hv = loadH(prev + (j + 0u) * bp + b0);
          let w = mo + (j + 0u) * np4 + i4;
          let wa = loadRows(w);
          let wb = loadRows(w + 1u);
          a0 += wa.x * hv;
          a1 += wa.y * hv;
          a2 += wa.z * hv;
          a3 += wa.w * hv;
          a4 += wb.x * hv;
          a5 += wb.y * hv;
          a6 += wb.z * hv;
          a7 += wb.w * hv;
        }
        {
          let hv = loadH(prev + (j + 1u) * bp + b0);
          let w = mo + (j + 1u) * np4 + i4;
          let wa = loadRows(w);
          let wb = loadRows(w + 1u);
          a0 += wa.x * hv;
          a1 += wa.y * hv;
          a2 += wa.z * hv;
          a3 += wa.w * hv;
          a4 += wb.x * hv;
          a5 += wb.y * hv;
          a6 += wb.z * hv;
          a7 += wb.w * hv;
        }
        {
          let hv = loadH(prev + (j + 2u) * bp + b0);
          let w = mo + (j + 2u) * np4 + i4;
          let wa = loadRows(w);
          let wb = loadRows(w + 1u);
          a0 += wa.x * hv;
          a1 += wa.y * hv;
          a2 += wa.z * hv;
          a3 += wa.w * hv;
          a4 += wb.x * hv;
          a5 += wb.y * hv;
          a6 += wb.z * hv;
          a7 += wb.w * hv;
        }
        {
          let hv = loadH(prev + (j + 3u) * bp + b0);
          let w = mo + (j + 3u) * np4 + i4;
          let wa = loadRows(w);
          let wb = loadRows(w + 1u);
          a0 += wa.x * hv;
          a1 += wa.y * hv;
          a2 += wa.z * hv;
          a3 += wa.w * hv;
          a4 += wb.x * hv;
          a5 += wb.y * hv;
          a6 += wb.z * hv;
          a7 += wb.w * hv;
        }
      }
      let i = 4u * i4;
      emitRow(t, i, b0, s, rho, a0 + moveRow(i), next);
      emitRow(t, i + 1u, b0, s, rho, a1 + moveRow(i + 1u), next);
      emitRow(t, i + 2u, b0, s, rho, a2 + moveRow(i + 2u), next);
      emitRow(t, i + 3u, b0, s, rho, a3 + moveRow(i + 3u), next);
      emitRow(t, i + 4u, b0, s, rho, a4 + moveRow(i + 4u), next);
      emitRow(t, i + 5u, b0, s, rho, a5 + moveRow(i + 5u), next);
      emitRow(t, i + 6u, b0, s, rho, a6 + moveRow(i + 6u), next);
      emitRow(t, i + 7u, b0, s, rho, a7 + moveRow(i + 7u), next);
    }
    // The step's range flags, sticky from the sample's record of step t - 1 (written by this
    // invocation), then log10 ||h_t|| (forward-step.wgsl) with the rescaling pass where needed.
    var before = vec4<u32>(0u);
    if (t > 1u) {
      let rp = (t - 2u) * bp + b0;
      before = vec4<u32>(records[rp].flags, records[rp + WORKGROUP].flags, records[rp + 2u * WORKGROUP].flags, records[rp + 3u * WORKGROUP].flags);
    }
    flags = rangeFlags(flags, hmax, amax, before);
    var scaled = vec4<f32>(0.0);
    let redo = hiddenNeedsRescale(hmax, flags);
    if (any(redo)) {
      let e = frexp(hmax).exp;
      for (var j = 0u; j < n; j++) {
        let v = ldexp(loadH(next + j * bp + b0), -e);
        scaled += v * v;
      }
    }
    let hs = hiddenStep(hmax, hss, flags, scaled);
    let r = (t - 1u) * bp + b0;
    for (var q = 0u; q < 4u; q++) {
      storeForwardRecord(r + q * WORKGROUP, q, hs, satCount, derivSum);
    }
  }
}

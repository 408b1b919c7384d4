// backward.wgsl -- backpropagation through time for a batch of sequences, persistent over many steps.
//
//   g_T = r;   delta_t = phi'(a_t) * g_t;   g_{t-1} = rho_k W0^T delta_t
//   (untied weights: W0_t in place of W0; outlier axis: + shift_k D_t^T delta_t, weights.wgsl)
//
// Same work structure as forward.wgsl: one invocation carries SEQ = 4 sequences
// b_q = b0 + q * WORKGROUP backwards through t = tFrom down to tTo, 8 rows per pass in 8 vec4
// registers (a vec4 = one row for the 4 sequences), W0 loads shared by the 4 sequences.
//
// Renormalisation: the backward pass is linear in g, so g is kept as g_t / 2^E with an integer
// E per sequence. At each step, with ||g|| = m 2^e (m in [1, 2)), e is added to E and the next g is
// computed with the factor rho 2^-e folded in: an exact power of two, so nothing is rounded, and
// an integer sum of exponents loses nothing over 5000 steps (a float32 sum of log10 scales would
// drift by ~1e-4 per 1000 steps). Then, per step,
//   log10 ||dL/dh_t|| = (E + e) log10(2) + log10 m                       -> record.gradE / gradF
//   log10 ||delta_t h_{t-1}^T||_F = log10 ||delta_t|| + log10 ||h_{t-1}|| -> record.wE / wF
// (a rank-one matrix), with the reference's rules (backward-step.wgsl).
//
// Bindings (group 0):
//   0 p       uniform Params (dynamic offset: one Params per dispatch); tFrom >= tTo here
//   1 wmat    [M][NP][NP4] vec4<f32>  W0 row-major, rows padded with zeros to NP4 * 4 columns
//                                  (M = 1, or T untied W0_t: step t reads matrix t - 1; rows N..NP unread);
//                                  declared by the prelude (matrix-plain.wgsl or matrix-subgroups.wgsl)
//   2 rhos    [2][KC] f32          rho of row k of this chunk (k = b / S), then its outlier shift
//   3 r       [N] f32              dL/dh_T, the readout
//   4 gstate  [2][N][BP] f32       ping-pong: slot (T - t) & 1 holds g_t / 2^E, then delta_t in place
//   5 dphi    [T][N][BP] f32       phi'(a_t) from forward.wgsl
//   6 records [T][BP] StepRecord   forward statistics in, gradient statistics out
//   7 bstate  [BP] vec4<u32>       (E, valid, max |g|, sum g^2 as bits) carried between dispatches
//   8 outlier                      the outlier axis's move, declared by the prelude weights.wgsl
//
// Overrides: WORKGROUP (invocations per workgroup).
// Preludes (src/engine/webgpu): the matrix prelude, the record prelude and backward-step.wgsl (the
// norms and the step's record, shared with backward-tiled.wgsl).

override WORKGROUP: u32 = 64u;

// Params: shaders/sweep-params.wgsl (the prelude).

// StepRecord, the FLAG_* bits and LOG10_2 come from the record prelude generated from the statistics
// table (src/engine/webgpu/record.ts).

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> rhos: array<f32>;
@group(0) @binding(3) var<storage, read> r: array<f32>;
@group(0) @binding(4) var<storage, read_write> gstate: array<f32>;
@group(0) @binding(5) var<storage, read> dphi: array<f32>;
@group(0) @binding(6) var<storage, read_write> records: array<StepRecord>;
@group(0) @binding(7) var<storage, read_write> bstate: array<vec4<u32>>;

// max |g| and sum g^2 of the g being written, one lane per sequence.
var<private> gmax: vec4<f32>;
var<private> gss: vec4<f32>;

fn loadG(o: u32) -> vec4<f32> {
  return vec4<f32>(gstate[o], gstate[o + WORKGROUP], gstate[o + 2u * WORKGROUP], gstate[o + 3u * WORKGROUP]);
}
fn storeG(o: u32, v: vec4<f32>) {
  gstate[o] = v.x;
  gstate[o + WORKGROUP] = v.y;
  gstate[o + 2u * WORKGROUP] = v.z;
  gstate[o + 3u * WORKGROUP] = v.w;
}
fn loadD(o: u32) -> vec4<f32> {
  return vec4<f32>(dphi[o], dphi[o + WORKGROUP], dphi[o + 2u * WORKGROUP], dphi[o + 3u * WORKGROUP]);
}

// The norm of the vector in slot `o` from its max and sum of squares (backward-step.wgsl), with the
// rescaling pass over the slot in the lanes that need it.
fn normOf(mx: vec4<f32>, ss: vec4<f32>, o: u32) -> Norm {
  var scaled = vec4<f32>(0.0);
  if (any(normNeedsRescale(mx))) {
    let em = frexp(mx).exp;
    for (var j = 0u; j < p.n; j++) {
      let v = ldexp(loadG(o + j * p.batch), -em);
      scaled += v * v;
    }
  }
  return normOfSums(mx, ss, scaled);
}

fn emitRow(o: u32, i: u32, scale: vec4<f32>, acc: vec4<f32>) {
  if (i >= p.n) { return; }
  let g = scale * acc;
  storeG(o + i * p.batch, g);
  gmax = max(gmax, abs(g));
  gss += g * g;
}

@compute @workgroup_size(WORKGROUP)
fn main(ids: Ids) {
  setLane(ids);
  let b0 = ids.wid.x * 4u * WORKGROUP + ids.lid.x;
  let n = p.n;
  let bp = p.batch;
  let np4 = p.np4;
  let T = p.steps;
  let bq = vec4<u32>(b0, b0 + WORKGROUP, b0 + 2u * WORKGROUP, b0 + 3u * WORKGROUP);
  let k = min(bq / vec4<u32>(p.samples), vec4<u32>(p.kRows - 1u));
  let rho = vec4<f32>(rhos[k.x], rhos[k.y], rhos[k.z], rhos[k.w]);
  let kr = p.kRows;
  let shift = vec4<f32>(rhos[kr + k.x], rhos[kr + k.y], rhos[kr + k.z], rhos[kr + k.w]);
  var E = vec4<i32>(0);          // g is stored divided by 2^E
  var valid = vec4<bool>(true);  // false once an undefined phi' was crossed
  if (p.tFrom == T) {
    gmax = vec4<f32>(0.0);
    gss = vec4<f32>(0.0);
    for (var j = 0u; j < n; j++) { // slot 0 holds g_T = r
      let g = vec4<f32>(r[j]);
      storeG(j * bp + b0, g);
      gmax = max(gmax, abs(g));
      gss += g * g;
    }
  } else {
    let s0 = bstate[bq.x];
    let s1 = bstate[bq.y];
    let s2 = bstate[bq.z];
    let s3 = bstate[bq.w];
    E = bitcast<vec4<i32>>(vec4<u32>(s0.x, s1.x, s2.x, s3.x));
    valid = vec4<u32>(s0.y, s1.y, s2.y, s3.y) != vec4<u32>(0u);
    gmax = bitcast<vec4<f32>>(vec4<u32>(s0.z, s1.z, s2.z, s3.z));
    gss = bitcast<vec4<f32>>(vec4<u32>(s0.w, s1.w, s2.w, s3.w));
  }
  // A forward flag at some t0 <= T (sticky, so the one at T) whose kind is in killMask makes phi'(a_t),
  // t >= t0, untrustworthy (src/core/range.ts backwardCrossesFlag): every step of the pass is undefined.
  let recT = (T - 1u) * bp + b0;
  let kill = killFlags(vec4<u32>(records[recT].flags, records[recT + WORKGROUP].flags, records[recT + 2u * WORKGROUP].flags, records[recT + 3u * WORKGROUP].flags), p.killMask);
  for (var t = p.tFrom; t >= p.tTo; t--) {
    let rec = (t - 1u) * bp + b0;
    let fl = vec4<u32>(records[rec].flags, records[rec + WORKGROUP].flags, records[rec + 2u * WORKGROUP].flags, records[rec + 3u * WORKGROUP].flags);
    let cur = ((T - t) & 1u) * n * bp + b0;
    let nxt = ((T - t + 1u) & 1u) * n * bp + b0;
    // Gradient norm of this step.
    let gz = gmax == vec4<f32>(0.0);
    let gn = normOf(gmax, gss, cur);
    // delta_t = phi'(a_t) * g_t (still divided by 2^E), in place; its norm the same way.
    let dbase = (t - 1u) * n * bp + b0;
    gmax = vec4<f32>(0.0);
    gss = vec4<f32>(0.0);
    for (var j = 0u; j < n; j++) {
      let d = loadD(dbase + j * bp) * loadG(cur + j * bp);
      storeG(cur + j * bp, d);
      gmax = max(gmax, abs(d));
      gss += d * d;
    }
    let dz = gmax == vec4<f32>(0.0);
    let dn = normOf(gmax, gss, cur);
    // ||h_{t-1}||: from the forward record, or h_0's for t = 1.
    var hFlags = vec4<u32>(p.h0Flags);
    var hLog = vec4<f32>(p.h0Log);
    if (t > 1u) {
      let rp = rec - bp;
      hFlags = vec4<u32>(records[rp].flags, records[rp + WORKGROUP].flags, records[rp + 2u * WORKGROUP].flags, records[rp + 3u * WORKGROUP].flags);
      hLog = vec4<f32>(records[rp].hidLog, records[rp + WORKGROUP].hidLog, records[rp + 2u * WORKGROUP].hidLog, records[rp + 3u * WORKGROUP].hidLog);
    }
    let step = gradientStep(fl, E, valid, gn, gz, dn, dz, hFlags, hLog, kill);
    for (var q = 0u; q < 4u; q++) {
      storeGradientRecord(rec + q * WORKGROUP, q, step);
    }
    valid = stepLive(fl, valid);
    if (t == 1u) { break; }
    // g_{t-1}[i] = rho 2^-e sum_j W_t[j][i] delta_t[j] (+ 2^-e shift (D_t^T delta_t)_i, where rho = 1):
    // E grows by e, the exact power of two. A zero g keeps E (and stays zero).
    let e = renormExponent(gn, gz, valid);
    E += e;
    let scale = rho * pow2(-e);
    gmax = vec4<f32>(0.0);
    gss = vec4<f32>(0.0);
    let mo = matrixOffset(t);
    if (p.moved != 0u) {
      // P_t delta_t, then the coefficients of shift D_t^T delta_t (added row by row below).
      moveStep(t);
      var px0 = vec4<f32>(0.0);
      var px1 = vec4<f32>(0.0);
      for (var j = 0u; j < n; j++) {
        let dv = loadG(cur + j * bp);
        px0 += moveP(0u, j) * dv;
        px1 += moveP(1u, j) * dv;
      }
      moveFrom(shift, px0, px1, true);
    }
    for (var i4 = 0u; i4 < np4; i4 += 2u) {
      var a0 = vec4<f32>(0.0);
      var a1 = vec4<f32>(0.0);
      var a2 = vec4<f32>(0.0);
      var a3 = vec4<f32>(0.0);
      var a4 = vec4<f32>(0.0);
      var a5 = vec4<f32>(0.0);
      var a6 = vec4<f32>(0.0);
      var a7 = vec4<f32>(0.0);
      for (var j = 0u; j < n; j++) {
        let dv = loadG(cur + j * bp);
        let o = mo + j * np4 + i4;
        let wa = loadRows(o);
        let wb = loadRows(o + 1u);
        a0 += wa.x * dv;
        a1 += wa.y * dv;
        a2 += wa.z * dv;
        a3 += wa.w * dv;
        a4 += wb.x * dv;
        a5 += wb.y * dv;
        a6 += wb.z * dv;
        a7 += wb.w * dv;
      }
      let i = 4u * i4;
      emitRow(nxt, i, scale, a0 + moveRow(i));
      emitRow(nxt, i + 1u, scale, a1 + moveRow(i + 1u));
      emitRow(nxt, i + 2u, scale, a2 + moveRow(i + 2u));
      emitRow(nxt, i + 3u, scale, a3 + moveRow(i + 3u));
      emitRow(nxt, i + 4u, scale, a4 + moveRow(i + 4u));
      emitRow(nxt, i + 5u, scale, a5 + moveRow(i + 5u));
      emitRow(nxt, i + 6u, scale, a6 + moveRow(i + 6u));
      emitRow(nxt, i + 7u, scale, a7 + moveRow(i + 7u));
    }
  }
  let Eu = bitcast<vec4<u32>>(E);
  let vu = select(vec4<u32>(0u), vec4<u32>(1u), valid);
  let mu = bitcast<vec4<u32>>(gmax);
  let su = bitcast<vec4<u32>>(gss);
  bstate[bq.x] = vec4<u32>(Eu.x, vu.x, mu.x, su.x);
  bstate[bq.y] = vec4<u32>(Eu.y, vu.y, mu.y, su.y);
  bstate[bq.z] = vec4<u32>(Eu.z, vu.z, mu.z, su.z);
  bstate[bq.w] = vec4<u32>(Eu.w, vu.w, mu.w, su.w);
}

// backward-tiled.wgsl -- BPTT for hardware GPUs, with the work structure of forward-tiled.wgsl: a
// workgroup carries a tile of TILE = 4 TILE4 sequences, invocation lid = q4 RL + rl carries the
// quad q4 (one vec4 of 4 sequences) and owns the row quads rl and rl + RL; g of the tile lives
// in workgroup memory, gs[j TILE4 + q4].
//
//   g_T = r;   delta_t = phi'(a_t) * g_t;   g_{t-1} = rho_k 2^-e W0^T delta_t,  E += e
//   (untied weights: W0_t in place of W0; outlier axis: + 2^-e shift_k D_t^T delta_t, weights.wgsl)
//
// The arithmetic is backward.wgsl's (the norms and the record from backward-step.wgsl): g kept
// as g_t / 2^E, e the exponent of ||g_t||. Per step t:
//   R1. one invocation per quad (rl = 0): ||g_t|| from the partial sums (rescaling pass over gs
//       where needed), e, and 2^-e published in esc[q4]
//   -- barrier --
//   P1. every invocation: delta_t = phi'(a_t) g_t for its rows, in place in gs; partial sums
//   -- barrier --
//   R2. one invocation per quad: ||delta_t|| (rescaling pass where needed), step t's record
//   P3a. every invocation: acc (8 rows x 4 sequences, registers) = sum_j W0[j][rows] delta_t[j]
//   -- barrier: every read of delta_t is done --
//   P3b. every invocation: g_{t-1} = rho 2^-e acc for its rows into gs; partial sums
//   -- barrier --
// Four barriers per step. Between dispatches g_{tTo - 1} goes to gstate and (E, valid) to bstate;
// the partial sums are recomputed from g on entry, in the same order, so a split changes nothing.
//
// Bindings (group 0), the same as backward.wgsl's:
//   0 p       uniform Params; tFrom >= tTo here
//   1 wmat    [M][NP][NP4] vec4<f32>  W0 row-major, padded (M = 1, or T untied W0_t); declared by
//                                  matrix-plain.wgsl
//   2 rhos    [2][KC] f32          rho of row k of this chunk (k = b / S), then its outlier shift
//   3 r       [N] f32              dL/dh_T, the readout
//   4 gstate  [N][BP / 4] vec4<f32>   g_{tTo - 1} / 2^E at the end of a dispatch
//   5 dphi    [T][N][BP / 4] vec4<f32>  phi'(a_t) from the forward kernel
//   6 records [T][BP] StepRecord   forward statistics in, gradient statistics out
//   7 bstate  [BP] vec4<u32>       (E, valid, -, -) carried between dispatches
//   8 outlier                      the outlier axis's move, declared by weights.wgsl
//
// Overrides: WORKGROUP, HS_VEC4 (vec4s of g in workgroup memory; must hold N TILE4).
// Preludes: matrix-plain.wgsl, the record prelude, weights.wgsl, backward-step.wgsl.

override WORKGROUP: u32 = 256u;
override HS_VEC4: u32 = 1024u;

// Params: shaders/sweep-params.wgsl (the prelude).

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> rhos: array<f32>;
@group(0) @binding(3) var<storage, read> r: array<f32>;
@group(0) @binding(4) var<storage, read_write> gstate: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> dphi: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> records: array<StepRecord>;
@group(0) @binding(7) var<storage, read_write> bstate: array<vec4<u32>>;

// Workgroup variables start zeroed (WGSL), so the atomics need no clearing before the first step.
var<workgroup> gs: array<vec4<f32>, HS_VEC4>;
var<workgroup> partG: array<vec4<f32>, WORKGROUP>;  // sum of g^2 over each invocation's rows
var<workgroup> partD: array<vec4<f32>, WORKGROUP>;  // sum of delta^2
var<workgroup> gmaxA: array<atomic<u32>, 16>;       // per sequence of the tile: max |g| as bits
var<workgroup> dmaxA: array<atomic<u32>, 16>;       // max |delta| as bits
var<workgroup> esc: array<vec4<f32>, 4>;            // 2^-e of each quad, from R1 to P3b

// Partial sums (max |v|, sum of v^2) of the vector in gs over this invocation's rows.
var<private> pmax: vec4<f32>;
var<private> pss: vec4<f32>;

fn addG(v: vec4<f32>) {
  pmax = max(pmax, abs(v));
  pss += v * v;
}

// Publish this invocation's max |v| (the sum of squares goes to partG or partD at lid), and take a
// quad's totals out of the atomics (clearing them for the next use). Two copies, since WGSL passes
// no pointers to workgroup memory without an extension.
fn publishMaxG(q4: u32) {
  let mb = bitcast<vec4<u32>>(pmax);
  for (var c = 0u; c < 4u; c++) { atomicMax(&gmaxA[4u * q4 + c], mb[c]); }
}
fn publishMaxD(q4: u32) {
  let mb = bitcast<vec4<u32>>(pmax);
  for (var c = 0u; c < 4u; c++) { atomicMax(&dmaxA[4u * q4 + c], mb[c]); }
}
fn takeMaxG(q4: u32) -> vec4<f32> {
  var mx = vec4<f32>(0.0);
  for (var c = 0u; c < 4u; c++) { mx[c] = bitcast<f32>(atomicExchange(&gmaxA[4u * q4 + c], 0u)); }
  return mx;
}
fn takeMaxD(q4: u32) -> vec4<f32> {
  var mx = vec4<f32>(0.0);
  for (var c = 0u; c < 4u; c++) { mx[c] = bitcast<f32>(atomicExchange(&dmaxA[4u * q4 + c], 0u)); }
  return mx;
}

// The norm of the quad's vector in gs from its max and sum of squares, rescaling where needed.
fn tileNorm(mx: vec4<f32>, ss: vec4<f32>, q4: u32) -> Norm {
  var scaled = vec4<f32>(0.0);
  if (any(normNeedsRescale(mx))) {
    let em = frexp(mx).exp;
    for (var j = 0u; j < p.n; j++) {
      let v = ldexp(gs[j * p.tile4 + q4], -em);
      scaled += v * v;
    }
  }
  return normOfSums(mx, ss, scaled);
}

@compute @workgroup_size(WORKGROUP)
fn main(ids: Ids) {
  setLane(ids);
  let lid = ids.lid.x;
  let n = p.n;
  let np4 = p.np4;
  let T = p.steps;
  let tile4 = p.tile4;
  let RL = WORKGROUP / tile4;
  let q4 = lid / RL;
  let rl = lid % RL;
  let b4 = p.batch / 4u;
  let bq4 = ids.wid.x * tile4 + q4;
  let bq = vec4<u32>(4u * bq4) + vec4<u32>(0u, 1u, 2u, 3u);
  let k = min(bq / vec4<u32>(p.samples), vec4<u32>(p.kRows - 1u));
  let rho = vec4<f32>(rhos[k.x], rhos[k.y], rhos[k.z], rhos[k.w]);
  let kr = p.kRows;
  let shift = vec4<f32>(rhos[kr + k.x], rhos[kr + k.y], rhos[kr + k.z], rhos[kr + k.w]);
  // The rows this invocation owns: quads A and B, rows below N.
  let rowA = 4u * rl;
  let rowB = 4u * (rl + RL);
  let rowsA = select(0u, min(4u, n - min(rowA, n)), rl < np4);
  let rowsB = select(0u, min(4u, n - min(rowB, n)), rl + RL < np4);

  // g_tFrom into gs (the readout at t = T, else what the previous dispatch left), with its partial sums.
  pmax = vec4<f32>(0.0);
  pss = vec4<f32>(0.0);
  for (var c = 0u; c < rowsA + rowsB; c++) {
    let i = select(rowB + c - rowsA, rowA + c, c < rowsA);
    var g = vec4<f32>(0.0);
    if (p.tFrom == T) { g = vec4<f32>(r[i]); } else { g = gstate[i * b4 + bq4]; }
    gs[i * tile4 + q4] = g;
    addG(g);
  }
  partG[lid] = pss;
  publishMaxG(q4);
  // Per-quad state, kept by the quad's reducing invocation (rl = 0).
  var E = vec4<i32>(0);          // g is stored divided by 2^E
  var valid = vec4<bool>(true);  // false once an undefined phi' was crossed
  if (rl == 0u && p.tFrom != T) {
    for (var c = 0u; c < 4u; c++) {
      let st = bstate[4u * bq4 + c];
      E[c] = bitcast<i32>(st.x);
      valid[c] = st.y != 0u;
    }
  }
  // A forward flag of a kind in killMask undefines the whole pass (backward-step.wgsl killFlags).
  var kill = vec4<u32>(0u);
  if (rl == 0u) {
    let recT = (T - 1u) * p.batch + 4u * bq4;
    kill = killFlags(vec4<u32>(records[recT].flags, records[recT + 1u].flags, records[recT + 2u].flags, records[recT + 3u].flags), p.killMask);
  }
  var gn: Norm;
  var gz = vec4<bool>(false);
  var fl = vec4<u32>(0u);
  var e = vec4<i32>(0);
  workgroupBarrier();
  for (var t = p.tFrom; t >= p.tTo; t--) {
    let rec = (t - 1u) * p.batch + 4u * bq4;
    // R1. ||g_t||, and the renormalisation exponent e of this step.
    if (rl == 0u) {
      var ss = vec4<f32>(0.0);
      for (var x = 0u; x < RL; x++) { ss += partG[lid + x]; }
      let mx = takeMaxG(q4);
      gz = mx == vec4<f32>(0.0);
      gn = tileNorm(mx, ss, q4);
      fl = vec4<u32>(records[rec].flags, records[rec + 1u].flags, records[rec + 2u].flags, records[rec + 3u].flags);
      e = renormExponent(gn, gz, stepLive(fl, valid));
      esc[q4] = pow2(-e);
    }
    workgroupBarrier();
    // P1. delta_t = phi'(a_t) * g_t (still divided by 2^E) for this invocation's rows, in place.
    pmax = vec4<f32>(0.0);
    pss = vec4<f32>(0.0);
    let dbase = (t - 1u) * n;
    for (var c = 0u; c < rowsA + rowsB; c++) {
      let i = select(rowB + c - rowsA, rowA + c, c < rowsA);
      let d = dphi[(dbase + i) * b4 + bq4] * gs[i * tile4 + q4];
      gs[i * tile4 + q4] = d;
      addG(d);
    }
    partD[lid] = pss;
    publishMaxD(q4);
    workgroupBarrier();
    // R2. ||delta_t|| and step t's record.
    if (rl == 0u) {
      var ss = vec4<f32>(0.0);
      for (var x = 0u; x < RL; x++) { ss += partD[lid + x]; }
      let mx = takeMaxD(q4);
      let dz = mx == vec4<f32>(0.0);
      let dn = tileNorm(mx, ss, q4);
      // ||h_{t-1}||: from the forward record, or h_0's for t = 1.
      var hFlags = vec4<u32>(p.h0Flags);
      var hLog = vec4<f32>(p.h0Log);
      if (t > 1u) {
        let rp = rec - p.batch;
        hFlags = vec4<u32>(records[rp].flags, records[rp + 1u].flags, records[rp + 2u].flags, records[rp + 3u].flags);
        hLog = vec4<f32>(records[rp].hidLog, records[rp + 1u].hidLog, records[rp + 2u].hidLog, records[rp + 3u].hidLog);
      }
      let step = gradientStep(fl, E, valid, gn, gz, dn, dz, hFlags, hLog, kill);
      for (var q = 0u; q < 4u; q++) {
        storeGradientRecord(rec + q, q, step);
      }
      valid = stepLive(fl, valid);
      E += e;
    }
    if (t == 1u) { break; }
    // P3a. acc_r = sum_j W_t[j][row r] delta_t[j] for the rows of quads A and B.
    let mo = matrixOffset(t);
    if (p.moved != 0u) {
      // P_t delta_t, then the coefficients of shift D_t^T delta_t (added row by row in P3b).
      moveStep(t);
      var px0 = vec4<f32>(0.0);
      var px1 = vec4<f32>(0.0);
      for (var j = 0u; j < n; j++) {
        let dv = gs[j * tile4 + q4];
        px0 += moveP(0u, j) * dv;
        px1 += moveP(1u, j) * dv;
      }
      moveFrom(shift, px0, px1, true);
    }
    var a0 = vec4<f32>(0.0);
    var a1 = vec4<f32>(0.0);
    var a2 = vec4<f32>(0.0);
    var a3 = vec4<f32>(0.0);
    var a4 = vec4<f32>(0.0);
    var a5 = vec4<f32>(0.0);
    var a6 = vec4<f32>(0.0);
    var a7 = vec4<f32>(0.0);
    if (rowsB > 0u) {
      for (var j = 0u; j < n; j++) {
        let dv = gs[j * tile4 + q4];
        let wa = loadRows(mo + j * np4 + rl);
        let wb = loadRows(mo + j * np4 + rl + RL);
        a0 += wa.x * dv;
        a1 += wa.y * dv;
        a2 += wa.z * dv;
        a3 += wa.w * dv;
        a4 += wb.x * dv;
        a5 += wb.y * dv;
        a6 += wb.z * dv;
        a7 += wb.w * dv;
      }
    } else if (rowsA > 0u) {
      for (var j = 0u; j < n; j++) {
        let dv = gs[j * tile4 + q4];
        let wa = loadRows(mo + j * np4 + rl);
        a0 += wa.x * dv;
        a1 += wa.y * dv;
        a2 += wa.z * dv;
        a3 += wa.w * dv;
      }
    }
    workgroupBarrier();
    // P3b. g_{t-1} = rho 2^-e acc into gs (and gstate at the end of the dispatch); partial sums.
    let scale = rho * esc[q4];
    let acc = array<vec4<f32>, 8>(a0, a1, a2, a3, a4, a5, a6, a7);
    pmax = vec4<f32>(0.0);
    pss = vec4<f32>(0.0);
    for (var c = 0u; c < rowsA + rowsB; c++) {
      let i = select(rowB + c - rowsA, rowA + c, c < rowsA);
      let g = scale * (acc[select(4u + c - rowsA, c, c < rowsA)] + moveRow(i));
      gs[i * tile4 + q4] = g;
      if (t == p.tTo) { gstate[i * b4 + bq4] = g; }
      addG(g);
    }
    partG[lid] = pss;
    publishMaxG(q4);
    workgroupBarrier();
  }
  if (rl == 0u) {
    let Eu = bitcast<vec4<u32>>(E);
    for (var c = 0u; c < 4u; c++) {
      bstate[4u * bq4 + c] = vec4<u32>(Eu[c], select(0u, 1u, valid[c]), 0u, 0u);
    }
  }
}

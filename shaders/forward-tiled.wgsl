// forward-tiled.wgsl -- the forward pass for hardware GPUs: a workgroup carries a tile of
// TILE = 4 TILE4 sequences and splits the rows of W0 h across its invocations.
//
//   a_t = rho_k W0 h_{t-1} + c_t        c_t = U x_t + b biasOn(t), precomputed on the host
//   (untied weights: W0_t in place of W0; outlier axis: + shift_k D_t h_{t-1}, weights.wgsl)
//   h_t = phi(a_t);  phi'(a_t) kept for BPTT;  record[t][b] = { log10 ||h_t||, #saturated, flags }
//
// Work structure. Invocation lid = q4 RL + rl (RL = WORKGROUP / TILE4 row lanes) carries the 4
// sequences of quad q4 of the tile (one vec4) and owns the row quads rl and rl + RL of the
// product (up to 8 rows; the host picks TILE4 so that 2 RL quads cover NP, plan.ts). h_{t-1} of
// the whole tile lives in workgroup memory, hs[j TILE4 + q4] (one vec4 per row and quad), read
// as a broadcast by every invocation of a quad; W0^T is read with one vec4 load per row quad,
// contiguous across the row lanes. Per step:
//   1. every invocation: acc (8 rows x 4 sequences, in registers) = sum_j W0^T[j][rows] h_{t-1}[j]
//   -- workgroupBarrier: every read of h_{t-1} is done --
//   2. every invocation: h_t of its rows into hs, phi' to dphi, the rows' statistics
//      (forward-step.wgsl) into the workgroup's partial sums (float sums per invocation, summed
//      in a fixed order; counts, flags, max |h| and max |a| as exact atomics)
//   -- workgroupBarrier: h_t and the partial sums are complete --
//   3. one invocation per quad (rl = 0): the step's range flags and log10 ||h_t|| (a rescaling pass
//      over hs where needed) and the 4 records; it clears the atomics for the next step, whose step 2 comes
//      after its own barrier.
// Two barriers per step, no dispatch per step: a dispatch runs steps tFrom..tTo, h carried
// between dispatches in hstate. Sizes: hs holds HS_VEC4 vec4s (the host sizes it from the
// device's maxComputeWorkgroupStorageSize) and must hold N TILE4 of them.
//
// Bindings (group 0), the same as forward.wgsl's (one bind group layout for both):
//   0 p       uniform Params (dynamic offset: one Params per dispatch)
//   1 wmat    [M][NP][NP4] vec4<f32>  W0^T row-major, padded (M = 1, or T untied W0_t^T); declared
//                                  by matrix-plain.wgsl
//   2 drive   [T][N][S] f32        c_t of sample s
//   3 rhos    [2][KC] f32          rho of row k of this chunk (sequence b is k = b / S, s = b % S), then its outlier shift
//   4 h0      [N] f32              initial hidden state, shared by every sequence
//   5 hstate  [2][NP][BP / 4] vec4<f32>  h_{tTo} in slot tTo & 1 at the end of a dispatch
//   6 dphi    [T][N][BP / 4] vec4<f32>   phi'(a_t), read by the backward kernels
//   7 records [T][BP] StepRecord   per sequence and step statistics
//   8 outlier                      the outlier axis's move, declared by weights.wgsl
//
// Overrides: WORKGROUP (invocations), HS_VEC4 (vec4s of h in workgroup memory).
// Preludes: matrix-plain.wgsl, the record prelude, weights.wgsl, forward-step.wgsl, the activation prelude.

override WORKGROUP: u32 = 256u;
override HS_VEC4: u32 = 1024u;

// Params: shaders/sweep-params.wgsl (the prelude).

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> drive: array<f32>;
@group(0) @binding(3) var<storage, read> rhos: array<f32>;
@group(0) @binding(4) var<storage, read> h0: array<f32>;
@group(0) @binding(5) var<storage, read_write> hstate: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> dphi: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> records: array<StepRecord>;

// Workgroup variables start zeroed (WGSL), so the atomics need no clearing before the first step.
var<workgroup> hs: array<vec4<f32>, HS_VEC4>;
var<workgroup> partSs: array<vec4<f32>, WORKGROUP>;  // sum of h^2 over each invocation's rows
var<workgroup> partD: array<vec4<f32>, WORKGROUP>;   // sum of phi'
var<workgroup> satA: array<atomic<u32>, 16>;         // per sequence of the tile: saturated count
var<workgroup> flagsA: array<atomic<u32>, 16>;       // flags, or-ed
var<workgroup> maxA: array<atomic<u32>, 16>;         // max |h| as bits (ordered like the floats: >= 0)
var<workgroup> amaxA: array<atomic<u32>, 16>;        // max |a| as bits

// Row i of step t for the quad's 4 sequences: a = rho acc + c, h into hs (and hstate at the end
// of the dispatch), phi' to dphi, statistics added.
fn emitRow(t: u32, i: u32, q4: u32, bq4: u32, s: vec4<u32>, rho: vec4<f32>, acc: vec4<f32>) {
  if (i >= p.n) { return; }
  let cb = ((t - 1u) * p.n + i) * p.samples;
  let c = vec4<f32>(drive[cb + s.x], drive[cb + s.y], drive[cb + s.z], drive[cb + s.w]);
  let a = rho * acc + c;
  let o = activate(a);
  let b4 = p.batch / 4u;
  hs[i * p.tile4 + q4] = o.h;
  dphi[((t - 1u) * p.n + i) * b4 + bq4] = o.d;
  if (t == p.tTo) { hstate[((t & 1u) * 4u * p.np4 + i) * b4 + bq4] = o.h; }
  addRow(a, o);
}

@compute @workgroup_size(WORKGROUP)
fn main(ids: Ids) {
  setLane(ids);
  let lid = ids.lid.x;
  let n = p.n;
  let np4 = p.np4;
  let tile4 = p.tile4;
  let RL = WORKGROUP / tile4;
  let q4 = lid / RL;
  let rl = lid % RL;
  let b4 = p.batch / 4u;
  let bq4 = ids.wid.x * tile4 + q4;        // this quad's sequences are 4 bq4 .. 4 bq4 + 3
  let bq = vec4<u32>(4u * bq4) + vec4<u32>(0u, 1u, 2u, 3u);
  let s = bq % vec4<u32>(p.samples);
  let k = min(bq / vec4<u32>(p.samples), vec4<u32>(p.kRows - 1u)); // padded sequences reuse the last row
  let rho = vec4<f32>(rhos[k.x], rhos[k.y], rhos[k.z], rhos[k.w]);
  let kr = p.kRows;
  let shift = vec4<f32>(rhos[kr + k.x], rhos[kr + k.y], rhos[kr + k.z], rhos[kr + k.w]);
  let quadA = rl;
  let quadB = rl + RL;
  // h_{tFrom - 1} of the tile into hs: h_0, or what the previous dispatch left in hstate.
  for (var x = lid; x < n * tile4; x += WORKGROUP) {
    let j = x / tile4;
    let q = x % tile4;
    if (p.tFrom == 1u) {
      hs[x] = vec4<f32>(h0[j]);
    } else {
      hs[x] = hstate[(((p.tFrom - 1u) & 1u) * 4u * np4 + j) * b4 + ids.wid.x * tile4 + q];
    }
  }
  workgroupBarrier();
  for (var t = p.tFrom; t <= p.tTo; t++) {
    // 1. acc_r = sum_j W_t^T[j][row r] h_{t-1}[j] for the rows of quads A and B.
    let mo = matrixOffset(t);
    if (p.moved != 0u) {
      // P_t h_{t-1}, then the coefficients of shift D_t h_{t-1} (added row by row in 2.).
      moveStep(t);
      var px0 = vec4<f32>(0.0);
      var px1 = vec4<f32>(0.0);
      for (var j = 0u; j < n; j++) {
        let hv = hs[j * tile4 + q4];
        px0 += moveP(0u, j) * hv;
        px1 += moveP(1u, j) * hv;
      }
      moveFrom(shift, px0, px1, false);
    }
    var a0 = vec4<f32>(0.0);
    var a1 = vec4<f32>(0.0);
    var a2 = vec4<f32>(0.0);
    var a3 = vec4<f32>(0.0);
    var a4 = vec4<f32>(0.0);
    var a5 = vec4<f32>(0.0);
    var a6 = vec4<f32>(0.0);
    var a7 = vec4<f32>(0.0);
    if (quadB < np4) {
      for (var j = 0u; j < n; j++) {
        let hv = hs[j * tile4 + q4];
        let wa = loadRows(mo + j * np4 + quadA);
        let wb = loadRows(mo + j * np4 + quadB);
        a0 += wa.x * hv;
        a1 += wa.y * hv;
        a2 += wa.z * hv;
        a3 += wa.w * hv;
        a4 += wb.x * hv;
        a5 += wb.y * hv;
        a6 += wb.z * hv;
        a7 += wb.w * hv;
      }
    } else if (quadA < np4) {
      for (var j = 0u; j < n; j++) {
        let hv = hs[j * tile4 + q4];
        let wa = loadRows(mo + j * np4 + quadA);
        a0 += wa.x * hv;
        a1 += wa.y * hv;
        a2 += wa.z * hv;
        a3 += wa.w * hv;
      }
    }
    workgroupBarrier();
    // 2. h_t of the rows into hs; the rows' statistics into the workgroup's partial sums.
    beginStep();
    // (a loop, not 8 calls: the activation is compiled once, which SwiftShader's compile time needs)
    let acc = array<vec4<f32>, 8>(a0, a1, a2, a3, a4, a5, a6, a7);
    let rowsA = select(0u, 4u, quadA < np4);
    let rowsB = select(0u, 4u, quadB < np4);
    for (var c = 0u; c < rowsA + rowsB; c++) {
      let i = select(4u * quadB + c - rowsA, 4u * quadA + c, c < rowsA);
      emitRow(t, i, q4, bq4, s, rho, acc[select(4u + c - rowsA, c, c < rowsA)] + moveRow(i));
    }
    partSs[lid] = hss;
    partD[lid] = derivSum;
    let mb = bitcast<vec4<u32>>(hmax);
    let ab = bitcast<vec4<u32>>(amax);
    for (var c = 0u; c < 4u; c++) {
      let sq = 4u * q4 + c;
      if (satCount[c] != 0u) { atomicAdd(&satA[sq], satCount[c]); }
      if (flags[c] != 0u) { atomicOr(&flagsA[sq], flags[c]); }
      atomicMax(&maxA[sq], mb[c]);
      atomicMax(&amaxA[sq], ab[c]);
    }
    workgroupBarrier();
    // 3. One invocation per quad: the step's totals (partial sums in row-lane order), log10 ||h_t||, records.
    if (rl == 0u) {
      var ss = vec4<f32>(0.0);
      var ds = vec4<f32>(0.0);
      for (var r = 0u; r < RL; r++) {
        ss += partSs[lid + r];
        ds += partD[lid + r];
      }
      var sat = vec4<u32>(0u);
      var fl = vec4<u32>(0u);
      var mx = vec4<f32>(0.0);
      var amx = vec4<f32>(0.0);
      for (var c = 0u; c < 4u; c++) {
        let sq = 4u * q4 + c;
        sat[c] = atomicExchange(&satA[sq], 0u);
        fl[c] = atomicExchange(&flagsA[sq], 0u);
        mx[c] = bitcast<f32>(atomicExchange(&maxA[sq], 0u));
        amx[c] = bitcast<f32>(atomicExchange(&amaxA[sq], 0u));
      }
      // range flags, sticky from the records of step t - 1 (written by this invocation)
      let r0 = (t - 1u) * p.batch + 4u * bq4;
      var before = vec4<u32>(0u);
      if (t > 1u) {
        let rp = r0 - p.batch;
        before = vec4<u32>(records[rp].flags, records[rp + 1u].flags, records[rp + 2u].flags, records[rp + 3u].flags);
      }
      fl = rangeFlags(fl, mx, amx, before);
      var scaled = vec4<f32>(0.0);
      let redo = hiddenNeedsRescale(mx, fl);
      if (any(redo)) {
        let e = frexp(mx).exp;
        for (var j = 0u; j < n; j++) {
          let v = ldexp(hs[j * tile4 + q4], -e);
          scaled += v * v;
        }
      }
      let hstep = hiddenStep(mx, ss, fl, scaled);
      for (var q = 0u; q < 4u; q++) {
        storeForwardRecord(r0 + q, q, hstep, sat, ds);
      }
    }
  }
}

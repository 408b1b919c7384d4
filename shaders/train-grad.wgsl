// train-grad.wgsl -- the recurrent layer's parameter gradient, a matmul over batch x time.
//
//   [dW | dU | db] = sum over rows r = (t, b) of delta_t[b] z_r^T,   z_r = [h_{t-1}[b] | x_t[b] | 1]
//
// an [N] x [N + D + 1] product with inner dimension T B: row r = t B + b of the delta store
// (dphi, after train-backward.wgsl) and of hs (row t holds h_{t-1}) and x are contiguous, so z_r
// is read straight from the stores. Work structure: a workgroup of 8 x 8 invocations owns a
// TILE x TILE block of the output, each invocation 4 x 4 of it in registers; the inner dimension
// goes through workgroup memory RK rows at a time: each value there is read by the 8 invocations
// of its tile row (or column), and each read serves 4 outputs.
// Dispatch: (ceil(N / TILE), ceil((N + D + 1) / TILE), models) for the largest N of the models,
// z = the model's slot; a smaller model's workgroups past its own tiles return at once.
// Preludes: train-common.wgsl.

const TILE: u32 = 32u;
const RK: u32 = 32u;

var<workgroup> da: array<f32, RK * TILE>; // [RK][TILE] delta rows, units i0..
var<workgroup> zb: array<f32, RK * TILE>; // [RK][TILE] z rows, columns j0..

fn zAt(s: ModelSlot, r: u32, j: u32) -> f32 {
  let n = s.n;
  if (j < n) { return hs[s.hs + r * n + j]; }
  if (j < n + p.d) { return data[r * p.d + (j - n)]; }
  return select(0.0, 1.0, j == n + p.d);
}

@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let s = slots[wid.z];
  let n = s.n;
  let ja = n + p.d + 1u;
  let R = p.steps * p.batch;
  let i0 = wid.x * TILE;
  let j0 = wid.y * TILE;
  if (s.live == 0u || i0 >= n || j0 >= ja) { return; }
  let ti = lid.x * 4u;
  let tj = lid.y * 4u;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var r0 = 0u; r0 < R; r0 += RK) {
    for (var e = li; e < RK * TILE; e += 64u) {
      let r = r0 + e / TILE;
      let c = e % TILE;
      var dv = 0.0;
      var zv = 0.0;
      if (r < R) {
        if (i0 + c < n) { dv = dphi[s.dphi + r * n + i0 + c]; }
        if (j0 + c < ja) { zv = zAt(s, r, j0 + c); }
      }
      da[e] = dv;
      zb[e] = zv;
    }
    workgroupBarrier();
    for (var rr = 0u; rr < RK; rr++) {
      let a = vec4<f32>(da[rr * TILE + ti], da[rr * TILE + ti + 1u], da[rr * TILE + ti + 2u], da[rr * TILE + ti + 3u]);
      let z = vec4<f32>(zb[rr * TILE + tj], zb[rr * TILE + tj + 1u], zb[rr * TILE + tj + 2u], zb[rr * TILE + tj + 3u]);
      acc0 += a.x * z;
      acc1 += a.y * z;
      acc2 += a.z * z;
      acc3 += a.w * z;
    }
    workgroupBarrier();
  }
  let ow = offW(s);
  let ou = offU(s);
  let ob = offB(s);
  for (var q = 0u; q < 4u; q++) {
    let i = i0 + ti + q;
    if (i >= n) { continue; }
    var row = acc0;
    if (q == 1u) { row = acc1; }
    if (q == 2u) { row = acc2; }
    if (q == 3u) { row = acc3; }
    for (var c = 0u; c < 4u; c++) {
      let j = j0 + tj + c;
      if (j < n) {
        grad[ow + i * n + j] = row[c];
      } else if (j < n + p.d) {
        grad[ou + i * p.d + (j - n)] = row[c];
      } else if (j == n + p.d) {
        grad[ob + i] = row[c];
      }
    }
  }
}

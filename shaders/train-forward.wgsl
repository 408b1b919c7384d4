// train-forward.wgsl -- the forward pass of a batch, every step kept for BPTT.
//
//   a_t = b + U x_t + W h_{t-1}   (summed in that order, as the reference),  h_t = phi(a_t)
//   hs[t + 1][b] = h_t,  dphi[t][b] = phi'(a_t) (NaN where a_t is NaN and phi' is not constant)
//
// Work structure: one workgroup per sequence carries it through all T steps in one dispatch
// (sequences are independent, only time is sequential), h_{t-1} in workgroup memory (ping-pong,
// one barrier per step). An invocation computes 4 rows at once as a vec4, so each h_{t-1}[j] read
// serves 4 rows and the activation prelude (vec4 in, vec4 out) runs unwasted.
// Dispatch: (B, 1, models), z = the model's slot. Overrides: WORKGROUP. Preludes: train-common.wgsl,
// the activation switch (src/engine/webgpu/activation.ts: activation-base.wgsl + activate_<j>() for
// each activation of the run, from the activation table; slot.act picks one).

override WORKGROUP: u32 = 64u;

var<workgroup> hsh: array<f32, 2u * MAX_HIDDEN>;

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let s = slots[wid.z];
  if (s.live == 0u) { return; }
  let b = wid.x;
  let n = s.n;
  let B = p.batch;
  let D = p.d;
  let ow = offW(s);
  let ou = offU(s);
  let ob = offB(s);
  for (var i = lid.x; i < n; i += WORKGROUP) {
    hsh[i] = 0.0;
    hs[s.hs + b * n + i] = 0.0;
  }
  workgroupBarrier();
  for (var t = 0u; t < p.steps; t++) {
    let cur = (t & 1u) * MAX_HIDDEN;
    let nxt = MAX_HIDDEN - cur;
    let xo = (t * B + b) * D;
    let ho = s.hs + ((t + 1u) * B + b) * n;
    let ao = s.dphi + (t * B + b) * n;
    for (var i0 = 4u * lid.x; i0 < n; i0 += 4u * WORKGROUP) {
      // rows i0..i0+3; past N they repeat row N-1 and are not stored
      let r = min(vec4<u32>(i0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(n - 1u));
      var acc = vec4<f32>(params[ob + r.x], params[ob + r.y], params[ob + r.z], params[ob + r.w]);
      for (var d = 0u; d < D; d++) {
        let u = ou + d;
        acc += vec4<f32>(params[u + r.x * D], params[u + r.y * D], params[u + r.z * D], params[u + r.w * D]) * data[xo + d];
      }
      let w = ow + r * n;
      for (var j = 0u; j < n; j++) {
        acc += vec4<f32>(params[w.x + j], params[w.y + j], params[w.z + j], params[w.w + j]) * hsh[cur + j];
      }
      let o = activateOf(s.act, acc);
      let der = select(o.d, acc, o.undef); // undef lanes are those where a (acc) is NaN
      for (var q = 0u; q < 4u; q++) {
        let i = i0 + q;
        if (i < n) {
          hsh[nxt + i] = o.h[q];
          hs[ho + i] = o.h[q];
          dphi[ao + i] = der[q];
        }
      }
    }
    workgroupBarrier();
  }
}

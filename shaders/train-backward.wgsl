// train-backward.wgsl -- backpropagation through time of a batch: the deltas.
//
//   g_t = W^T delta_{t+1} + V^T dL/dy_t   (g = dL/dh_t; the V term only at output steps)
//   delta_t = phi'(a_t) * g_t             written over dphi[t] (train-grad.wgsl reads it)
//
// Work structure: one workgroup per sequence walks t = T-1..0 in one dispatch; delta_t sits in
// workgroup memory while every invocation forms its columns j of W^T delta_t (W read down a
// column: consecutive j across lanes, so coalesced); two barriers per step.
// Dispatch: (B, 1, models), z = the model's slot. Overrides: WORKGROUP. Preludes: train-common.wgsl.

override WORKGROUP: u32 = 64u;

var<workgroup> gsh: array<f32, MAX_HIDDEN>;
var<workgroup> dsh: array<f32, MAX_HIDDEN>;

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let s = slots[wid.z];
  if (s.live == 0u) { return; }
  let b = wid.x;
  let n = s.n;
  let B = p.batch;
  let K = p.outputs;
  let O = p.o;
  let T = p.steps;
  let ov = offV(s);
  let ow = offW(s);
  for (var i = lid.x; i < n; i += WORKGROUP) { gsh[i] = 0.0; }
  for (var r = 0u; r < T; r++) {
    let t = T - 1u - r;
    let ao = s.dphi + (t * B + b) * n;
    for (var i = lid.x; i < n; i += WORKGROUP) {
      var g = gsh[i];
      if (t + K >= T) {
        let yo = s.dy + ((t + K - T) * B + b) * O;
        for (var o = 0u; o < O; o++) { g += params[ov + o * n + i] * dy[yo + o]; }
      }
      let d = dphi[ao + i] * g;
      dphi[ao + i] = d;
      dsh[i] = d;
    }
    workgroupBarrier();
    if (t > 0u) {
      for (var j = lid.x; j < n; j += WORKGROUP) {
        var acc = 0.0;
        for (var i = 0u; i < n; i++) { acc += params[ow + i * n + j] * dsh[i]; }
        gsh[j] = acc;
      }
    }
    workgroupBarrier();
  }
}

// train-outgrad.wgsl -- the read-out's gradient:
//
//   dV[o][i] = sum over (k, b) of dL/dy_k[b][o] h_{T-K+k}[b][i],   dc[o] = sum over (k, b) of dL/dy_k[b][o]
//
// One invocation per entry of [V | c] (O (N + 1) of them), each summing its K B terms.
// Dispatch: (ceil(O (N + 1) / 64), 1, models) for the largest N of the models, z = the model's slot.
// Preludes: train-common.wgsl.

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let s = slots[wid.z];
  let n = s.n;
  let O = p.o;
  let e = gid.x;
  if (s.live == 0u || e >= O * (n + 1u)) { return; }
  let o = e / (n + 1u);
  let i = e % (n + 1u);
  let B = p.batch;
  let K = p.outputs;
  let T = p.steps;
  var acc = 0.0;
  for (var pair = 0u; pair < K * B; pair++) {
    let k = pair / B;
    let b = pair % B;
    let g = dy[s.dy + pair * O + o];
    if (i == n) {
      acc += g;
    } else {
      acc += g * hs[s.hs + ((T - K + k + 1u) * B + b) * n + i];
    }
  }
  if (i == n) { grad[offC(s) + o] = acc; } else { grad[offV(s) + o * n + i] = acc; }
}

// train-loss.wgsl -- the outputs, the mean loss and dL/dy of a batch (src/core/train/tasks.ts).
//
//   y_k = c + V h_{T-K+k}  (c first, then the sum over units, as the reference)
//   mse  (lossKind 0, O = 1): L = mean_b (y_b - target_b)^2,  dL/dy_b = 2 (y_b - target_b) / B
//   xent (lossKind 1): L = mean over (k, b) of log sum_c e^(y_c - m) - (y_target - m), m = max_c y_c,
//                      dL/dy = (softmax(y) - onehot(target)) / (B K)
// The mean goes to metrics.trainLoss (lossSlot 0) or metrics.heldoutLoss (lossSlot 1).
//
// Work structure: one workgroup of LOSS_WG invocations strides over the K B (output step,
// sequence) pairs, then a tree reduction in workgroup memory sums the losses.
// Dispatch: (1, 1, 1). Preludes: train-common.wgsl.

const LOSS_WG: u32 = 256u;

var<workgroup> part: array<f32, LOSS_WG>;

@compute @workgroup_size(LOSS_WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  let n = p.n;
  let B = p.batch;
  let K = p.outputs;
  let O = p.o;
  let T = p.steps;
  let ov = offV();
  let oc = offC();
  let tg = T * B * p.d;
  var sum = 0.0;
  for (var pair = lid.x; pair < K * B; pair += LOSS_WG) {
    let k = pair / B;
    let b = pair % B;
    let ho = ((T - K + k + 1u) * B + b) * n; // hs row t + 1 holds h_t
    let want = data[tg + b * K + k];
    let yo = pair * O; // dy[k][b][0]
    if (p.lossKind == 0u) {
      var y = params[oc];
      for (var i = 0u; i < n; i++) { y += params[ov + i] * hs[ho + i]; }
      let r = y - want;
      sum += r * r;
      dy[yo] = 2.0 * r / f32(B);
    } else {
      var ys: array<f32, MAX_OUTPUTS>;
      var m = -3.4028234663852886e38;
      for (var c = 0u; c < O; c++) {
        var y = params[oc + c];
        for (var i = 0u; i < n; i++) { y += params[ov + c * n + i] * hs[ho + i]; }
        ys[c] = y;
        m = max(m, y);
      }
      var z = 0.0;
      for (var c = 0u; c < O; c++) { z += exp(ys[c] - m); }
      let tc = u32(want);
      sum += log(z) - (ys[tc] - m);
      let scale = 1.0 / f32(B * K);
      for (var c = 0u; c < O; c++) {
        dy[yo + c] = (exp(ys[c] - m) / z - select(0.0, 1.0, c == tc)) * scale;
      }
    }
  }
  part[lid.x] = sum;
  workgroupBarrier();
  for (var s = LOSS_WG / 2u; s > 0u; s >>= 1u) {
    if (lid.x < s) { part[lid.x] += part[lid.x + s]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    let mean = part[0] / f32(select(B * K, B, p.lossKind == 0u));
    if (p.lossSlot == 0u) { metrics.trainLoss = mean; } else { metrics.heldoutLoss = mean; }
  }
}

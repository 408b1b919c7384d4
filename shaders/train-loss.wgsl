// train-loss.wgsl -- the outputs, the mean loss and dL/dy of a batch (src/core/train/tasks.ts).
//
//   y_k = c + V h_{T-K+k}  (c first, then the sum over units, as the reference)
//   mse  (lossKind 0, O = 1): L = mean_b (y_b - target_b)^2,  dL/dy_b = 2 (y_b - target_b) / B
//   xent (lossKind 1): L = mean over (k, b) of log sum_c e^(y_c - m) - (y_target - m), m = max_c y_c,
//                      dL/dy = (softmax(y) - onehot(target)) / (B K), both formed without
//                      cancellation when p_target is near 1 (see below)
// The mean goes to metrics.trainLoss (lossSlot 0) or metrics.heldoutLoss (lossSlot 1).
//
// Work structure: one workgroup of LOSS_WG invocations strides over the K B (output step,
// sequence) pairs, then a tree reduction in workgroup memory sums the losses.
// Dispatch: (1, 1, models), z = the model's slot. Preludes: train-common.wgsl.

const LOSS_WG: u32 = 256u;

var<workgroup> part: array<f32, LOSS_WG>;

// log(1 + x) to float32 accuracy for x >= 0. Below 1 as 2 atanh(z), z = x / (2 + x) <= 1/3, by its
// odd series to z^19 (truncation below 1.4e-11 relative, as the softplus prelude): the log builtin
// is only accurate to 2^-21 absolute near 1, far too coarse for a loss of 1e-5.
fn log1pAccurate(x: f32) -> f32 {
  if (x >= 1.0) { return log(1.0 + x); }
  let z = x / (2.0 + x);
  let w = z * z;
  return 2.0 * z * (1.0 + w * (1.0 / 3.0 + w * (1.0 / 5.0 + w * (1.0 / 7.0 + w * (1.0 / 9.0 + w * (1.0 / 11.0 + w * (1.0 / 13.0 + w * (1.0 / 15.0 + w * (1.0 / 17.0 + w * (1.0 / 19.0))))))))));
}

@compute @workgroup_size(LOSS_WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let s = slots[wid.z];
  if (s.live == 0u) { return; }
  let n = s.n;
  let B = p.batch;
  let K = p.outputs;
  let O = p.o;
  let T = p.steps;
  let ov = offV(s);
  let oc = offC(s);
  let tg = T * B * p.d;
  var sum = 0.0;
  for (var pair = lid.x; pair < K * B; pair += LOSS_WG) {
    let k = pair / B;
    let b = pair % B;
    let ho = s.hs + ((T - K + k + 1u) * B + b) * n; // hs row t + 1 holds h_t
    let want = data[tg + b * K + k];
    let yo = s.dy + pair * O; // dy[k][b][0]
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
      // z = e_t + rest, e_t = e^(y_target - m), rest = the other classes' sum: kept apart so that a
      // loss near 0 (p_target near 1) is not the difference of two numbers near 1 in float32
      let tc = u32(want);
      let dt = ys[tc] - m;
      let et = exp(dt);
      var rest = 0.0;
      for (var c = 0u; c < O; c++) {
        if (c != tc) { rest += exp(ys[c] - m); }
      }
      let z = et + rest;
      // -log p_target = log(z / e_t) = log1p(rest / e_t); once e_t is tiny, log z - (y_target - m) loses nothing
      sum += select(log(z) - dt, log1pAccurate(rest / et), dt > -1.0);
      let scale = 1.0 / f32(B * K);
      for (var c = 0u; c < O; c++) {
        // softmax - onehot; at the target p - 1 = -rest / z
        dy[yo + c] = select(exp(ys[c] - m) / z, -rest / z, c == tc) * scale;
      }
    }
  }
  part[lid.x] = sum;
  workgroupBarrier();
  for (var h = LOSS_WG / 2u; h > 0u; h >>= 1u) {
    if (lid.x < h) { part[lid.x] += part[lid.x + h]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    let mean = part[0] / f32(select(B * K, B, p.lossKind == 0u));
    if (p.lossSlot == 0u) { metrics[wid.z].trainLoss = mean; } else { metrics[wid.z].heldoutLoss = mean; }
  }
}

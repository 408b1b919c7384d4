// train-update.wgsl -- clip and take one optimiser step (src/core/train/optim.ts), per parameter:
//
//   g <- g clipScale                                           (clipScale from train-norm.wgsl)
//   Adam (Kingma & Ba 2015), t = 1, 2, ...:  m <- beta1 m + (1 - beta1) g,  v <- beta2 v + (1 - beta2) g^2,
//        p <- p - lr (m / c1) / (sqrt(v / c2) + epsilon),  c1 = 1 - beta1^t, c2 = 1 - beta2^t (from the host, float64)
//   SGD with momentum:  vel <- momentum vel + g,  p <- p - lr vel
//
// A step whose gradient holds a NaN or an infinity changes nothing (the host stops that model).
// Dispatch: (ceil(P / 64), 1, models) for the largest P of the models, z = the model's slot.
// Preludes: train-common.wgsl.

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let s = slots[wid.z];
  let P = s.size;
  if (s.live == 0u || gid.x >= P || metrics[wid.z].nonFinite != 0u) { return; }
  let e = s.params + gid.x; // in params and grad
  let om = 2u * s.params + gid.x; // m (or the velocity) in opt; v is P further
  let g = grad[e] * metrics[wid.z].clipScale;
  if (p.optimizer == 0u) {
    let m = p.beta1 * opt[om] + p.oneMinusBeta1 * g;
    let v = p.beta2 * opt[om + P] + p.oneMinusBeta2 * g * g;
    opt[om] = m;
    opt[om + P] = v;
    params[e] -= p.lr * (m / p.c1) / (sqrt(v / p.c2) + p.epsilon);
  } else {
    let vel = p.momentum * opt[om] + g;
    opt[om] = vel;
    params[e] -= p.lr * vel;
  }
}

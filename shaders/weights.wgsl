// weights.wgsl -- prelude of forward.wgsl and backward.wgsl: which recurrent matrix step t uses
// (untied weights), and the outlier axis's rank-one or rank-two move (src/engine/sweep-weights.ts):
//
//   W_{k,t} = rho_k M_t + shift_k D_t,   D_t = P_t R_t P_t^T,   shift_k != 0 only where rho_k = 1
//
// so a kernel adds shift D_t x (forward, x = h_{t-1}) or shift D_t^T x (backward, x = delta_t) to
// row i of its product as moveRow(i), after moveFrom set the coefficients c = shift R (P x) for the
// step: 2 N loads and multiply-adds per sequence and step, against N^2 for the product itself.
// Nothing is stored per rho row.
//
// Bindings (group 0):
//   8 outlier [M][4 + 2N] f32   per matrix: R row-major (a real outlier's R = [r, 0, 0, 0]), then
//                               P's two rows of N (the second all zeros for a real outlier);
//                               a 16-byte placeholder on the rho axis (p.moved == 0: never read)
// Params fields it reads (shaders/sweep-params.wgsl): n, matStride (vec4s between consecutive
// matrices of the matrix binding; 0 when tied) and moved (1 on the outlier axis).

@group(0) @binding(8) var<storage, read> outlier: array<f32>;

// The step's matrix: offset (in vec4s) of M_t in the matrix binding, and of its move in `outlier`.
var<private> moveBase: u32;
var<private> moveC0: vec4<f32>;
var<private> moveC1: vec4<f32>;

fn matrixOffset(t: u32) -> u32 {
  return (t - 1u) * p.matStride;
}

fn moveP(a: u32, j: u32) -> f32 {
  return outlier[moveBase + 4u + a * p.n + j];
}

// Start step t's move: px0, px1 = P_t x for the 4 sequences are summed by the kernel with moveP.
fn moveStep(t: u32) {
  moveBase = select(0u, (t - 1u) * (4u + 2u * p.n), p.matStride != 0u);
}

// c = shift R (P x), or shift R^T (P x) for the backward pass.
fn moveFrom(shift: vec4<f32>, px0: vec4<f32>, px1: vec4<f32>, transpose: bool) {
  let r01 = select(outlier[moveBase + 1u], outlier[moveBase + 2u], transpose);
  let r10 = select(outlier[moveBase + 2u], outlier[moveBase + 1u], transpose);
  moveC0 = shift * (outlier[moveBase] * px0 + r01 * px1);
  moveC1 = shift * (r10 * px0 + outlier[moveBase + 3u] * px1);
}

// (shift D x)_i for the 4 sequences; 0 on the rho axis.
fn moveRow(i: u32) -> vec4<f32> {
  if (p.moved == 0u) { return vec4<f32>(0.0); }
  return moveC0 * moveP(0u, i) + moveC1 * moveP(1u, i);
}

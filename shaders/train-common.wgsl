// train-common.wgsl -- the bindings every training kernel shares (src/engine/webgpu/train/).
//
// One model a_t = W h_{t-1} + U x_t + b, h_t = phi(a_t) (h_{-1} = 0), read out y_k = V h_t + c at
// the task's K output steps t = T - K + k (the last K steps; adding: K = 1), trained on a batch
// of B sequences. The host prepends the TrainParams and Metrics structs and the constants
// MAX_HIDDEN and MAX_OUTPUTS, generated from their tables in src/engine/webgpu/train/layout.ts.
//
// Bindings (group 0), one layout for every kernel (each uses what it needs):
//   0 p        uniform TrainParams
//   1 params   [P] f32          the flat parameters, src/core/train/model.ts's layout:
//                               W [N][N] | U [N][D] | b [N] | V [O][N] | c [O], row-major
//   2 grad     [P] f32          dL/dparams, same layout
//   3 opt      [2P] f32         optimiser state: Adam's m | v, or SGD's velocity | unused
//   4 data     f32              x [T][B][D] (step-major, as core's Batch), then targets [B][K]
//   5 hs       [T + 1][B][N] f32  row t holds h_{t-1} (row 0 = h_{-1} = 0, row T = h_{T-1})
//   6 dphi     [T][B][N] f32    phi'(a_t) from the forward pass; backward turns it into delta_t in place
//   7 dy       [K][B][O] f32    dL/dy_k
//   8 metrics  Metrics          loss, gradient norm and clipping of the step, read back by the host

@group(0) @binding(0) var<uniform> p: TrainParams;
@group(0) @binding(1) var<storage, read_write> params: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> opt: array<f32>;
@group(0) @binding(4) var<storage, read> data: array<f32>;
@group(0) @binding(5) var<storage, read_write> hs: array<f32>;
@group(0) @binding(6) var<storage, read_write> dphi: array<f32>;
@group(0) @binding(7) var<storage, read_write> dy: array<f32>;
@group(0) @binding(8) var<storage, read_write> metrics: Metrics;

// Offsets of the parameter blocks (model.ts's paramLayout).
fn offU() -> u32 { return p.n * p.n; }
fn offB() -> u32 { return offU() + p.n * p.d; }
fn offV() -> u32 { return offB() + p.n; }
fn offC() -> u32 { return offV() + p.o * p.n; }

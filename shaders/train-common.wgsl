// train-common.wgsl -- the bindings every training kernel shares (src/engine/webgpu/train/).
//
// Several models a_t = W h_{t-1} + U x_t + b, h_t = phi(a_t) (h_{-1} = 0), read out y_k = V h_t + c
// at the task's K output steps t = T - K + k (the last K steps; adding: K = 1), trained on the same
// batch of B sequences. One dispatch serves every model of a group: workgroup_id.z is the model's
// slot, slots[z] says whether it takes part (a diverged model is skipped), its hidden size, clip
// threshold and activation, and where its blocks start in the group's buffers, which hold the
// models one after another. Models may differ in N: a dispatch is sized for the largest, and a
// workgroup past its own model's extent returns at once, so each model's arithmetic is the same
// as in a dispatch of its own. The host prepends the TrainParams, ModelSlot and Metrics structs and
// the constants MAX_MODELS, MAX_HIDDEN and MAX_OUTPUTS, generated from their tables in
// src/engine/webgpu/train/layout.ts.
//
// Bindings (group 0), one layout for every kernel (each uses what it needs); per model, from its slot s:
//   0 p        uniform TrainParams   what every model shares (shapes, loss, optimiser, step)
//   1 params   f32   [P] from s.params: the flat parameters, src/core/train/model.ts's layout:
//                    W [N][N] | U [N][D] | b [N] | V [O][N] | c [O], row-major
//   2 grad     f32   [P] from s.params: dL/dparams, same layout
//   3 opt      f32   [2P] from 2 s.params: optimiser state, Adam's m | v, or SGD's velocity | unused
//   4 data     f32   x [T][B][D] (step-major, as core's Batch), then targets [B][K]; shared
//   5 hs       f32   [T + 1][B][N] from s.hs: row t holds h_{t-1} (row 0 = h_{-1} = 0, row T = h_{T-1})
//   6 dphi     f32   [T][B][N] from s.dphi: phi'(a_t) from the forward pass; backward turns it into delta_t in place
//   7 dy       f32   [K][B][O] from s.dy: dL/dy_k
//   8 metrics  [MAX_MODELS] Metrics, by slot: loss, gradient norm and clipping of the step, read back by the host
//   9 slots    uniform [MAX_MODELS] ModelSlot

@group(0) @binding(0) var<uniform> p: TrainParams;
@group(0) @binding(1) var<storage, read_write> params: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> opt: array<f32>;
@group(0) @binding(4) var<storage, read> data: array<f32>;
@group(0) @binding(5) var<storage, read_write> hs: array<f32>;
@group(0) @binding(6) var<storage, read_write> dphi: array<f32>;
@group(0) @binding(7) var<storage, read_write> dy: array<f32>;
@group(0) @binding(8) var<storage, read_write> metrics: array<Metrics>;
@group(0) @binding(9) var<uniform> slots: array<ModelSlot, MAX_MODELS>;

// Offsets of a model's parameter blocks in params and grad (model.ts's paramLayout, from s.params).
fn offW(s: ModelSlot) -> u32 { return s.params; }
fn offU(s: ModelSlot) -> u32 { return s.params + s.n * s.n; }
fn offB(s: ModelSlot) -> u32 { return offU(s) + s.n * p.d; }
fn offV(s: ModelSlot) -> u32 { return offB(s) + s.n; }
fn offC(s: ModelSlot) -> u32 { return offV(s) + p.o * s.n; }

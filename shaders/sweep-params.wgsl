// sweep-params.wgsl -- prelude of the sweep's step kernels (forward.wgsl, backward.wgsl and their
// tiled variants): the one Params uniform they all read, 16 words, written field by field by
// src/engine/webgpu/engine.ts (setStep). It follows the matrix prelude, whose enable directive
// must come first.

struct Params {
  n: u32,       // N hidden units
  np4: u32,     // padded row length of W0 in vec4s (even)
  batch: u32,   // BP sequences (padded: persistent, sequences beyond KC S compute but are never reduced; tiled, to whole tiles)
  samples: u32, // S samples per rho
  steps: u32,   // T
  tFrom: u32,   // first step of this dispatch (backward: the largest)
  tTo: u32,     // last step, inclusive (backward: the smallest)
  h0Flags: u32, // FLAG_FWD_OVERFLOW / FLAG_HID_ZERO of h_0 (backward)
  h0Log: f32,   // log10 ||h_0|| (backward)
  kRows: u32,   // KC rows of this chunk
  killMask: u32, // FLAG_FWD_OVERFLOW / FLAG_FWD_RANGE: a forward flag that undefines the whole backward pass (backward)
  matStride: u32, // vec4s between the untied matrices of wmat (NP * NP4); 0 when tied (weights.wgsl)
  moved: u32,   // 1 on the outlier axis (weights.wgsl)
  tile4: u32,   // TILE4: quads of sequences per workgroup (1, 2 or 4; divides WORKGROUP); tiled kernels only
  _pad1: u32,
  _pad2: u32,
}

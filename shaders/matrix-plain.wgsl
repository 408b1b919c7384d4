// matrix-plain.wgsl -- prelude of forward.wgsl and backward.wgsl: how a kernel reads the padded
// recurrent matrix (W0^T for forward, W0 for backward), without subgroups.
//
// Bindings (group 0):
//   1 wmat   [N][NP4] vec4<f32>   the padded matrix, one row of NP4 * 4 floats per j
//
// loadRows(o) = wmat[o]: 4 consecutive entries of a row, the same for every invocation (a broadcast).

@group(0) @binding(1) var<storage, read> wmat: array<vec4<f32>>;

struct Ids {
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
}

fn setLane(ids: Ids) {}

fn loadRows(o: u32) -> vec4<f32> {
  return wmat[o];
}

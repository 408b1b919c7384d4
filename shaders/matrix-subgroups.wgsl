// matrix-subgroups.wgsl -- prelude of forward.wgsl and backward.wgsl: how a kernel reads the
// padded recurrent matrix, with subgroups (used when the device has the 'subgroups' feature).
//
// Bindings (group 0):
//   1 wmat   [N][NP4 * 4] f32   the padded matrix, one row of NP4 * 4 floats per j
//
// loadRows(o) = the 4 floats wmat[4o .. 4o + 3]. Every invocation needs the same 4 values; instead
// of each loading all 4, lane l of each group of 4 lanes loads one, wmat[4o + l], and the 4 values
// are shared with subgroupBroadcast. On SwiftShader (subgroups of 4 lanes, one SIMD register)
// every indexed load is a per-lane gather, so this does 1 gather instead of 4; on a GPU it turns
// 4 broadcast loads into 1 load and 4 register shuffles. Needs subgroups of at least 4 lanes.

enable subgroups;

@group(0) @binding(1) var<storage, read> wmat: array<f32>;

struct Ids {
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(subgroup_invocation_id) lane: u32,
}

var<private> lane4: u32;

fn setLane(ids: Ids) {
  lane4 = ids.lane & 3u;
}

fn loadRows(o: u32) -> vec4<f32> {
  let mine = wmat[4u * o + lane4];
  return vec4<f32>(subgroupBroadcast(mine, 0u), subgroupBroadcast(mine, 1u), subgroupBroadcast(mine, 2u), subgroupBroadcast(mine, 3u));
}

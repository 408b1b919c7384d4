// matmul.wgsl -- C = A B, float32, square M x M: the adapter's matmul ceiling for the benchmark.
//
// Each workgroup computes a 64 x 64 tile of C (TILE = 16 x 4 rows and columns); each of its
// 16 x 16 invocations holds a 4 x 4 block of C in registers. A and B pass through workgroup
// memory in 64 x KTILE / KTILE x 64 slabs, one barrier pair per slab.
//   C[i][j] = sum_k A[i][k] B[k][j]
//
// Bindings (group 0):
//   0 dims  uniform vec4<u32> (M, M, M, 0); M a multiple of 64
//   1 a     [M][M] f32 row-major
//   2 b     [M][M] f32 row-major
//   3 c     [M][M] f32 row-major (output)
//
// Overrides: KTILE (depth of a slab, default 16; 256 / KTILE must divide evenly).

override KTILE: u32 = 16u;
const TILE: u32 = 64u;

@group(0) @binding(0) var<uniform> dims: vec4<u32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

var<workgroup> sa: array<f32, 64 * KTILE>; // [64][KTILE]
var<workgroup> sb: array<f32, KTILE * 64>; // [KTILE][64]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let m = dims.x;
  let row0 = wid.y * TILE;
  let col0 = wid.x * TILE;
  let flat = lid.y * 16u + lid.x;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < m; k0 += KTILE) {
    // 256 invocations load 64 x KTILE values of A and KTILE x 64 of B.
    for (var e = flat; e < 64u * KTILE; e += 256u) {
      let r = e / KTILE;
      let k = e % KTILE;
      sa[e] = a[(row0 + r) * m + k0 + k];
      let kb = e / 64u;
      let cb = e % 64u;
      sb[e] = b[(k0 + kb) * m + col0 + cb];
    }
    workgroupBarrier();
    for (var k = 0u; k < KTILE; k++) {
      let bv = vec4<f32>(sb[k * 64u + lid.x * 4u], sb[k * 64u + lid.x * 4u + 1u], sb[k * 64u + lid.x * 4u + 2u], sb[k * 64u + lid.x * 4u + 3u]);
      for (var r = 0u; r < 4u; r++) {
        acc[r] += sa[(lid.y * 4u + r) * KTILE + k] * bv;
      }
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < 4u; r++) {
    let base = (row0 + lid.y * 4u + r) * m + col0 + lid.x * 4u;
    c[base] = acc[r].x;
    c[base + 1u] = acc[r].y;
    c[base + 2u] = acc[r].z;
    c[base + 3u] = acc[r].w;
  }
}

// matmul.wgsl -- C = A B, float32, square M x M: the adapter's matmul ceiling for the benchmark.
//
// Each workgroup computes a 64 x 64 tile of C; each of its 16 x 16 invocations holds a 4 x 4
// block of C in four vec4 registers (rows 4 ly .. 4 ly + 3, columns 4 lx .. 4 lx + 3). A and B
// pass through workgroup memory in 64 x 16 / 16 x 64 slabs, one barrier pair per slab; each
// invocation stages 4 values of each slab.
//   C[i][j] = sum_k A[i][k] B[k][j]
//
// Bindings (group 0):
//   0 dims  uniform vec4<u32> (M, M, M, 0); M a multiple of 64
//   1 a     [M][M] f32 row-major
//   2 b     [M][M] f32 row-major
//   3 c     [M][M] f32 row-major (output)

const TILE: u32 = 64u;
const KT: u32 = 16u; // depth of a slab

@group(0) @binding(0) var<uniform> dims: vec4<u32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

var<workgroup> sa: array<vec4<f32>, 256>; // [KT][16]: rows 4r .. 4r + 3 of the A slab at depth k
var<workgroup> sb: array<vec4<f32>, 256>; // [KT][16]: columns 4q .. 4q + 3 of the B slab at depth k

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let m = dims.x;
  let row0 = wid.y * TILE;
  let col0 = wid.x * TILE;
  let flat = lid.y * 16u + lid.x; // 0..255
  // Staging: invocation (k = flat / 16, q = flat % 16) loads rows 4q..4q+3 of A at depth k and
  // columns 4q..4q+3 of B at depth k.
  let k = flat / 16u;
  let q = flat % 16u;
  var c0 = vec4<f32>(0.0);
  var c1 = vec4<f32>(0.0);
  var c2 = vec4<f32>(0.0);
  var c3 = vec4<f32>(0.0);
  for (var k0 = 0u; k0 < m; k0 += KT) {
    let ar = (row0 + 4u * q) * m + k0 + k;
    sa[flat] = vec4<f32>(a[ar], a[ar + m], a[ar + 2u * m], a[ar + 3u * m]);
    let bc = (k0 + k) * m + col0 + 4u * q;
    sb[flat] = vec4<f32>(b[bc], b[bc + 1u], b[bc + 2u], b[bc + 3u]);
    workgroupBarrier();
    for (var kk = 0u; kk < KT; kk++) {
      let av = sa[kk * 16u + lid.y]; // A[4 ly + r][k0 + kk], r = 0..3
      let bv = sb[kk * 16u + lid.x]; // B[k0 + kk][4 lx + s], s = 0..3
      c0 += av.x * bv;
      c1 += av.y * bv;
      c2 += av.z * bv;
      c3 += av.w * bv;
    }
    workgroupBarrier();
  }
  let base = (row0 + 4u * lid.y) * m + col0 + 4u * lid.x;
  c[base] = c0.x; c[base + 1u] = c0.y; c[base + 2u] = c0.z; c[base + 3u] = c0.w;
  c[base + m] = c1.x; c[base + m + 1u] = c1.y; c[base + m + 2u] = c1.z; c[base + m + 3u] = c1.w;
  c[base + 2u * m] = c2.x; c[base + 2u * m + 1u] = c2.y; c[base + 2u * m + 2u] = c2.z; c[base + 2u * m + 3u] = c2.w;
  c[base + 3u * m] = c3.x; c[base + 3u * m + 1u] = c3.y; c[base + 3u * m + 2u] = c3.z; c[base + 3u * m + 3u] = c3.w;
}

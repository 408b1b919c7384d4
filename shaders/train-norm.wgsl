// train-norm.wgsl -- the global gradient norm and the clipping decision (Pascanu et al. 2013).
//
//   ||g|| = 2^e sqrt(sum_i (g_i 2^-e)^2),  e the exponent of max |g_i| (so the sum cannot overflow
//   before ||g|| itself leaves float32's range: the host forms ||g|| in float64 from sumSq and e)
//   clipped = clip > 0 and ||g|| > clip;  clipScale = clip / ||g|| if clipped, else 1
//   nonFinite: bit 0 some g_i is infinite, bit 1 some g_i is NaN (the host stops the model)
//
// Work structure: one workgroup strides over the P gradient entries twice (max, then the scaled
// sum of squares), each pass ending in a tree reduction in workgroup memory.
// Dispatch: (1, 1, models), z = the model's slot. Preludes: train-common.wgsl.

const NORM_WG: u32 = 256u;

var<workgroup> red: array<f32, NORM_WG>;
var<workgroup> bad: array<u32, NORM_WG>;

@compute @workgroup_size(NORM_WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let s = slots[wid.z];
  if (s.live == 0u) { return; }
  let P = s.size;
  let g0 = s.params;
  var mx = 0.0;
  var flags = 0u;
  for (var e = lid.x; e < P; e += NORM_WG) {
    let bits = bitcast<u32>(grad[g0 + e]) & 0x7fffffffu;
    if (bits > 0x7f800000u) {
      flags |= 2u;
    } else if (bits == 0x7f800000u) {
      flags |= 1u;
    } else {
      mx = max(mx, bitcast<f32>(bits));
    }
  }
  red[lid.x] = mx;
  bad[lid.x] = flags;
  workgroupBarrier();
  for (var h = NORM_WG / 2u; h > 0u; h >>= 1u) {
    if (lid.x < h) {
      red[lid.x] = max(red[lid.x], red[lid.x + h]);
      bad[lid.x] |= bad[lid.x + h];
    }
    workgroupBarrier();
  }
  let gmax = red[0];
  let anyBad = bad[0];
  let ex = select(frexp(gmax).exp, 0, gmax == 0.0);
  workgroupBarrier();
  var ss = 0.0;
  for (var e = lid.x; e < P; e += NORM_WG) {
    let v = ldexp(grad[g0 + e], -ex);
    ss += v * v;
  }
  red[lid.x] = ss;
  workgroupBarrier();
  for (var h = NORM_WG / 2u; h > 0u; h >>= 1u) {
    if (lid.x < h) { red[lid.x] += red[lid.x + h]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    let root = sqrt(red[0]);
    metrics[wid.z].sumSq = red[0];
    metrics[wid.z].normExp = ex;
    metrics[wid.z].nonFinite = anyBad;
    // ||g|| > clip  <=>  sqrt(sum) > clip 2^-e (no overflow on either side)
    let clipped = s.clip > 0.0 && anyBad == 0u && root > ldexp(s.clip, -ex);
    metrics[wid.z].clipped = select(0u, 1u, clipped);
    metrics[wid.z].clipScale = select(1.0, ldexp(s.clip / root, -ex), clipped);
  }
}

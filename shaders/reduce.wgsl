// reduce.wgsl -- per (rho_k, t) statistics over the S samples of a chunk, for the K x T grids.
//
// One invocation per cell (k, t) of the chunk's rows: it walks the S records of that cell
// (sequences b = k S + s) and sums what the host needs to apply the reference's mean/std rules
// (src/core/reference.ts meanStd): sums of the finite values, counts of zeros (-Infinity) and of
// undefined values (NaN). Log10 values that carry an exact power-of-two exponent (gradient,
// weight contribution) are summed as (integer exponent, float32 rest) so the mean keeps its
// precision far outside float range:
//   mean_s log10 ||g|| = (sum_s E_s log10(2) + sum_s F_s) / S           (finished on the host)
//   var_s = mean_s (v_s - v_0 - mean(v - v_0))^2, with v_s - v_0 = (E_s - E_0) log10(2) + F_s - F_0
//
// Bindings (group 0):
//   0 p       uniform Params (kRows = rows of this chunk)
//   1 records [T][BC] StepRecord
//   2 cells   [KC][T] Cell   (output)
//
// Overrides: WORKGROUP.

override WORKGROUP: u32 = 64u;

struct Params {
  batch: u32,   // BC = KC * S
  samples: u32, // S
  steps: u32,   // T
  kRows: u32,   // KC
}

struct StepRecord {
  hidLog: f32,
  sat: u32,
  gradE: i32,
  gradF: f32,
  wE: i32,
  wF: f32,
  flags: u32,
  _pad: u32,
}

struct Cell {
  gSumE: i32,     // sum of gradient exponents over finite samples
  gSumF: f32,     // sum of gradient rests
  gVar: f32,      // population variance of log10 ||g|| over the samples (when all are finite)
  hSum: f32,      // sum of log10 ||h_t||
  wSumE: i32,
  wSumF: f32,
  satSum: u32,    // saturated units summed over the samples
  flagsOr: u32,   // OR of the samples' flags
  gZero: u32,     // samples with dL/dh_t = 0
  gNan: u32,      // samples with dL/dh_t undefined
  hZero: u32,     // samples with h_t = 0
  hNan: u32,      // samples whose h_t is not finite
  wZero: u32,
  wNan: u32,
  _pad0: u32,
  _pad1: u32,
}

const FLAG_FWD_OVERFLOW: u32 = 1u;
const FLAG_HID_ZERO: u32 = 2u;
const FLAG_GRAD_ZERO: u32 = 8u;
const FLAG_GRAD_NAN: u32 = 16u;
const FLAG_W_ZERO: u32 = 32u;
const FLAG_W_NAN: u32 = 64u;
const LOG10_2: f32 = 0.30102999566398120;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> records: array<StepRecord>;
@group(0) @binding(2) var<storage, read_write> cells: array<Cell>;

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let cell = gid.x;
  if (cell >= p.kRows * p.steps) { return; }
  let k = cell / p.steps;
  let j = cell % p.steps;               // t = j + 1
  let base = j * p.batch + k * p.samples;
  var c: Cell;
  let e0 = records[base].gradE;
  let f0 = records[base].gradF;
  var dSum = 0.0;
  for (var s = 0u; s < p.samples; s++) {
    let rec = records[base + s];
    let fl = rec.flags;
    c.flagsOr |= fl;
    c.satSum += rec.sat;
    if ((fl & FLAG_GRAD_NAN) != 0u) { c.gNan += 1u; }
    else if ((fl & FLAG_GRAD_ZERO) != 0u) { c.gZero += 1u; }
    else {
      c.gSumE += rec.gradE;
      c.gSumF += rec.gradF;
      dSum += f32(rec.gradE - e0) * LOG10_2 + (rec.gradF - f0);
    }
    if ((fl & FLAG_FWD_OVERFLOW) != 0u) { c.hNan += 1u; }
    else if ((fl & FLAG_HID_ZERO) != 0u) { c.hZero += 1u; }
    else { c.hSum += rec.hidLog; }
    if ((fl & FLAG_W_NAN) != 0u) { c.wNan += 1u; }
    else if ((fl & FLAG_W_ZERO) != 0u) { c.wZero += 1u; }
    else {
      c.wSumE += rec.wE;
      c.wSumF += rec.wF;
    }
  }
  // Variance of the gradient logs around their mean, from differences to sample 0 (small numbers).
  let dMean = dSum / f32(p.samples);
  var ss = 0.0;
  for (var s = 0u; s < p.samples; s++) {
    let rec = records[base + s];
    let d = f32(rec.gradE - e0) * LOG10_2 + (rec.gradF - f0) - dMean;
    ss += d * d;
  }
  c.gVar = ss / f32(p.samples);
  cells[cell] = c;
}

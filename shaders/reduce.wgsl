// reduce.wgsl -- per (rho_k, t) statistics over the S samples of a chunk, for the K x T grids.
//
// One invocation per cell (k, t) of the chunk's rows: it walks the S records of that cell
// (sequences b = k S + s) and adds each to the cell's sums with accumulate(), which the record
// prelude generates from the statistics table (src/engine/webgpu/record.ts, prepended to this
// file with the StepRecord and Cell structs): per quantity, sums of the finite values, counts of
// exact zeros (-Infinity) and undefined values (NaN), and where a grid takes the spread, sums of
// the differences to the cell's first finite sample. The host finishes the reductions in float64.
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
  for (var s = 0u; s < p.samples; s++) {
    accumulate(&c, records[base + s]);
  }
  cells[cell] = c;
}

/**
 * Turn the reduction cells of shaders/reduce.wgsl into rows of the K x T grids, applying the
 * reference's rules (src/core/reference.ts meanStd): any undefined sample makes the cell NaN,
 * any exact zero makes the mean of logs -Infinity (std 0 if all are zero, Infinity otherwise).
 */
import type { GradientField } from '../../core/field.ts';
import { CELL_BYTES } from './plan.ts';

const LOG10_2 = Math.log10(2);
// Record flags, as in shaders/forward.wgsl and backward.wgsl.
export const FLAG_FWD_OVERFLOW = 1;
export const FLAG_HID_ZERO = 2;
export const FLAG_BWD_INVALID = 128;

/** Word offsets of the Cell struct (shaders/reduce.wgsl). */
const C = { gSumE: 0, gSumF: 1, gVar: 2, hSum: 3, wSumE: 4, wSumF: 5, satSum: 6, flagsOr: 7, gZero: 8, gNan: 9, hZero: 10, hNan: 11, wZero: 12, wNan: 13 } as const;
const WORDS = CELL_BYTES / 4;

/**
 * Write rows k0 .. k0 + rows - 1 of the field from the cells [rows][T] of one chunk.
 * `data` is the mapped readback buffer.
 */
export function decodeCells(field: GradientField, data: ArrayBuffer, k0: number, rows: number, samples: number, hidden: number): void {
  const T = field.T;
  const i32 = new Int32Array(data);
  const u32 = new Uint32Array(data);
  const f32 = new Float32Array(data);
  const S = samples;
  for (let kr = 0; kr < rows; kr++) {
    for (let j = 0; j < T; j++) {
      const o = (kr * T + j) * WORDS;
      const idx = (k0 + kr) * T + j;
      const gNan = u32[o + C.gNan];
      const gZero = u32[o + C.gZero];
      if (gNan > 0) {
        field.gradLog10Mean[idx] = NaN;
        field.gradLog10Std[idx] = NaN;
      } else if (gZero > 0) {
        field.gradLog10Mean[idx] = -Infinity;
        field.gradLog10Std[idx] = gZero === S ? 0 : Infinity;
      } else {
        // (sum of exponents) log10(2) is exact in float64; the float32 rests are small.
        field.gradLog10Mean[idx] = (i32[o + C.gSumE] * LOG10_2 + f32[o + C.gSumF]) / S;
        field.gradLog10Std[idx] = Math.sqrt(f32[o + C.gVar]);
      }
      const hNan = u32[o + C.hNan];
      field.hiddenLog10Mean[idx] = hNan > 0 ? NaN : u32[o + C.hZero] > 0 ? -Infinity : f32[o + C.hSum] / S;
      field.saturation[idx] = hNan > 0 ? NaN : u32[o + C.satSum] / (S * hidden);
      field.weightGradLog10[idx] =
        u32[o + C.wNan] > 0 ? NaN : u32[o + C.wZero] > 0 ? -Infinity : (i32[o + C.wSumE] * LOG10_2 + f32[o + C.wSumF]) / S;
      field.overflow[idx] = u32[o + C.flagsOr] & (FLAG_FWD_OVERFLOW | FLAG_BWD_INVALID) ? 1 : 0;
    }
  }
}

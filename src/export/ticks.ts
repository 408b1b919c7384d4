/** Axis ticks at "nice" values (1, 2 or 5 times a power of ten) and their labels; numbers in readouts. */
import { CELL_FLAG } from '../core/range.ts';

/** About `count` nice values in [lo, hi], ascending, and the step between them. */
export function niceTicks(lo: number, hi: number, count: number): { values: number[]; step: number } {
  if (!(hi > lo)) return { values: [lo], step: 1 };
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const step = (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
  const values: number[] = [];
  // Integer multiples of the step, so labels are exact (no 0.30000000000000004).
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) values.push(i * step);
  return { values, step };
}

/** Label of a tick value with just the decimals its step needs; a true minus sign (U+2212). */
export function formatTick(v: number, step: number): string {
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const s = Math.abs(v) < step * 1e-6 ? (0).toFixed(decimals) : v.toFixed(decimals);
  return s.startsWith('-') ? `\u2212${s.slice(1)}` : s;
}

/** A number for a readout: 3 decimals, or 4 significant digits in exponent form when large or small; a true minus sign. */
export function formatNumber(v: number): string {
  const s = Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(3);
  return s.startsWith('-') ? `\u2212${s.slice(1)}` : s;
}

/**
 * A cell's value for a readout; never prints NaN or an infinity as if it were a number. Infinities
 * follow the grid conventions (src/core/field.ts; differences: src/export/compare.ts).
 */
export function formatCell(v: number, overflow: number, difference = false): string {
  if (difference && (overflow || Number.isNaN(v))) return 'undefined (overflow or out of range in A or B)';
  // The cell flag's kinds (src/core/range.ts): out of range is float32's limit, not a value.
  if (overflow & CELL_FLAG.range) return overflow & CELL_FLAG.overflow ? 'overflow and out of range (not computed)' : 'out of range (not computed)';
  if (overflow || Number.isNaN(v)) return 'overflow (undefined)';
  if (v === -Infinity) return difference ? '\u2212\u221e (A exactly zero, B not)' : 'exactly zero (\u2212\u221e in log10)';
  if (v === Infinity) return difference ? '+\u221e (B exactly zero, A not)' : '+\u221e';
  return formatNumber(v);
}

export interface Tick {
  value: number;
  label: string;
}

/** About `count` nice ticks in [lo, hi] with their labels (a single tick at lo when the range is empty). */
export function labelledTicks(lo: number, hi: number, count: number): Tick[] {
  const { values, step } = niceTicks(lo, hi, count);
  return values.map((value) => ({ value, label: formatTick(value, step) }));
}

/** About `count` ticks on the time axis 1..T: whole steps only (a step of at least 1). */
export function stepTicks(T: number, count: number): Tick[] {
  if (T <= 1) return [{ value: 1, label: '1' }];
  const { values, step } = niceTicks(1, T, count);
  const whole = Math.max(1, step);
  const out: Tick[] = [];
  for (let v = Math.ceil(values[0] / whole) * whole; v <= T; v += whole) out.push({ value: v, label: formatTick(v, whole) });
  return out;
}

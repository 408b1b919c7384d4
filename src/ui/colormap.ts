/**
 * Colour maps as 256-entry RGB lookup tables built from d3-scale-chromatic, plus the value
 * range of a grid and the colours for cells that are not numbers. Conventions (core field.ts):
 * NaN = overflow (undefined), -Infinity = exact zero magnitude (clamped to the bottom colour).
 */
import { interpolateMagma, interpolateRdBu, interpolateViridis } from 'd3-scale-chromatic';

export type ColormapName = 'viridis' | 'magma' | 'rdbu';

/** [256 * 3] bytes, RGB. */
export type Lut = Uint8Array;

const luts = new Map<ColormapName, Lut>();

/** "#rrggbb" or "rgb(r, g, b)" to [r, g, b]. */
export function parseColor(c: string): [number, number, number] {
  if (c.startsWith('#')) return [parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)];
  const m = c.match(/(\d+(\.\d+)?)/g);
  return m ? [Number(m[0]), Number(m[1]), Number(m[2])] : [0, 0, 0];
}

export function lut(name: ColormapName): Lut {
  let l = luts.get(name);
  if (!l) {
    // RdBu runs red (low) to blue (high); reversed so that positive differences are red.
    const f = name === 'viridis' ? interpolateViridis : name === 'magma' ? interpolateMagma : (t: number) => interpolateRdBu(1 - t);
    l = new Uint8Array(256 * 3);
    for (let i = 0; i < 256; i++) l.set(parseColor(f(i / 255)), i * 3);
    luts.set(name, l);
  }
  return l;
}

/** Overflow (forward pass not finite): a colour no map uses, with a hatch where the medium allows. */
export const OVERFLOW_RGB: [number, number, number] = [255, 60, 200];
export const OVERFLOW_CSS = 'rgb(255, 60, 200)';

export interface ValueRange {
  lo: number;
  hi: number;
  /** Some cells are -Infinity (exact zero): drawn at lo. */
  hasNegInf: boolean;
  /** Some cells are NaN or flagged overflow. */
  hasOverflow: boolean;
  /** No finite cell at all. */
  empty: boolean;
}

/** Range of the finite cells of one or more grids (overflow flags mark cells to skip). */
export function valueRange(grids: { values: Float64Array; overflow?: Uint8Array }[], symmetric = false): ValueRange {
  let lo = Infinity;
  let hi = -Infinity;
  let hasNegInf = false;
  let hasOverflow = false;
  for (const { values, overflow } of grids) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (overflow && overflow[i]) {
        hasOverflow = true;
        continue;
      }
      if (Number.isNaN(v) || v === Infinity) hasOverflow = true;
      else if (v === -Infinity) hasNegInf = true;
      else {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  const empty = lo > hi;
  if (empty) {
    lo = 0;
    hi = 1;
  }
  if (symmetric) {
    const m = Math.max(Math.abs(lo), Math.abs(hi), 1e-12);
    lo = -m;
    hi = m;
  }
  if (hi - lo < 1e-9) {
    lo -= 0.5;
    hi += 0.5;
  }
  return { lo, hi, hasNegInf, hasOverflow, empty };
}

export type CellKind = 'value' | 'zero' | 'overflow';

/** What a cell is: a number, an exact zero (-Infinity, clamped to the bottom), or overflow. */
export function cellKind(v: number, overflowFlag = 0): CellKind {
  if (overflowFlag || Number.isNaN(v) || v === Infinity) return 'overflow';
  if (v === -Infinity) return 'zero';
  return 'value';
}

/** Position 0..1 of v in the range (-Infinity -> 0). */
export function unit(v: number, r: ValueRange): number {
  if (v === -Infinity) return 0;
  return Math.min(1, Math.max(0, (v - r.lo) / (r.hi - r.lo)));
}

/** RGB of a cell into out[off..off+3). */
export function colorInto(out: Uint8Array | Uint8ClampedArray | Float32Array, off: number, v: number, flag: number, r: ValueRange, l: Lut, scale = 1): void {
  if (cellKind(v, flag) === 'overflow') {
    out[off] = OVERFLOW_RGB[0] * scale;
    out[off + 1] = OVERFLOW_RGB[1] * scale;
    out[off + 2] = OVERFLOW_RGB[2] * scale;
    return;
  }
  const i = Math.round(unit(v, r) * 255) * 3;
  out[off] = l[i] * scale;
  out[off + 1] = l[i + 1] * scale;
  out[off + 2] = l[i + 2] * scale;
}

/** CSS linear-gradient of a map, bottom to top (for colour bars). */
export function cssGradient(name: ColormapName, direction = 'to top'): string {
  const l = lut(name);
  const stops: string[] = [];
  for (let i = 0; i <= 10; i++) {
    const j = Math.round((i / 10) * 255) * 3;
    stops.push(`rgb(${l[j]}, ${l[j + 1]}, ${l[j + 2]}) ${i * 10}%`);
  }
  return `linear-gradient(${direction}, ${stops.join(', ')})`;
}

/** "Nice" tick values covering [lo, hi], about n of them. */
export function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) return [lo];
  const raw = (hi - lo) / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const norm = raw / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/** A tick label without floating-point noise: 0.30000000000000004 -> "0.3". */
export function fmtTick(v: number): string {
  return String(Number(v.toPrecision(6)));
}

/** A value for readouts; never prints NaN or Infinity as if they were numbers. */
export function fmtValue(v: number, flag = 0): string {
  const k = cellKind(v, flag);
  if (k === 'overflow') return 'overflow (undefined)';
  if (k === 'zero') return 'exactly zero (−∞ in log10)';
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(3);
}

/** Axis ticks at "nice" values (1, 2 or 5 times a power of ten), and their labels. */

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

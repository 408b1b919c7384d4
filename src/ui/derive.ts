/**
 * What the plots draw, derived from the store's snapshot: the grid of the shown field with its
 * colour range (shared by A and B in compare mode, so their colours mean the same), the
 * difference A - B, and the slice at the slider's rho with its theory rows.
 */
import type { RunResult } from '../app/store.ts';
import { SHOWN_GRID, SHOWN_LABEL, SHOWN_SHORT, type ShownField } from '../app/state.ts';
import { gridRow, nearestRhoIndex, STATISTICS, type GradientField } from '../core/field.ts';
import { theoryRow } from '../core/theory.ts';
import { valueRange, type ColormapName, type ValueRange } from './colormap.ts';
import type { HeatmapData } from './lab-heatmap.ts';
import type { SliceData } from './lab-slice.ts';
import type { SurfaceData } from './three/surface-scene.ts';

export interface Plots {
  a: SurfaceData;
  b: SurfaceData | null;
  heatA: HeatmapData;
  /** B as a heatmap (shown instead of its surface where the browser has no WebGL). */
  heatB: HeatmapData | null;
  diff: HeatmapData | null;
}

function colormapFor(field: ShownField): ColormapName {
  return STATISTICS[SHOWN_GRID[field]].colormap;
}

/** Whether the field lacks grid g (an imported bundle written before the statistic existed). */
export function absentIn(f: GradientField, field: ShownField): boolean {
  return f.meta.absentGrids?.includes(SHOWN_GRID[field]) ?? false;
}

function surface(f: GradientField, field: ShownField, range: ValueRange): SurfaceData {
  return {
    values: f.grids[SHOWN_GRID[field]],
    // An absent grid is drawn as undefined everywhere, never as numbers.
    overflow: absentIn(f, field) ? new Uint8Array(f.K * f.T).fill(1) : f.overflow,
    K: f.K,
    T: f.T,
    rho: f.rho,
    range,
    colormap: colormapFor(field),
    valueLabel: SHOWN_SHORT[field],
  };
}

/** A - B cell by cell; undefined (flagged) where either side overflowed or is an exact zero. */
export function difference(a: GradientField, b: GradientField, field: ShownField): { values: Float64Array; flags: Uint8Array } {
  const ga = a.grids[SHOWN_GRID[field]];
  const gb = b.grids[SHOWN_GRID[field]];
  const values = new Float64Array(ga.length); // [K, T]
  const flags = new Uint8Array(ga.length); // [K, T]
  for (let i = 0; i < ga.length; i++) {
    const x = ga[i];
    const y = gb[i];
    if (a.overflow[i] || b.overflow[i] || !Number.isFinite(x) || !Number.isFinite(y)) {
      // Both exactly zero: no difference. Otherwise the difference is not a number.
      if (x === -Infinity && y === -Infinity) values[i] = 0;
      else {
        values[i] = NaN;
        flags[i] = 1;
      }
    } else values[i] = x - y;
  }
  return { values, flags };
}

export function derivePlots(r: RunResult, field: ShownField): Plots {
  const g = SHOWN_GRID[field];
  const range = valueRange([{ values: r.a.grids[g], overflow: r.a.overflow }, ...(r.b ? [{ values: r.b.grids[g], overflow: r.b.overflow }] : [])]);
  // A fraction has a natural scale (the table's range): 0..1, so that 50% looks like half and noise stays small.
  const fixed = STATISTICS[g].range;
  if (fixed) {
    range.lo = fixed[0];
    range.hi = fixed[1];
  }
  const a = surface(r.a, field, range);
  const b = r.b ? surface(r.b, field, range) : null;
  const heatA: HeatmapData = {
    values: a.values,
    overflow: a.overflow,
    K: a.K,
    T: a.T,
    rho: a.rho,
    range,
    colormap: a.colormap,
    valueLabel: SHOWN_LABEL[field],
    undefinedText: absentIn(r.a, field) ? 'not in this file (written before this statistic existed)' : 'overflow (forward pass not finite)',
  };
  const heatB: HeatmapData | null = b ? { ...heatA, values: b.values, overflow: b.overflow } : null;
  let diff: HeatmapData | null = null;
  if (r.b) {
    const d = difference(r.a, r.b, field);
    diff = {
      values: d.values,
      overflow: d.flags,
      K: a.K,
      T: a.T,
      rho: a.rho,
      range: valueRange([{ values: d.values, overflow: d.flags }], true),
      colormap: 'rdbu',
      valueLabel: `${r.a.config.activation} − ${r.b.config.activation}, ${SHOWN_LABEL[field]}`,
      undefinedText: 'undefined (overflow or exact zero on one side)',
    };
  }
  return { a, b, heatA, heatB, diff };
}

/** The slice at the slider's rho: row k of the measured grids and the theory for rho_k. */
export function deriveSlice(r: RunResult, rho: number): { k: number; slice: SliceData } {
  const f = r.a;
  const k = nearestRhoIndex(f.rho, rho);
  const theory = theoryRow(f.config, f.rho[k], f.spectrum.norm);
  const row = (g: Float64Array) => gridRow(g, f.T, k);
  return {
    k,
    slice: {
      T: f.T,
      rho: f.rho[k],
      grad: row(f.grids.gradLog10Mean),
      gradStd: row(f.grids.gradLog10Std),
      overflow: f.overflow.subarray(k * f.T, (k + 1) * f.T),
      hidden: row(f.grids.hiddenLog10Mean),
      linear: theory.linear,
      pascanu: theory.pascanu,
      labelA: `log10 ‖dL/dh_t‖, ${f.config.activation}`,
      gradB: r.b ? gridRow(r.b.grids.gradLog10Mean, r.b.T, k) : null,
      overflowB: r.b ? r.b.overflow.subarray(k * r.b.T, (k + 1) * r.b.T) : null,
      labelB: r.b ? `log10 ‖dL/dh_t‖, ${r.b.config.activation}` : '',
    },
  };
}

/**
 * What the plots draw, derived from the store's snapshot: the grid of the shown field with its
 * colour range (shared by A and B in compare mode, so their colours mean the same), the
 * difference A - B, and the slice at the slider's rho with its theory rows.
 */
import type { RunResult } from '../app/store.ts';
import { saturationWords as activationSaturationWords, type ActivationParams } from '../core/activations.ts';
import { sweepAxis, type Config } from '../core/config.ts';
import { SHOWN_GRID, SHOWN_LABEL, SHOWN_SHORT, type ColourLock, type ShownField } from '../app/state.ts';
import { GRID_NAMES, nearestRhoIndex, STATISTICS, type GradientField, type GridName } from '../core/field.ts';
import { meanFieldRow } from '../core/meanfield.ts';
import { phaseDiagram } from '../core/phase.ts';
import { fitRates } from '../core/rate.ts';
import { sliceFromField, runName } from '../export/slice.ts';
import { autoRange, countCells, lockedRange, rangeRuleShort, statisticRange, type ChosenRange, type ColormapName, type ColourRange } from '../export/colormap.ts';
import { differenceFlags, differenceGrid } from '../export/compare.ts';
import type { HeatmapData } from './lab-heatmap.ts';
import type { RateData } from './lab-rate.ts';
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

/** How a cell of a grid absent from an imported file reads out. */
const ABSENT_TEXT = 'not in this file (written before this statistic existed)';

function colormapFor(field: ShownField): ColormapName {
  return STATISTICS[SHOWN_GRID[field]].colormap;
}

/** Whether the field lacks grid g (an imported bundle written before the statistic existed). */
export function absentIn(f: GradientField, field: ShownField): boolean {
  return f.meta.absentGrids?.includes(SHOWN_GRID[field]) ?? false;
}

function surface(f: GradientField, field: ShownField, range: ColourRange): SurfaceData {
  const values = f.grids[SHOWN_GRID[field]];
  const overflow = absentIn(f, field) ? new Uint8Array(f.K * f.T).fill(1) : f.overflow;
  return {
    values,
    // An absent grid is drawn as undefined everywhere, never as numbers.
    overflow,
    K: f.K,
    T: f.T,
    rho: f.rho,
    axis: sweepAxis(f.config).symbol,
    range,
    counts: countCells({ values, overflow }, range),
    colormap: colormapFor(field),
    valueLabel: SHOWN_SHORT[field],
  };
}

/**
 * What the saturation view counts, for one activation, with its threshold as a number: the
 * activation table's words (src/core/activations.ts), where the engines' own test flips.
 */
export function saturationWords(config: Pick<Config, 'activation'> & Partial<ActivationParams>): string {
  return activationSaturationWords(config.activation, config);
}

/** The colour range's rule in a few words for the legend, the whole reason in its tooltip. */
function rangeNote(r: ChosenRange): { short: string; words: string } {
  return { short: rangeRuleShort(r), words: r.words };
}

/**
 * What the plots draw. Colours, ranges and the difference A - B come from src/export (the same
 * functions the exported figures use), so a cell on screen has the colour it has in the PNG.
 */
export function derivePlots(r: RunResult, field: ShownField, lock: ColourLock | null = null): Plots {
  const g = SHOWN_GRID[field];
  // A and B share one range in compare mode, so that a colour means the same value in both; a
  // range the user locked for this field is kept as it is, whatever the run.
  const range = lock && lock.field === field ? lockedRange(lock.min, lock.max) : statisticRange([{ values: r.a.grids[g], overflow: r.a.overflow }, ...(r.b ? [{ values: r.b.grids[g], overflow: r.b.overflow }] : [])], g, r.a.T);
  const a = surface(r.a, field, range);
  const b = r.b ? surface(r.b, field, range) : null;
  const heatA: HeatmapData = {
    values: a.values,
    overflow: a.overflow,
    K: a.K,
    T: a.T,
    rho: a.rho,
    axis: a.axis,
    range,
    counts: a.counts,
    colormap: a.colormap,
    valueLabel: field === 'saturation' ? saturationWords(r.a.config) : SHOWN_LABEL[field],
    difference: false,
    rangeNote: rangeNote(range),
    locked: range.rule === 'locked',
    undefinedText: absentIn(r.a, field) ? ABSENT_TEXT : undefined,
    zeros: zerosOf(r.a, g),
  };
  const heatB: HeatmapData | null =
    b && r.b
      ? { ...heatA, values: b.values, overflow: b.overflow, counts: b.counts, valueLabel: field === 'saturation' ? saturationWords(r.b.config) : heatA.valueLabel, undefinedText: absentIn(r.b, field) ? ABSENT_TEXT : undefined, zeros: zerosOf(r.b, g) }
      : null;
  let diff: HeatmapData | null = null;
  if (r.b) {
    const values = differenceGrid(r.a, r.b, g);
    const overflow = differenceFlags(values);
    const dRange = autoRange([{ values, overflow }], 'difference');
    diff = {
      values,
      overflow,
      K: a.K,
      T: a.T,
      rho: a.rho,
      axis: a.axis,
      range: dRange,
      counts: countCells({ values, overflow }, dRange),
      colormap: 'rdbu',
      valueLabel: `${runName(r.a.config, r.b.config)} − ${runName(r.b.config, r.a.config)}, ${SHOWN_LABEL[field]}`,
      difference: true,
    };
  }
  return { a, b, heatA, heatB, diff };
}

// The mean-field row costs O(T) Gauss-Hermite sums: computed once per (field, row), not per render.
const meanFieldMemo = new WeakMap<GradientField, Map<number, Float64Array>>();

/** Mean field's predicted log10 ||dL/dh_t|| for row k of the field. */
function meanFieldFor(f: GradientField, k: number): Float64Array {
  let rows = meanFieldMemo.get(f);
  if (!rows) meanFieldMemo.set(f, (rows = new Map()));
  let row = rows.get(k);
  if (!row) rows.set(k, (row = meanFieldRow(f.config, f.rho[k], f.spectrum.meanSquare).gradLog10));
  return row;
}

/** For a mean of logs: the grid of the fraction of samples left out as exact zeros (from the statistics table). */
function zerosOf(f: GradientField, g: GridName): HeatmapData['zeros'] {
  const { quantity, reduce, log } = STATISTICS[g];
  const z = GRID_NAMES.find((x) => STATISTICS[x].quantity === quantity && STATISTICS[x].reduce === 'zeroFraction');
  return log && reduce === 'mean' && z ? { fraction: f.grids[z], samples: f.config.samples } : undefined;
}


/** The slice at the slider's rho: row k of the measured grids and the theory for rho_k; the shown field's row where Show is not the gradient (src/export/slice.ts: the exported figure takes the same). */
export function deriveSlice(r: RunResult, rho: number, field: ShownField = 'grad'): { k: number; slice: SliceData } {
  return { k: nearestRhoIndex(r.a.rho, rho), slice: sliceFromField(r.a, r.b, rho, SHOWN_GRID[field], meanFieldFor) };
}

/** Rows x steps of mean-field recursion the rate chart spends on the page's thread. */
const MEAN_FIELD_WORK = 20_000;

/** The phase diagram of A (and B's measured rate in compare mode): once per result, not per render. */
export function deriveRate(r: RunResult): RateData {
  // At most MEAN_FIELD_WORK steps of mean-field recursion on the page's thread (~0.1 s unloaded).
  const phase = phaseDiagram(r.a, MEAN_FIELD_WORK);
  const b = r.b;
  return {
    phase,
    labelA: `measured, ${r.a.config.activation}`,
    axisWords: sweepAxis(r.a.config).words,
    rateB: b ? fitRates(b.grids.gradLog10Mean, b.grids.gradLog10Std, b.overflow, b.K, b.T, b.config.samples, phase.window).rate : null,
    labelB: b ? `measured, ${b.config.activation}` : '',
  };
}

/**
 * The statistics table: every K x T grid of a sweep, and the per-sequence, per-step values
 * (the "per-step record") the grids are reduced from. Everything that names, computes, moves,
 * stores, exports or draws a grid loops over this table or is generated from it: the WGSL
 * `StepRecord` and reduction `Cell` structs and the reduction kernel (webgpu/record.ts), the
 * host's decode offsets, the CPU engine's running reduction, the reference's reduceRow, the
 * bundle, CSV and NPZ writers, the CLI's --field help and the lab's field menu.
 *
 * Two levels:
 * - a QUANTITY is one number per sequence and step (log10 ||dL/dh_t||, the saturated fraction of
 *   the units, ...), with the rules for an exact zero and an undefined value, and its encoding in
 *   the GPU's per-step record;
 * - a STATISTIC (a grid) reduces one quantity over the S samples of a rho (mean, std, ...).
 * Adding a grid over an existing quantity is one entry in STATISTICS; adding a quantity is one
 * entry in QUANTITIES plus the line in each engine's kernel that computes it.
 */
import { saturationRuleText } from './activations.ts';

/**
 * How a quantity is carried in the GPU's per-step record (and how its sums are kept):
 * - splitLog: log10 v = E log10(2) + F, an i32 exponent and an f32 rest (`${field}E`, `${field}F`),
 *   so that the mean over samples keeps its precision far outside the float range;
 * - log: log10 v as one f32;
 * - unitCount: a u32 count of units; the per-sample value is count / N;
 * - unitSum: an f32 sum over the units; the per-sample value is sum / N.
 * The log encodings have an exact-zero flag (-Infinity); every quantity has an undefined flag (NaN).
 */
export type Encoding = 'splitLog' | 'log' | 'unitCount' | 'unitSum';

/** Bits of the per-step record's flags word (shaders/forward.wgsl, backward.wgsl write them). */
export const RECORD_FLAGS = {
  /** some unit of h_t is not finite, now or at an earlier step (sticky) */
  FWD_OVERFLOW: 1,
  /** h_t = 0 exactly */
  HID_ZERO: 2,
  /** some a_t is NaN: phi'(a_t) undefined (never for linear) */
  A_NAN: 4,
  /** dL/dh_t = 0 exactly */
  GRAD_ZERO: 8,
  /** dL/dh_t undefined (a later phi' was undefined) */
  GRAD_NAN: 16,
  /** step t's weight-gradient contribution is exactly 0 */
  W_ZERO: 32,
  /** step t's weight-gradient contribution is undefined */
  W_NAN: 64,
  /** the backward pass crossed an undefined phi' after t, or phi' of an overflowed state (src/core/range.ts) */
  BWD_INVALID: 128,
  /** h_t left float32's range from below, now or at an earlier step (sticky; src/core/range.ts stateOutOfRange) */
  FWD_RANGE: 256,
  /** the backward pass crossed a phi' that leaving the range made untrustworthy (range.ts backwardCrossesFlag) */
  BWD_RANGE: 512,
} as const;
export type RecordFlag = keyof typeof RECORD_FLAGS;

export interface QuantitySpec {
  /** What one sample's value is, in words. */
  description: string;
  /** A log10 quantity (-Infinity is an exact zero) or a plain number. */
  log: boolean;
  encoding: Encoding;
  /** Name of its field in the WGSL StepRecord (splitLog: the prefix of `${field}E` and `${field}F`). */
  field: string;
  /** The flag that marks the sample's value as an exact zero (log quantities). */
  zeroFlag?: RecordFlag;
  /** The flags that mark the sample's value as undefined (NaN): any of them. */
  nanFlags: readonly RecordFlag[];
}

/** The per-sequence, per-step quantities, in record order. */
const QUANTITY_TABLE = {
  grad: {
    description: 'log10 ||dL/dh_t||',
    log: true,
    encoding: 'splitLog',
    field: 'grad',
    zeroFlag: 'GRAD_ZERO',
    nanFlags: ['GRAD_NAN'],
  },
  hidden: { description: 'log10 ||h_t||', log: true, encoding: 'log', field: 'hidLog', zeroFlag: 'HID_ZERO', nanFlags: ['FWD_OVERFLOW', 'FWD_RANGE'] },
  weight: {
    description: "log10 ||(phi'(a_t) * dL/dh_t) h_{t-1}^T||_F",
    log: true,
    encoding: 'splitLog',
    field: 'w',
    zeroFlag: 'W_ZERO',
    nanFlags: ['W_NAN'],
  },
  saturated: { description: 'fraction of the N units saturated or dead', log: false, encoding: 'unitCount', field: 'sat', nanFlags: ['FWD_OVERFLOW', 'FWD_RANGE'] },
  deriv: { description: "mean of phi'(a_t) over the N units", log: false, encoding: 'unitSum', field: 'derivSum', nanFlags: ['FWD_OVERFLOW', 'FWD_RANGE'] },
} as const satisfies Record<string, QuantitySpec>;
export type QuantityName = keyof typeof QUANTITY_TABLE;
export const QUANTITIES: Record<QuantityName, QuantitySpec> = QUANTITY_TABLE;
export const QUANTITY_NAMES = Object.keys(QUANTITIES) as QuantityName[];

/**
 * How a grid reduces its quantity's S values (the rules of reduceSamples). Any undefined sample
 * (NaN, +Infinity) makes every reduction of the cell undefined (NaN). Exact zeros (-Infinity of
 * a log quantity) are counted apart, so that one sample whose gradient is exactly 0 does not turn
 * the cell into -Infinity:
 * - mean: the mean over the samples that are not exact zeros; -Infinity only when all are;
 * - std: the population standard deviation over the same samples; 0 when all are exact zeros;
 * - zeroFraction: the fraction of the S samples that are exact zeros;
 * - rms: for a log10 quantity v = log10 x, (1/2) log10 of the mean over all S samples of x^2
 *   (exact zeros count as 0; -Infinity only when all are), by a log-sum-exp over the samples'
 *   logs: peak + (1/2) log10(mean of 10^(2 (v - peak))), peak the largest v. Exact far outside
 *   the float range, since no x is ever formed.
 */
export type Reduction = 'mean' | 'std' | 'zeroFraction' | 'rms';

/**
 * How closely a float32 engine's cell must agree with the float64 reference (the engine tests
 * turn the class into a number; the reason is here, once):
 * - log10: an absolute tolerance in decades; float32 rounding of h, phi' and the products
 *   changes a norm by a relative 1e-6..1e-4 over a run (far below 1e-3 decades), except where
 *   the dynamics are chaotic and the tests widen it by the sampling spread;
 * - units: a per-unit count or average, where one unit of the N S sits within float32 rounding
 *   of a threshold or kink (the saturation threshold, relu's kink at 0) and may land on the other
 *   side: a difference up to a few units' worth (max phi' / (N S) each) is not an error;
 * - samples: a fraction of the S samples: exact zeros come from exact facts (rho = 0, every unit
 *   on a path switched off), but a unit at relu's kink that lands on the other side in float32
 *   can switch a sample's path on or off: one sample's worth (1 / S) is not an error.
 */
export type ToleranceClass = 'log10' | 'units' | 'samples';

export interface StatisticSpec {
  /** Short name: the URL's `field=`, the file-name prefix, the CLI's --field alias. */
  short: string;
  /** Plain-ASCII label (CSV, PNG/SVG titles and colour bars). */
  label: string;
  /** Unit, as CSV/NPZ/bundle documentation writes it. */
  unit: 'log10' | 'fraction' | "phi'";
  /** What a cell is, in words (CSV comments, NPZ's README, docs/bundle.md). */
  description: string;
  quantity: QuantityName;
  reduce: Reduction;
  /** A log10 grid (-Infinity is an exact zero). */
  log: boolean;
  tolerance: ToleranceClass;
  /**
   * The lab's field menu, where it is offered: `key` is its name in the URL (field=...), `label`
   * the menu's text, `heading` the plot titles' short name (Unicode allowed in both).
   */
  menu?: { key: string; label: string; heading: string };
  /** A fixed colour range (fractions: 0..1 so that half looks like half), else the data's. */
  range?: readonly [number, number];
  /** Colour map of the lab's plots. */
  colormap: 'viridis' | 'magma';
}

/** Every K x T grid, in the order of CSV columns, NPZ files and the field menu. */
const STATISTICS_TABLE = {
  gradLog10Mean: {
    short: 'grad',
    label: 'log10 ||dL/dh_t||',
    unit: 'log10',
    description: 'mean over the samples of log10 ||dL/dh_t||, over those where it is not exactly 0 (-Infinity only when it is 0 in every sample)',
    quantity: 'grad',
    reduce: 'mean',
    log: true,
    tolerance: 'log10',
    menu: { key: 'grad', label: 'log10 ‖dL/dh_t‖ (gradient norm)', heading: 'log10 ‖dL/dh_t‖' },
    colormap: 'viridis',
  },
  gradLog10Std: {
    short: 'gradstd',
    label: 'std log10 ||dL/dh_t||',
    unit: 'log10',
    description: 'population standard deviation of log10 ||dL/dh_t|| over the samples where it is not exactly 0',
    quantity: 'grad',
    reduce: 'std',
    log: false,
    tolerance: 'log10',
    colormap: 'viridis',
  },
  hiddenLog10Mean: {
    short: 'hidden',
    label: 'log10 ||h_t||',
    unit: 'log10',
    description: 'mean over the samples of log10 ||h_t||, over those where h_t is not exactly 0',
    quantity: 'hidden',
    reduce: 'mean',
    log: true,
    tolerance: 'log10',
    menu: { key: 'hidden', label: 'log10 ‖h_t‖ (hidden-state norm)', heading: 'log10 ‖h_t‖' },
    colormap: 'viridis',
  },
  saturation: {
    short: 'saturation',
    label: 'saturated / dead fraction',
    unit: 'fraction',
    description: `fraction of units (over units and samples) with ${saturationRuleText()}`,
    quantity: 'saturated',
    reduce: 'mean',
    log: false,
    tolerance: 'units',
    menu: { key: 'saturation', label: 'saturated / dead fraction of units', heading: 'fraction saturated/dead' },
    range: [0, 1],
    colormap: 'magma',
  },
  weightGradLog10: {
    short: 'wgrad',
    label: 'log10 ||dL/dW step t||_F',
    unit: 'log10',
    description: "mean over the samples of log10 ||(phi'(a_t) * dL/dh_t) h_{t-1}^T||_F, step t's contribution to dL/dW, over those where it is not exactly 0",
    quantity: 'weight',
    reduce: 'mean',
    log: true,
    tolerance: 'log10',
    menu: { key: 'weight', label: 'log10 ‖dL/dW‖ contribution of step t', heading: 'log10 ‖dL/dW‖ of step t' },
    colormap: 'viridis',
  },
  gradLog10Rms: {
    short: 'gradrms',
    label: 'log10 rms ||dL/dh_t||',
    unit: 'log10',
    description:
      '(1/2) log10 of the mean over all samples of ||dL/dh_t||^2 (exact zeros count as 0), from the samples\' log10 norms (log-sum-exp): the quantity mean-field theory predicts',
    quantity: 'grad',
    reduce: 'rms',
    log: true,
    tolerance: 'log10',
    menu: { key: 'gradrms', label: 'log10 rms ‖dL/dh_t‖ (root mean square over samples)', heading: 'log10 rms ‖dL/dh_t‖' },
    colormap: 'viridis',
  },
  gradZeroFraction: {
    short: 'gradzero',
    label: 'fraction of samples with dL/dh_t = 0',
    unit: 'fraction',
    description: 'fraction of the samples whose dL/dh_t is exactly 0 (left out of the log10 means and std above)',
    quantity: 'grad',
    reduce: 'zeroFraction',
    log: false,
    tolerance: 'samples',
    menu: { key: 'gradzero', label: 'fraction of samples with dL/dh_t exactly 0', heading: 'fraction dL/dh_t = 0' },
    range: [0, 1],
    colormap: 'magma',
  },
  hiddenZeroFraction: {
    short: 'hiddenzero',
    label: 'fraction of samples with h_t = 0',
    unit: 'fraction',
    description: 'fraction of the samples whose h_t is exactly 0 (left out of the mean log10 ||h_t||)',
    quantity: 'hidden',
    reduce: 'zeroFraction',
    log: false,
    tolerance: 'samples',
    range: [0, 1],
    colormap: 'magma',
  },
  weightZeroFraction: {
    short: 'wgradzero',
    label: 'fraction of samples with dL/dW step t = 0',
    unit: 'fraction',
    description: "fraction of the samples whose step-t contribution to dL/dW is exactly 0 (left out of the mean log10)",
    quantity: 'weight',
    reduce: 'zeroFraction',
    log: false,
    tolerance: 'samples',
    range: [0, 1],
    colormap: 'magma',
  },
  derivMean: {
    short: 'deriv',
    label: "mean phi'(a_t)",
    unit: "phi'",
    description: "mean over units and samples of phi'(a_t), the factor each unit passes the gradient back with",
    quantity: 'deriv',
    reduce: 'mean',
    log: false,
    tolerance: 'units',
    menu: { key: 'deriv', label: 'mean φ′(a_t) over units (derivative)', heading: 'mean φ′(a_t)' },
    // phi' of the lab's activations lies in [0, 1]: a fixed scale shows sigmoid's 1/4 ceiling as such.
    range: [0, 1],
    colormap: 'magma',
  },
} as const satisfies Record<string, StatisticSpec>;
export type GridName = keyof typeof STATISTICS_TABLE;
export const STATISTICS: Record<GridName, StatisticSpec> = STATISTICS_TABLE;
export const GRID_NAMES = Object.keys(STATISTICS) as GridName[];

/** The field menu's keys (its names in the URL). */
export type MenuKey = { [G in GridName]: (typeof STATISTICS_TABLE)[G] extends { menu: { key: infer K } } ? K : never }[GridName];
/** The grids the field menu offers, in table order. */
export const MENU_GRIDS = GRID_NAMES.filter((g) => STATISTICS[g].menu);

/** The grids of one field, by name. */
export type Grids = Record<GridName, Float64Array>;

/** A record of K*T grids, each filled with `fill`. */
export function makeGrids(cells: number, fill = NaN): Grids {
  return Object.fromEntries(GRID_NAMES.map((g) => [g, new Float64Array(cells).fill(fill)])) as Grids;
}

/** The per-sample values of one sequence (or block), one array per quantity. */
export type QuantityArrays = Record<QuantityName, Float64Array>;

export function makeQuantityArrays(length: number): QuantityArrays {
  return Object.fromEntries(QUANTITY_NAMES.map((q) => [q, new Float64Array(length)])) as QuantityArrays;
}

/** The grids that reduce quantity q. */
export function statisticsOf(q: QuantityName): GridName[] {
  return GRID_NAMES.filter((g) => STATISTICS[g].quantity === q);
}

/**
 * The reduction of S per-sample values, by the rules of `Reduction`, from sums an engine kept:
 * the `sum` of the finite values and (for std) `m2`, the sum of their squared deviations from
 * their mean; (for rms) `peak`, the largest finite value, and `scaled`, the sum of
 * 10^(2 (v - peak)) over the finite values; `zeros` exact zeros (-Infinity) and `undefined`
 * NaN/+Infinity values.
 */
export interface SampleSums {
  S: number;
  sum: number;
  m2: number;
  zeros: number;
  undefined: number;
  peak?: number;
  scaled?: number;
}

export function finishReduction(how: Reduction, s: SampleSums): number {
  if (s.undefined > 0) return NaN;
  const n = s.S - s.zeros; // the samples that are not exact zeros
  switch (how) {
    case 'mean':
      return n === 0 ? -Infinity : s.sum / n;
    case 'std':
      return n === 0 ? 0 : Math.sqrt(Math.max(0, s.m2) / n);
    case 'zeroFraction':
      return s.zeros / s.S;
    case 'rms':
      return n === 0 ? -Infinity : (s.peak ?? NaN) + 0.5 * Math.log10((s.scaled ?? NaN) / s.S);
  }
}

/** Reduce the S values of one cell: the reference's rule, summed in sample order. */
export function reduceSamples(how: Reduction, values: ArrayLike<number>): number {
  const S = values.length;
  let sum = 0;
  let zeros = 0;
  let bad = 0;
  for (let s = 0; s < S; s++) {
    const v = values[s];
    if (v === -Infinity) zeros++;
    else if (Number.isNaN(v) || v === Infinity) bad++;
    else sum += v;
  }
  let m2 = 0;
  if (how === 'std' && bad === 0 && zeros < S) {
    const mean = sum / (S - zeros);
    for (let s = 0; s < S; s++) if (values[s] !== -Infinity) m2 += (values[s] - mean) * (values[s] - mean);
  }
  let peak = -Infinity;
  let scaled = 0;
  if (how === 'rms') {
    for (let s = 0; s < S; s++) if (Number.isFinite(values[s])) peak = Math.max(peak, values[s]);
    for (let s = 0; s < S; s++) if (Number.isFinite(values[s])) scaled += Math.pow(10, 2 * (values[s] - peak));
  }
  return finishReduction(how, { S, sum, m2, zeros, undefined: bad, peak, scaled });
}

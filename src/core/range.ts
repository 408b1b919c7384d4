/**
 * The flags of a cell whose values an engine could not compute, and the rules every engine uses to
 * raise them. A cell (rho_k, t) is flagged when some sample's state or gradient there is not a
 * number the engine computed faithfully; it is then drawn and exported as out of range, never as
 * a number, and -Infinity stays reserved for values that are exactly zero in exact arithmetic.
 *
 * Two kinds, as bits of `GradientField.overflow` (a cell may carry both):
 * - OVERFLOW: the forward pass overflowed: some h_t is not finite in the engine's arithmetic
 *   (beyond 1.8e308 in float64, 3.4e38 in float32). Any precision overflows on an exploding
 *   state; float32 does so earlier.
 * - RANGE: the state left the engine's number range without overflowing: its largest
 *   pre-activation (or the state itself) fell below RANGE_FLOOR (float32 1e-30, float64 1e-300:
 *   8 decades above the smallest normal number, 1.2e-38 and 2.2e-308, so that every entry that
 *   matters is still exact when the flag is raised), or, in the gpu.js engine, a pre-activation
 *   reached the clamp that keeps its shaders from creating Infinity (plan.ts overflowLimit).
 *   From there on the engine would carry subnormal, flushed or clamped numbers: a log10 ||h_t||
 *   decades off, or an exact 0 (-Infinity) where exact arithmetic has 1e-40.
 * Both are sticky: from the first step t0 where a sample is flagged, its later forward steps are
 * flagged too. Its backward pass is flagged at every step where phi'(a_t) for t >= t0 can no
 * longer be trusted: `backwardCrossesFlag` says when, from the activation table.
 */
import { activationParams, activationRecord, type Activation, type ActivationParams } from './activations.ts';

/** Bits of a cell's flag (`GradientField.overflow`). */
export const CELL_FLAG = {
  /** The forward pass overflowed: some h_t is not finite (any precision). */
  overflow: 1,
  /** The state left the engine's number range (below RANGE_FLOOR, or clamped): not computed faithfully. */
  range: 2,
} as const;
export type CellFlagKind = keyof typeof CELL_FLAG;
/** Every bit a cell flag may have. */
export const CELL_FLAG_MASK = CELL_FLAG.overflow | CELL_FLAG.range;

/** Below this largest |a_i| (or |h_i|), and above 0, a state is out of the engine's range (see the header). */
export const RANGE_FLOOR = { float32: 1e-30, float64: 1e-300 } as const;

/** What stateOutOfRange needs of an activation and an engine, computed once per run (rangeRule). */
export interface RangeRule {
  /** RANGE_FLOOR of the engine's precision. */
  floor: number;
  /**
   * Whether a tiny a_t matters: phi(0) = 0 (h_t ~ a_t shrinks with it: tanh, relu, linear, elu)
   * or phi' jumps at 0 (the sign picks phi'). Not for sigmoid and softplus: phi(tiny) = phi(0) and
   * phi'(tiny) = phi'(0) to rounding, so a tiny a_t is computed faithfully.
   */
  tinyA: boolean;
  /**
   * Whether phi is exactly 0 on the whole negative side (relu, leaky_relu and elu with alpha = 0):
   * only then is h_t = 0 with a normal a_t an exact zero rather than an underflow.
   */
  zeroSide: boolean;
  /** The sum of h_i^2 of N units below which the state can be out of range (Infinity: always check). */
  sumSquaresBelow(N: number): number;
}

/** The range rule of an activation with its parameters, in an engine of the given RANGE_FLOOR. */
export function rangeRule(act: Activation, params: Partial<ActivationParams>, floor: number): RangeRule {
  const d = activationRecord(act);
  const p = activationParams(params);
  const zeroAtZero = d.output(0, p) === 0;
  const tinyA = zeroAtZero || d.kink(p);
  const zeroSide = d.output(-1, p) === 0 && d.output(-1e-300, p) === 0;
  // |h_i| <= gamma |a_i| when phi(0) = 0 (gamma = sup phi'), so a tiny a gives sum h^2 < N (gamma floor)^2;
  // a tiny h gives sum h^2 < N floor^2. A kink with phi(0) != 0 (none in the table yet) is always checked.
  const gain = Math.max(1, d.gamma(p));
  return {
    floor,
    tinyA,
    zeroSide,
    sumSquaresBelow: (N) => (tinyA && !zeroAtZero ? Infinity : N * (gain * floor) ** 2),
  };
}

/**
 * Whether a state is out of the engine's range (from below), from amax = max_i |a_i| and hmax =
 * max_i |h_i| as the engine computed them (hmax after any flush of tiny values):
 * - 0 < amax < floor where a tiny a matters (rule.tinyA): relu's signs, tanh's and linear's h ~ a
 *   are within 8 decades of being lost;
 * - 0 < hmax < floor: h_t itself is (leaky_relu's alpha a, sigmoid at a < -69);
 * - hmax = 0 although amax >= floor, for a phi that is nowhere exactly 0 on the negative side
 *   (sigmoid and softplus at a < -87 in float32: every h_i underflowed to 0).
 * An exact 0 stays one: a = 0 (h_{t-1} = 0 and no drive), or relu with every a_i <= 0.
 */
export function stateOutOfRange(amax: number, hmax: number, rule: RangeRule): boolean {
  const { floor } = rule;
  if (rule.tinyA && amax > 0 && amax < floor) return true;
  if (hmax > 0 && hmax < floor) return true;
  return hmax === 0 && amax >= floor && !rule.zeroSide;
}

/**
 * Whether a sample's backward pass is undefined (flagged) at every step once its forward pass was
 * flagged with `kind` at some t0 <= T: the gradient at t < t0 passes through phi'(a_s), s >= t0,
 * and the engine's a_s no longer carry what phi' needs when
 * - kind range: phi' jumps at 0 (a kink: relu, leaky_relu, elu with alpha != 1): a flushed or
 *   underflowed a_s loses the sign that picks the branch. A smooth phi' (tanh, sigmoid, softplus,
 *   elu with alpha = 1) is continuous at 0, so phi'(tiny a) = phi'(0) to rounding and the
 *   gradient stays a faithful number (only the forward cells are flagged). In gpu.js a clamped a
 *   also counts as range: the clamp changes the state's direction, so every phi' that is not
 *   constant is lost for an unbounded phi (bounded ones never reach the clamp), see gpujs/traces.ts;
 * - kind overflow: phi is unbounded and phi' not constant (relu, softplus, elu...): the non-finite
 *   h feeds Inf - Inf = NaN or infinities of either sign into the next a, whose phi' is then not
 *   the exact one. linear (phi' = 1) never needs a; bounded tanh and sigmoid never overflow.
 */
export function backwardCrossesFlag(act: Activation, params: Partial<ActivationParams>, kind: CellFlagKind): boolean {
  const d = activationRecord(act);
  const p = activationParams(params);
  const constantDer = !Number.isNaN(d.der(NaN, p));
  if (constantDer) return false;
  return kind === 'range' ? d.kink(p) : !d.bounded || d.kink(p);
}

/** The flag bits whose forward flag makes a sample's whole backward pass undefined (backwardCrossesFlag). */
export function backwardKillMask(act: Activation, params: Partial<ActivationParams>): number {
  return (backwardCrossesFlag(act, params, 'overflow') ? CELL_FLAG.overflow : 0) | (backwardCrossesFlag(act, params, 'range') ? CELL_FLAG.range : 0);
}

/** What a flagged cell is, in words (legends, tooltips, CSV/NPZ documentation). */
export const CELL_FLAG_WORDS: Record<CellFlagKind, { short: string; long: string }> = {
  overflow: { short: 'overflow', long: 'forward pass overflowed (some h_t not finite)' },
  range: {
    short: 'out of range',
    long: "state left the engine's number range (below about 1e-30 in float32, 1e-300 in float64, or clamped): not computed",
  },
};

/** The words of a cell flag's kinds: "overflow", "out of range", "overflow and out of range". */
export function cellFlagText(flag: number): string {
  const kinds = (Object.keys(CELL_FLAG) as CellFlagKind[]).filter((k) => flag & CELL_FLAG[k]);
  return kinds.map((k) => CELL_FLAG_WORDS[k].short).join(' and ');
}

/** The OR of some cells' flags: the kinds present among them (an unflagged NaN value, where given, counts as overflow). */
export function flagKinds(flags: ArrayLike<number> | null | undefined, values?: ArrayLike<number>): number {
  let out = 0;
  if (flags) for (let i = 0; i < flags.length; i++) out |= flags[i];
  if (values) for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i]) && !(flags?.[i] ?? 0)) out |= CELL_FLAG.overflow;
  return out & CELL_FLAG_MASK;
}

/** The slice chart's legend for its marks at flagged steps: "overflow steps (no value)", "out-of-range steps (not computed)", or both. */
export function flaggedStepsText(kinds: number): string {
  const parts: string[] = [];
  if (kinds & CELL_FLAG.overflow) parts.push('overflow');
  if (kinds & CELL_FLAG.range) parts.push('out-of-range');
  return `${parts.join(' / ') || 'overflow'} steps (no value${kinds & CELL_FLAG.range ? ": the state left the engine's number range" : ''})`;
}

/** Why a row has no gradient to plot, by the kinds of its flags. */
export function noGradientText(kinds: number, axis = 'ρ'): string {
  if (kinds & CELL_FLAG.range && !(kinds & CELL_FLAG.overflow)) return `the state left the engine's number range at this ${axis}: no gradient computed`;
  return `the forward pass overflowed at this ${axis}: no gradient to plot`;
}

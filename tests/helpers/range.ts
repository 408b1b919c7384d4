/**
 * The float32 range checks every float32 engine's tests share (cpu with and without SIMD, webgpu,
 * gpujs): a few small configs whose state leaves float32's range (an impulse or a zero-after input
 * decaying at small rho, relu exploding at large rho) or stays inside it (sigmoid), and the rule
 * that every cell is either flagged or agrees with the float64 reference, with the reference's
 * own per-sample states confirming each flag the engine raised alone (src/core/range.ts says when
 * an engine flags; this checks it from the float64 side).
 */
import { parseConfig, type Config } from '../../src/core/config.ts';
import type { GradientField } from '../../src/core/field.ts';
import { buildProblem } from '../../src/core/problem.ts';
import { traceSequence } from '../../src/core/reference.ts';
import { rowWeights, untiedWeights } from '../../src/core/weights.ts';
import { backwardCrossesFlag, CELL_FLAG, RANGE_FLOOR, rangeRule } from '../../src/core/range.ts';
import { Rng } from '../../src/core/rng.ts';
import { compareFields, tolerancesByClass, type Cell, type CompareRules, type Comparison, type FieldLike } from './fields.ts';

/** Largest float32, about 3.4e38: a float32 h_t beyond it is Infinity. */
const F32_MAX = 3.4028234663852886e38;

export interface RangeCase {
  name: string;
  config: Config;
  /** What the engine must flag somewhere: out of range from below, an overflow (or gpu.js's clamp), or nothing. */
  expects: 'underflow' | 'overflow' | 'nothing';
}

/**
 * The cases, small enough for SwiftShader (about 1 GFLOP/s: each is under 1e6 multiply-adds), with a
 * fresh seed each run:
 * - tanh, gaussian W0, impulse at rho 0.2-0.35: ||h_t|| falls about 0.5-0.7 decades per step and
 *   leaves float32's range (1e-30) near t = 45-60 of 70; tanh's gradient stays defined before that;
 * - relu, identity W0, input until t = 2, rho 1e-3-0.1: h_t = rho^(t-2) h_2 exactly (no kink is
 *   ever approached: a = rho h keeps each unit's sign), below 1e-30 within 10-30 steps; relu's
 *   kink then flags the whole backward pass;
 * - relu, identity W0, noise input, rho 3-6: a positive unit grows as rho^t, past float32's
 *   3.4e38 near t = 50-80 of 90 (float64 stays finite): overflow;
 * - sigmoid, gaussian W0, impulse, rho 0.5-2.5: the state stays near sigmoid's fixed point, in
 *   range: nothing may be flagged, every cell is compared.
 */
export function rangeCases(seed: number): RangeCase[] {
  const rng = new Rng(seed, 700);
  const base = { hidden: 12, input: 3, samples: 3, rhoCount: 2, h0: 'zeros', biasScale: 0 } as const;
  return [
    { name: 'tanh impulse, small rho', expects: 'underflow', config: parseConfig({ ...base, activation: 'tanh', init: 'gaussian', steps: 70, inputs: 'impulse', rhoMin: 0.2, rhoMax: 0.35, seed: rng.nextU32() }) },
    { name: 'relu zero-after, small rho', expects: 'underflow', config: parseConfig({ ...base, activation: 'relu', init: 'identity', steps: 40, inputs: 'zero-after', inputUntil: 2, rhoMin: 1e-3, rhoMax: 0.1, seed: rng.nextU32() }) },
    { name: 'relu noise, large rho', expects: 'overflow', config: parseConfig({ ...base, activation: 'relu', init: 'identity', steps: 90, inputs: 'noise', rhoMin: 3, rhoMax: 6, seed: rng.nextU32() }) },
    { name: 'sigmoid impulse', expects: 'nothing', config: parseConfig({ ...base, activation: 'sigmoid', init: 'gaussian', steps: 40, inputs: 'impulse', rhoMin: 0.5, rhoMax: 2.5, seed: rng.nextU32() }) },
  ];
}

/**
 * Per row k, the first step (1-based; Infinity if none) at which some sample's float64 state (the
 * reference's own trace, whatever the weights) came within a margin of float32's limits: `tiny` within a decade of the range floor by the rule of
 * src/core/range.ts, `big` within three decades of float32's largest number (an overflow in float32
 * where float64 still has a number; rounding of an exploding state changes it by far less) or, for
 * gpu.js, within a decade of its clamp `clamp` (a pre-activation bound).
 */
export async function referenceNearLimits(config: Config, clamp = Infinity): Promise<NearLimits> {
  const p = buildProblem(config, { outlierAndUntied: true });
  const untied = await untiedWeights(config);
  const { steps: T, samples: S } = config;
  const rule = rangeRule(config.activation, config, RANGE_FLOOR.float32);
  const K = p.rho.length;
  const tiny = new Float64Array(K).fill(Infinity);
  const big = new Float64Array(K).fill(Infinity);
  const near = 10 * RANGE_FLOOR.float32;
  for (let k = 0; k < K; k++) {
    for (let s = 0; s < S; s++) {
      const { amax: A, hmax: H } = traceSequence(p, rowWeights(p, k, untied), s).extremes!;
      for (let t = 1; t <= T; t++) {
        const amax = A[t - 1];
        const hmax = H[t - 1];
        const exactZero = hmax === 0 && (amax === 0 || (rule.zeroSide && amax >= near));
        const isTiny = !exactZero && ((rule.tinyA && amax > 0 && amax < near) || hmax < near);
        // (a NaN, where float64 overflowed too, counts as large)
        const isBig = !(hmax < F32_MAX / 1e3) || !(amax < clamp / 10);
        if (isTiny) tiny[k] = Math.min(tiny[k], t);
        if (isBig) big[k] = Math.min(big[k], t);
      }
    }
  }
  return { tiny, big };
}

/** Per row k, the first step at which some sample's float64 state was near float32's floor (`tiny`) or top (`big`); Infinity if none. */
export interface NearLimits {
  tiny: Float64Array;
  big: Float64Array;
}

/**
 * The comparison of a float32 engine's field with the reference's on a range case: every cell is
 * flagged by the engine or agrees with the reference within the statistics table's tolerance
 * classes (log10: 1e-3 decades, the float32 storage of a few hundred non-chaotic steps, see
 * tests/engine/cpu.test.ts; units: 2 of the N S units across the saturation threshold, plus
 * float32's 1e-5 on mean phi'; samples: one sample's worth, 1/S), with -Infinity only where the
 * reference's value is -Infinity; every cell the reference flags is flagged; a cell only the
 * engine flags must be explained by the reference's states (referenceNearLimits): a state near
 * float32's limits in that row by step t, or at any step when the flag's kind undefines the
 * backward pass (range.ts backwardCrossesFlag) — and the flag's kind must match that reason.
 */
export async function compareRangeCase(got: FieldLike, ref: GradientField, what: string, clamp = Infinity): Promise<Comparison> {
  const config = ref.config;
  const { N, S } = { N: config.hidden, S: config.samples };
  const tol = tolerancesByClass({ log10: 1e-3, units: 2 / (N * S) + 1e-5, samples: 1 / S + 1e-12 });
  const rules: CompareRules = {
    overflow: 'superset',
    check: (grid) => ({ tol: tol[grid] }),
    extraFlag: rangeExtraFlag(config, got, await referenceNearLimits(config, clamp), Number.isFinite(clamp)),
  };
  return compareFields(got, ref, rules, what);
}

/**
 * CompareRules.extraFlag for a float32 engine against the reference ('superset'): a cell only the
 * engine flags is explained by the reference's per-sample states (referenceNearLimits) — a state
 * near float32's limits in that row by step t, or at any step when the flag's kind undefines the
 * backward pass (range.ts backwardCrossesFlag) — and its kind must be the one that reason raises
 * (gpu.js's clamp, `clamp`, raises the range kind; a float32 Infinity the overflow kind).
 */
export function rangeExtraFlag(config: Config, got: FieldLike, near: NearLimits, clamped = false): (cell: Cell) => string | null {
  const T = config.steps;
  const bigKind = clamped ? CELL_FLAG.range : CELL_FLAG.overflow;
  const killsTiny = backwardCrossesFlag(config.activation, config, 'range');
  const killsBig = backwardCrossesFlag(config.activation, config, 'overflow');
  return (cell) => {
    const flag = got.overflow[cell.i];
    const tinyAt = near.tiny[cell.k];
    const bigAt = near.big[cell.k];
    const tinyExplains = tinyAt <= cell.t || (killsTiny && tinyAt <= T);
    const bigExplains = bigAt <= cell.t || (killsBig && bigAt <= T);
    const wants = (tinyExplains ? CELL_FLAG.range : 0) | (bigExplains ? bigKind : 0);
    if (wants === 0) return `flagged ${flag}, but the reference's states stay inside float32's range in this row up to t = ${cell.t} (near its floor from t = ${tinyAt}, near its top from t = ${bigAt})`;
    if ((flag & ~wants) !== 0) return `flagged ${flag}, but the reference explains only kind ${wants} here`;
    return null;
  };
}

/** Whether the engine flagged what the case expects: some cell of the expected kind, or none at all. */
export function flaggedAsExpected(got: FieldLike, c: RangeCase, clamp = Infinity): string | null {
  const flags = Array.from(got.overflow);
  if (c.expects === 'nothing') return flags.some((v) => v !== 0) ? `${c.name}: flagged cells where the state stays in range` : null;
  const kind = c.expects === 'underflow' || Number.isFinite(clamp) ? CELL_FLAG.range : CELL_FLAG.overflow;
  return flags.some((v) => (v & kind) !== 0) ? null : `${c.name}: nothing flagged of kind ${kind}`;
}

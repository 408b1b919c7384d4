/**
 * The fast CPU engine (src/engine/cpu) against the float64 reference on fresh random configs.
 *
 * Tolerances and why:
 * - 1e-3 in log10 (0.23 % in magnitude) where the dynamics are insensitive: the engine stores
 *   h, phi'(a) and delta in float32 (relative rounding 6e-8 per stored value) and accumulates in
 *   float64, so a few hundred steps of rounding stay near 1e-6 in log10 (measured); 1e-3 leaves
 *   room for T = 300 and N = 257 while still catching any real mistake (a wrong step, a missing
 *   rho, a wrong derivative moves these numbers by far more than 1e-3).
 * - Saturation: up to 2 units of N * S may flip across the 1 % threshold through rounding.
 * - Where the dynamics amplify float32 rounding (tanh or relu with rho well above 1, chaotic),
 *   single trajectories of float32 and float64 decorrelate, so only the distribution over samples
 *   can agree. Which cells these are is decided independently of the engine: the float64
 *   reference is rerun with W0 and rho perturbed by 1e-7 (relative; float32's own rounding
 *   scale), and cells that move by more than 1e-5 are "sensitive". There the CPU's mean may
 *   differ by 1e-3 plus the larger of 30 times the perturbation's effect and 6 standard errors
 *   of a difference of two independent means of S samples (6 * sqrt(2 / S) * std).
 * - float32 leaves its range before float64: it overflows (|h| > 3.4e38, 1.8e308 in float64) and
 *   its state falls below the range floor (1e-30, src/core/range.ts) where float64's goes on. The
 *   CPU's flags must contain the reference's, values are compared only in cells valid in both,
 *   and every cell only the CPU flags must be explained by the reference's own per-sample states
 *   (tests/helpers/range.ts rangeExtraFlag: near float32's floor or top in that row by then, or
 *   anywhere in it where the flag undefines the backward pass, with the flag of that kind).
 *   Where the backward path of an activation with a kink (relu, leaky_relu, elu with alpha != 1)
 *   meets a pre-activation within rounding distance of the kink at 0 (kinkCells), cells count as sensitive.
 * Every value is compared or counted as not compared, with its reason (tests/helpers/fields.ts),
 * and each test bounds the fraction of cells it skips or treats as sensitive, the bound's reason
 * beside it. Every random draw comes from the file's seed, printed at the start and in each
 * failure message; RNNLAB_TEST_SEED=... replays it.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIVATION_RECORDS, activationFns } from '../../src/core/activations.ts';
import { ACTIVATIONS, INITS, INPUT_MODES, parseConfig, type Activation, type Config, type Init } from '../../src/core/config.ts';
import { isAbortError } from '../../src/core/engine.ts';
import { emptyField, GRID_NAMES, type GradientField, type GridName } from '../../src/core/field.ts';
import { buildProblem, type Problem } from '../../src/core/problem.ts';
import { addDirection } from '../../src/core/spectrum-init.ts';
import { rowWeights, untiedWeightsSync, type RowWeights } from '../../src/core/weights.ts';
import { reduceRow, ReferenceEngine, traceSequence } from '../../src/core/reference.ts';
import { Rng } from '../../src/core/rng.ts';
import { cpuMemoryRefusal, CpuEngine, POOL_BYTES_LIMIT, workerBytes } from '../../src/engine/cpu/engine.ts';
import { F32_MIN_NORMAL, gemmBlock } from '../../src/engine/cpu/kernel.ts';
import { COLUMN_PARAMS_BYTES, COLUMN_STATS_BYTES, fmaAvailable, instantiateGemm, instantiateKernels, packPanels, simdAvailable } from '../../src/engine/cpu/simd.ts';
import { createNodeCpuEngine } from '../../src/engine/cpu/pool-node.ts';
import { combine, compareFields, describeComparison, expectAgreement, type Bound, type Check, type Comparison, type CompareRules } from '../helpers/fields.ts';
import { compareRangeCase, flaggedAsExpected, rangeCases, rangeExtraFlag, referenceNearLimits, type NearLimits } from '../helpers/range.ts';
import { withSpectrum } from '../helpers/spectrum.ts';
import { testSeed } from '../helpers/seed.ts';

const STRICT = 1e-3;
const SENSITIVE_MOVE = 1e-5;
const reference = new ReferenceEngine();
/** Random configs per (activation, init); raise it (CPU_TEST_CONFIGS=50) for a longer soak. */
const CONFIGS_PER_CASE = Number(process.env.CPU_TEST_CONFIGS ?? 2);

/** The seed of this test run: fresh every run, printed with every failure; RNNLAB_TEST_SEED=... replays one. */
const RUN_SEED = testSeed('cpu engine tests');

let pooled: CpuEngine;
beforeAll(() => {
  pooled = createNodeCpuEngine({ workers: 2 });
});
afterAll(() => pooled.dispose());

/**
 * The float64 reference rerun on a perturbed problem: every entry of W0 multiplied by
 * (1 + 1e-7 n_ij), n_ij ~ N(0, 1), and every rho by (1 + 1e-7), i.e. perturbations of float32's
 * rounding size. Cells that this moves by more than SENSITIVE_MOVE amplify rounding. (A rho
 * perturbation alone is blind to some of it: with zero drive, a relu/leaky RNN is homogeneous
 * and a scaled rho only rescales h_t, while rounding also turns its direction.)
 */
const PERTURBATION = 1e-7;

/**
 * The problem, its row weights (the outlier axis and untied weights included), and the same
 * perturbed: W0 (or each untied W0_t) entry-wise, and the row's rho and outlier shift by (1 + 1e-7).
 */
function perturbedProblem(config: Config): { p: Problem; q: Problem; row: (k: number) => RowWeights; rowQ: (k: number) => RowWeights } {
  const p = buildProblem(config, { outlierAndUntied: true });
  const perturb = (W: Float64Array, stream: number) => {
    const noise = new Rng(RUN_SEED, 400, stream).normals(W.length);
    return W.map((w, i) => w * (1 + PERTURBATION * noise[i])); // a copy: p.W0 is shared through a cache
  };
  const untied = untiedWeightsSync(config);
  const untiedQ = untied && { W: untied.W.map((W, t) => perturb(W, t + 1)), directions: untied.directions };
  const q = { ...p, W0: perturb(p.W0, 0) };
  const rowQ = (k: number) => {
    const w = rowWeights(q, k, untiedQ);
    return { ...w, rho: w.rho * (1 + PERTURBATION), shift: w.shift * (1 + PERTURBATION) };
  };
  return { p, q, row: (k) => rowWeights(p, k, untied), rowQ };
}

function perturbedReference(config: Config): GradientField {
  const { p, q, rowQ } = perturbedProblem(config);
  const field = emptyField(config, p.rho, p.spectrum, { backend: 'reference-perturbed', adapter: '', wallMs: 0, precision: 'float64' });
  for (let k = 0; k < p.rho.length; k++) {
    const traces = Array.from({ length: config.samples }, (_, s) => traceSequence(q, rowQ(k), s));
    reduceRow(field, k, traces);
  }
  return field;
}

/** W_{k,t} of a row as a dense [N, N] matrix: rho W0_t + shift D_t (a test-side rebuild; the engines never form it). */
function denseWeights(p: Problem, w: RowWeights, t: number): Float64Array {
  const n = p.config.hidden;
  const W = Float64Array.from(w.untied ? w.untied.W[t - 1] : p.W0, (v) => w.rho * v);
  const dir = w.untied ? w.untied.directions[t - 1] : w.direction;
  if (dir && w.shift !== 0) {
    const e = new Float64Array(n);
    const col = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      e.fill(0);
      e[j] = 1;
      col.fill(0);
      addDirection(dir, w.shift, e, 0, col, n, false);
      for (let i = 0; i < n; i++) W[i * n + j] += col[i];
    }
  }
  return W;
}

/** [K, T]: the population std of log10 ||h_t|| over the samples, from the reference's per-sample traces. */
function hiddenStd(config: Config): Float64Array {
  const { p, row } = perturbedProblem(config);
  const T = config.steps;
  const S = config.samples;
  const cells = p.rho.length * T;
  const sum = new Float64Array(cells);
  const sumSq = new Float64Array(cells);
  for (let k = 0; k < p.rho.length; k++) {
    for (let s = 0; s < S; s++) {
      const tr = traceSequence(p, row(k), s);
      for (let j = 0; j < T; j++) {
        const v = tr.values.hidden[j];
        sum[k * T + j] += v;
        sumSq[k * T + j] += v * v;
      }
    }
  }
  return sum.map((v, i) => Math.sqrt(Math.max(0, sumSq[i] / S - (v / S) ** 2)));
}

/**
 * [K, T] for an activation with a kink (relu, leaky_relu, elu with alpha != 1): 1 where the backward path of step t (steps t..T) meets, in
 * some sample, a unit whose pre-activation a_i is near zero relative to the size of the terms it
 * sums (rho sum_j |W0_ij h_j| + |U x|_i + |b_i|): within 1e-5, or within 30 times the relative
 * drift of h_{t-1} that the 1e-7 perturbation causes in that sample (in a neutral, e.g.
 * orthogonal, RNN the state's direction drifts and rounding moves it about as far). There phi'
 * jumps (1 <-> 0 or alpha) and float32 may land on the other side: a discrete event that the
 * perturbed reference need not reproduce. Computed in float64 from the problem alone.
 */
function kinkCells(config: Config): Uint8Array {
  const { p, q, row, rowQ } = perturbedProblem(config);
  const { hidden: n, input: d, steps: T, samples: S } = config;
  const out = new Uint8Array(p.rho.length * T);
  const phi = activationFns(config.activation, config);
  if (!phi.kink) return out;
  for (let k = 0; k < p.rho.length; k++) {
    const W = Array.from({ length: T }, (_, t) => denseWeights(p, row(k), t + 1));
    let last = 0; // latest step with a near-zero pre-activation, over the samples
    for (let s = 0; s < S; s++) {
      const x = p.inputsFor(s);
      const base = traceSequence(p, row(k), s).values.hidden;
      const moved = traceSequence(q, rowQ(k), s).values.hidden;
      let h = Float64Array.from(p.h0);
      for (let t = 1; t <= T; t++) {
        const drift = t > 1 ? Math.abs(base[t - 2] - moved[t - 2]) * Math.LN10 || 0 : 0;
        const near = Math.max(1e-5, 30 * drift);
        const next = new Float64Array(n);
        const bias = p.biasOn(t) ? 1 : 0;
        for (let i = 0; i < n; i++) {
          let a = 0;
          let size = 0;
          for (let j = 0; j < n; j++) {
            a += W[t - 1][i * n + j] * h[j];
            size += Math.abs(W[t - 1][i * n + j] * h[j]);
          }
          for (let j = 0; j < d; j++) {
            a += p.U[i * d + j] * x[(t - 1) * d + j];
            size += Math.abs(p.U[i * d + j] * x[(t - 1) * d + j]);
          }
          a += bias * p.b[i];
          size += Math.abs(bias * p.b[i]);
          if (Math.abs(a) < near * size) last = Math.max(last, t);
          next[i] = phi.output(a);
        }
        h = next;
      }
    }
    for (let t = 1; t <= last; t++) out[k * T + t - 1] = 1;
  }
  return out;
}

function moved(a: number, b: number, tol: number): boolean {
  if (a === b) return false;
  return !(Math.abs(a - b) <= tol);
}

/**
 * The comparison rules of the header, per grid and cell, for `cpu` against `ref`. `refP` is the
 * perturbed reference that marks the sensitive cells.
 */
function cpuRules(ref: GradientField, refP: GradientField, cpu: GradientField, hiddenStdev: Float64Array, kinks: Uint8Array, near: NearLimits): CompareRules {
  const N = ref.config.hidden;
  const S = ref.config.samples;
  const { gamma } = activationFns(ref.config.activation, ref.config); // phi' <= gamma = sup phi'
  const sensitiveAt = (i: number) =>
    kinks[i] === 1 ||
    refP.overflow[i] !== 0 ||
    moved(ref.grids.gradLog10Mean[i], refP.grids.gradLog10Mean[i], SENSITIVE_MOVE) ||
    // The rms is dominated by the largest sample: one sample's amplified rounding moves it while
    // the mean over samples barely moves (seen: rho = 2, tanh, 2e-3 at t = 15 with the mean still).
    moved(ref.grids.gradLog10Rms[i], refP.grids.gradLog10Rms[i], SENSITIVE_MOVE) ||
    moved(ref.grids.hiddenLog10Mean[i], refP.grids.hiddenLog10Mean[i], SENSITIVE_MOVE) ||
    moved(ref.grids.weightGradLog10[i], refP.grids.weightGradLog10[i], SENSITIVE_MOVE);
  // The fractions of samples with an exact zero: a unit at relu's kink may switch one sample's path on or off (1 / S).
  const zeroFraction = (g: GridName, i: number, sensitive: boolean): Check => {
    if (sensitive) return { below: ref.grids[g][i], above: 1 - ref.grids[g][i], sensitive };
    return { tol: 1 / S + 1e-12 };
  };
  const SENSITIVE_MEAN = 'sensitive: compared through its mean';
  const rules: Record<GridName, (i: number, sensitive: boolean) => Check> = {
    hiddenLog10Mean: (i, sensitive) => {
      const rh = ref.grids.hiddenLog10Mean[i];
      // Where rounding is amplified, h may move as far as the perturbation moved it (times 30),
      // or as far as means of S decorrelated samples differ (6 standard errors).
      if (!sensitive) return { tol: STRICT };
      return { tol: STRICT + Math.max(30 * Math.abs(rh - refP.grids.hiddenLog10Mean[i]) || 0, 6 * Math.sqrt(2 / S) * hiddenStdev[i] || 0), sensitive };
    },
    gradLog10Mean: (i, sensitive) => {
      if (!sensitive) return { tol: STRICT };
      // Rounding acts like the 1e-7 perturbation: the CPU may move as far as it moved the
      // reference (times 30), or, where trajectories decorrelate, as far as two means of S
      // independent samples differ (6 standard errors).
      const spread = Math.max(ref.grids.gradLog10Std[i], cpu.grids.gradLog10Std[i]);
      return { tol: STRICT + Math.max(30 * Math.abs(ref.grids.gradLog10Mean[i] - refP.grids.gradLog10Mean[i]) || 0, 6 * Math.sqrt(2 / S) * spread), sensitive };
    },
    // The rms is dominated by the largest samples: where trajectories decorrelate it is compared through the mean.
    gradLog10Rms: (_i, sensitive) => (sensitive ? { skip: SENSITIVE_MEAN } : { tol: STRICT }),
    gradLog10Std: (_i, sensitive) => (sensitive ? { skip: SENSITIVE_MEAN } : { tol: STRICT }),
    weightGradLog10: (_i, sensitive) => (sensitive ? { skip: SENSITIVE_MEAN } : { tol: STRICT }),
    // A sensitive cell's fraction need only be a fraction: got - ref in [-ref, 1 - ref]; else up to
    // 2 units of N * S may flip across the 1 % threshold through rounding.
    saturation: (i, sensitive) => (sensitive ? { below: ref.grids.saturation[i], above: 1 - ref.grids.saturation[i], sensitive } : { tol: 2 / (N * S) + 1e-12 }),
    // A sensitive cell's mean phi' need only lie in 0..gamma (gamma = sup phi', above 1 for elu's
    // alpha > 1). Else a unit at a kink (relu's 0) may land on the other side (up to 2 units of
    // N S, each worth at most max phi' = 1); elsewhere float32 phi' is within ~1e-6 relative, and
    // a_t's rounding moves it by at most |phi''| (<= 0.77) times that: 1e-5 covers both.
    derivMean: (i, sensitive) => (sensitive ? { below: ref.grids.derivMean[i], above: gamma - ref.grids.derivMean[i], sensitive } : { tol: 2 / (N * S) + 1e-5 }),
    gradZeroFraction: (i, sensitive) => zeroFraction('gradZeroFraction', i, sensitive),
    hiddenZeroFraction: (i, sensitive) => zeroFraction('hiddenZeroFraction', i, sensitive),
    weightZeroFraction: (i, sensitive) => zeroFraction('weightZeroFraction', i, sensitive),
  };
  let cached = -1;
  let sensitive = false;
  return {
    // float32 leaves its range before float64: the CPU's flags must contain the reference's, and
    // the reference's own states must explain each flag the CPU raised alone.
    overflow: 'superset',
    extraFlag: rangeExtraFlag(ref.config, cpu, near),
    check(grid, cell) {
      if (cell.i !== cached) {
        cached = cell.i;
        sensitive = sensitiveAt(cell.i);
      }
      return rules[grid](cell.i, sensitive);
    },
  };
}

/** Compare the CPU engine with the reference on one config; returns the CPU field and the comparison. */
async function compareWithReference(config: Config, what: string, engine: CpuEngine = pooled): Promise<{ cpu: GradientField; comparison: Comparison }> {
  const [ref, refP, cpu] = [await reference.run(config), perturbedReference(config), await engine.run(config)];
  expect(cpu.meta.precision).toBe('float32');
  expect(cpu.K).toBe(ref.K);
  const rules = cpuRules(ref, refP, cpu, hiddenStd(config), kinkCells(config), await referenceNearLimits(config));
  const comparison = compareFields(cpu, ref, rules, `${what} (test seed ${RUN_SEED}, config ${JSON.stringify(config)})`);
  expect(comparison.mismatchCount, describeComparison(comparison)).toBe(0);
  return { cpu, comparison };
}

type Bounds = { skipped: Bound; sensitive: Bound };

/**
 * Bounds over a set of random configs (randomConfig: rho up to 2.5, T up to 80, every input mode).
 * Skipped: cells only float32 flags (out of its range first; a relu backward path across them);
 * sensitive: chaos and kinks. One config may skip or widen nearly all its cells (an impulse that
 * decays below 1e-38, a chaotic relu row), so the bounds hold over all the configs of a test.
 * Measured over 90 configs at each of three seeds: skipped 6-11 %, sensitive 5-7 % of the cells.
 */
const RANDOM_BOUNDS: Bounds = {
  skipped: { atMost: 0.4, because: 'random configs skip 6-11 % of their cells (measured); 40 % leaves room for a few configs that decay below float32 entirely, not for a rule that skips most cells' },
  sensitive: { atMost: 0.4, because: 'random configs treat 5-7 % of their cells as sensitive (measured); 40 % leaves room for a few chaotic configs' },
};

/**
 * Noise-driven runs never fall below float32's range, and with rho up to about 1 few rows amplify
 * rounding; a sensitive cell's std and weight terms are compared through its mean (skipped).
 */
/** Identity W0 at rho = 1 with relu: units sit near their kink for the whole run. */
const IRNN_BOUNDS: Bounds = {
  skipped: { atMost: 0.5, because: 'sensitive cells compare the std and weight terms through their means only' },
  sensitive: { atMost: 1, because: 'identity W0, relu, rho = 1: a unit within rounding of its kink can be on every step' },
};

const DRIVEN_BOUNDS: Bounds = {
  skipped: { atMost: 0.34, because: 'noise keeps ||h|| above float32\'s range: only the std and weight terms of sensitive cells are skipped' },
  sensitive: { atMost: 0.34, because: 'only the top rows (rho > 1) may amplify rounding: measured 0-4 %' },
};

async function expectAgrees(config: Config, what: string, bounds: Bounds, engine: CpuEngine = pooled): Promise<{ cpu: GradientField; comparison: Comparison }> {
  const r = await compareWithReference(config, what, engine);
  expectAgreement(r.comparison, bounds);
  return r;
}

function randomConfig(rng: Rng, activation: Activation, init: Init): Config {
  const int = (lo: number, hi: number) => lo + Math.floor(rng.uniform() * (hi - lo + 1));
  const steps = int(1, 80);
  const rhoMin = rng.uniform() * 1.2;
  return parseConfig(withSpectrum(rng, {
    activation,
    init,
    leakyAlpha: rng.uniform() * 0.3,
    eluAlpha: rng.uniform() * 3,
    normalize: rng.uniform() < 0.5 ? 'radius' : 'norm',
    hidden: int(1, 40),
    input: int(1, 8),
    steps,
    rhoMin,
    rhoMax: rhoMin + rng.uniform() * 1.3,
    rhoCount: int(1, 4),
    samples: int(8, 14),
    inputs: INPUT_MODES[int(0, INPUT_MODES.length - 1)],
    inputUntil: int(0, steps),
    inputScale: 0.3 + rng.uniform() * 1.7,
    biasScale: rng.uniform() < 0.5 ? 0 : rng.uniform() * 0.5,
    h0: rng.uniform() < 0.5 ? 'zeros' : 'random',
    seed: rng.nextU32(),
  }));
}

describe('cpu engine against the float64 reference', () => {
  const random: Comparison[] = [];
  for (const activation of ACTIVATIONS) {
    for (const init of INITS) {
      it(`random configs: ${activation}, ${init}`, async () => {
        const rng = new Rng(RUN_SEED, 100 + ACTIVATIONS.indexOf(activation), INITS.indexOf(init));
        for (let n = 0; n < CONFIGS_PER_CASE; n++) random.push((await compareWithReference(randomConfig(rng, activation, init), `${activation}/${init} #${n}`)).comparison);
      });
    }
  }

  it('random configs: the cells skipped and treated as sensitive stay within their bounds', () => {
    // One config may legitimately skip most of its cells (a relu impulse that decays below
    // float32's range marks every earlier step's backward path): the bounds hold over all of them.
    expect(random.length, 'the random-config tests ran first').toBeGreaterThan(0);
    expectAgreement(combine(random, `all random configs (test seed ${RUN_SEED})`), RANDOM_BOUNDS);
  });

  it('sizes that are not multiples of any tile: N = 1, 7, 100, 257', async () => {
    const rng = new Rng(RUN_SEED, 200);
    for (const hidden of [1, 7, 100, 257]) {
      const config = parseConfig({ hidden, steps: 6, rhoCount: 3, samples: 2, rhoMin: 0.3, rhoMax: 1.1, seed: rng.nextU32() });
      await expectAgrees(config, `N=${hidden}`, DRIVEN_BOUNDS);
    }
  });

  it('T = 1, 2, 300', async () => {
    const rng = new Rng(RUN_SEED, 201);
    for (const steps of [1, 2, 300]) {
      const config = parseConfig({ hidden: 9, steps, rhoCount: 3, samples: 3, rhoMin: 0.4, rhoMax: 1.2, activation: 'sigmoid', seed: rng.nextU32() });
      // 300 steps at rho 0.8 and 1.2 (2 of 3 rows): a 1e-7 change grows past 1e-5; measured 32-42 %.
      const long = { atMost: 0.67, because: 'the rows with rho >= 0.8 over 300 steps (2 of 3 rows) may amplify rounding' };
      await expectAgrees(config, `T=${steps}`, { skipped: long, sensitive: long });
    }
  });

  it('K*S = 1, 3, 1000', async () => {
    const rng = new Rng(RUN_SEED, 202);
    const seen: Comparison[] = [];
    for (const [rhoCount, samples] of [[1, 1], [3, 1], [40, 25]]) {
      const config = parseConfig({ hidden: 5, steps: 12, rhoCount, samples, rhoMin: 0.5, rhoMax: 1.3, activation: 'relu', seed: rng.nextU32() });
      seen.push((await compareWithReference(config, `K=${rhoCount} S=${samples}`)).comparison);
    }
    // The bounds hold over the three configs together: K = S = 1 has 12 cells, and one relu unit
    // near its kink late in the run makes 5 of them sensitive (seen: seed 1913595784), 42 % of so few.
    expectAgreement(combine(seen, `K*S = 1, 3, 1000 (test seed ${RUN_SEED})`), DRIVEN_BOUNDS);
  });

  it('exact: linear activation with identity or orthogonal W0 gives (T - t) log10 rho', async () => {
    // ||dL/dh_t|| = rho^(T-t) ||(W0^T)^(T-t) r|| = rho^(T-t): W0 orthogonal keeps norms exactly.
    // Float32 W0 is orthogonal to ~1e-7 per step, so after 300 steps the log10 error is ~1e-5.
    for (const init of ['identity', 'orthogonal'] as const) {
      const config = parseConfig({ activation: 'linear', init, normalize: 'norm', hidden: 16, steps: 300, rhoMin: 0.5, rhoMax: 1.5, rhoCount: 5, samples: 2, seed: RUN_SEED });
      const cpu = await pooled.run(config);
      for (let k = 0; k < cpu.K; k++) {
        for (let t = 1; t <= cpu.T; t++) {
          const want = (cpu.T - t) * Math.log10(cpu.rho[k]);
          const got = cpu.grids.gradLog10Mean[k * cpu.T + t - 1];
          expect(Math.abs(got - want), `${init} rho=${cpu.rho[k]} t=${t}: ${got} vs ${want}`).toBeLessThan(1e-4);
          expect(cpu.grids.gradLog10Std[k * cpu.T + t - 1]).toBeLessThan(1e-5);
        }
      }
    }
  });

  it('beyond the float range: linear, identity, rho = 2, T = 2000 gives 1999 log10 2 at t = 1', async () => {
    // 2^1999 is far beyond float32 (and float64): only the renormalised backward pass with its
    // accumulated log scale can give it. The forward h_t = 2^t-ish overflows float32 near t = 128,
    // which the engine must flag; the backward of a linear RNN does not depend on the forward.
    // Identity W0 is exact in float32; each step rounds delta once (6e-8), so 2000 steps stay below 1e-4.
    const config = parseConfig({ activation: 'linear', init: 'identity', hidden: 8, steps: 2000, rhoMin: 2, rhoMax: 2, rhoCount: 1, samples: 2, seed: RUN_SEED });
    const [ref, cpu] = [await reference.run(config), await pooled.run(config)];
    expect(Math.abs(cpu.grids.gradLog10Mean[0] - 1999 * Math.log10(2))).toBeLessThan(1e-4);
    // The rms from the samples' logs (log-sum-exp), equally exact far outside the float range.
    expect(Math.abs(cpu.grids.gradLog10Rms[0] - 1999 * Math.log10(2))).toBeLessThan(1e-4);
    expect(Math.abs(cpu.grids.gradLog10Mean[0] - ref.grids.gradLog10Mean[0])).toBeLessThan(1e-4);
    const firstOverflow = (f: GradientField) => f.overflow.indexOf(1) + 1;
    expect(firstOverflow(cpu)).toBeGreaterThan(100);
    expect(firstOverflow(cpu)).toBeLessThan(firstOverflow(ref)); // float32 overflows first
    for (let i = 0; i < ref.T; i++) if (ref.overflow[i]) expect(cpu.overflow[i]).toBe(1);
    expect(Number.isNaN(cpu.grids.hiddenLog10Mean[1999])).toBe(true);
  });

  it('rho = 0: every gradient before T is an exact zero (-Infinity), log10 ||r|| = 0 at T', async () => {
    for (const activation of ACTIVATIONS) {
      const config = parseConfig({ activation, hidden: 11, steps: 9, rhoMin: 0, rhoMax: 0.8, rhoCount: 3, samples: 4, h0: 'random', seed: RUN_SEED });
      const { cpu } = await expectAgrees(config, `rho=0 ${activation}`, DRIVEN_BOUNDS);
      for (let t = 1; t < cpu.T; t++) {
        expect(cpu.grids.gradLog10Mean[t - 1]).toBe(-Infinity);
        expect(cpu.grids.gradLog10Std[t - 1]).toBe(0);
      }
      expect(Math.abs(cpu.grids.gradLog10Mean[cpu.T - 1])).toBeLessThan(1e-6);
    }
  });

  it('IRNN at rho = 1: a gradient exactly 0 in some samples is counted apart, the mean taken over the others (SIMD and portable)', async () => {
    const config = parseConfig({ activation: 'relu', init: 'identity', biasScale: 0, rhoMin: 1, rhoMax: 1, rhoCount: 1, seed: 1 });
    for (const engine of [pooled, new CpuEngine(null, { simd: false })]) {
      const { cpu } = await expectAgrees(config, `IRNN rho = 1 (${engine.adapter})`, IRNN_BOUNDS, engine);
      expect(cpu.grids.gradZeroFraction[0]).toBe(1 / 16); // seed 1: one sample loses every path back to t = 1
      expect(Number.isFinite(cpu.grids.gradLog10Mean[0])).toBe(true);
    }
  });

  it('chaotic regime (tanh, rho up to 3): means over samples agree within their sampling error', async () => {
    const config = parseConfig({ activation: 'tanh', hidden: 32, steps: 120, rhoMin: 0.5, rhoMax: 3, rhoCount: 6, samples: 24, seed: RUN_SEED });
    // rho = 0.5, 1, ..., 3: the rows rho = 0.5 and 1 contract; the chaotic rows' cells are sensitive
    // and their std and weight terms are compared through the mean (skipped). Measured 33-50 %.
    const chaotic = { atMost: 0.75, because: 'at most the 4 rows with rho > 1 of 6 (and a little of rho = 1) are chaotic' };
    const { comparison } = await expectAgrees(config, 'chaotic tanh', { skipped: chaotic, sensitive: chaotic });
    // rho = 3 on a radius-1 gaussian W0 is chaotic for tanh: the distribution branch must have been used.
    expect(comparison.sensitiveCells).toBeGreaterThan(0);
  });
});

describe('cpu engine: a chosen spectrum, the outlier axis and untied weights, against the reference', () => {
  // The same rules as above (cpuRules: the perturbed reference perturbs each W0_t and the row's
  // outlier shift as well), on random configs of the three kinds: init spectrum with sweep rho,
  // the outlier swept from below to above 1 (rank one or two, tied or untied), and untied W0_t.
  const seen: Comparison[] = [];
  const kinds = [
    { what: 'spectrum, sweep rho', fields: { init: 'spectrum' as const } },
    { what: 'spectrum, sweep outlier', fields: { init: 'spectrum' as const, sweep: 'outlier' as const } },
    { what: 'spectrum, sweep outlier, untied', fields: { init: 'spectrum' as const, sweep: 'outlier' as const, weights: 'untied' as const } },
    { what: 'gaussian, untied', fields: { init: 'gaussian' as const, weights: 'untied' as const } },
    { what: 'orthogonal, untied', fields: { init: 'orthogonal' as const, weights: 'untied' as const } },
  ];
  for (const [i, kind] of kinds.entries()) {
    it(`random configs: ${kind.what}, every activation`, async () => {
      const rng = new Rng(RUN_SEED, 500, i);
      for (const activation of ACTIVATIONS) {
        const base = randomConfig(rng, activation, kind.fields.init);
        // The outlier axis sweeps the first outlier's magnitude over rho min..max (0..2.5 here).
        const steps = Math.min(base.steps, 40);
        const config = parseConfig({ ...base, ...kind.fields, steps, inputUntil: Math.min(base.inputUntil, steps) });
        seen.push((await compareWithReference(config, `${kind.what} ${activation}`)).comparison);
      }
    });
  }

  it('random configs: the cells skipped and treated as sensitive stay within their bounds', () => {
    expect(seen.length, 'the random-config tests ran first').toBeGreaterThan(0);
    expectAgreement(combine(seen, `outlier and untied configs (test seed ${RUN_SEED})`), RANDOM_BOUNDS);
  });

  it('the outlier axis moves the gradient: a linear RNN whose outlier passes 1 goes from vanishing to exploding at t = 1', async () => {
    // Linear, bulk radius 0.5, one real outlier swept 0.6 .. 1.4: ||dL/dh_1|| ~ |lambda|^(T-1) along
    // the outlier's eigenvector once it dominates, so row k's log10 gradient at t = 1 grows with k
    // and crosses from below to above 0 where |lambda| passes 1 (T = 60: (T-1) log10 0.6 = -13).
    const config = parseConfig({ activation: 'linear', init: 'spectrum', bulk: 'disk:0.5', outliers: '0.9,0', sweep: 'outlier', rhoMin: 0.6, rhoMax: 1.4, rhoCount: 5, hidden: 12, steps: 60, samples: 2, seed: RUN_SEED });
    const { cpu } = await expectAgrees(config, 'outlier across 1', DRIVEN_BOUNDS);
    const first = Array.from({ length: cpu.K }, (_, k) => cpu.grids.gradLog10Mean[k * cpu.T]);
    for (let k = 1; k < cpu.K; k++) expect(first[k], `row ${k}: ${first}`).toBeGreaterThan(first[k - 1]);
    expect(first[0]).toBeLessThan(-5);
    expect(first[cpu.K - 1]).toBeGreaterThan(5);
  });

  it('untied weights with the identity init are tied weights, bit for bit (SIMD and portable)', async () => {
    for (const engine of [pooled, new CpuEngine(null, { simd: false })]) {
      for (const activation of ['tanh', 'relu'] as const) {
        const tied = parseConfig({ activation, init: 'identity', hidden: 9, steps: 25, rhoMin: 0.5, rhoMax: 1.2, rhoCount: 3, samples: 3, seed: RUN_SEED });
        const [a, b] = [await engine.run(tied), await engine.run({ ...tied, weights: 'untied' })];
        for (const g of GRID_NAMES) expect(Array.from(b.grids[g]), `${g} (${engine.adapter})`).toEqual(Array.from(a.grids[g]));
        expect(Array.from(b.overflow)).toEqual(Array.from(a.overflow));
      }
    }
  });

  it('the portable path and 0, 1 or 2 workers agree on the outlier axis with untied weights', async () => {
    const config = parseConfig({ activation: 'tanh', init: 'spectrum', bulk: 'circle:0.7', outliers: '0.4,0.8', sweep: 'outlier', weights: 'untied', rhoMin: 0.5, rhoMax: 1.5, rhoCount: 3, hidden: 10, steps: 20, samples: 5, seed: RUN_SEED });
    const inline = await new CpuEngine(null).run(config);
    const both = await pooled.run(config);
    for (const g of GRID_NAMES) for (let i = 0; i < inline.grids[g].length; i++) if (!Object.is(inline.grids[g][i], both.grids[g][i])) expect.fail(`${g}[${i}] ${inline.grids[g][i]} vs ${both.grids[g][i]}`);
    await expectAgrees(config, 'untied outlier, portable', DRIVEN_BOUNDS, new CpuEngine(null, { simd: false }));
  });

  it('untied weights report building W0_t as progress, and refuse before building where the T matrices do not fit a worker', async () => {
    const config = parseConfig({ weights: 'untied', hidden: 8, steps: 6, rhoCount: 2, samples: 2, seed: RUN_SEED });
    const phases: string[] = [];
    await pooled.run(config, { onProgress: (p) => phases.push(p.phase) });
    expect(phases).toContain('untied W0_t 6 of 6');
    // 1024 x 1024 float32 twice (and packed twice for SIMD) per step: 500 steps need 8 GiB per worker.
    expect(cpuMemoryRefusal(parseConfig({ weights: 'untied', hidden: 1024, steps: 500 }), 4, true)).toMatch(/weights: untied needs 500 matrices of 1024x1024 in each CPU worker, 7\.\d GiB .*above the CPU engine's 768 MiB; reduce Steps T to at most \d+ \(at N = 1024\)/);
    // The core's float64 limit (512 MiB) passes N = 256, T = 1000 (500 MiB); a SIMD worker holds them in float32 twice and packs them again (1004 MiB): refused.
    const big = parseConfig({ weights: 'untied', init: 'orthogonal', hidden: 256, steps: 1000, rhoCount: 1, samples: 1 });
    const bigPhases: string[] = [];
    await expect(new CpuEngine(null).run(big, { onProgress: (p) => bigPhases.push(p.phase) })).rejects.toThrow(/weights: untied needs 1000 matrices of 256x256 in each CPU worker.*reduce Steps T to at most/);
    // Refused before building: not one W0_t was reported as built.
    expect(bigPhases.filter((phase) => phase.startsWith('untied W0_t')), 'refused before building 1000 orthogonal matrices').toEqual([]);
    expect(cpuMemoryRefusal({ ...big, init: 'identity' }, 4, true)).toBeNull(); // the identity's W0_t are one matrix
    expect(cpuMemoryRefusal({ ...big, weights: 'tied' }, 4, true)).toBeNull();
  });
});

describe('cpu engine: float32 cells out of range are flagged, never shown as numbers', () => {
  // tests/helpers/range.ts: decaying impulse and zero-after runs at small rho, relu exploding at
  // large rho, and sigmoid in range; SIMD and the portable path, each against the reference.
  for (const simd of [true, false]) {
    it(`every cell is flagged or agrees with the reference, -Infinity only where it is exact (${simd ? 'SIMD' : 'portable'})`, async () => {
      const engine = new CpuEngine(null, { simd, workers: 0 });
      const all: Comparison[] = [];
      for (const c of rangeCases(RUN_SEED)) {
        const [ref, cpu] = [await reference.run(c.config), await engine.run(c.config)];
        const what = `${c.name} (${engine.adapter}, test seed ${RUN_SEED})`;
        expect(flaggedAsExpected(cpu, c), what).toBeNull();
        const comparison = await compareRangeCase(cpu, ref, what);
        expect(comparison.mismatchCount, describeComparison(comparison)).toBe(0);
        all.push(comparison);
      }
      // Cells flagged by float32 alone are not compared: the decaying and exploding cases flag most
      // of their rows by design (relu flags its whole backward pass), sigmoid none.
      expectAgreement(combine(all), {
        skipped: { atMost: 0.8, because: 'three of the four cases leave float32\'s range by design; sigmoid stays in it' },
        sensitive: { atMost: 0, because: 'no case is chaotic: every compared cell is held to the strict tolerances' },
      });
    });
  }
});

describe('cpu engine mechanics', () => {
  it('the 4x4 micro-kernel computes W X', () => {
    const rng = new Rng(RUN_SEED, 300);
    const np = 12;
    const bp = 8;
    const W = Float32Array.from(rng.normals(np * np));
    const X = Float32Array.from(rng.normals(bp * np));
    const out = new Float32Array(bp * np);
    gemmBlock(W, X, out, np, bp);
    for (let c = 0; c < bp; c++) {
      for (let i = 0; i < np; i++) {
        let want = 0;
        for (let j = 0; j < np; j++) want += W[i * np + j] * X[c * np + j];
        expect(out[c * np + i]).toBe(Math.fround(want)); // float64 sum, rounded once
      }
    }
  });

  it('the WebAssembly SIMD GEMM computes sum_j M[j, i] X[c, j] from panel-packed M (float32 accumulation)', () => {
    expect(simdAvailable()).toBe(true); // Node 20 has WebAssembly SIMD; the engine would fall back silently otherwise
    const rng = new Rng(RUN_SEED, 301);
    for (const [np, bp] of [[8, 4], [24, 12], [72, 16]]) {
      const memory = new WebAssembly.Memory({ initial: 1 });
      const gemm = instantiateGemm(memory);
      const M = new Float32Array(memory.buffer, 0, np * np);
      const X = new Float32Array(memory.buffer, M.byteLength, bp * np);
      const out = new Float32Array(memory.buffer, M.byteLength + X.byteLength, bp * np).fill(NaN);
      const plain = Float32Array.from(rng.normals(np * np)); // [np, np] row-major
      packPanels(plain, np, M);
      X.set(rng.normals(bp * np));
      gemm(0, X.byteOffset, out.byteOffset, np, bp);
      for (let c = 0; c < bp; c++) {
        for (let i = 0; i < np; i++) {
          let want = 0;
          let scale = 0;
          for (let j = 0; j < np; j++) {
            want += plain[j * np + i] * X[c * np + j];
            scale += Math.abs(plain[j * np + i] * X[c * np + j]);
          }
          // float32 accumulation of np terms: error below np * 2^-24 * sum |terms|
          expect(Math.abs(out[c * np + i] - want), `np=${np} c=${c} i=${i}`).toBeLessThanOrEqual(np * 2 ** -24 * scale);
        }
      }
    }
  });

  it('the WebAssembly SIMD tanh: h within 3 float32 ulp, tanh\' within 1e-6 relative, NaN/Infinity/tiny handled', () => {
    const n = 4096;
    const memory = new WebAssembly.Memory({ initial: 1 });
    const { tanh } = instantiateKernels(memory);
    const a = new Float32Array(memory.buffer, 0, n);
    const h = new Float32Array(memory.buffer, 4 * n, n);
    const d = new Float32Array(memory.buffer, 8 * n, n);
    const rng = new Rng(RUN_SEED, 303);
    for (let i = 0; i < n; i++) a[i] = (rng.uniform() - 0.5) * (i % 2 ? 3 : 50); // dense near 0 and out to +-25
    a.set([NaN, Infinity, -Infinity, 1e-39, -1e-30, 0.625, 19.0615, -19.06]);
    tanh(0, h.byteOffset, d.byteOffset, n);
    expect(Number.isNaN(h[0]) && Number.isNaN(d[0])).toBe(true);
    expect([h[1], d[1], h[2], d[2], h[3], d[3]]).toEqual([1, 0, -1, 0, 0, 1]); // tiny h flushed
    expect(h[4]).toBe(a[4]);
    for (let i = 5; i < n; i++) {
      const x = a[i];
      const t = Math.tanh(x);
      expect(Math.abs(h[i] - t), `tanh(${x})`).toBeLessThanOrEqual(3 * 2 ** -24 * Math.abs(t));
      // tanh' = 1 - tanh^2 = 4 e / (1 + e)^2, e = exp(-2|x|): exact in float64; 0 from |x| = 19.0615 on, as the reference
      const e = Math.exp(-2 * Math.abs(x));
      const want = Math.abs(x) >= 19.0615 ? 0 : (4 * e) / ((1 + e) * (1 + e));
      expect(Math.abs(d[i] - want), `tanh'(${x})`).toBeLessThanOrEqual(1e-6 * want);
    }
  });

  it('the fused SIMD tanh column: a = rho acc + u, h, tanh\', sum h^2, the saturated count and sum tanh\'', () => {
    const n = 64;
    const memory = new WebAssembly.Memory({ initial: 1 });
    const k = instantiateKernels(memory);
    const [acc, u, h, d] = [0, 1, 2, 3].map((q) => new Float32Array(memory.buffer, q * 4 * n, n));
    const stats = 16 * n; // the column's count (i32) and sum of tanh' (f64, at + 8)
    const count = new Int32Array(memory.buffer, stats, 1);
    const derSum = new Float64Array(memory.buffer, stats + 8, 1);
    const rng = new Rng(RUN_SEED, 305);
    for (let i = 0; i < n; i++) {
      acc[i] = rng.normal() * 2;
      u[i] = rng.normal();
    }
    const rho = 1.7;
    const ss = k.tanhColumn(acc.byteOffset, u.byteOffset, h.byteOffset, d.byteOffset, n, rho, 0.01, stats);
    let want = 0;
    let sat = 0;
    let dSum = 0;
    for (let i = 0; i < n; i++) {
      const t = Math.tanh(Math.fround(Math.fround(Math.fround(rho) * acc[i]) + u[i])); // a in float32, as f32x4
      expect(Math.abs(h[i] - t)).toBeLessThanOrEqual(3 * 2 ** -24 * Math.abs(t));
      expect(Math.abs(d[i] - (1 - t * t))).toBeLessThanOrEqual(1e-6 * (1 - t * t) + 1e-12);
      want += h[i] * h[i];
      dSum += d[i];
      if (1 - t * t < 0.01) sat++;
    }
    expect(Math.abs(ss - want)).toBeLessThanOrEqual(1e-12 * want);
    // the stored float32 tanh' summed in float64 (in another order): n roundings of 2^-53 at most
    expect(Math.abs(derSum[0] - dSum)).toBeLessThanOrEqual(n * 2 ** -53 * dSum);
    expect(count[0]).toBe(sat);
    expect(sat).toBeGreaterThan(0); // the draw saturates some units, so the count is exercised
  });

  it('the fused SIMD relu / leaky_relu column: values, phi\' (0 at a = 0), -Infinity, NaN, tiny, dead count', () => {
    const n = 8;
    const memory = new WebAssembly.Memory({ initial: 1 });
    const k = instantiateKernels(memory);
    const [acc, u, h, d] = [0, 1, 2, 3].map((q) => new Float32Array(memory.buffer, q * 4 * n, n));
    const stats = 16 * n;
    const count = new Int32Array(memory.buffer, stats, 1);
    const derSum = new Float64Array(memory.buffer, stats + 8, 1);
    acc.set([NaN, -Infinity, 2, 0, -1, 0, 3, -2]);
    u.set([0, 0, 0.5, 0, 0, 1e-39, 0, 1]);
    // a = 2 acc + u: NaN, -Inf, 4.5, 0, -2, 1e-39 (> 0, flushed in h), 6, -3
    const relu = k.rectColumn(acc.byteOffset, u.byteOffset, h.byteOffset, d.byteOffset, n, 2, 0, 0, stats);
    expect(Array.from(h)).toEqual([NaN, 0, 4.5, 0, 0, 0, 6, 0]);
    expect(Array.from(d)).toEqual([NaN, 0, 1, 0, 0, 1, 1, 0]);
    expect(relu).toBeNaN();
    expect(count[0]).toBe(4); // -Inf, 0, -2, -3
    expect(derSum[0]).toBeNaN(); // phi'(NaN)
    acc[0] = 1;
    const leaky = k.rectColumn(acc.byteOffset, u.byteOffset, h.byteOffset, d.byteOffset, n, 2, 0.25, -1, stats);
    expect(Array.from(h)).toEqual([2, -Infinity, 4.5, 0, -0.5, 0, 6, -0.75]);
    expect(Array.from(d)).toEqual([1, 0.25, 1, 0.25, 0.25, 1, 1, 0.25]);
    expect(leaky).toBe(Infinity);
    expect(count[0]).toBe(4);
    expect(derSum[0]).toBe(5); // four 1s and four 0.25s
  });

  it('the SIMD block loops give every column exactly what its column function gives (3 columns, own rho, u, scale)', () => {
    const n = 16;
    const cols = 3;
    const memory = new WebAssembly.Memory({ initial: 1 });
    const k = instantiateKernels(memory);
    const f32 = (at: number, len: number) => new Float32Array(memory.buffer, at, len);
    const v = cols * n * 4;
    const [acc, u, h, d, h1, d1] = [0, 1, 2, 3, 4, 5].map((q) => f32(q * v, cols * n));
    const params = 6 * v; // per column: f32 rho, i32 address of u
    const stats = params + cols * COLUMN_PARAMS_BYTES;
    const one = stats + cols * COLUMN_STATS_BYTES; // the column function's count and phi' sum
    const rng = new Rng(RUN_SEED, 306);
    for (let i = 0; i < cols * n; i++) {
      acc[i] = rng.normal() * 3;
      u[i] = rng.normal();
    }
    const rhos = [0.5, 1.25, 2];
    const slots = [2, 0, 1]; // columns read another column's u
    for (let c = 0; c < cols; c++) {
      new Float32Array(memory.buffer, params + c * COLUMN_PARAMS_BYTES, 1)[0] = rhos[c];
      new Int32Array(memory.buffer, params + c * COLUMN_PARAMS_BYTES + 4, 1)[0] = u.byteOffset + slots[c] * n * 4;
    }
    const colStats = (at: number) => [new Int32Array(memory.buffer, at, 1)[0], new Float64Array(memory.buffer, at + 8, 1)[0]];
    const check = (block: () => void, column: (c: number) => number) => {
      block();
      for (let c = 0; c < cols; c++) {
        const ss = column(c);
        const [count, derSum] = colStats(one);
        expect([...colStats(stats + c * COLUMN_STATS_BYTES), new Float64Array(memory.buffer, stats + c * COLUMN_STATS_BYTES + 16, 1)[0]]).toEqual([count, derSum, ss]);
      }
      expect(Array.from(h)).toEqual(Array.from(h1));
      expect(Array.from(d)).toEqual(Array.from(d1));
    };
    const at = (a: Float32Array, c: number) => a.byteOffset + c * n * 4;
    check(
      () => k.tanhBlock(acc.byteOffset, h.byteOffset, d.byteOffset, n, cols, params, 0.01, stats),
      (c) => k.tanhColumn(at(acc, c), at(u, slots[c]), at(h1, c), at(d1, c), n, rhos[c], 0.01, one),
    );
    check(
      () => k.rectBlock(acc.byteOffset, h.byteOffset, d.byteOffset, n, cols, params, 0.1, -1, stats),
      (c) => k.rectColumn(at(acc, c), at(u, slots[c]), at(h1, c), at(d1, c), n, rhos[c], 0.1, -1, one),
    );
    // sumsqBlock and scaleDeltaBlock: f64 results per column, delta as scaleDelta writes it.
    const out = new Float64Array(memory.buffer, one + 16, cols);
    k.sumsqBlock(acc.byteOffset, n, cols, out.byteOffset);
    expect(Array.from(out)).toEqual([0, 1, 2].map((c) => k.sumsq(at(acc, c), n)));
    const scales = new Float32Array(memory.buffer, out.byteOffset + 8 * cols, cols);
    scales.set([0.5, 3, 1e-3]);
    k.scaleDeltaBlock(d.byteOffset, acc.byteOffset, h.byteOffset, n, cols, scales.byteOffset, out.byteOffset);
    expect(Array.from(out)).toEqual([0, 1, 2].map((c) => k.scaleDelta(at(d, c), at(acc, c), at(h1, c), n, scales[c])));
    expect(Array.from(h)).toEqual(Array.from(h1));
  });

  it('the WebAssembly SIMD backward helpers: float64 sums of squares (no underflow), scaled and flushed delta, NaN kept', () => {
    const n = 40;
    const memory = new WebAssembly.Memory({ initial: 1 });
    const { sumsq, scaleDelta } = instantiateKernels(memory);
    const der = new Float32Array(memory.buffer, 0, n);
    const g = new Float32Array(memory.buffer, 4 * n, n);
    const out = new Float32Array(memory.buffer, 8 * n, n);
    const rng = new Rng(RUN_SEED, 304);
    for (let i = 0; i < n; i++) {
      der[i] = rng.uniform();
      g[i] = rng.normal() * 1e-25; // squares 1e-50: below float32, not float64
    }
    der[7] = 1e-20; // der * g * scale ~ 1e-20 * O(1): stays; its square does not fit float32
    let ss = 0;
    for (let i = 0; i < n; i++) ss += g[i] * g[i];
    expect(Math.abs(sumsq(g.byteOffset, n) - ss)).toBeLessThanOrEqual(1e-15 * ss);
    const scale = Math.fround(1 / Math.sqrt(ss));
    const dss = scaleDelta(der.byteOffset, g.byteOffset, out.byteOffset, n, scale);
    let want = 0;
    for (let i = 0; i < n; i++) {
      const v = Math.fround(Math.fround(der[i] * g[i]) * scale); // float32 products, as f32x4.mul
      expect(out[i]).toBe(Math.abs(v) < F32_MIN_NORMAL ? 0 : v);
      want += v * v;
    }
    expect(Math.abs(dss - want)).toBeLessThanOrEqual(1e-12 * want);
    der[3] = NaN;
    expect(scaleDelta(der.byteOffset, g.byteOffset, out.byteOffset, n, scale)).toBeNaN();
  });

  it('the portable TypeScript path (simd: false) agrees with the reference too, for every activation', async () => {
    const rng = new Rng(RUN_SEED, 302);
    const js = new CpuEngine(null, { simd: false });
    expect(js.adapter).toMatch(/JavaScript/);
    const seen: Comparison[] = [];
    for (const { name } of ACTIVATION_RECORDS) {
      for (const init of ['gaussian', 'identity'] as const) seen.push((await compareWithReference(randomConfig(rng, name, init), `simd off ${name}/${init}`, js)).comparison);
    }
    // Random configs, two per activation: some may lie below float32's range or be chaotic throughout (measured up to 33 % with three).
    const few = { atMost: 0.67, because: 'random configs, some of which may be skipped or sensitive entirely' };
    expectAgreement(combine(seen, `simd off (test seed ${RUN_SEED})`), { skipped: few, sensitive: few });
  });

  it('an activation that is not in the table is refused, not run as another', async () => {
    const config = { ...parseConfig({ hidden: 8, steps: 3, rhoCount: 2, samples: 2 }), activation: 'gelu' as Activation };
    for (const engine of [new CpuEngine(null, { simd: false }), new CpuEngine(null)]) await expect(engine.run(config)).rejects.toThrow(/unknown activation "gelu"/);
  });

  it('0, 1 and 2 workers give identical grids (bit for bit)', async () => {
    const config = parseConfig({ hidden: 13, steps: 40, rhoCount: 7, samples: 9, activation: 'tanh', rhoMax: 2.5, seed: RUN_SEED });
    const one = createNodeCpuEngine({ workers: 1 });
    try {
      const fields = [await new CpuEngine(null).run(config), await one.run(config), await pooled.run(config)];
      for (const f of fields.slice(1)) {
        for (const g of GRID_NAMES) {
          const a = fields[0].grids[g];
          const b = f.grids[g];
          for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) expect.fail(`${g}[${i}] ${a[i]} vs ${b[i]} (${f.meta.adapter})`);
        }
        expect(Array.from(f.overflow)).toEqual(Array.from(fields[0].overflow));
      }
    } finally {
      one.dispose();
    }
  });

  it('relaxed-SIMD FMA: 0, 1 and 2 workers bit for bit, within the reference tolerance for every activation, and really fused', async () => {
    // Node 20 runs relaxed SIMD behind a V8 flag (Chrome and Node >= 22 by default): switched on
    // here and left on (engines created later in this file may use FMA; their tests hold for both).
    if (!fmaAvailable()) setFlagsFromString('--experimental-wasm-relaxed-simd');
    const engines = [new CpuEngine(null), createNodeCpuEngine({ workers: 1 }), createNodeCpuEngine({ workers: 2 })];
    try {
      expect(fmaAvailable()).toBe(true);
      for (const e of engines) expect(e.adapter).toMatch(/with FMA/);
      const config = parseConfig({ hidden: 13, steps: 40, rhoCount: 7, samples: 9, activation: 'tanh', rhoMax: 2.5, seed: RUN_SEED });
      const fields = await Promise.all(engines.map((e) => e.run(config)));
      for (const f of fields.slice(1)) {
        for (const g of GRID_NAMES) {
          const a = fields[0].grids[g];
          const b = f.grids[g];
          for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) expect.fail(`${g}[${i}] ${a[i]} vs ${b[i]} (${f.meta.adapter})`);
        }
        expect(Array.from(f.overflow)).toEqual(Array.from(fields[0].overflow));
      }
      // On a CPU with FMA the fused products round differently from the plain module's somewhere.
      if (/\bfma\b/.test(readFileSync('/proc/cpuinfo', 'utf8'))) {
        const plain = await new CpuEngine(null, { fma: false }).run(config);
        expect(GRID_NAMES.some((g) => plain.grids[g].some((x, i) => !Object.is(x, fields[0].grids[g][i])))).toBe(true);
      }
      const rng = new Rng(RUN_SEED, 307);
      const seen: Comparison[] = [];
      for (const { name } of ACTIVATION_RECORDS) seen.push((await compareWithReference(randomConfig(rng, name, 'gaussian'), `fma ${name}`, engines[2])).comparison);
      // One random config per activation, as for simd off: some may lie below float32's range or be chaotic throughout.
      const few = { atMost: 0.67, because: 'random configs, some of which may be skipped or sensitive entirely' };
      expectAgreement(combine(seen, `fma (test seed ${RUN_SEED})`), { skipped: few, sensitive: few });
    } finally {
      for (const e of engines) e.dispose();
    }
  });

  it('reports progress up to 1 and aborts a run; the engine runs again afterwards', async () => {
    const big = parseConfig({ hidden: 64, steps: 400, rhoCount: 32, samples: 16, seed: RUN_SEED });
    const controller = new AbortController();
    const fractions: number[] = [];
    const started = performance.now();
    const run = pooled.run(big, {
      signal: controller.signal,
      onProgress: (p) => {
        fractions.push(p.fraction);
        controller.abort();
      },
    });
    await expect(run).rejects.toSatisfy(isAbortError);
    expect(fractions.length).toBeGreaterThan(0);
    expect(performance.now() - started).toBeLessThan(20_000);

    const pre = new AbortController();
    pre.abort();
    await expect(pooled.run(big, { signal: pre.signal })).rejects.toSatisfy(isAbortError);

    const small = parseConfig({ hidden: 6, steps: 5, rhoCount: 2, samples: 3, seed: RUN_SEED });
    const seen: number[] = [];
    const upper = { atMost: 0.5, because: 'the upper of its two rows (rho = 1.5) may amplify rounding' };
    await expectAgrees(small, 'after abort', { skipped: upper, sensitive: upper });
    await pooled.run(small, { onProgress: (p) => seen.push(p.fraction) });
    expect(seen[seen.length - 1]).toBe(1);
  });

  it('a worker that cannot start rejects the run with an actionable message', async () => {
    const broken = new CpuEngine(
      () => {
        throw new Error('Worker is not defined');
      },
      { workers: 2 },
    );
    await expect(broken.run(parseConfig({ hidden: 4, steps: 3, rhoCount: 2, samples: 2 }))).rejects.toThrow(/could not start a worker.*workers: 0/);
    broken.dispose();
  });

  it('caps the pool by memory: workerBytes counts W0 twice and the BPTT store', () => {
    // N = 1024, T = 5000, 4 columns: 2 * 4 MiB of W0 + 5004 * 4 * 1024 floats = 86 MiB per worker: at most 8 fit in 768 MiB.
    expect(workerBytes({ Np: 1024, T: 5000, blockColumns: 4 })).toBe(4 * (2 * 1024 * 1024 + 5004 * 4 * 1024));
    expect(Math.floor(POOL_BYTES_LIMIT / workerBytes({ Np: 1024, T: 5000, blockColumns: 4 }))).toBe(8);
  });

  it('refuses to run after dispose()', async () => {
    const e = createNodeCpuEngine({ workers: 1 });
    e.dispose();
    await expect(e.run(parseConfig({}))).rejects.toThrow(/dispose/);
  });
});

/**
 * The reproducibility bundle: one JSON file holding the config, the numbers actually used
 * (W0, U, b, r, h0, the inputs) and the grids, enough to recompute the run with NumPy alone.
 * Format documented in docs/bundle.md.
 */
import { z } from 'zod';
import { parseConfig, type Config } from './config.ts';
import { GRID_NAMES, type GradientField, type GridName } from './field.ts';
import { makeGrids, STATISTICS } from './statistics.ts';
import { eigenvaluesOf, type Problem } from './problem.ts';
import { outlierSlots, parseOutliers, type OutlierDirection } from './spectrum-init.ts';
import { untiedWeightsSync } from './weights.ts';
import { hasEigenvalues } from './spectrum.ts';
import { phaseDiagram, rateSummary } from './phase.ts';
import { LAB_VERSION } from './version.ts';

export const BUNDLE_FORMAT = 'rnn-gradient-lab.run/2';
/**
 * The first format, still read. Its log10 means were -Infinity as soon as ONE sample was an exact
 * zero (format 2 averages over the samples that are not, with the fraction of zeros beside it), so
 * such a cell does not say what format 2's mean is: read as undefined (NaN), except where the
 * gradient's standard deviation, 0, says every sample was zero (then -Infinity is right).
 */
export const BUNDLE_FORMAT_1 = 'rnn-gradient-lab.run/1';
/** The matrices are written when N*N + S*T*D is at most this many numbers. */
export const MATRIX_NUMBER_LIMIT = 2_000_000;
/**
 * The grids every bundle of this format has. Grids added to the statistics table later are
 * optional when reading: a bundle written before one existed loads without it (its cells NaN,
 * its name in meta.absentGrids).
 */
export const BUNDLE_BASE_GRIDS: readonly GridName[] = ['gradLog10Mean', 'gradLog10Std', 'hiddenLog10Mean', 'saturation', 'weightGradLog10'];

type Nested = (number | null)[][];

export interface Bundle {
  format: typeof BUNDLE_FORMAT;
  version: string;
  backend: string;
  adapter: string;
  precision: 'float64' | 'float32';
  wallMs: number;
  config: Config;
  rho: number[];
  /** meanSquare = ||W0||_F^2 / N (absent in bundles written before it was recorded). */
  spectrum: { radius: number; norm: number; meanSquare?: number; re: number[]; im: number[] };
  matrices: {
    W0: number[][];
    U: number[][];
    b: number[];
    r: number[];
    h0: number[];
    /** [S][T][D] */
    inputs: number[][][];
  } | null;
  /** Why the matrices were left out, when they were. */
  matricesOmitted?: string;
  /**
   * What rebuilds the W of every row and step (docs/bundle.md): the rule, the chosen spectrum
   * (init spectrum) and the untied W0_t. Absent in bundles written before the chosen spectrum.
   */
  weights?: BundleWeights;
  /** K x T, column j = timestep t = j + 1; null where the value is not finite. */
  grids: Partial<Record<GridName, Nested>> & { overflow: number[][] };
  /** Where the nulls of each grid came from: lists of [k, j] per kind of non-finite value. */
  nonFinite: Partial<Record<GridName, { NaN?: [number, number][]; Infinity?: [number, number][]; '-Infinity'?: [number, number][] }>>;
  /** What the lab showed when the run was saved (absent in bundles from the CLI and older files). */
  view?: BundleView;
  /**
   * The rate of log10 ||dL/dh_t|| per step backwards against rho (src/core/phase.ts,
   * docs/theory.md), derived from the grids when the bundle was written; null where not defined.
   * Not read back: a bundle opened again recomputes it from its grids.
   */
  rates?: {
    window: { from: number; to: number } | null;
    edgeMeanField: number | null;
    edgeMeanFieldOutside: number | null;
    edgeMeasured: number | null;
    meanField: string;
    rate: (number | null)[];
    rateSeBound: (number | null)[];
    rateMeanField: (number | null)[];
    rateLinear: (number | null)[];
    ratePascanu: (number | null)[];
  };
}

/** One outlier direction D = P^T R P (P's rows are the outlier's orthonormal columns of Q). */
export interface BundleDirection {
  /** [width][N], width 1 (a real outlier) or 2 (a conjugate pair). */
  P: number[][];
  /** [width][width]: the outlier's block of B over its magnitude. */
  R: number[][];
  /** |lambda_0|, the first outlier's magnitude as given. */
  magnitude0: number;
}

export interface BundleWeights {
  /** In words, the W of row k at step t. */
  rule: string;
  sweep: Config['sweep'];
  weights: Config['weights'];
  /** Per row k: W_t = rhoScale[k] W0_t + shift[k] D_t. */
  rhoScale: number[];
  shift: number[];
  /** init spectrum: W0 = Q B Q^T. */
  chosen?: {
    /** B's diagonal blocks: [start, size, re, im], a pair re +- i im for size 2 (im > 0). */
    blocks: [number, 1 | 2, number, number][];
    /** The bulk's eigenvalues as drawn from the seed (every eigenvalue after the outliers'). */
    bulk: { re: number[]; im: number[] };
    /** [N][N] the orthogonal Q (null when the matrices are left out). */
    Q: number[][] | null;
    /** The first outlier's direction (null without outliers). */
    direction: BundleDirection | null;
  };
  /** weights untied: W0_t for t = 1..T ([T][N][N]) and, for sweep outlier, each D_t; null when left out. */
  untied?: { W0: number[][][]; directions: (BundleDirection | null)[] } | null;
  /** Why the untied matrices were left out, and how to regenerate them. */
  untiedOmitted?: string;
}

/** The view a bundle was saved with, so opening it shows the same picture. */
export interface BundleView {
  /** The field shown, by the lab's short name (grad, hidden, weight, saturation). */
  shown: string;
  /** Where the rho slider stood. */
  rho: number;
  /** The 3D camera as [azimuth deg, elevation deg, distance], or null for the default. */
  camera: [number, number, number] | null;
}

function direction(d: OutlierDirection | null, n: number): BundleDirection | null {
  if (!d) return null;
  return { P: rows(d.P, d.width, n), R: rows(d.R, d.width, d.width), magnitude0: d.magnitude0 };
}

const RULES = {
  rho: 'W_k = rho_k W0 at every step',
  outlier: "W_k = W0 + (m_k - |lambda_0|) D with D = P^T R P: the first outlier moved to magnitude m_k = rho[k] along its ray, every other eigenvalue fixed",
} as const;

/** The weights section: the rule per row, the chosen spectrum, and the untied W0_t where they fit. */
function bundleWeights(field: GradientField, problem: Problem, withMatrices: boolean, count: number): BundleWeights {
  const { config } = field;
  const n = config.hidden;
  const T = config.steps;
  const m0 = problem.chosen?.direction?.magnitude0 ?? 0;
  const outlier = config.sweep === 'outlier';
  const untied = config.weights === 'untied';
  const out: BundleWeights = {
    rule: `${RULES[config.sweep]}${untied ? '; untied: W0 (and D) replaced by a fresh W0_t (and D_t) at every step t = 1..T' : ''}`,
    sweep: config.sweep,
    weights: config.weights,
    rhoScale: Array.from(field.rho, (r) => (outlier ? 1 : r)),
    shift: Array.from(field.rho, (r) => (outlier ? r - m0 : 0)),
  };
  const chosen = problem.chosen;
  if (chosen) {
    const outliers = parseOutliers(config.outliers);
    const slots = Array.isArray(outliers) ? outlierSlots(outliers) : 0;
    const re: number[] = [];
    const im: number[] = [];
    for (const b of chosen.blocks) {
      if (b.start < slots) continue;
      re.push(b.re);
      im.push(b.im);
      if (b.size === 2) {
        re.push(b.re);
        im.push(-b.im);
      }
    }
    out.chosen = {
      blocks: chosen.blocks.map((b) => [b.start, b.size, b.re, b.im]),
      bulk: { re, im },
      Q: withMatrices ? rows(chosen.Q, n, n) : null,
      direction: direction(chosen.direction, n),
    };
  }
  if (untied) {
    const numbers = T * n * n;
    if (!withMatrices || count + numbers > MATRIX_NUMBER_LIMIT) {
      out.untied = null;
      out.untiedOmitted =
        `the untied W0_t (T*N*N = ${numbers} numbers) are left out (with the other matrices over ${MATRIX_NUMBER_LIMIT} numbers); ` +
        `they come from the lab's seeded generator: rerun the config (rnnlab sweep) at a smaller T or N to get them, or build them with untiedWeights in src/core/weights.ts` +
        (config.init === 'spectrum' ? '; for init spectrum each is Q_t B Q_t^T with the blocks above and Q_t the Q of a QR of the index-t draw of the W0 stream' : '');
    } else {
      const w = untiedWeightsSync(config)!;
      out.untied = { W0: w.W.map((m) => rows(m, n, n)), directions: w.directions.map((d) => direction(d, n)) };
    }
  }
  return out;
}

function rows(a: Float64Array, r: number, c: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < r; i++) out.push(Array.from(a.subarray(i * c, (i + 1) * c)));
  return out;
}

/** The bundle of a finished run; pass the problem it ran on to include the matrices, and the view to show it the same way. */
export function toBundle(field: GradientField, problem?: Problem, view?: BundleView): Bundle {
  const { config, K, T } = field;
  const steps = config.steps;
  const n = config.hidden;
  const d = config.input;
  const S = config.samples;
  const count = n * n + S * steps * d;
  let matrices: Bundle['matrices'] = null;
  let matricesOmitted: string | undefined;
  if (count > MATRIX_NUMBER_LIMIT) {
    matricesOmitted = `N*N + S*T*D = ${count} numbers exceeds ${MATRIX_NUMBER_LIMIT}; every matrix is reproducible from the config's seed with the lab itself`;
  } else if (!problem) {
    matricesOmitted = 'the run was saved without its problem; rebuild it from the config and seed';
  } else {
    matrices = {
      W0: rows(problem.W0, n, n),
      U: rows(problem.U, n, d),
      b: Array.from(problem.b),
      r: Array.from(problem.r),
      h0: Array.from(problem.h0),
      inputs: Array.from({ length: S }, (_, s) => rows(problem.inputsFor(s), steps, d)),
    };
  }
  const weights = problem ? bundleWeights(field, problem, matrices !== null, count) : undefined;
  // A large run's field may not have its eigenvalues yet (problem.ts): the bundle always does.
  const spectrum = hasEigenvalues(field.spectrum) ? field.spectrum : eigenvaluesOf(config);
  const grids = {} as Bundle['grids'];
  const nonFinite: Bundle['nonFinite'] = {};
  for (const name of GRID_NAMES) {
    const g = field.grids[name];
    const out: Nested = [];
    for (let k = 0; k < K; k++) {
      const row: (number | null)[] = [];
      for (let j = 0; j < T; j++) {
        const v = g[k * T + j];
        if (Number.isFinite(v)) row.push(v);
        else {
          row.push(null);
          const kind = Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
          const entry = (nonFinite[name] ??= {});
          (entry[kind] ??= []).push([k, j]);
        }
      }
      out.push(row);
    }
    grids[name] = out;
  }
  grids.overflow = Array.from({ length: K }, (_, k) => Array.from(field.overflow.subarray(k * T, (k + 1) * T)));
  const bundle: Bundle = {
    format: BUNDLE_FORMAT,
    version: LAB_VERSION,
    backend: field.meta.backend,
    adapter: field.meta.adapter,
    precision: field.meta.precision,
    wallMs: field.meta.wallMs,
    config,
    rho: Array.from(field.rho),
    spectrum: {
      radius: spectrum.radius,
      norm: spectrum.norm,
      ...(Number.isFinite(spectrum.meanSquare) ? { meanSquare: spectrum.meanSquare } : {}),
      re: Array.from(spectrum.re),
      im: Array.from(spectrum.im),
    },
    matrices,
    grids,
    nonFinite,
    rates: bundleRates(field),
  };
  if (matricesOmitted) bundle.matricesOmitted = matricesOmitted;
  if (weights) bundle.weights = weights;
  if (view) bundle.view = view;
  return bundle;
}

/** The phase diagram's columns for the bundle, with null for a value that is not finite. */
function bundleRates(field: GradientField): NonNullable<Bundle['rates']> {
  const p = phaseDiagram(field);
  const list = (a: Float64Array | null) => Array.from(a ?? new Float64Array(field.K).fill(NaN), (v) => (Number.isFinite(v) ? v : null));
  return {
    ...rateSummary(p),
    rate: list(p.measured.rate),
    rateSeBound: list(p.measured.seBound),
    rateMeanField: list(p.meanField),
    rateLinear: list(p.linear),
    ratePascanu: list(p.pascanu),
  };
}

export function bundleToJson(field: GradientField, problem?: Problem, view?: BundleView): string {
  return JSON.stringify(toBundle(field, problem, view));
}

export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}

const cell = z.number().nullable();
const index = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]);
const bundleSchema = z.object({
  format: z.string(),
  version: z.string(),
  backend: z.string(),
  adapter: z.string(),
  precision: z.enum(['float64', 'float32']),
  wallMs: z.number(),
  config: z.unknown(),
  rho: z.array(z.number()),
  spectrum: z.object({
    radius: z.number(),
    norm: z.number(),
    meanSquare: z.number().optional(),
    re: z.array(z.number()),
    im: z.array(z.number()),
  }),
  matrices: z.unknown(),
  matricesOmitted: z.string().optional(),
  grids: z.object({
    ...Object.fromEntries(GRID_NAMES.map((g) => [g, BUNDLE_BASE_GRIDS.includes(g) ? z.array(z.array(cell)) : z.array(z.array(cell)).optional()])),
    // the cell flag bits (src/core/range.ts): 1 overflow, 2 out of range, 3 both; bundles written before the kinds were split hold 0/1
    overflow: z.array(z.array(z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]))),
  }),
  nonFinite: z.record(
    z.string(),
    z.object({ NaN: z.array(index).optional(), Infinity: z.array(index).optional(), '-Infinity': z.array(index).optional() }),
  ),
  view: z
    .object({ shown: z.string(), rho: z.number(), camera: z.tuple([z.number(), z.number(), z.number()]).nullable() })
    .optional(),
});

/** ||W0||_F^2 / N from the bundle's W0 when it carries one; NaN when it does not. */
function meanSquareOfMatrices(matrices: unknown, n: number): number {
  const w = (matrices as { W0?: unknown } | null)?.W0;
  if (!Array.isArray(w) || w.length !== n) return NaN;
  let ss = 0;
  for (const row of w as unknown[]) {
    if (!Array.isArray(row) || row.length !== n) return NaN;
    for (const v of row as unknown[]) {
      if (typeof v !== 'number') return NaN;
      ss += v * v;
    }
  }
  return ss / n;
}

/** A field back from bundle JSON, exactly as it was written. Throws BundleError with the reason. */
export function fieldFromBundle(json: string | unknown): GradientField {
  return runFromBundle(json).field;
}

/** The field and the view it was saved with (null when the bundle has none). Throws BundleError with the reason. */
export function runFromBundle(json: string | unknown): { field: GradientField; view: BundleView | null } {
  let raw: unknown = json;
  if (typeof json === 'string') {
    try {
      raw = JSON.parse(json);
    } catch (e) {
      throw new BundleError(`the file is not valid JSON (${(e as Error).message}); is it truncated?`);
    }
  }
  if (typeof raw !== 'object' || raw === null || !('format' in raw)) {
    throw new BundleError(`this is not an RNN Gradient Lab bundle: it has no "format" field (expected "${BUNDLE_FORMAT}")`);
  }
  const format = (raw as { format: unknown }).format;
  if (format !== BUNDLE_FORMAT && format !== BUNDLE_FORMAT_1) {
    throw new BundleError(`unsupported bundle format ${JSON.stringify(format)}; this lab reads "${BUNDLE_FORMAT}" and "${BUNDLE_FORMAT_1}"`);
  }
  const parsed = bundleSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new BundleError(`the bundle is malformed at ${i.path.join('.') || 'its top level'}: ${i.message}`);
  }
  const b = parsed.data;
  let config: Config;
  try {
    config = parseConfig(b.config);
  } catch (e) {
    throw new BundleError(`the bundle's config is invalid: ${(e as Error).message}`);
  }
  const K = config.rhoCount;
  const T = config.steps;
  if (b.rho.length !== K) throw new BundleError(`rho has ${b.rho.length} values but the config says rhoCount = ${K}`);
  const n = config.hidden;
  if (b.spectrum.re.length !== n || b.spectrum.im.length !== n) {
    throw new BundleError(`the spectrum has ${b.spectrum.re.length} eigenvalues but the config says hidden = ${n}`);
  }
  const checkShape = (name: string, g: unknown[][]) => {
    if (g.length !== K) throw new BundleError(`grid ${name} has ${g.length} rows; expected K = ${K}`);
    g.forEach((row, k) => {
      if (row.length !== T) throw new BundleError(`grid ${name} row ${k} has ${row.length} columns; expected T = ${T}`);
    });
  };
  const grids = b.grids as unknown as Bundle['grids'];
  const field: GradientField = {
    config,
    rho: Float64Array.from(b.rho),
    K,
    T,
    grids: makeGrids(K * T),
    overflow: new Uint8Array(K * T),
    spectrum: {
      re: Float64Array.from(b.spectrum.re),
      im: Float64Array.from(b.spectrum.im),
      radius: b.spectrum.radius,
      norm: b.spectrum.norm,
      meanSquare: b.spectrum.meanSquare ?? meanSquareOfMatrices(b.matrices, n),
    },
    meta: { backend: b.backend, adapter: b.adapter, wallMs: b.wallMs, precision: b.precision },
  };
  const absent: GridName[] = [];
  for (const name of GRID_NAMES) {
    const g = grids[name];
    if (!g) {
      absent.push(name);
      continue;
    }
    checkShape(name, g);
    const out = field.grids[name];
    for (let k = 0; k < K; k++) for (let j = 0; j < T; j++) out[k * T + j] = g[k][j] ?? NaN;
    const specials = b.nonFinite[name];
    if (specials) {
      for (const [kind, value] of [['NaN', NaN], ['Infinity', Infinity], ['-Infinity', -Infinity]] as const) {
        for (const [k, j] of specials[kind] ?? []) {
          if (k >= K || j >= T || g[k][j] !== null) {
            throw new BundleError(`nonFinite.${name}.${kind} names cell [${k}, ${j}], which is not a null cell of the grid`);
          }
          out[k * T + j] = value;
        }
      }
    }
  }
  if (format === BUNDLE_FORMAT_1) readFormat1Zeros(field);
  if (absent.length > 0) field.meta.absentGrids = absent;
  checkShape('overflow', grids.overflow);
  for (let k = 0; k < K; k++) for (let j = 0; j < T; j++) field.overflow[k * T + j] = grids.overflow[k][j];
  return { field, view: b.view ?? null };
}

/** Format 1's rule for exact zeros, turned into format 2's (see BUNDLE_FORMAT_1). */
function readFormat1Zeros(field: GradientField): void {
  for (const g of GRID_NAMES) {
    const { quantity, reduce, log } = STATISTICS[g];
    if (!log || reduce !== 'mean') continue;
    const std = GRID_NAMES.find((x) => STATISTICS[x].quantity === quantity && STATISTICS[x].reduce === 'std');
    const mean = field.grids[g];
    for (let i = 0; i < mean.length; i++) {
      if (mean[i] !== -Infinity) continue;
      const allZero = std !== undefined && field.grids[std][i] === 0;
      if (!allZero) mean[i] = NaN;
    }
    // Format 1 wrote Infinity as the spread where only some samples were zero.
    if (std) field.grids[std].forEach((v, i, a) => (a[i] = v === Infinity ? NaN : v));
  }
}

/**
 * The concrete numbers of a sweep, drawn from the config's seed: W0, U, b, r, h0 and the
 * S input sequences. Every engine runs on exactly these (the GPU engines as float32 copies).
 */
import { driveOn, FIELDS, tiedRhoOnlyRefusal, rhoValues, type Config } from './config.ts';
import { sequenceInputs } from './inputs.ts';
import { isAbortError } from './engine.ts';
import { gaussianDraw, Rng, STREAM } from './rng.ts';
import { arnoldiRadius } from './krylov.ts';
import { eigenvalues, hasEigenvalues, meanSquare, orthogonalFromGaussian, radiusOf, spectralNorm, type Spectrum } from './spectrum.ts';
import {
  blockEigenvalues,
  fromSchur,
  outlierDirection,
  parseBulk,
  parseOutliers,
  randomOrthogonal,
  schurBlocks,
  type OutlierDirection,
  type SchurBlock,
} from './spectrum-init.ts';

export interface Problem {
  config: Config;
  /** [K] the swept values: spectral radii (sweep rho) or the first outlier's magnitudes (sweep outlier). */
  rho: Float64Array;
  /** init spectrum: Q, B's blocks and the first outlier's direction; null for the random inits. */
  chosen: ChosenSpectrum | null;
  /** [N, N] row-major, normalised: spectral radius 1 (or spectral norm 1). The RNN uses rho_k * W0. */
  W0: Float64Array;
  /** [N, D] row-major, entries N(0, 1/D). */
  U: Float64Array;
  /** [N], entries N(0, biasScale^2). */
  b: Float64Array;
  /** [N], the readout: a random unit vector; L = r . h_T. */
  r: Float64Array;
  /** [N], the initial hidden state shared by every sequence. */
  h0: Float64Array;
  /**
   * Spectral radius and spectral norm of the normalised W0, and its eigenvalues where N <=
   * EAGER_EIGENVALUES_MAX_N (else empty: eigenvaluesOf computes them).
   */
  spectrum: Spectrum;
  /** [T, D] row-major: the inputs x_1..x_T of sequence s (0-based), zeros where the input is off. */
  inputsFor(s: number): Float64Array;
  /** Whether the bias is applied at step t (1-based). */
  biasOn(t: number): boolean;
}

interface W0Entry {
  W0: Float64Array;
  spectrum: Spectrum;
  /** init spectrum: Q, B's blocks and the outlier's direction. */
  chosen?: ChosenSpectrum;
}

/**
 * Up to this N the eigenvalues are computed with W0 (hqr.ts: about 0.2 s at N = 256). Above it
 * they would hold up the sweep for seconds (about 6 s at N = 1024) while the sweep needs only
 * the radius or the norm: W0 is then normalised with the Krylov estimates (krylov.ts, a few
 * hundred ms) and the spectrum carries no eigenvalues until eigenvaluesOf computes them.
 */
export const EAGER_EIGENVALUES_MAX_N = 256;

// W0 and its spectrum cost O(N^3); a sweep that changes only rho, S, T or the activation reuses them.
const w0Cache = new Map<string, W0Entry>();
const W0_CACHE_LIMIT = 8;

function cacheKey(config: W0Config): string {
  const chosen = config.init === 'spectrum' ? `/${config.bulk ?? FIELDS.bulk.default}/${config.outliers ?? FIELDS.outliers.default}` : '';
  return `${config.init}/${config.normalize}/${config.hidden}/${config.seed}${chosen}`;
}

/** What W0 depends on: the init, its normalisation, N, the seed and, for init spectrum, the spectrum. */
export type W0Config = Pick<Config, 'init' | 'normalize' | 'hidden' | 'seed'> & Partial<Pick<Config, 'bulk' | 'outliers'>>;

/** The chosen spectrum behind an init-spectrum W0 = Q B Q^T: what rebuilds it and moves its outlier. */
export interface ChosenSpectrum {
  /** B's diagonal blocks: the outliers first, then the bulk drawn from the seed. */
  blocks: SchurBlock[];
  /** [N, N] row-major, the orthogonal Q. */
  Q: Float64Array;
  /** The first outlier's direction (null without outliers). */
  direction: OutlierDirection | null;
}

function chosenBlocks(config: W0Config): SchurBlock[] {
  const bulk = parseBulk(config.bulk ?? FIELDS.bulk.default);
  const outliers = parseOutliers(config.outliers ?? FIELDS.outliers.default);
  if (typeof bulk === 'string') throw new Error(`bulk ${bulk}`);
  if (typeof outliers === 'string') throw new Error(`outliers ${outliers}`);
  return schurBlocks(config.hidden, bulk, outliers, config.seed);
}

/**
 * The tied Q (index 0) of the last few (N, seed): dragging an eigenvalue changes B every frame but
 * never Q, whose QR decomposition is the largest cost of rebuilding W0 = Q B Q^T at small N
 * (measured 10-17 ms of 19-46 ms per W0 at N = 64 under load 30 on 2 cores). Read-only.
 */
const tiedQCache = new Map<string, Float64Array>();
const TIED_Q_CACHE_LIMIT = 2;

function orthogonalFor(n: number, seed: number, index: number): Float64Array {
  if (index !== 0) return randomOrthogonal(n, seed, index);
  const key = `${n}/${seed}`;
  let q = tiedQCache.get(key);
  if (!q) {
    q = randomOrthogonal(n, seed, 0);
    if (tiedQCache.size >= TIED_Q_CACHE_LIMIT) tiedQCache.delete(tiedQCache.keys().next().value as string);
    tiedQCache.set(key, q);
  }
  return q;
}

/** Q_index B Q_index^T for the config's chosen spectrum: index 0 is the tied W0, index t the untied W0_t. */
export function chosenMatrix(config: W0Config, index: number, blocks = chosenBlocks(config)): { W: Float64Array; chosen: ChosenSpectrum } {
  const n = config.hidden;
  const Q = orthogonalFor(n, config.seed, index);
  const W = fromSchur(Q, blocks, n);
  const first = blocks[0];
  const hasOutlier = parseOutliers(config.outliers ?? FIELDS.outliers.default).length > 0;
  return { W, chosen: { blocks, Q, direction: hasOutlier && first ? outlierDirection(Q, first, n) : null } };
}

/** The random init's matrix before normalisation: I, an orthogonal Q, or gaussian N(0, 1/N) entries. */
function drawMatrix(config: W0Config, index: number): Float64Array {
  const n = config.hidden;
  if (config.init === 'identity') {
    const w = new Float64Array(n * n);
    for (let i = 0; i < n; i++) w[i * n + i] = 1;
    return w;
  }
  const g = gaussianDraw(config.seed, n, index);
  return config.init === 'orthogonal' ? orthogonalFromGaussian(g, n) : g;
}


/** A gaussian matrix's spectral radius as randomMatrix finds it: from its eigenvalues up to EAGER_EIGENVALUES_MAX_N, else Arnoldi (eigenvalues where it fails). */
function gaussianRadius(w: Float64Array, n: number, eig: { re: Float64Array; im: Float64Array } | null): { radius: number; eig: { re: Float64Array; im: Float64Array } | null } {
  if (eig) return { radius: radiusOf(eig.re, eig.im), eig };
  const arnoldi = arnoldiRadius(w, n);
  if (arnoldi) return { radius: arnoldi.radius, eig };
  const all = eigenvalues(w, n);
  return { radius: radiusOf(all.re, all.im), eig: all };
}

/**
 * A random init's matrix for index i of the W0 stream (0: the tied W0; t: the untied W0_t),
 * normalised to spectral radius or norm 1, with its spectrum (eigenvalues only up to
 * EAGER_EIGENVALUES_MAX_N).
 */
export function randomMatrix(config: W0Config, index: number): W0Entry {
  const { w, eig, radius } = matrixAndRadius(config, index);
  return normalised(config, w, eig, radius, spectralNorm(w, config.hidden));
}

/** The drawn matrix and its radius (null: a normal matrix, whose radius is its norm), with the eigenvalues where N <= EAGER_EIGENVALUES_MAX_N. */
function matrixAndRadius(config: W0Config, index: number): { w: Float64Array; eig: { re: Float64Array; im: Float64Array } | null; radius: number | null } {
  const n = config.hidden;
  const w = drawMatrix(config, index);
  const eig = n <= EAGER_EIGENVALUES_MAX_N ? eigenvalues(w, n) : null;
  // identity and orthogonal W0 are normal matrices (W W^T = W^T W), whose radius is their norm.
  if (eig || config.init === 'gaussian') return { w, ...gaussianRadius(w, n, eig) };
  return { w, eig, radius: null };
}

/** randomMatrix's entry from the drawn matrix, its radius (null: = norm) and its norm: W0 normalised, with its spectrum. */
function normalised(config: W0Config, w: Float64Array, eigIn: { re: Float64Array; im: Float64Array } | null, radiusIn: number | null, normIn: number): W0Entry {
  const n = config.hidden;
  let eig = eigIn;
  let norm = normIn;
  let radius = radiusIn ?? normIn;
  // identity is exactly normalised and orthogonal Q is to rounding (radius and norm 1 within
  // ~1e-15): dividing by 1 +- ulp would only add rounding.
  if (config.init === 'gaussian') {
    const scale = config.normalize === 'radius' ? radius : norm;
    if (scale > 0) {
      for (let i = 0; i < w.length; i++) w[i] /= scale;
      if (eig) eig = { re: eig.re.map((v) => v / scale), im: eig.im.map((v) => v / scale) };
      radius /= scale;
      norm /= scale;
    }
  }
  return { W0: w, spectrum: { re: eig?.re ?? new Float64Array(0), im: eig?.im ?? new Float64Array(0), radius, norm, meanSquare: meanSquare(w, n) } };
}

/**
 * randomMatrix(config, index).W0 without the spectrum it does not need: the same matrix, bit for
 * bit, computing only what normalises it (an untied W0_t: T of them are built per sweep). Identity
 * and orthogonal need nothing; a gaussian one its radius (eigenvalues, or Arnoldi above
 * EAGER_EIGENVALUES_MAX_N) or its norm.
 */
export function normalisedMatrix(config: W0Config, index: number): Float64Array {
  const n = config.hidden;
  const w = drawMatrix(config, index);
  if (config.init !== 'gaussian') return w;
  const scale = config.normalize === 'radius' ? gaussianRadius(w, n, n <= EAGER_EIGENVALUES_MAX_N ? eigenvalues(w, n) : null).radius : spectralNorm(w, n);
  if (scale > 0) for (let i = 0; i < w.length; i++) w[i] /= scale;
  return w;
}

/**
 * W0 for (init, normalize, N, seed), normalised, with its spectrum (eigenvalues included only up
 * to EAGER_EIGENVALUES_MAX_N; for init spectrum always, exactly as chosen). Cached.
 */
export function recurrentMatrix(config: W0Config): W0Entry {
  const key = cacheKey(config);
  const hit = w0Cache.get(key);
  if (hit) return hit;
  let entry: W0Entry;
  if (config.init === 'spectrum') {
    const { W, chosen } = chosenMatrix(config, 0);
    const { re, im } = blockEigenvalues(chosen.blocks, config.hidden);
    // W0 is normal: its spectral norm is its spectral radius.
    const radius = radiusOf(re, im);
    entry = { W0: W, spectrum: { re, im, radius, norm: radius, meanSquare: meanSquare(W, config.hidden) }, chosen };
  } else entry = randomMatrix(config, 0);
  return remember(key, entry);
}

function remember(key: string, entry: W0Entry): W0Entry {
  if (w0Cache.size >= W0_CACHE_LIMIT) w0Cache.delete(w0Cache.keys().next().value as string);
  w0Cache.set(key, entry);
  return entry;
}

/**
 * Whether building this config's W0 would find its radius and its norm by two Krylov
 * iterations, which two threads can run side by side: a gaussian W0 above
 * EAGER_EIGENVALUES_MAX_N, not cached yet (w0-norm.ts gaussianRawNorm, recurrentMatrixBeside).
 */
export function normApartHelps(config: W0Config): boolean {
  return config.init === 'gaussian' && config.hidden > EAGER_EIGENVALUES_MAX_N && !w0Cache.has(cacheKey(config));
}

/**
 * recurrentMatrix(config), the same entry bit for bit and cached the same way, with the norm of
 * the drawn matrix computed by `normApart` (another thread: w0-norm.ts there) while this
 * thread finds the radius: at N = 1024 the Lanczos norm then costs nothing on the way to the
 * sweep. Where normApart fails, the norm is computed here. Configs where it does not help
 * (normApartHelps false) are built as recurrentMatrix builds them.
 */
export async function recurrentMatrixBeside(config: W0Config, normApart: (seed: number, n: number) => Promise<number>): Promise<W0Entry> {
  if (!normApartHelps(config)) return recurrentMatrix(config);
  const pending = normApart(config.seed, config.hidden).then(
    (norm) => ({ norm }),
    (error: unknown) => ({ error }),
  );
  const { w, eig, radius } = matrixAndRadius(config, 0);
  const apart = await pending;
  if ('error' in apart && isAbortError(apart.error)) throw apart.error;
  const norm = 'norm' in apart ? apart.norm : spectralNorm(w, config.hidden);
  const key = cacheKey(config);
  return w0Cache.get(key) ?? remember(key, normalised(config, w, eig, radius, norm));
}

/**
 * The spectrum of the (normalised) W0 of a config with every eigenvalue: computed once (hqr.ts)
 * and cached with W0. Its radius is then max |lambda| of those eigenvalues, the radius of the
 * matrix the engines used, whatever estimate normalised it.
 */
export function eigenvaluesOf(config: W0Config): Spectrum {
  const entry = recurrentMatrix(config);
  if (hasEigenvalues(entry.spectrum) || config.hidden === 0) return entry.spectrum;
  const { re, im } = eigenvalues(entry.W0, config.hidden);
  entry.spectrum = { re, im, radius: radiusOf(re, im), norm: entry.spectrum.norm, meanSquare: entry.spectrum.meanSquare };
  return entry.spectrum;
}

/** A config the engine at hand does not compute (it says which and what to choose instead). */
export class UnsupportedConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedConfigError';
  }
}

export interface BuildOptions {
  /**
   * The caller computes sweep = outlier and weights = untied (rowWeights, untiedWeights). Callers
   * that do not say so get an UnsupportedConfigError for those configs instead of a Problem they
   * would silently run as a tied rho sweep.
   */
  outlierAndUntied?: boolean;
}

/** Draw every number of the sweep from the config's seed. */
export function buildProblem(config: Config, options: BuildOptions = {}): Problem {
  const refused = options.outlierAndUntied ? null : tiedRhoOnlyRefusal(config);
  if (refused) throw new UnsupportedConfigError(refused);
  const n = config.hidden;
  const d = config.input;
  const T = config.steps;
  const { W0, spectrum: spec, chosen } = recurrentMatrix(config);
  const U = new Rng(config.seed, STREAM.U).normals(n * d, 1 / Math.sqrt(d));
  const b = new Rng(config.seed, STREAM.b).normals(n, config.biasScale);
  const r = new Rng(config.seed, STREAM.r).normals(n);
  let rn = 0;
  for (const v of r) rn += v * v;
  rn = Math.sqrt(rn);
  for (let i = 0; i < n; i++) r[i] /= rn;
  const h0 = config.h0 === 'random' ? new Rng(config.seed, STREAM.h0).normals(n, 1 / Math.sqrt(n)) : new Float64Array(n);
  const on = Array.from({ length: T }, (_, i) => driveOn(config, i + 1));
  const inputOn = on.map((o) => o.input);
  return {
    config,
    rho: rhoValues(config),
    chosen: chosen ?? null,
    W0,
    U,
    b,
    r,
    h0,
    spectrum: spec,
    inputsFor: (s: number) => sequenceInputs(config.seed, config.inputScale, T, d, inputOn, s),
    biasOn: (t: number) => on[t - 1].bias,
  };
}

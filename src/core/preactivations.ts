/**
 * The pre-activations a_t of one row of a sweep (one rho), binned per step: the picture behind the
 * whole argument (phi' evaluated where the network's a_t actually lie). Every engine bins them
 * itself (Engine.preactivationHistogram): the float64 reference (reference.ts), the CPU engine in
 * its workers, the WebGPU engine with atomics in a WGSL kernel, gpu.js in its host code. Only the
 * counts travel: no per-sample array of a_t reaches the page.
 *
 *   a_t = rho W0 h_{t-1} + U x_t + b,   h_t = phi(a_t)
 *
 * For each step t: the counts of the N x S' values a_t[i] (S' of the S samples, see samplesWithin)
 * in `bins` equal bins over [lo, hi), those below lo, at or above hi and not finite, and the mean
 * of phi'(a_t) over the finite values, taken from the values themselves, not from the bins.
 *
 * The bin edges lo + i (hi - lo) / bins are exactly float32 numbers (checkHistogramRequest refuses
 * others), and every engine bins by comparing a with those exact edges: a float32 engine and the
 * float64 reference then put every value that both computed alike in the same bin, and counts can
 * differ only for values whose float32 and float64 a_t lie on either side of an edge. The panel's
 * range (histogramRequest) is +-X with X a whole number from 4 to 12 and 64 bins: width X / 32 and
 * every edge a multiple of it, a few significant bits each.
 */
import { activationFns, type ActivationParams, type Activation } from './activations.ts';
import { rhoValues, type Config } from './config.ts';
import type { EngineName } from './engine.ts';

/** What to bin: row rhoIndex of the sweep, its first `samples` sequences, `bins` equal bins over [lo, hi). */
export interface HistogramRequest {
  /** Row k of the sweep: an index into rhoValues(config). */
  rhoIndex: number;
  /** The first S' of the config's S input sequences, 1 <= S' <= S. */
  samples: number;
  bins: number;
  lo: number;
  hi: number;
}

/** One row's binned a_t, per step, as an engine computed them. */
export interface PreactivationHistogram {
  /** The row: its index and its value on the swept axis. */
  k: number;
  rho: number;
  T: number;
  bins: number;
  lo: number;
  hi: number;
  /** [T, bins] row-major: how many a_t[i] fall in each bin [lo + i w, lo + (i + 1) w). */
  counts: Uint32Array;
  /** [T] how many are below lo / at or above hi. */
  below: Uint32Array;
  above: Uint32Array;
  /** [T] the values that are not finite (a forward pass that overflowed). */
  nonFinite: Uint32Array;
  /** [T] the mean of phi'(a_t) over the finite values, by the engine's own phi' (NaN where there are none). */
  meanDeriv: Float64Array;
  /** Samples binned (S' of `samplesTotal`) and units per sample: N x S' values per step. */
  samples: number;
  samplesTotal: number;
  units: number;
  /** The engine that ran the forward pass and binned, its adapter and arithmetic. */
  engine: EngineName;
  adapter: string;
  precision: 'float64' | 'float32';
  /** Where the binning ran, in words ("in the CPU engine's workers", "on the GPU, WGSL atomics"). */
  binnedWhere: string;
  wallMs: number;
}

/** An engine that cannot bin this config (a GPU kernel without the outlier move, say): the page then asks the reference. */
export class HistogramUnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HistogramUnsupportedError';
  }
}

/** Bins of the panel's histogram: 64, so that the width X / 32 of a whole-number range +-X is a short binary fraction. */
export const HISTOGRAM_BINS = 64;

/**
 * The a range the panel bins and draws for an activation: 1.5 times the |a| beyond which phi'
 * stays under 1% of its supremum (where saturation starts: 2.99 for tanh, 5.99 for sigmoid),
 * rounded up, at least 4 (relu's phi' jumps at 0) and at most 12.
 */
export function preactivationRange(name: Activation, params: Partial<ActivationParams> = {}): number {
  const f = activationFns(name, params);
  let edge = 0;
  for (const sign of [-1, 1]) {
    // The largest |a| on this side where phi' is still at least 1% of gamma, if it ever drops.
    if (f.der(sign * 30) >= 0.01 * f.gamma) continue;
    for (let x = 30; x >= 0; x -= 0.05) {
      if (f.der(sign * x) >= 0.01 * f.gamma) {
        edge = Math.max(edge, x);
        break;
      }
    }
  }
  return Math.min(12, Math.max(4, Math.ceil(1.5 * edge)));
}

/** How many of S samples fit a budget of multiply-adds (N^2 T per sample): at least 1. */
export function samplesWithin(N: number, T: number, S: number, budget: number): number {
  return Math.max(1, Math.min(S, Math.floor(budget / (N * N * T))));
}

/** The panel's request for row k: the activation's range +-X in HISTOGRAM_BINS bins, the first `samples` samples. */
export function histogramRequest(config: Config, k: number, samples: number): HistogramRequest {
  const X = preactivationRange(config.activation, config);
  return { rhoIndex: k, samples, bins: HISTOGRAM_BINS, lo: -X, hi: X };
}

/** The bin width of a request ((hi - lo) / bins, exact: checkHistogramRequest). */
export function binWidth(req: Pick<HistogramRequest, 'bins' | 'lo' | 'hi'>): number {
  return (req.hi - req.lo) / req.bins;
}

/** A request's fields checked against the config: an Error naming the field, or nothing. */
export function checkHistogramRequest(config: Config, req: HistogramRequest): void {
  const K = rhoValues(config).length;
  if (!Number.isInteger(req.rhoIndex) || req.rhoIndex < 0 || req.rhoIndex >= K) {
    throw new Error(`histogram: rhoIndex must be a whole number from 0 to ${K - 1} (the sweep has ${K} rows), not ${req.rhoIndex}`);
  }
  if (!Number.isInteger(req.samples) || req.samples < 1 || req.samples > config.samples) {
    throw new Error(`histogram: samples must be a whole number from 1 to ${config.samples} (the config's samples), not ${req.samples}`);
  }
  if (!Number.isInteger(req.bins) || req.bins < 1 || req.bins > 4096) throw new Error(`histogram: bins must be a whole number from 1 to 4096, not ${req.bins}`);
  if (!Number.isFinite(req.lo) || !Number.isFinite(req.hi) || !(req.lo < req.hi)) {
    throw new Error(`histogram: lo and hi must be finite with lo < hi, not [${req.lo}, ${req.hi}]`);
  }
  const w = binWidth(req);
  for (let i = 0; i <= req.bins; i++) {
    const e = req.lo + i * w;
    if (Math.fround(e) !== e || (i === req.bins && e !== req.hi)) {
      throw new Error(
        `histogram: lo, hi and bins must give bin edges that are exact float32 numbers (so that every engine bins alike); edge ${i} of [${req.lo}, ${req.hi}] in ${req.bins} bins is ${e}`,
      );
    }
  }
}

/** binOf's answers beyond the bins. */
export const BIN_BELOW = -1;
export const BIN_NON_FINITE = -2;

/**
 * The bin of a (0 .. bins - 1), BIN_BELOW, `bins` (at or above hi) or BIN_NON_FINITE. The
 * division only guesses; the exact edges lo + i w decide (a quotient may round across an edge).
 */
export function binOf(a: number, lo: number, width: number, bins: number): number {
  if (!Number.isFinite(a)) return BIN_NON_FINITE;
  if (a < lo) return BIN_BELOW;
  if (a >= lo + bins * width) return bins;
  let i = Math.min(bins - 1, Math.max(0, Math.floor((a - lo) / width)));
  if (a < lo + i * width) i--;
  else if (a >= lo + (i + 1) * width) i++;
  return i;
}

/** Counts of one row as they are gathered (a worker's share, or all of it), and the sum of phi' per step. */
export class HistogramCounts {
  readonly counts: Uint32Array;
  readonly below: Uint32Array;
  readonly above: Uint32Array;
  readonly nonFinite: Uint32Array;
  /** [T] the sum of phi'(a_t) over the finite values, float64. */
  readonly derSum: Float64Array;
  private readonly width: number;

  constructor(
    readonly T: number,
    readonly req: Pick<HistogramRequest, 'bins' | 'lo' | 'hi'>,
  ) {
    this.counts = new Uint32Array(T * req.bins);
    this.below = new Uint32Array(T);
    this.above = new Uint32Array(T);
    this.nonFinite = new Uint32Array(T);
    this.derSum = new Float64Array(T);
    this.width = binWidth(req);
  }

  /** One value a_t[i] at step t and its phi'. */
  add(t: number, a: number, der: number): void {
    const j = t - 1;
    const i = binOf(a, this.req.lo, this.width, this.req.bins);
    if (i === BIN_NON_FINITE) {
      this.nonFinite[j]++;
      return;
    }
    this.derSum[j] += der;
    if (i === BIN_BELOW) this.below[j]++;
    else if (i === this.req.bins) this.above[j]++;
    else this.counts[j * this.req.bins + i]++;
  }

  /** Add another share of the same row (another worker's samples). */
  merge(o: Pick<HistogramCounts, 'counts' | 'below' | 'above' | 'nonFinite' | 'derSum'>): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += o.counts[i];
    for (let j = 0; j < this.T; j++) {
      this.below[j] += o.below[j];
      this.above[j] += o.above[j];
      this.nonFinite[j] += o.nonFinite[j];
      this.derSum[j] += o.derSum[j];
    }
  }

  /** The histogram of `values` = units x samples per step, with the engine's words. */
  finish(
    config: Config,
    req: HistogramRequest,
    who: Pick<PreactivationHistogram, 'engine' | 'adapter' | 'precision' | 'binnedWhere' | 'wallMs'>,
  ): PreactivationHistogram {
    const values = config.hidden * req.samples;
    const meanDeriv = new Float64Array(this.T);
    for (let j = 0; j < this.T; j++) {
      const finite = values - this.nonFinite[j];
      meanDeriv[j] = finite > 0 ? this.derSum[j] / finite : NaN;
    }
    return {
      k: req.rhoIndex,
      rho: rhoValues(config)[req.rhoIndex],
      T: this.T,
      bins: req.bins,
      lo: req.lo,
      hi: req.hi,
      counts: this.counts,
      below: this.below,
      above: this.above,
      nonFinite: this.nonFinite,
      meanDeriv,
      samples: req.samples,
      samplesTotal: config.samples,
      units: config.hidden,
      ...who,
    };
  }
}

/** The buffers of a histogram, moved rather than copied between threads. */
export function histogramBuffers(h: Pick<PreactivationHistogram, 'counts' | 'below' | 'above' | 'nonFinite' | 'meanDeriv'>): ArrayBuffer[] {
  return [h.counts, h.below, h.above, h.nonFinite, h.meanDeriv].map((a) => a.buffer as ArrayBuffer);
}

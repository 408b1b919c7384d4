/**
 * The float64 reference engine: the experiment written as plainly as it can be, one
 * sequence at a time, so that every other engine can be checked against it.
 *
 * Forward, t = 1..T:   a_t = W_t h_{t-1} + U x_t + b,   h_t = phi(a_t)
 * Backward, t = T..1:  g_T = dL/dh_T = r;   delta_t = phi'(a_t) * g_t;   g_{t-1} = W_t^T delta_t
 * with W_t = rho W0 (sweep rho, tied), W0 + shift D (sweep outlier: the rank-one or rank-two
 * move of the first outlier, weights.ts), and W0_t in place of W0 for untied weights.
 * The backward pass is linear in g, so g is renormalised to unit length at every step and
 * log10 of the scale is accumulated (with Kahan summation): log10 ||dL/dh_t|| stays exact
 * far outside the float64 range. The state itself cannot be renormalised (phi is not linear): where
 * it leaves float64's range (below 1e-300, as relu at rho = 5e-4 without input does by t ~ 90) the
 * cells are flagged by the rules of src/core/range.ts, as in the float32 engines.
 */
import { activationFns } from './activations.ts';
import { backwardKillMask, CELL_FLAG, RANGE_FLOOR, rangeRule, stateOutOfRange } from './range.ts';
import type { Config } from './config.ts';
import { throwIfAborted, yieldToEventLoop, type Engine, type RunOptions } from './engine.ts';
import { emptyField, type GradientField } from './field.ts';
import { buildProblem, type Problem } from './problem.ts';
import { addDirection } from './spectrum-init.ts';
import { rowWeights, untiedWeights, type RowWeights } from './weights.ts';
import { checkHistogramRequest, HistogramCounts, type HistogramRequest, type PreactivationHistogram } from './preactivations.ts';
import { GRID_NAMES, makeQuantityArrays, reduceSamples, STATISTICS, type QuantityArrays, type QuantityName } from './statistics.ts';

/** Below this a sum of squares may have lost digits to underflow (float64's smallest normal is 2.2e-308). */
const SUM_OF_SQUARES_FLOOR = 1e-290;

/**
 * log10 of the Euclidean norm of v[off .. off+n): -Infinity only for a zero vector, NaN if some
 * entry is not finite. Exact over the whole float64 range: squares of entries below about 1e-154
 * underflow (and a sum of squares that is subnormal has lost digits), so outside the normal range
 * of the sum the vector is rescaled by its largest magnitude first.
 */
export function log10Norm(v: Float64Array, off: number, n: number): number {
  let ss = 0;
  for (let i = off; i < off + n; i++) ss += v[i] * v[i];
  if (ss >= SUM_OF_SQUARES_FLOOR && ss < Infinity) return 0.5 * Math.log10(ss);
  let m = 0;
  for (let i = off; i < off + n; i++) {
    const a = Math.abs(v[i]);
    if (Number.isNaN(a) || a === Infinity) return NaN;
    if (a > m) m = a;
  }
  if (m === 0) return -Infinity;
  ss = 0;
  for (let i = off; i < off + n; i++) ss += (v[i] / m) * (v[i] / m);
  return Math.log10(m) + 0.5 * Math.log10(ss);
}

/** Per-sequence results, [T] each, index j = timestep t = j + 1: one array per quantity of the statistics table. */
export interface SequenceTrace {
  values: QuantityArrays;
  /** The cell flag bits of the forward pass at t (src/core/range.ts): overflow where h_t is not finite, range where it left the number range; sticky. */
  forwardOverflow: Uint8Array;
  /** The cell flag bits where dL/dh_t is undefined: phi' was undefined at a later step (overflow), or untrustworthy past a flagged state. */
  backwardInvalid: Uint8Array;
  /** [T] max_i |a_i| and max_i |h_i| at each step, in float64 (the reference's only: what the range rules read, for tests). */
  extremes?: { amax: Float64Array; hmax: Float64Array };
}

/** Called with each step's pre-activations a_t: a[offset .. offset + N) (the histogram of core/preactivations.ts reads them). */
export type PreactivationObserver = (t: number, a: Float64Array, offset: number) => void;

/**
 * Run one sequence s through forward and backward, in float64: at spectral radius rho (W = rho W0),
 * or with a row's weights (rowWeights: the outlier axis and untied weights).
 */
export function traceSequence(p: Problem, row: number | RowWeights, s: number, observe?: PreactivationObserver): SequenceTrace {
  const { config, U, b, r, h0 } = p;
  const w: RowWeights = typeof row === 'number' ? { rho: row, shift: 0, direction: null, untied: null } : row;
  const rho = w.rho;
  const weightsAt = (t: number) => (w.untied ? w.untied.W[t - 1] : p.W0);
  const directionAt = (t: number) => (w.untied ? w.untied.directions[t - 1] : w.direction);
  const n = config.hidden;
  const d = config.input;
  const T = config.steps;
  const act = activationFns(config.activation, config);
  const range = rangeRule(config.activation, config, RANGE_FLOOR.float64);
  const killMask = backwardKillMask(config.activation, config);
  const x = p.inputsFor(s);
  const a = new Float64Array(T * n); // [T, N] pre-activations, kept for BPTT
  const hs = new Float64Array((T + 1) * n); // [T+1, N] h_0 .. h_T
  hs.set(h0, 0);
  const out: SequenceTrace = {
    values: makeQuantityArrays(T),
    forwardOverflow: new Uint8Array(T),
    backwardInvalid: new Uint8Array(T),
    extremes: { amax: new Float64Array(T), hmax: new Float64Array(T) },
  };
  const { grad, hidden, weight, saturated, deriv } = out.values;

  let flag = 0; // the sample's forward flag so far (sticky)
  for (let t = 1; t <= T; t++) {
    const hp = (t - 1) * n;
    const at = (t - 1) * n;
    const xt = (t - 1) * d;
    const bias = p.biasOn(t) ? 1 : 0;
    let sat = 0;
    let derSum = 0;
    let finite = true;
    let amax = 0;
    let hmax = 0;
    const W0 = weightsAt(t);
    // The outlier move's contribution shift D h_{t-1}, added to W0 h_{t-1} below.
    const moved = new Float64Array(n);
    const dir = directionAt(t);
    if (dir && w.shift !== 0) addDirection(dir, w.shift, hs, hp, moved, n, false);
    for (let i = 0; i < n; i++) {
      let acc = 0;
      for (let j = 0; j < n; j++) acc += W0[i * n + j] * hs[hp + j];
      let u = 0;
      for (let j = 0; j < d; j++) u += U[i * d + j] * x[xt + j];
      const ai = rho * acc + moved[i] + u + bias * b[i];
      a[at + i] = ai;
      const hi = act.output(ai);
      hs[t * n + i] = hi;
      if (!Number.isFinite(hi)) finite = false;
      amax = Math.max(amax, Math.abs(ai));
      hmax = Math.max(hmax, Math.abs(hi));
      if (act.saturated(ai)) sat++;
      derSum += act.der(ai);
    }
    observe?.(t, a, at);
    out.extremes!.amax[t - 1] = amax;
    out.extremes!.hmax[t - 1] = hmax;
    if (!finite) flag |= CELL_FLAG.overflow;
    else if (stateOutOfRange(amax, hmax, range)) flag |= CELL_FLAG.range;
    out.forwardOverflow[t - 1] = flag;
    hidden[t - 1] = flag ? NaN : log10Norm(hs, t * n, n);
    saturated[t - 1] = flag ? NaN : sat / n;
    deriv[t - 1] = flag ? NaN : derSum / n;
  }
  // A flag at some t0 <= T (sticky: the one at T) that makes phi' untrustworthy undefines the whole backward pass.
  const killed = out.forwardOverflow[T - 1] & killMask;

  let g = Float64Array.from(r);
  const delta = new Float64Array(n);
  let logScale = 0; // log10 of the factor g has been divided by
  let carry = 0; // Kahan compensation of logScale
  let valid = true;
  for (let t = T; t >= 1; t--) {
    const at = (t - 1) * n;
    if (killed || !valid) {
      grad[t - 1] = NaN;
      weight[t - 1] = NaN;
      out.backwardInvalid[t - 1] = killed || CELL_FLAG.overflow;
      continue;
    }
    const gl = log10Norm(g, 0, n);
    grad[t - 1] = gl + logScale;
    if (Number.isFinite(gl)) {
      const inv = Math.pow(10, -gl);
      for (let i = 0; i < n; i++) g[i] *= inv;
      const y = gl - carry;
      const sum = logScale + y;
      carry = sum - logScale - y;
      logScale = sum;
    }
    // delta_t = phi'(a_t) * g_t
    let derOk = true;
    for (let i = 0; i < n; i++) {
      const di = act.der(a[at + i]);
      if (Number.isNaN(di)) derOk = false;
      delta[i] = di * g[i];
    }
    if (!derOk) {
      valid = false;
      weight[t - 1] = NaN;
      continue;
    }
    // ||delta h_{t-1}^T||_F = ||delta|| ||h_{t-1}|| (a rank-one matrix)
    // (NaN where h_{t-1} is flagged: its norm is not computed)
    weight[t - 1] = log10Norm(delta, 0, n) + logScale + (t === 1 ? log10Norm(hs, 0, n) : hidden[t - 2]);
    // g_{t-1} = W_t^T delta_t = rho W0^T delta_t + shift D^T delta_t
    const W0 = weightsAt(t);
    const next = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      const dj = delta[j];
      if (dj === 0) continue;
      const row = j * n;
      for (let i = 0; i < n; i++) next[i] += W0[row + i] * dj;
    }
    for (let i = 0; i < n; i++) next[i] *= rho;
    const dir = directionAt(t);
    if (dir && w.shift !== 0) addDirection(dir, w.shift, delta, 0, next, n, true);
    g = next;
  }
  return out;
}

/** Reduce S traces of one rho into row k of the field: every grid of the statistics table. */
export function reduceRow(field: GradientField, k: number, traces: SequenceTrace[]): void {
  const T = field.T;
  const S = traces.length;
  const buf = new Float64Array(S);
  const gather = (q: QuantityName, j: number) => {
    for (let s = 0; s < S; s++) buf[s] = traces[s].values[q][j];
    return buf;
  };
  for (let j = 0; j < T; j++) {
    const idx = k * T + j;
    for (const g of GRID_NAMES) field.grids[g][idx] = reduceSamples(STATISTICS[g].reduce, gather(STATISTICS[g].quantity, j));
    let flag = 0;
    for (const tr of traces) flag |= tr.forwardOverflow[j] | tr.backwardInvalid[j];
    field.overflow[idx] = flag; // the bits of every sample's flags (src/core/range.ts)
  }
}

/**
 * The float64 histogram of one row's a_t (core/preactivations.ts): the reference's own forward
 * pass (traceSequence, backward pass included: it is the reference) of the first request.samples
 * samples, every a_t[i] binned as it is computed and phi'(a_t[i]) summed in float64.
 */
export function referenceHistogram(p: Problem, row: RowWeights, req: HistogramRequest): HistogramCounts {
  const { config } = p;
  const n = config.hidden;
  const act = activationFns(config.activation, config);
  const into = new HistogramCounts(config.steps, req);
  for (let s = 0; s < req.samples; s++) {
    traceSequence(p, row, s, (t, a, off) => {
      for (let i = off; i < off + n; i++) into.add(t, a[i], act.der(a[i]));
    });
  }
  return into;
}

export class ReferenceEngine implements Engine {
  readonly name = 'reference' as const;
  readonly adapter = 'float64 JavaScript (reference)';

  async run(config: Config, options: RunOptions = {}): Promise<GradientField> {
    const { signal, onProgress } = options;
    const started = performance.now();
    throwIfAborted(signal);
    const p = buildProblem(config, { outlierAndUntied: true });
    const untied = await untiedWeights(config, {
      signal,
      onProgress: onProgress && ((q) => onProgress({ fraction: 0, phase: q.phase })),
    });
    const field = emptyField(config, p.rho, p.spectrum, {
      backend: this.name,
      adapter: this.adapter,
      wallMs: 0,
      precision: 'float64',
    });
    const K = p.rho.length;
    const S = config.samples;
    let lastYield = performance.now();
    for (let k = 0; k < K; k++) {
      const traces: SequenceTrace[] = [];
      for (let s = 0; s < S; s++) {
        traces.push(traceSequence(p, rowWeights(p, k, untied), s));
        if (performance.now() - lastYield > 30) {
          await yieldToEventLoop();
          throwIfAborted(signal);
          lastYield = performance.now();
        }
      }
      reduceRow(field, k, traces);
      onProgress?.({ fraction: (k + 1) / K, phase: `rho ${k + 1} of ${K}` });
    }
    field.meta.wallMs = performance.now() - started;
    return field;
  }

  async preactivationHistogram(config: Config, req: HistogramRequest, options: RunOptions = {}): Promise<PreactivationHistogram> {
    const started = performance.now();
    throwIfAborted(options.signal);
    checkHistogramRequest(config, req);
    const p = buildProblem(config, { outlierAndUntied: true });
    const untied = await untiedWeights(config, { signal: options.signal });
    const counts = referenceHistogram(p, rowWeights(p, req.rhoIndex, untied), req);
    return counts.finish(config, req, {
      engine: this.name,
      adapter: this.adapter,
      precision: 'float64',
      binnedWhere: 'in float64 JavaScript, as the forward pass runs',
      wallMs: performance.now() - started,
    });
  }

  dispose(): void {}
}

/**
 * The gpu.js kernels of the fallback engine, as SOURCE TEXT.
 *
 * gpu.js compiles a kernel from its JavaScript source; a bundler's minifier renames
 * identifiers inside function bodies and can break that translation. Strings survive any
 * minifier untouched, so every kernel here is a string, generated once per activation.
 * The activation's code comes from its record in src/core/activations.ts. Numbers that vary
 * per run come in as `this.constants` (N, the activation's parameters and saturation limit:
 * baked in, a change recompiles) or as arguments (the overflow limit), never as closures.
 *
 * Layout (float32). Hidden vectors are packed four units per texel ("vec4"): a texture of
 * output [NP4, Bc] holds, at [b][i4], units 4*i4 .. 4*i4+3 of sequence b of the chunk.
 * N is padded to NP = 4 * NP4 with zero rows and columns of W0, so padded units never feed
 * real ones; the padded entries of g and delta stay exactly 0.
 *
 * One time step costs six launches: forward, activate, forwardStats (forward pass);
 * gradStats, delta, backprop (backward pass); on the outlier axis, moveCoeffs before forward and
 * before backprop makes eight. Untied weights only change which packed matrix a step reads. Only the per-sequence stats ([Bc] vec4 per
 * step and direction) are read back; the CPU turns them into traces and reduces over samples. The matrix-vector products read one vec4 of the vector and four
 * vec4 of the packed matrix per 16 multiply-adds (a 4 x 4 register tile), because texture
 * fetches, with gpu.js's index arithmetic, are what costs most in a fragment shader.
 */
import { activationParams, activationRecord, paramConstName, saturationLimit, type Activation, type ActivationParams } from '../../core/activations.ts';
import { rangeRule } from '../../core/range.ts';

/** Sentinel for log10(0) = -Infinity; GLSL has no portable infinity. */
export const LOG_ZERO = -1e30;
/** LOG_ZERO as kernel source text (a float literal, never read as an integer). */
const LOG_ZERO_TEXT = '-1.0e30';

/**
 * GLSL ES leaves Inf and NaN implementation-defined, so the kernels never create them:
 * pre-activations are clamped to +-limit and a unit that reaches the clamp marks the sequence
 * as overflowed (see overflowLimit in plan.ts).
 */

/** Per-component code: `${stmt(r)}` for r = 0..3. */
function each(stmt: (r: number) => string): string {
  return [0, 1, 2, 3].map(stmt).join('\n');
}

/**
 * phi(x) as statements assigning `${out}` from the float expression `${x}`: the activation
 * record's gpu.js source (src/core/activations.ts), accurate to a few float32 ulps.
 */
export function phiCode(act: Activation, x: string, out: string): string {
  return activationRecord(act).gpujs.output(x, out);
}

/** phi'(x) as statements assigning `${out}`: the activation record's gpu.js source. */
export function derCode(act: Activation, x: string, out: string): string {
  return activationRecord(act).gpujs.der(x, out);
}

/**
 * 1.0 where a unit at pre-activation x counts as saturated or dead by the activation's rule
 * (phi' below this.constants.SAT_LIMIT, or x <= 0), else 0.0.
 */
function satCode(act: Activation, x: string, out: string): string {
  if (activationRecord(act).saturation === 'dead') {
    return `let ${out} = 0.0;
if (${x} <= 0.0) { ${out} = 1.0; }`;
  }
  return `${derCode(act, x, `${out}d`)}
let ${out} = 0.0;
if (${out}d < this.constants.SAT_LIMIT) { ${out} = 1.0; }`;
}

/**
 * The constants the activation kernels read: N, NP4, TINY, the saturation limit, the range rule's
 * TINY_A and ZERO_SIDE (1 or 0, src/core/range.ts) and the activation's own parameters (a change
 * of any recompiles, so the kernel key lists them).
 */
export function activationConstants(act: Activation, params: Partial<ActivationParams>, N: number, NP4: number, tiny: number): Record<string, number> {
  const p = activationParams(params);
  const own = activationRecord(act).params.map((q) => [paramConstName(q.key), p[q.key]] as const);
  const rule = rangeRule(act, p, tiny);
  return { N, NP4, TINY: tiny, TINY_A: rule.tinyA ? 1 : 0, ZERO_SIDE: rule.zeroSide ? 1 : 0, SAT_LIMIT: saturationLimit(act, p), ...Object.fromEntries(own) };
}

/**
 * pack(m): m is [NP, NP] row-major (input(m, [NP, NP])); output [NP4, NP] vec4 with
 * out[j][i4] = (m[4 i4][j], m[4 i4 + 1][j], m[4 i4 + 2][j], m[4 i4 + 3][j]): column j of
 * rows 4 i4 .. 4 i4 + 3, what a matrix-vector product over j reads for four outputs.
 */
export const PACK_COLUMNS = `function (m) {
  const i = this.thread.x * 4;
  const j = this.thread.y;
  return [m[i][j], m[i + 1][j], m[i + 2][j], m[i + 3][j]];
}`;

/** broadcast(v): v is [NP]; output [NP4, Bc] vec4, the same packed vector for every sequence (h0, r). */
export const BROADCAST = `function (v) {
  const i = this.thread.x * 4;
  return [v[i], v[i + 1], v[i + 2], v[i + 3]];
}`;

/**
 * forward(WP, hPrev, drive, rhoB, sB, L[, C, P]): output a_t [NP4, Bc] vec4,
 *   a_t[b] = rho_b M_t h_{t-1}[b] (+ C[b][0] P[0] + C[b][1] P[1]) + drive[s_b],
 * drive[s] = U x_t^s + b biasOn(t) (float64 on the CPU), clamped to +-L (overflowLimit).
 * WP = pack(M_t) [NP4, NP] (W0, or the untied W0_t); hPrev [NP4, Bc]; drive [NP, S]; rhoB, sB [Bc].
 * `moved` (the outlier axis): C = moveCoeffs(hPrev) [Bc] vec4 and P [2, NP], the term
 * shift_b D_t h_{t-1} = P^T (shift_b R P h_{t-1}) of src/engine/sweep-weights.ts.
 */
export function forwardSource(moved: boolean): string {
  return `function (WP, hPrev, drive, rhoB, sB, L${moved ? ', C, P' : ''}) {
  const i4 = this.thread.x;
  const b = this.thread.y;
  let a0 = 0.0; let a1 = 0.0; let a2 = 0.0; let a3 = 0.0;
  for (let j4 = 0; j4 < this.constants.NP4; j4++) {
    const h = hPrev[b][j4];
    const j = j4 * 4;
${each((c) => `    const w${c} = WP[j + ${c}][i4];
    a0 += w${c}[0] * h[${c}]; a1 += w${c}[1] * h[${c}]; a2 += w${c}[2] * h[${c}]; a3 += w${c}[3] * h[${c}];`)}
  }
  const rho = rhoB[b];
  const s = sB[b];
  const i = i4 * 4;
${moved ? `  const c = C[b];
${each((r) => `  const m${r} = c[0] * P[0][i + ${r}] + c[1] * P[1][i + ${r}];`)}
` : ''}${each((r) => `  const v${r} = Math.min(Math.max(rho * a${r}${moved ? ` + m${r}` : ''} + drive[s][i + ${r}], -L), L);`)}
  return [v0, v1, v2, v3];
}`;
}

/**
 * moveCoeffs(X, P, R, shiftB): output [Bc] vec4 per sequence b, (c0, c1, 0, 0) with
 *   c = shift_b R (P x_b),   x = h_{t-1} (forward, R) or delta_t (backward, R^T passed as R),
 * the width coefficients of the outlier axis's move shift D x = P^T c (D = P^T R P, rank 1 or 2,
 * src/core/spectrum-init.ts): 2 N multiply-adds per sequence against N^2 for the product.
 * X [NP4, Bc] vec4; P [2, NP] (the second row zeros for a real outlier); R [4] row-major 2 x 2.
 */
export const MOVE_COEFFS = `function (X, P, R, shiftB) {
  const b = this.thread.x;
  let p0 = 0.0;
  let p1 = 0.0;
  for (let j4 = 0; j4 < this.constants.NP4; j4++) {
    const x = X[b][j4];
    const j = j4 * 4;
${each((r) => `    p0 += P[0][j + ${r}] * x[${r}]; p1 += P[1][j + ${r}] * x[${r}];`)}
  }
  const sh = shiftB[b];
  return [sh * (R[0] * p0 + R[1] * p1), sh * (R[2] * p0 + R[3] * p1), 0.0, 0.0];
}`;

/** activate(A): output h_t = phi(a_t) [NP4, Bc] vec4. */
export function activateSource(act: Activation): string {
  return `function (A) {
  const a = A[this.thread.y][this.thread.x];
${each((r) => phiCode(act, `a[${r}]`, `h${r}`))}
  return [h0, h1, h2, h3];
}`;
}

/**
 * forwardStats(A, L): output [Bc] vec4 per sequence b at step t, from a = a_t:
 *   (log10 ||h_t||, saturated units, out of range 0/1/2, sum of phi'(a_i)), out of range when max |a_i| reached
 *   L (1, the clamp) or the state fell below TINY (2, src/core/range.ts stateOutOfRange: float32
 *   is about to underflow, a state the reference carries at 1e-40 would become an exact 0 here,
 *   and relu's phi'(0) = 0).
 * Only the N real units count (padded a are 0, but phi(0) need not be). The norm is taken as
 * m sqrt(sum (h/m)^2), m = max |h_i| (no overflow); LOG_ZERO for a zero vector.
 */
export function forwardStatsSource(act: Activation): string {
  return `function (A, L) {
  const b = this.thread.x;
  let m = 0.0;
  let sat = 0.0;
  let dsum = 0.0;
  let over = 0.0;
  let ma = 0.0;
  for (let j4 = 0; j4 < this.constants.NP4; j4++) {
    const a = A[b][j4];
    const j = j4 * 4;
${each((r) => `    if (j + ${r} < this.constants.N) {
      ${phiCode(act, `a[${r}]`, `h${r}`)}
      ${satCode(act, `a[${r}]`, `z${r}`)}
      ${derCode(act, `a[${r}]`, `p${r}`)}
      dsum += p${r};
      m = Math.max(m, Math.abs(h${r}));
      ma = Math.max(ma, Math.abs(a[${r}]));
      sat += z${r};
    }`)}
  }
  if (ma > 0.0 && ma < this.constants.TINY && this.constants.TINY_A > 0.5) { over = 2.0; }
  if (m > 0.0 && m < this.constants.TINY) { over = 2.0; }
  if (m <= 0.0 && ma >= this.constants.TINY && this.constants.ZERO_SIDE < 0.5) { over = 2.0; }
  if (ma >= L) { over = 1.0; }
  let lh = ${LOG_ZERO_TEXT};
  if (m > 0.0) {
    let s = 0.0;
    for (let j4 = 0; j4 < this.constants.NP4; j4++) {
      const a = A[b][j4];
      const j = j4 * 4;
${each((r) => `      if (j + ${r} < this.constants.N) {
        ${phiCode(act, `a[${r}]`, `u${r}`)}
        const q${r} = u${r} / m;
        s += q${r} * q${r};
      }`)}
    }
    lh = Math.log10(m) + 0.5 * Math.log10(s);
  }
  return [lh, sat, over, dsum];
}`;
}

/**
 * gradStats(G, A): output [Bc] vec4 per sequence b at step t, g = the scaled dL/dh_t, a = a_t:
 *   (log10 ||g||, k, log10 ||phi'(a) * g||, 0), k = round(log2 ||g||): the power of two the
 * delta kernel divides g by. Scaling by 2^-k is exact in float32, so the CPU's accumulated
 * log scale (sum of k log10 2) is exact, however long the sequence.
 */
export function gradStatsSource(act: Activation): string {
  return `function (G, A) {
  const b = this.thread.x;
  let m = 0.0;
  for (let j4 = 0; j4 < this.constants.NP4; j4++) {
    const g = G[b][j4];
    m = Math.max(m, Math.max(Math.max(Math.abs(g[0]), Math.abs(g[1])), Math.max(Math.abs(g[2]), Math.abs(g[3]))));
  }
  if (m <= 0.0) {
    return [${LOG_ZERO_TEXT}, 0.0, ${LOG_ZERO_TEXT}, 0.0];
  }
  let s1 = 0.0;
  let s2 = 0.0;
  for (let j4 = 0; j4 < this.constants.NP4; j4++) {
    const g = G[b][j4];
    const a = A[b][j4];
${each((r) => `    ${derCode(act, `a[${r}]`, `d${r}`)}
    const q${r} = g[${r}] / m;
    const p${r} = d${r} * q${r};
    s1 += q${r} * q${r};
    s2 += p${r} * p${r};`)}
  }
  const lm = Math.log10(m);
  const lg = lm + 0.5 * Math.log10(s1);
  const k = Math.floor(lg * 3.321928094887362 + 0.5);
  let ld = ${LOG_ZERO_TEXT};
  if (s2 > 0.0) {
    ld = lm + 0.5 * Math.log10(s2);
  }
  return [lg, k, ld, 0.0];
}`;
}

/** delta(A, G, St): output delta_t = phi'(a_t) * g_t * 2^-k [NP4, Bc] vec4, k = gradStats[b][1]. */
export function deltaSource(act: Activation): string {
  return `function (A, G, St) {
  const b = this.thread.y;
  const a = A[b][this.thread.x];
  const g = G[b][this.thread.x];
  const st = St[b];
  const c = Math.pow(2.0, -st[1]);
${each((r) => derCode(act, `a[${r}]`, `d${r}`))}
  return [d0 * g[0] * c, d1 * g[1] * c, d2 * g[2] * c, d3 * g[3] * c];
}`;
}

/**
 * backprop(WTP, D, rhoB[, C, P]): output g_{t-1} = rho_b M_t^T delta_t (+ C[b][0] P[0] + C[b][1] P[1]) [NP4, Bc] vec4.
 * WTP = pack(M_t^T): out[j][i4] holds M_t[j][4 i4 .. 4 i4 + 3]. `moved`: C = moveCoeffs(delta_t) with
 * R^T, the term shift_b D_t^T delta_t.
 */
export function backpropSource(moved: boolean): string {
  return `function (WTP, D, rhoB${moved ? ', C, P' : ''}) {
  const i4 = this.thread.x;
  const b = this.thread.y;
  let a0 = 0.0; let a1 = 0.0; let a2 = 0.0; let a3 = 0.0;
  for (let j4 = 0; j4 < this.constants.NP4; j4++) {
    const d = D[b][j4];
    const j = j4 * 4;
${each((c) => `    const w${c} = WTP[j + ${c}][i4];
    a0 += w${c}[0] * d[${c}]; a1 += w${c}[1] * d[${c}]; a2 += w${c}[2] * d[${c}]; a3 += w${c}[3] * d[${c}];`)}
  }
  const rho = rhoB[b];
${moved ? `  const c = C[b];
  const i = i4 * 4;
${each((r) => `  const m${r} = c[0] * P[0][i + ${r}] + c[1] * P[1][i + ${r}];`)}
  return [rho * a0 + m0, rho * a1 + m1, rho * a2 + m2, rho * a3 + m3];` : '  return [rho * a0, rho * a1, rho * a2, rho * a3];'}
}`;
}

/**
 * binA(A, lo, width, bins, L, Bc): output [bins + 4], the derivative panel's histogram of one step
 * (core/preactivations.ts), binned on the GPU by gathering: thread x counts the a_t[i] of all Bc
 * sequences that fall in slot x (0 .. bins - 1 the bins [lo + x width, lo + (x + 1) width),
 * bins below lo, bins + 1 at or above hi, bins + 2 overflowed: clamped at +-L, the engine's
 * non-finite), and thread bins + 3 sums phi'(a_t) over the others (float32). Every thread reads
 * every value: (bins + 4) N Bc work per step against the forward pass's N^2 Bc, no atomics needed
 * (gpu.js has none). The edges are exact float32 numbers, so the division only guesses the bin and
 * the comparison with the exact edges decides it, as in every engine.
 */
export function binSource(act: Activation): string {
  return `function (A, lo, width, bins, L, Bc) {
  const x = this.thread.x;
  let acc = 0.0;
  for (let b = 0; b < Bc; b++) {
    for (let j4 = 0; j4 < this.constants.NP4; j4++) {
      const a = A[b][j4];
      const j = j4 * 4;
${each((r) => `      if (j + ${r} < this.constants.N) {
        const v${r} = a[${r}];
        let s${r} = bins + 2.0;
        if (Math.abs(v${r}) < L) {
          if (v${r} < lo) { s${r} = bins; }
          else if (v${r} >= lo + bins * width) { s${r} = bins + 1.0; }
          else {
            s${r} = Math.min(bins - 1.0, Math.max(0.0, Math.floor((v${r} - lo) / width)));
            if (v${r} < lo + s${r} * width) { s${r} = s${r} - 1.0; }
            else if (v${r} >= lo + (s${r} + 1.0) * width) { s${r} = s${r} + 1.0; }
          }
          if (x > bins + 2.5) {
            ${derCode(act, `v${r}`, `d${r}`)}
            acc += d${r};
          }
        }
        if (Math.abs(s${r} - x) < 0.5) { acc += 1.0; }
      }`)}
    }
  }
  return acc;
}`;
}

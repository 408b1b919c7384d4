/**
 * The block GEMM in WebAssembly SIMD (f32x4), its module bytes written out here so that no
 * build step (wat2wasm) is needed: a few dozen instructions, assembled by hand below.
 *
 *   out[c * np + i] = sum_j M[j, i] * X[c * np + j]     c < bp, i < np   (float32)
 *
 * M is read as columns of the product (M = W0^T gives W0 X, M = W0 gives W0^T X), packed in
 * panels of 8 columns (packPanels): panel p holds M[j, 8p .. 8p+7] for j = 0..np-1 contiguously,
 * so the inner loop streams it (unpacked, its rows np * 4 bytes apart fell into a handful of L1
 * sets when np is a power of two: 8.8 instead of 22 GFLOP/s at N = 256). Each step of the inner
 * loop loads 8 consecutive i of row j (two f32x4), splats X[c, j] of four columns and updates a
 * tile of 8 outputs x 4 columns held in eight v128 registers: 64 flops per 2 vector loads and 4
 * scalar loads. The panel loop is outside, so a panel stays in L1 while every column of X
 * streams past. Needs np % 8 == 0 and bp % 4 == 0. Accumulation is in float32 (the TypeScript
 * fallback accumulates in float64). A second module differs only in the GEMM's multiply-adds,
 * relaxed SIMD's f32x4.relaxed_madd: on Zen 3 the 1024^3 GEMM went from 36 to 45 GFLOP/s a core
 * (eight fused instructions a step instead of sixteen).
 */

// Opcodes used (WebAssembly core 2.0 + fixed-width SIMD).
const OP = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Const: 0x41,
  i32LtU: 0x49,
  i32Add: 0x6a,
  i32Mul: 0x6c,
  i32Shl: 0x74,
  simd: 0xfd,
  void: 0x40,
} as const;
const SIMD = {
  load: 0x00,
  load32Splat: 0x09,
  store: 0x0b,
  const: 0x0c,
  i32x4Splat: 0x11,
  f32x4Splat: 0x13,
  f32x4Lt: 0x43,
  f32x4Gt: 0x44,
  f32x4Le: 0x45,
  f32x4Ge: 0x46,
  v128And: 0x4e,
  v128AndNot: 0x4f,
  v128Bitselect: 0x52,
  f32x4Nearest: 0x6a,
  i32x4Shl: 0xab,
  i32x4Add: 0xae,
  f32x4Abs: 0xe0,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f32x4Max: 0xe9,
  i32x4TruncSatF32x4S: 0xf8,
  i8x16Shuffle: 0x0d,
  f64x2PromoteLowF32x4: 0x5f,
  f64x2ExtractLane: 0x21,
  f64x2Add: 0xf0,
  f64x2Mul: 0xf2,
  i32x4ExtractLane: 0x1b,
  i32x4Sub: 0xb1,
  /** Relaxed SIMD: a * b + c, fused or not as the hardware has it. */
  f32x4RelaxedMadd: 0x105,
} as const;
const I32_ADD = 0x6a;
const I32_STORE = 0x36;
const I32_LOAD = 0x28;
const F32_LOAD = 0x2a;
const CALL = 0x10;
const F64_STORE = 0x39;
const F64_ADD = 0xa0;
const F32 = 0x7d;
const F64 = 0x7c;
/** i8x16.shuffle lanes moving the high 8 bytes of a v128 to the low half. */
const HIGH_TO_LOW = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
const F32_CONST = 0x43;
const I32 = 0x7f;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function str(s: string): number[] {
  return vec([...s].map((ch) => [ch.charCodeAt(0)]));
}


/** Emitters for a function body under construction: local.get/set/tee, i32.const, a SIMD op, an f32x4 splat of a constant. */
function emit(b: number[]) {
  const simd = (op: number, ...imm: number[]) => b.push(OP.simd, ...uleb(op), ...imm);
  return {
    get: (l: number) => b.push(OP.localGet, ...uleb(l)),
    set: (l: number) => b.push(OP.localSet, ...uleb(l)),
    tee: (l: number) => b.push(OP.localTee, ...uleb(l)),
    i32: (v: number) => b.push(OP.i32Const, ...sleb(v)),
    simd,
    f32x4: (v: number) => {
      b.push(F32_CONST, ...new Uint8Array(new Float32Array([v]).buffer));
      simd(SIMD.f32x4Splat);
    },
  };
}

/**
 * The body (locals + code) of gemm(M, X, out, np, bp), byte addresses. `fma`: the multiply-adds
 * as relaxed-SIMD f32x4.relaxed_madd (one fused instruction where the CPU has FMA, so the sums
 * round once per term instead of twice); else f32x4.mul then f32x4.add. Either way each
 * accumulator adds its terms in the order j = 0, 1, ..., np - 1. (Unrolling the j loop by 2 or 4,
 * offsets in the loads instead of address updates, measured a third slower in V8 on Zen 3.)
 */
function gemmBody(fma: boolean, rect = false): number[] {
  // Params 0..4: M, X, out, np, bp (rect: then nOut, nIn). Locals after them:
  const k = rect ? 2 : 0;
  const L = { M: 0, X: 1, out: 2, np: 3, bp: 4, nOut: 5, nIn: 6, i: 5 + k, c: 6 + k, m: 7 + k, x0: 8 + k, x1: 9 + k, x2: 10 + k, x3: 11 + k, row: 12 + k, end: 13 + k, p: 14 + k } as const;
  const A = 15 + k; // v128 accumulators a[q][v] at A + 2q + v, q < 4 columns, v < 2 halves
  const M0 = 23 + k;
  const M1 = 24 + k;
  const XV = 25 + k;
  const b: number[] = [];
  const { get, set, tee, i32, simd } = emit(b);
  const memarg = (align: number, offset: number) => [...uleb(align), ...uleb(offset)];

  // row = np * 4 (bytes per row);  i = 0
  get(L.np); i32(2); b.push(OP.i32Shl); set(L.row);
  i32(0); set(L.i);
  b.push(OP.loop, OP.void); // i-loop
  {
    i32(0); set(L.c);
    b.push(OP.loop, OP.void); // c-loop
    {
      // x0 = X + c * row; x1..x3 the next columns; end = x0 + row; m = M + i * row (panel i / 8)
      get(L.X); get(L.c); get(L.row); b.push(OP.i32Mul, OP.i32Add); tee(L.x0);
      get(L.row); b.push(OP.i32Add); tee(L.x1);
      get(L.row); b.push(OP.i32Add); tee(L.x2);
      get(L.row); b.push(OP.i32Add); set(L.x3);
      get(L.x0);
      if (rect) {
        get(L.nIn); i32(2); b.push(OP.i32Shl);
      } else get(L.row);
      b.push(OP.i32Add); set(L.end);
      get(L.M); get(L.i); get(L.row); b.push(OP.i32Mul, OP.i32Add); set(L.m);
      for (let a = 0; a < 8; a++) {
        simd(SIMD.const, ...new Array(16).fill(0));
        set(A + a);
      }
      b.push(OP.loop, OP.void); // j-loop
      {
        get(L.m); simd(SIMD.load, ...memarg(2, 0)); set(M0);
        get(L.m); simd(SIMD.load, ...memarg(2, 16)); set(M1);
        const xs = [L.x0, L.x1, L.x2, L.x3];
        for (let q = 0; q < 4; q++) {
          get(xs[q]); simd(SIMD.load32Splat, ...memarg(2, 0)); set(XV);
          for (let v = 0; v < 2; v++) {
            // a[q][v] += m_v * x_q
            if (fma) {
              get(v === 0 ? M0 : M1); get(XV); get(A + 2 * q + v); simd(SIMD.f32x4RelaxedMadd);
            } else {
              get(A + 2 * q + v); get(v === 0 ? M0 : M1); get(XV); simd(SIMD.f32x4Mul); simd(SIMD.f32x4Add);
            }
            set(A + 2 * q + v);
          }
        }
        get(L.m); i32(32); b.push(OP.i32Add); set(L.m);
        for (const x of xs) {
          get(x); i32(4); b.push(OP.i32Add); set(x);
        }
        get(L.x0); get(L.end); b.push(OP.i32LtU, OP.brIf, 0);
      }
      b.push(OP.end);
      // p = out + c * row + i * 4; column q at p + q * row, halves at offsets 0 and 16
      get(L.out); get(L.c); get(L.row); b.push(OP.i32Mul, OP.i32Add); get(L.i); i32(2); b.push(OP.i32Shl, OP.i32Add); set(L.p);
      for (let q = 0; q < 4; q++) {
        for (let v = 0; v < 2; v++) {
          get(L.p); get(A + 2 * q + v); simd(SIMD.store, ...memarg(2, 16 * v));
        }
        if (q < 3) {
          get(L.p); get(L.row); b.push(OP.i32Add); set(L.p);
        }
      }
      get(L.c); i32(4); b.push(OP.i32Add); tee(L.c); get(L.bp); b.push(OP.i32LtU, OP.brIf, 0);
    }
    b.push(OP.end);
    get(L.i); i32(8); b.push(OP.i32Add); tee(L.i); get(rect ? L.nOut : L.np); b.push(OP.i32LtU, OP.brIf, 0);
  }
  b.push(OP.end);
  b.push(OP.end); // function

  const locals = vec([[...uleb(10), I32], [...uleb(11), V128]]); // 10 i32 locals, then 11 v128
  return [...locals, ...b];
}

/**
 * The body of atb(D, Z, out, np, rows, nI, nJ), the weight-gradient product of training: over
 * `rows` rows r of two row-major [rows, np] float32 stores D and Z (byte addresses),
 *
 *   out[j * np + i] += sum_r D[r * np + i] * Z[r * np + j]     i < nI, j < nJ   (out float64)
 *
 * i.e. out holds (D^T Z)^T = Z^T D added to what it held. The same register tile as the GEMM
 * (8 consecutive i, two f32x4 loads of row r of D, times four splatted Z[r, j .. j + 3]), with the
 * inner loop walking down the rows, so neither store is transposed or packed first. The tile's
 * sums run in float32 over the call's rows and are then added into the float64 `out` (promoted
 * two lanes at a time), so a caller bounds the float32 sums' length by the rows it passes per
 * call. `fma` as for the GEMM. Needs np % 8 == 0, nI % 8 == 0, nJ % 4 == 0, nI, nJ <= np.
 */
function atbBody(fma: boolean): number[] {
  const L = { D: 0, Z: 1, out: 2, np: 3, rows: 4, nI: 5, nJ: 6, i: 7, c: 8, m: 9, x: 10, row: 11, end: 12, p: 13 } as const;
  const A = 14; // v128 accumulators a[q][v] at A + 2q + v
  const M0 = 22;
  const M1 = 23;
  const XV = 24;
  const b: number[] = [];
  const { get, set, tee, i32, simd } = emit(b);
  const memarg = (align: number, offset: number) => [...uleb(align), ...uleb(offset)];

  get(L.np); i32(2); b.push(OP.i32Shl); set(L.row);
  i32(0); set(L.i);
  b.push(OP.loop, OP.void); // i-loop (8 at a time)
  {
    i32(0); set(L.c);
    b.push(OP.loop, OP.void); // c-loop over j (4 at a time)
    {
      // m = D + i * 4 (row 0, column i);  x = Z + c * 4;  end = m + rows * row
      get(L.D); get(L.i); i32(2); b.push(OP.i32Shl, OP.i32Add); tee(L.m);
      get(L.rows); get(L.row); b.push(OP.i32Mul, OP.i32Add); set(L.end);
      get(L.Z); get(L.c); i32(2); b.push(OP.i32Shl, OP.i32Add); set(L.x);
      for (let a = 0; a < 8; a++) {
        simd(SIMD.const, ...new Array(16).fill(0));
        set(A + a);
      }
      b.push(OP.loop, OP.void); // r-loop
      {
        get(L.m); simd(SIMD.load, ...memarg(2, 0)); set(M0);
        get(L.m); simd(SIMD.load, ...memarg(2, 16)); set(M1);
        for (let q = 0; q < 4; q++) {
          get(L.x); simd(SIMD.load32Splat, ...memarg(2, 4 * q)); set(XV);
          for (let v = 0; v < 2; v++) {
            if (fma) {
              get(v === 0 ? M0 : M1); get(XV); get(A + 2 * q + v); simd(SIMD.f32x4RelaxedMadd);
            } else {
              get(A + 2 * q + v); get(v === 0 ? M0 : M1); get(XV); simd(SIMD.f32x4Mul); simd(SIMD.f32x4Add);
            }
            set(A + 2 * q + v);
          }
        }
        get(L.x); get(L.row); b.push(OP.i32Add); set(L.x);
        get(L.m); get(L.row); b.push(OP.i32Add); tee(L.m); get(L.end); b.push(OP.i32LtU, OP.brIf, 0);
      }
      b.push(OP.end);
      // p = out + ((c * np + i) * 8): column j = c + q at p + q * np * 8, lanes 4v .. 4v + 3 at 32v, 32v + 16
      get(L.out); get(L.c); get(L.np); b.push(OP.i32Mul); get(L.i); b.push(OP.i32Add); i32(3); b.push(OP.i32Shl, OP.i32Add); set(L.p);
      for (let q = 0; q < 4; q++) {
        for (let v = 0; v < 2; v++) {
          for (const high of [false, true]) {
            const off = 32 * v + (high ? 16 : 0);
            get(L.p);
            get(L.p); simd(SIMD.load, ...memarg(3, off));
            get(A + 2 * q + v);
            if (high) {
              get(A + 2 * q + v);
              simd(SIMD.i8x16Shuffle, ...HIGH_TO_LOW);
            }
            simd(SIMD.f64x2PromoteLowF32x4);
            simd(SIMD.f64x2Add);
            simd(SIMD.store, ...memarg(3, off));
          }
        }
        if (q < 3) {
          get(L.p); get(L.row); i32(1); b.push(OP.i32Shl, OP.i32Add); set(L.p); // np * 8 bytes per float64 column
        }
      }
      get(L.c); i32(4); b.push(OP.i32Add); tee(L.c); get(L.nJ); b.push(OP.i32LtU, OP.brIf, 0);
    }
    b.push(OP.end);
    get(L.i); i32(8); b.push(OP.i32Add); tee(L.i); get(L.nI); b.push(OP.i32LtU, OP.brIf, 0);
  }
  b.push(OP.end);
  b.push(OP.end); // function
  const locals = vec([[...uleb(7), I32], [...uleb(11), V128]]); // locals 7..13 i32, 14..24 v128
  return [...locals, ...b];
}

/**
 * The body of relu(a, h, d, n): for n floats (n % 4 == 0) at byte addresses a, h, d,
 *   h = a > 0 ? a : 0,  d = a > 0 ? 1 : 0   (NaN stays NaN in both: an undefined step)
 * the training model's relu, as its TypeScript loop computes it.
 */
function reluBody(): number[] {
  const P = { a: 0, h: 1, d: 2, n: 3, end: 4, x: 5, le: 6 } as const;
  const b: number[] = [];
  const { get, set, i32, simd, f32x4 } = emit(b);
  const memarg = [...uleb(2), ...uleb(0)];
  get(P.a); get(P.n); i32(2); b.push(OP.i32Shl, OP.i32Add); set(P.end);
  b.push(OP.loop, OP.void);
  {
    get(P.a); simd(SIMD.load, ...memarg); set(P.x);
    get(P.x); f32x4(0); simd(SIMD.f32x4Le); set(P.le);
    // h = a with the lanes a <= 0 cleared (NaN compares false and is kept)
    get(P.h); get(P.x); get(P.le); simd(SIMD.v128AndNot); simd(SIMD.store, ...memarg);
    // d = a > 0 ? 1 : (a <= 0 ? 0 : NaN)
    get(P.d); f32x4(1); f32x4(NaN); get(P.le); simd(SIMD.v128AndNot); get(P.x); f32x4(0); simd(SIMD.f32x4Gt); simd(SIMD.v128Bitselect); simd(SIMD.store, ...memarg);
    for (const l of [P.a, P.h, P.d]) {
      get(l); i32(16); b.push(OP.i32Add); set(l);
    }
    get(P.a); get(P.end); b.push(OP.i32LtU, OP.brIf, 0);
  }
  b.push(OP.end);
  b.push(OP.end); // function
  return [...vec([[...uleb(1), I32], [...uleb(2), V128]]), ...b];
}

/**
 * The body of maskMul(g, r, out, mask, np, rows): for each of `rows` rows of np floats
 * (np % 4 == 0) at byte addresses g, r, out,
 *   out[row, q] = (g[row, q] * r[row, q]) AND mask[q]
 * with `mask` np i32 lanes of all ones (keep) or zero (an exact 0, even for NaN or Infinity
 * products): the BPTT delta phi'(a) * dL/dh over the hidden units, zero on the rows' input,
 * constant and padding entries.
 */
function maskMulBody(): number[] {
  const P = { g: 0, r: 1, out: 2, mask: 3, np: 4, rows: 5, k: 6, end: 7, mp: 8 } as const;
  const b: number[] = [];
  const { get, set, tee, i32, simd } = emit(b);
  const memarg = [...uleb(2), ...uleb(0)];
  i32(0); set(P.k);
  b.push(OP.loop, OP.void); // rows
  {
    get(P.g); get(P.np); i32(2); b.push(OP.i32Shl, OP.i32Add); set(P.end);
    get(P.mask); set(P.mp);
    b.push(OP.loop, OP.void); // the np floats of a row, 4 at a time
    {
      get(P.out);
      get(P.g); simd(SIMD.load, ...memarg); get(P.r); simd(SIMD.load, ...memarg); simd(SIMD.f32x4Mul);
      get(P.mp); simd(SIMD.load, ...memarg); simd(SIMD.v128And);
      simd(SIMD.store, ...memarg);
      for (const l of [P.g, P.r, P.out, P.mp]) {
        get(l); i32(16); b.push(OP.i32Add); set(l);
      }
      get(P.g); get(P.end); b.push(OP.i32LtU, OP.brIf, 0);
    }
    b.push(OP.end);
    get(P.k); i32(1); b.push(OP.i32Add); tee(P.k); get(P.rows); b.push(OP.i32LtU, OP.brIf, 0);
  }
  b.push(OP.end);
  b.push(OP.end); // function
  return [...vec([[...uleb(3), I32]]), ...b];
}

/**
 * The body of tanh(a, h, d, n): for n floats (n % 4 == 0) at byte addresses a, h, d,
 *   h = tanh(a)  (values below the smallest normal float32 flushed to 0)
 *   d = tanh'(a) = 1 - tanh(a)^2, computed as 4 e / (1 + e)^2 with e = exp(-2|a|) for |a| >= 0.625,
 *       so that it keeps its relative accuracy where tanh saturates; 0 for |a| >= 19.0615, where the
 *       float64 reference's tanh rounds to 1 and its 1 - tanh^2 is exactly 0.
 * exp is Cephes' expf (range reduction by ln 2, degree-6 polynomial, 2^k built in the exponent
 * bits); tanh for |a| < 0.625 is Cephes' tanhf polynomial. Both about 1e-7 relative in float32.
 * NaN in gives NaN out in h and d (min/max and arithmetic propagate it; the masks are false).
 */
function tanhBody(fused: boolean): number[] {
  // tanh(a, h, d, n)                                   a read from memory
  // tanhColumn(acc, u, h, d, n, rho, satLimit, stats) -> f64
  //   a = rho acc + u; returns sum h^2 (float64), stores #{d < satLimit} (i32) at stats and
  //   sum d (f64) at stats + 8
  const P = fused ? { a: 0, u: 1, h: 2, d: 3, n: 4, rho: 5, sat: 6, stats: 7, end: 8 } : { a: 0, u: -1, h: 1, d: 2, n: 3, rho: -1, sat: -1, stats: -1, end: 4 };
  const first = P.end + 1;
  const V = { x: first, ax: first + 1, z: first + 2, k: first + 3, e: first + 4, big: first + 5, small: first + 6, der: first + 7, sq: first + 8, mask: first + 9, rhoV: first + 10, satV: first + 11, cnt: first + 12, lo: first + 13, hi: first + 14, hv: first + 15, tmp: first + 16, dlo: first + 17, dhi: first + 18 };
  const b: number[] = [];
  const { get, set, i32, simd, f32x4 } = emit(b);
  const memarg = [...uleb(2), ...uleb(0)];
  const add = () => simd(SIMD.f32x4Add);
  const sub = () => simd(SIMD.f32x4Sub);
  const mul = () => simd(SIMD.f32x4Mul);
  // Horner: acc = ((c0 * v + c1) * v + c2) ... with v in local `v`.
  const horner = (v: number, coeffs: number[]) => {
    f32x4(coeffs[0]);
    for (let i = 1; i < coeffs.length; i++) {
      get(v); mul(); f32x4(coeffs[i]); add();
    }
  };

  get(P.a); get(P.n); i32(2); b.push(OP.i32Shl, OP.i32Add); set(P.end);
  if (fused) {
    get(P.rho); simd(SIMD.f32x4Splat); set(V.rhoV);
    get(P.sat); simd(SIMD.f32x4Splat); set(V.satV);
  }
  b.push(OP.loop, OP.void);
  {
    get(P.a); simd(SIMD.load, ...memarg);
    if (fused) {
      // a = rho * (W0 h) + (U x + b)
      get(V.rhoV); mul(); get(P.u); simd(SIMD.load, ...memarg); add();
    }
    set(V.x);
    get(V.x); simd(SIMD.f32x4Abs); set(V.ax);
    // z = max(-2|a|, -40): e^-40 is already below float32's epsilon, and no subnormal appears.
    get(V.ax); f32x4(-2); mul(); f32x4(-40); simd(SIMD.f32x4Max); set(V.z);
    // k = nearest(z log2 e);  r = z - k C1 - k C2 (Cephes' split of ln 2), kept in z
    get(V.z); f32x4(Math.LOG2E); mul(); simd(SIMD.f32x4Nearest); set(V.k);
    get(V.z); get(V.k); f32x4(0.693359375); mul(); sub(); get(V.k); f32x4(-2.12194440e-4); mul(); sub(); set(V.z);
    // e^r = 1 + r + r^2 P(r);  e = e^r * 2^k, 2^k = bits((k + 127) << 23)
    get(V.z); get(V.z); mul(); set(V.sq);
    horner(V.z, [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1]);
    get(V.sq); mul(); get(V.z); add(); f32x4(1); add();
    get(V.k); simd(SIMD.i32x4TruncSatF32x4S); i32(127); simd(SIMD.i32x4Splat); simd(SIMD.i32x4Add); i32(23); simd(SIMD.i32x4Shl);
    mul(); set(V.e);
    // big = (1 - e) / (1 + e);  der = 4 e / (1 + e)^2
    f32x4(1); get(V.e); sub(); f32x4(1); get(V.e); add(); simd(SIMD.f32x4Div); set(V.big);
    f32x4(4); get(V.e); mul(); f32x4(1); get(V.e); add(); f32x4(1); get(V.e); add(); mul(); simd(SIMD.f32x4Div); set(V.der);
    // small = |a| + |a| z2 Q(z2), z2 = a^2 (Cephes tanhf, |a| < 0.625)
    get(V.ax); get(V.ax); mul(); set(V.sq);
    horner(V.sq, [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1]);
    get(V.sq); mul(); get(V.ax); mul(); get(V.ax); add(); set(V.small);
    // pick by |a| < 0.625
    get(V.ax); f32x4(0.625); simd(SIMD.f32x4Lt); set(V.mask);
    get(V.small); get(V.big); get(V.mask); simd(SIMD.v128Bitselect); set(V.big);
    f32x4(1); get(V.small); get(V.small); mul(); sub(); get(V.der); get(V.mask); simd(SIMD.v128Bitselect);
    // d = 0 where |a| >= 19.0615 (as the float64 reference); NaN compares false and stays
    get(V.ax); f32x4(19.0615); simd(SIMD.f32x4Ge); simd(SIMD.v128AndNot); set(V.der);
    // h = copysign(big, a), with magnitudes below the smallest normal float32 flushed to 0 (NaN kept)
    get(V.x); get(V.big); i32(-0x80000000); simd(SIMD.i32x4Splat); simd(SIMD.v128Bitselect);
    get(V.ax); f32x4(1.1754943508222875e-38); simd(SIMD.f32x4Lt); simd(SIMD.v128AndNot);
    set(V.hv);
    get(P.h); get(V.hv); simd(SIMD.store, ...memarg);
    get(P.d); get(V.der); simd(SIMD.store, ...memarg);
    if (fused) {
      squareInto(b, V.hv, V.lo, V.hi);
      sumInto(b, V.der, V.dlo, V.dhi);
      // cnt -= (d < satLimit) lane masks (-1 where saturated)
      get(V.cnt); get(V.der); get(V.satV); simd(SIMD.f32x4Lt); simd(SIMD.i32x4Sub); set(V.cnt);
    }
    for (const l of fused ? [P.a, P.u, P.h, P.d] : [P.a, P.h, P.d]) {
      get(l); i32(16); b.push(OP.i32Add); set(l);
    }
    get(P.a); get(P.end); b.push(OP.i32LtU, OP.brIf, 0);
  }
  b.push(OP.end);
  if (fused) {
    storeStats(b, P.stats, V.cnt, V.dlo, V.dhi);
    sumLanes(b, V.lo, V.hi);
  }
  b.push(OP.end); // function
  const locals = vec([[...uleb(1), I32], [...uleb(19), V128]]); // `end`, then the v128 locals V
  return [...locals, ...b];
}

/**
 * Code that adds the squares of the f32x4 in local `v` to the f64x2 accumulators `lo` and `hi`
 * (float64, so that squares of values down to float32's smallest normal do not underflow).
 */
function squareInto(b: number[], v: number, lo: number, hi: number): void {
  const op = (code: number, ...imm: number[]) => b.push(OP.simd, ...uleb(code), ...imm);
  for (const [acc, high] of [[lo, false], [hi, true]] as const) {
    b.push(OP.localGet, ...uleb(acc));
    b.push(OP.localGet, ...uleb(v));
    if (high) {
      b.push(OP.localGet, ...uleb(v));
      op(SIMD.i8x16Shuffle, ...HIGH_TO_LOW);
    }
    op(SIMD.f64x2PromoteLowF32x4);
    b.push(OP.localTee, ...uleb(v + 1)); // scratch v128 right after v
    b.push(OP.localGet, ...uleb(v + 1));
    op(SIMD.f64x2Mul);
    op(SIMD.f64x2Add);
    b.push(OP.localSet, ...uleb(acc));
  }
}

/** Code that adds the f32x4 in local `v` to the f64x2 accumulators `lo` (lanes 0, 1) and `hi` (lanes 2, 3). */
function sumInto(b: number[], v: number, lo: number, hi: number): void {
  const op = (code: number, ...imm: number[]) => b.push(OP.simd, ...uleb(code), ...imm);
  for (const [acc, high] of [[lo, false], [hi, true]] as const) {
    b.push(OP.localGet, ...uleb(acc));
    b.push(OP.localGet, ...uleb(v));
    if (high) {
      b.push(OP.localGet, ...uleb(v));
      op(SIMD.i8x16Shuffle, ...HIGH_TO_LOW);
    }
    op(SIMD.f64x2PromoteLowF32x4);
    op(SIMD.f64x2Add);
    b.push(OP.localSet, ...uleb(acc));
  }
}

/**
 * Code that stores a column's statistics where the caller reads them with typed arrays (a
 * WebAssembly.Global's value getter cost more than the float64 sum it read): the sum of the i32
 * lanes of `cnt` at byte address `stats` and the f64 sum of `lo` and `hi` at `stats` + 8.
 */
function storeStats(b: number[], stats: number, cnt: number, lo: number, hi: number): void {
  b.push(OP.localGet, ...uleb(stats));
  for (let lane = 0; lane < 4; lane++) {
    b.push(OP.localGet, ...uleb(cnt), OP.simd, ...uleb(SIMD.i32x4ExtractLane), lane);
    if (lane > 0) b.push(I32_ADD);
  }
  b.push(I32_STORE, 2, 0);
  b.push(OP.localGet, ...uleb(stats));
  sumLanes(b, lo, hi);
  b.push(F64_STORE, 3, 8);
}

/** Code leaving lo[0] + lo[1] + hi[0] + hi[1] (f64) on the stack. */
function sumLanes(b: number[], lo: number, hi: number): void {
  const op = (code: number, ...imm: number[]) => b.push(OP.simd, ...uleb(code), ...imm);
  b.push(OP.localGet, ...uleb(lo)); op(SIMD.f64x2ExtractLane, 0);
  b.push(OP.localGet, ...uleb(lo)); op(SIMD.f64x2ExtractLane, 1); b.push(F64_ADD);
  b.push(OP.localGet, ...uleb(hi)); op(SIMD.f64x2ExtractLane, 0); b.push(F64_ADD);
  b.push(OP.localGet, ...uleb(hi)); op(SIMD.f64x2ExtractLane, 1); b.push(F64_ADD);
}

/**
 * The body of rectColumn(acc, u, h, d, n, rho, alpha, leaky, stats) -> f64, the relu / leaky_relu column:
 *   a = rho acc + u;  h = a > 0 ? a : (leaky ? alpha a : 0);  d = a > 0 ? 1 : a <= 0 ? (leaky ? alpha : 0) : NaN
 * (relu(-Infinity) = 0, NaN stays NaN, h flushed below the smallest normal float32), returning
 * sum h^2 in float64 and storing #{a <= 0} (i32) at `stats` and sum d (f64) at `stats` + 8,
 * padding lanes included: the caller subtracts them. `leaky` is 0 or -1 (all bits).
 */
function rectBody(): number[] {
  const P = { acc: 0, u: 1, h: 2, d: 3, n: 4, rho: 5, alpha: 6, leaky: 7, stats: 8, end: 9 } as const;
  const first = P.end + 1;
  const V = { a: first, neg: first + 1, rhoV: first + 2, alphaV: first + 3, leakyV: first + 4, cnt: first + 5, lo: first + 6, hi: first + 7, hv: first + 8, tmp: first + 9, dv: first + 10, dlo: first + 11, dhi: first + 12 };
  const b: number[] = [];
  const { get, set, i32, simd, f32x4 } = emit(b);
  const memarg = [...uleb(2), ...uleb(0)];
  get(P.acc); get(P.n); i32(2); b.push(OP.i32Shl, OP.i32Add); set(P.end);
  get(P.rho); simd(SIMD.f32x4Splat); set(V.rhoV);
  get(P.alpha); simd(SIMD.f32x4Splat); set(V.alphaV);
  get(P.leaky); simd(SIMD.i32x4Splat); set(V.leakyV);
  b.push(OP.loop, OP.void);
  {
    // a = rho * (W0 h) + (U x + b);  neg = a <= 0 (false for NaN)
    get(P.acc); simd(SIMD.load, ...memarg); get(V.rhoV); simd(SIMD.f32x4Mul); get(P.u); simd(SIMD.load, ...memarg); simd(SIMD.f32x4Add); set(V.a);
    get(V.a); f32x4(0); simd(SIMD.f32x4Le); set(V.neg);
    // h = bitselect(bitselect(alpha a, 0, leaky), a, neg), flushed below the smallest normal float32
    get(V.alphaV); get(V.a); simd(SIMD.f32x4Mul); f32x4(0); get(V.leakyV); simd(SIMD.v128Bitselect);
    get(V.a); get(V.neg); simd(SIMD.v128Bitselect); set(V.hv);
    get(V.hv); get(V.hv); simd(SIMD.f32x4Abs); f32x4(1.1754943508222875e-38); simd(SIMD.f32x4Lt); simd(SIMD.v128AndNot); set(V.hv);
    get(P.h); get(V.hv); simd(SIMD.store, ...memarg);
    // d = bitselect(1, bitselect(alpha, NaN, neg), a > 0): relu passes alpha = 0
    f32x4(1); get(V.alphaV); f32x4(NaN); get(V.neg); simd(SIMD.v128Bitselect); get(V.a); f32x4(0); simd(SIMD.f32x4Gt); simd(SIMD.v128Bitselect);
    set(V.dv);
    get(P.d); get(V.dv); simd(SIMD.store, ...memarg);
    squareInto(b, V.hv, V.lo, V.hi);
    sumInto(b, V.dv, V.dlo, V.dhi);
    get(V.cnt); get(V.neg); simd(SIMD.i32x4Sub); set(V.cnt);
    for (const l of [P.acc, P.u, P.h, P.d]) {
      get(l); i32(16); b.push(OP.i32Add); set(l);
    }
    get(P.acc); get(P.end); b.push(OP.i32LtU, OP.brIf, 0);
  }
  b.push(OP.end);
  storeStats(b, P.stats, V.cnt, V.dlo, V.dhi);
  sumLanes(b, V.lo, V.hi);
  b.push(OP.end); // function
  return [...vec([[...uleb(1), I32], [...uleb(13), V128]]), ...b];
}

/** sumsq(p, n) -> f64: sum of the squares of n floats at byte address p (n % 4 == 0), accumulated in float64. */
function sumsqBody(): number[] {
  const L = { p: 0, n: 1, end: 2, v: 3, tmp: 4, lo: 5, hi: 6 } as const;
  const b: number[] = [];
  b.push(OP.localGet, 0, OP.localGet, 1, OP.i32Const, 2, OP.i32Shl, OP.i32Add, OP.localSet, L.end);
  b.push(OP.loop, OP.void);
  b.push(OP.localGet, L.p, OP.simd, ...uleb(SIMD.load), 2, 0, OP.localSet, L.v);
  squareInto(b, L.v, L.lo, L.hi);
  b.push(OP.localGet, L.p, OP.i32Const, 16, OP.i32Add, OP.localTee, L.p, OP.localGet, L.end, OP.i32LtU, OP.brIf, 0);
  b.push(OP.end);
  sumLanes(b, L.lo, L.hi);
  b.push(OP.end);
  return [...vec([[...uleb(1), I32], [...uleb(4), V128]]), ...b];
}

/**
 * scaleDelta(der, g, out, n, scale) -> f64: out = der * g * scale (float32; magnitudes below the
 * smallest normal float32 flushed to 0), returning the sum of the squares of the unflushed
 * products in float64 (NaN if any der is NaN). n % 4 == 0.
 */
function scaleDeltaBody(): number[] {
  const L = { der: 0, g: 1, out: 2, n: 3, scale: 4, end: 5, s: 6, v: 7, tmp: 8, lo: 9, hi: 10 } as const;
  const b: number[] = [];
  const op = (code: number, ...imm: number[]) => b.push(OP.simd, ...uleb(code), ...imm);
  b.push(OP.localGet, L.der, OP.localGet, L.n, OP.i32Const, 2, OP.i32Shl, OP.i32Add, OP.localSet, L.end);
  b.push(OP.localGet, L.scale); op(SIMD.f32x4Splat); b.push(OP.localSet, L.s);
  b.push(OP.loop, OP.void);
  b.push(OP.localGet, L.der); op(SIMD.load, 2, 0);
  b.push(OP.localGet, L.g); op(SIMD.load, 2, 0);
  op(SIMD.f32x4Mul);
  b.push(OP.localGet, L.s); op(SIMD.f32x4Mul);
  b.push(OP.localSet, L.v);
  // store the flushed value: andnot(v, |v| < min normal)
  b.push(OP.localGet, L.out, OP.localGet, L.v, OP.localGet, L.v); op(SIMD.f32x4Abs);
  b.push(F32_CONST, ...new Uint8Array(new Float32Array([1.1754943508222875e-38]).buffer)); op(SIMD.f32x4Splat);
  op(SIMD.f32x4Lt); op(SIMD.v128AndNot); op(SIMD.store, 2, 0);
  squareInto(b, L.v, L.lo, L.hi);
  for (const l of [L.der, L.g, L.out]) b.push(OP.localGet, l, OP.i32Const, 16, OP.i32Add, OP.localSet, l);
  b.push(OP.localGet, L.der, OP.localGet, L.end, OP.i32LtU, OP.brIf, 0);
  b.push(OP.end);
  sumLanes(b, L.lo, L.hi);
  b.push(OP.end);
  return [...vec([[...uleb(1), I32], [...uleb(5), V128]]), ...b];
}

/**
 * A loop over the `count` columns of a block (count >= 1), each `n` floats long, that calls one of
 * the column functions above for each: one call from JavaScript per step instead of one per
 * column (a JavaScript-to-WebAssembly call cost about as much as a column of N = 64).
 * `params` are the block function's parameters: `columns` of them are byte addresses advanced by
 * n * 4 per column, `tables` advance by their record size; `call` pushes the column function's
 * arguments and calls it, `after` consumes what it returned (if anything).
 */
function columnLoop(spec: {
  params: number; // parameter count of the block function
  n: number; // index of the parameter n
  count: number; // index of the parameter count
  columns: number[];
  tables: [index: number, bytes: number][];
  call: (b: number[]) => void;
  after?: (b: number[]) => void;
}): number[] {
  const c = spec.params;
  const stride = spec.params + 1;
  const b: number[] = [];
  const get = (l: number) => b.push(OP.localGet, ...uleb(l));
  const set = (l: number) => b.push(OP.localSet, ...uleb(l));
  const i32 = (v: number) => b.push(OP.i32Const, ...sleb(v));
  get(spec.n); i32(2); b.push(OP.i32Shl); set(stride);
  b.push(OP.loop, OP.void);
  spec.call(b);
  spec.after?.(b);
  for (const l of spec.columns) {
    get(l); get(stride); b.push(OP.i32Add); set(l);
  }
  for (const [l, bytes] of spec.tables) {
    get(l); i32(bytes); b.push(OP.i32Add); set(l);
  }
  get(c); i32(1); b.push(OP.i32Add); b.push(OP.localTee, ...uleb(c)); get(spec.count); b.push(OP.i32LtU, OP.brIf, 0);
  b.push(OP.end);
  b.push(OP.end); // function
  return [...vec([[...uleb(2), I32]]), ...b];
}

/** Bytes of one column's record in a block's statistics: i32 saturated count, f64 sum of phi' at + 8, f64 sum of h^2 at + 16. */
export const COLUMN_STATS_BYTES = 24;
/** Bytes of one column's parameters: f32 rho, then the i32 byte address of its u = U x_t + b. */
export const COLUMN_PARAMS_BYTES = 8;

/**
 * tanhBlock(acc, h, d, n, count, params, satLimit, stats): tanhColumn for each column c < count,
 * with rho and u from its `params` record, its count and sums in its `stats` record.
 */
function tanhBlockBody(tanhColumn: number): number[] {
  const P = { acc: 0, h: 1, d: 2, n: 3, count: 4, params: 5, sat: 6, stats: 7 };
  return columnLoop({
    params: 8,
    n: P.n,
    count: P.count,
    columns: [P.acc, P.h, P.d],
    tables: [[P.params, COLUMN_PARAMS_BYTES], [P.stats, COLUMN_STATS_BYTES]],
    call: (b) => {
      const get = (l: number) => b.push(OP.localGet, ...uleb(l));
      get(P.stats); // the address for the f64 store of the result
      get(P.acc); get(P.params); b.push(I32_LOAD, 2, 4); get(P.h); get(P.d); get(P.n); get(P.params); b.push(F32_LOAD, 2, 0); get(P.sat); get(P.stats);
      b.push(CALL, ...uleb(tanhColumn));
      b.push(F64_STORE, 3, 16);
    },
  });
}

/** rectBlock(acc, h, d, n, count, params, alpha, leaky, stats): rectColumn for each column, as tanhBlock. */
function rectBlockBody(rectColumn: number): number[] {
  const P = { acc: 0, h: 1, d: 2, n: 3, count: 4, params: 5, alpha: 6, leaky: 7, stats: 8 };
  return columnLoop({
    params: 9,
    n: P.n,
    count: P.count,
    columns: [P.acc, P.h, P.d],
    tables: [[P.params, COLUMN_PARAMS_BYTES], [P.stats, COLUMN_STATS_BYTES]],
    call: (b) => {
      const get = (l: number) => b.push(OP.localGet, ...uleb(l));
      get(P.stats);
      get(P.acc); get(P.params); b.push(I32_LOAD, 2, 4); get(P.h); get(P.d); get(P.n); get(P.params); b.push(F32_LOAD, 2, 0); get(P.alpha); get(P.leaky); get(P.stats);
      b.push(CALL, ...uleb(rectColumn));
      b.push(F64_STORE, 3, 16);
    },
  });
}

/** sumsqBlock(p, n, count, out): out[c] = sumsq(column c) as f64, c < count. */
function sumsqBlockBody(sumsq: number): number[] {
  const P = { p: 0, n: 1, count: 2, out: 3 };
  return columnLoop({
    params: 4,
    n: P.n,
    count: P.count,
    columns: [P.p],
    tables: [[P.out, 8]],
    call: (b) => {
      b.push(OP.localGet, P.out, OP.localGet, P.p, OP.localGet, P.n, CALL, ...uleb(sumsq), F64_STORE, 3, 0);
    },
  });
}

/** scaleDeltaBlock(der, g, out, n, count, scales, dss): dss[c] = scaleDelta(column c, scales[c] (f32)) as f64. */
function scaleDeltaBlockBody(scaleDelta: number): number[] {
  const P = { der: 0, g: 1, out: 2, n: 3, count: 4, scales: 5, dss: 6 };
  return columnLoop({
    params: 7,
    n: P.n,
    count: P.count,
    columns: [P.der, P.g, P.out],
    tables: [[P.scales, 4], [P.dss, 8]],
    call: (b) => {
      b.push(OP.localGet, P.dss, OP.localGet, P.der, OP.localGet, P.g, OP.localGet, P.out, OP.localGet, P.n, OP.localGet, P.scales, F32_LOAD, 2, 0);
      b.push(CALL, ...uleb(scaleDelta), F64_STORE, 3, 0);
    },
  });
}

/**
 * The bytes of the module: imports env.mem; exports gemm(M, X, out, np, bp), tanh(a, h, d, n),
 * sumsq(p, n) -> f64, scaleDelta(der, g, out, n, scale) -> f64, tanhColumn and rectColumn (byte
 * addresses; the columns store their saturated count and phi' sum at `stats`), the block
 * loops over them: tanhBlock, rectBlock, sumsqBlock, scaleDeltaBlock, and the training model's
 * atb(D, Z, out, np, rows, nI, nJ), relu(a, h, d, n), maskMul(g, r, out, mask, np, rows) and
 * gemmRect(M, X, out, np, bp, nOut, nIn).
 */
export function kernelModuleBytes(fma = false): Uint8Array {
  // Function i has type i; the block loops call the column functions by index.
  const bodies = [gemmBody(fma), tanhBody(false), sumsqBody(), scaleDeltaBody(), tanhBody(true), rectBody(), tanhBlockBody(4), rectBlockBody(5), sumsqBlockBody(2), scaleDeltaBlockBody(3), atbBody(fma), reluBody(), maskMulBody(), gemmBody(fma, true)];
  const fn = (params: number[], results: number[]) => [0x60, ...vec(params.map((t) => [t])), ...vec(results.map((t) => [t]))];
  const types = [
    fn([I32, I32, I32, I32, I32], []),
    fn([I32, I32, I32, I32], []),
    fn([I32, I32], [F64]),
    fn([I32, I32, I32, I32, F32], [F64]),
    fn([I32, I32, I32, I32, I32, F32, F32, I32], [F64]),
    fn([I32, I32, I32, I32, I32, F32, F32, I32, I32], [F64]),
    fn([I32, I32, I32, I32, I32, I32, F32, I32], []),
    fn([I32, I32, I32, I32, I32, I32, F32, I32, I32], []),
    fn([I32, I32, I32, I32], []),
    fn([I32, I32, I32, I32, I32, I32, I32], []),
    fn([I32, I32, I32, I32, I32, I32, I32], []),
    fn([I32, I32, I32, I32], []),
    fn([I32, I32, I32, I32, I32, I32], []),
    fn([I32, I32, I32, I32, I32, I32, I32], []),
  ];
  const names = ['gemm', 'tanh', 'sumsq', 'scaleDelta', 'tanhColumn', 'rectColumn', 'tanhBlock', 'rectBlock', 'sumsqBlock', 'scaleDeltaBlock', 'atb', 'relu', 'maskMul', 'gemmRect'];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...str('env'), ...str('mem'), 0x02, 0x00, ...uleb(1)]])), // import memory, min 1 page
    ...section(3, vec(bodies.map((_, i) => [i]))), // function i has type i
    ...section(7, vec(names.map((name, i) => [...str(name), 0x00, i]))),
    ...section(10, vec(bodies.map((body) => [...uleb(body.length), ...body]))),
  ];
  return new Uint8Array(bytes);
}

/** [np, np] row-major M to the panel layout the kernel reads: out[(p * np + j) * 8 + l] = M[j * np + 8p + l]. */
export function packPanels(M: Float32Array, np: number, out: Float32Array = new Float32Array(np * np)): Float32Array {
  for (let p = 0; p < np / 8; p++) {
    for (let j = 0; j < np; j++) {
      for (let l = 0; l < 8; l++) out[(p * np + j) * 8 + l] = M[j * np + p * 8 + l];
    }
  }
  return out;
}

export type SimdGemm = (M: number, X: number, out: number, np: number, bp: number) => void;
export type SimdTanh = (a: number, h: number, d: number, n: number) => void;
export type SimdSumsq = (p: number, n: number) => number;
export type SimdScaleDelta = (der: number, g: number, out: number, n: number, scale: number) => number;

/** atb(D, Z, out, np, rows, nI, nJ): out[j * np + i] += sum_r D[r, i] Z[r, j], i < nI, j < nJ (float64 out); see atbBody. */
export type SimdAtb = (D: number, Z: number, out: number, np: number, rows: number, nI: number, nJ: number) => void;
/**
 * gemmRect(M, X, out, np, bp, nOut, nIn): the GEMM over a corner of M: out[c * np + i] =
 * sum_{j < nIn} M[j, i] X[c * np + j] for i < nOut (nOut % 8 == 0), the rest of out untouched.
 */
export type SimdGemmRect = (M: number, X: number, out: number, np: number, bp: number, nOut: number, nIn: number) => void;
export type SimdRelu = (a: number, h: number, d: number, n: number) => void;
/** maskMul(g, r, out, mask, np, rows): out = (g * r) AND mask, row by row; see maskMulBody. */
export type SimdMaskMul = (g: number, r: number, out: number, mask: number, np: number, rows: number) => void;

export type SimdTanhColumn = (acc: number, u: number, h: number, d: number, n: number, rho: number, satLimit: number, stats: number) => number;

export type SimdRectColumn = (acc: number, u: number, h: number, d: number, n: number, rho: number, alpha: number, leaky: number, stats: number) => number;

export type SimdTanhBlock = (acc: number, h: number, d: number, n: number, count: number, params: number, satLimit: number, stats: number) => void;
export type SimdRectBlock = (acc: number, h: number, d: number, n: number, count: number, params: number, alpha: number, leaky: number, stats: number) => void;
export type SimdSumsqBlock = (p: number, n: number, count: number, out: number) => void;
export type SimdScaleDeltaBlock = (der: number, g: number, out: number, n: number, count: number, scales: number, dss: number) => void;

export interface SimdKernels {
  gemm: SimdGemm;
  tanh: SimdTanh;
  sumsq: SimdSumsq;
  scaleDelta: SimdScaleDelta;
  /**
   * a = rho acc + u; h = tanh(a), d = tanh'(a) as `tanh`; returns sum h^2 (float64); stores
   * #{d < satLimit} as an i32 at byte address `stats` and sum d as an f64 at `stats` + 8.
   */
  tanhColumn: SimdTanhColumn;
  /** relu (alpha 0, leaky 0) or leaky_relu (leaky -1) column; returns sum h^2; stores #{a <= 0} and sum d as tanhColumn. */
  rectColumn: SimdRectColumn;
  /**
   * The column functions over the count >= 1 consecutive columns of a block (n floats each):
   * rho and the address of u from each column's COLUMN_PARAMS_BYTES record at `params`; count,
   * sum of phi' and sum of h^2 into each column's COLUMN_STATS_BYTES record at `stats`.
   */
  tanhBlock: SimdTanhBlock;
  rectBlock: SimdRectBlock;
  /** Each column's sum of squares, f64, into out[c]. */
  sumsqBlock: SimdSumsqBlock;
  /** scaleDelta of each column with the f32 scales[c]; its sum of squares into the f64 dss[c]. */
  scaleDeltaBlock: SimdScaleDeltaBlock;
  /** The training model's weight-gradient product, relu and masked delta (atbBody, reluBody, maskMulBody). */
  atb: SimdAtb;
  relu: SimdRelu;
  maskMul: SimdMaskMul;
  gemmRect: SimdGemmRect;
}

const bytesCache = new Map<boolean, Uint8Array>();
function moduleBytes(fma: boolean): Uint8Array {
  let bytes = bytesCache.get(fma);
  if (!bytes) {
    bytes = kernelModuleBytes(fma);
    bytesCache.set(fma, bytes);
  }
  return bytes;
}

// A yes is kept (a runtime does not lose a feature; validating the module took about a
// millisecond, once per sweep and thread); a no is asked again, since a V8 flag can switch
// relaxed SIMD on while the process runs.
let simdYes = false;
let fmaYes = false;
/** Compiled once per thread and kind: instantiating is cheap, compiling is not. */
const modules = new Map<boolean, WebAssembly.Module>();

/** Whether this JavaScript engine runs WebAssembly SIMD (Node >= 16.4, Chrome >= 91, Firefox >= 89, Safari >= 16.4). */
export function simdAvailable(): boolean {
  simdYes ||= typeof WebAssembly === 'object' && WebAssembly.validate(moduleBytes(false) as BufferSource);
  return simdYes;
}

/**
 * Whether it also runs relaxed SIMD, for the GEMM's fused multiply-add (Chrome >= 114; Node 20
 * only with --experimental-wasm-relaxed-simd, Node >= 22 by default; not Firefox or Safari yet).
 * Where the CPU has no FMA the engine computes relaxed_madd as a multiply and an add: the same
 * numbers as the plain module, whichever it is, on every thread of one machine.
 */
export function fmaAvailable(): boolean {
  fmaYes ||= simdAvailable() && WebAssembly.validate(moduleBytes(true) as BufferSource);
  return fmaYes;
}

/** Instantiate the kernels over `memory` (synchronously: the module is tiny); `fma` needs fmaAvailable(). */
export function instantiateKernels(memory: WebAssembly.Memory, fma = false): SimdKernels {
  let module = modules.get(fma);
  if (!module) {
    module = new WebAssembly.Module(moduleBytes(fma) as BufferSource);
    modules.set(fma, module);
  }
  const e = new WebAssembly.Instance(module, { env: { mem: memory } }).exports;
  return {
    gemm: e.gemm as SimdGemm,
    tanh: e.tanh as SimdTanh,
    sumsq: e.sumsq as SimdSumsq,
    scaleDelta: e.scaleDelta as SimdScaleDelta,
    tanhColumn: e.tanhColumn as SimdTanhColumn,
    rectColumn: e.rectColumn as SimdRectColumn,
    tanhBlock: e.tanhBlock as SimdTanhBlock,
    rectBlock: e.rectBlock as SimdRectBlock,
    sumsqBlock: e.sumsqBlock as SimdSumsqBlock,
    scaleDeltaBlock: e.scaleDeltaBlock as SimdScaleDeltaBlock,
    atb: e.atb as SimdAtb,
    relu: e.relu as SimdRelu,
    maskMul: e.maskMul as SimdMaskMul,
    gemmRect: e.gemmRect as SimdGemmRect,
  };
}

/** Instantiate the GEMM alone over `memory`. */
export function instantiateGemm(memory: WebAssembly.Memory, fma = false): SimdGemm {
  return instantiateKernels(memory, fma).gemm;
}

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
 * fallback accumulates in float64).
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
const SIMD = { load: 0x00, load32Splat: 0x09, store: 0x0b, const: 0x0c, f32x4Add: 0xe4, f32x4Mul: 0xe6 } as const;
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

/** The bytes of the module: imports env.mem, exports gemm(M, X, out, np, bp) (byte addresses). */
export function gemmModuleBytes(): Uint8Array {
  // Params 0..4: M, X, out, np, bp. Locals:
  const L = { M: 0, X: 1, out: 2, np: 3, bp: 4, i: 5, c: 6, m: 7, x0: 8, x1: 9, x2: 10, x3: 11, row: 12, end: 13, p: 14 } as const;
  const A = 15; // v128 accumulators a[q][v] at A + 2q + v, q < 4 columns, v < 2 halves
  const M0 = 23;
  const M1 = 24;
  const XV = 25;
  const b: number[] = [];
  const get = (l: number) => b.push(OP.localGet, ...uleb(l));
  const set = (l: number) => b.push(OP.localSet, ...uleb(l));
  const tee = (l: number) => b.push(OP.localTee, ...uleb(l));
  const i32 = (v: number) => b.push(OP.i32Const, ...sleb(v));
  const simd = (op: number, ...imm: number[]) => b.push(OP.simd, ...uleb(op), ...imm);
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
      get(L.x0); get(L.row); b.push(OP.i32Add); set(L.end);
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
            get(A + 2 * q + v); get(v === 0 ? M0 : M1); get(XV); simd(SIMD.f32x4Mul); simd(SIMD.f32x4Add); set(A + 2 * q + v);
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
    get(L.i); i32(8); b.push(OP.i32Add); tee(L.i); get(L.np); b.push(OP.i32LtU, OP.brIf, 0);
  }
  b.push(OP.end);
  b.push(OP.end); // function

  const locals = vec([[...uleb(10), I32], [...uleb(11), V128]]); // locals 5..14 i32, 15..25 v128
  const body = [...locals, ...b];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), ...vec([])]])), // type 0: (i32 x5) -> ()
    ...section(2, vec([[...str('env'), ...str('mem'), 0x02, 0x00, ...uleb(1)]])), // import memory, min 1 page
    ...section(3, vec([[0]])), // function 0 has type 0
    ...section(7, vec([[...str('gemm'), 0x00, 0]])), // export "gemm" = function 0
    ...section(10, vec([[...uleb(body.length), ...body]])),
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

/** Whether this JavaScript engine runs WebAssembly SIMD (Node >= 16.4, Chrome >= 91, Firefox >= 89, Safari >= 16.4). */
export function simdAvailable(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(gemmModuleBytes() as BufferSource);
}

/** Instantiate the GEMM over `memory` (synchronously: the module is tiny). */
export function instantiateGemm(memory: WebAssembly.Memory): SimdGemm {
  const module = new WebAssembly.Module(gemmModuleBytes() as BufferSource);
  const instance = new WebAssembly.Instance(module, { env: { mem: memory } });
  return instance.exports.gemm as SimdGemm;
}

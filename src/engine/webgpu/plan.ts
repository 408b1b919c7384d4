/**
 * How a sweep is laid out in GPU memory, decided before anything is allocated: which buffers,
 * how large, and how many rho rows go through the GPU at once (a chunk), so that no buffer
 * exceeds the device's binding/buffer limits and the total stays under a stated maximum.
 */
import type { Config } from '../../core/config.ts';
import { formatBytes } from '../../core/work.ts';
import { matrixCount } from '../sweep-weights.ts';
import { CELL_BYTES, RECORD_BYTES } from './record.ts';

/** Bytes of one StepRecord and of one reduction Cell: generated from the statistics table (record.ts). */
export { CELL_BYTES, RECORD_BYTES };
/** Rows of W0 a pass of the matmul loops produces (eight vec4 accumulators, shaders/forward.wgsl). */
export const ROWS_PER_PASS = 8;
/** Sequences per invocation (SEQ in the shaders): a chunk's batch is padded to SEQ * workgroup size. */
export const SEQ_PER_INVOCATION = 4;
/** Uniform slots are bound with dynamic offsets, which must be multiples of this. */
export const PARAM_STRIDE = 256;

/**
 * The two shapes of the step kernels: `persistent` (forward.wgsl, backward.wgsl: one invocation
 * carries 4 sequences through all their rows, no barrier; suits SwiftShader) and `tiled`
 * (forward-tiled.wgsl, backward-tiled.wgsl: a workgroup carries a tile of sequences, its
 * invocations split the rows, h of the tile in workgroup memory; for hardware GPUs).
 */
export const KERNEL_VARIANTS = ['persistent', 'tiled'] as const;
export type KernelVariant = (typeof KERNEL_VARIANTS)[number];

/** Rows one invocation of the tiled kernels owns at most: two quads, held in 8 vec4 registers across the step's barrier. */
export const TILED_ROWS_PER_INVOCATION = 8;
/** Largest tile of the tiled kernels, in quads of 4 sequences (the kernels' atomics hold 16 sequences). */
export const MAX_TILE4 = 4;

/** Workgroup memory of a tiled kernel besides h (or g): two vec4 partial sums per invocation, 4 x 16 atomic words, 4 vec4 scales. */
export function tiledFixedBytes(workgroupSize: number): number {
  return 2 * workgroupSize * 16 + 4 * 16 * 4 + 4 * 16;
}

/** The tiled kernels on a device: their invocations per workgroup and the most vec4s of h workgroup memory holds. */
export interface TiledShape {
  workgroupSize: number;
  /** Capacity: vec4s of h (forward) or g (backward) that fit in workgroup memory beside the partial sums. */
  hsVec4: number;
}

/** Smallest h array of the tiled kernels, vec4s (8 KiB): every N up to 128 at a tile of 16 sequences, or 512 at 4, shares one compiled size. */
export const MIN_HS_VEC4 = 512;

/**
 * The HS_VEC4 a run compiles the tiled kernels with: N TILE4 rounded up to a power of two (at
 * least MIN_HS_VEC4), at most the capacity. A run declares only the workgroup memory it needs
 * (more workgroups fit on a GPU's core at once), and sizes share compiled kernels (compiling
 * costs seconds on SwiftShader, and grows with the array).
 */
export function hsVec4For(n: number, tile4: number, shape: TiledShape): number {
  return Math.min(shape.hsVec4, Math.max(MIN_HS_VEC4, 2 ** Math.ceil(Math.log2(n * tile4))));
}

/**
 * The tiled kernels' shape on a device with `storageBytes` of workgroup memory
 * (limits.maxComputeWorkgroupStorageSize): h takes what the partial sums leave, but no more than
 * the largest N x TILE4 the row split allows (8 rows per invocation: N TILE4 <= 8 WORKGROUP).
 */
export function tiledShape(workgroupSize: number, storageBytes: number): TiledShape {
  if (!Number.isInteger(workgroupSize) || workgroupSize < 4 || workgroupSize % 4 !== 0) {
    throw new Error(`webgpu: tiledWorkgroupSize must be a multiple of 4 (at least 4), got ${workgroupSize}`);
  }
  const hsVec4 = Math.min(TILED_ROWS_PER_INVOCATION * workgroupSize, Math.floor((storageBytes - tiledFixedBytes(workgroupSize)) / 16));
  return { workgroupSize, hsVec4: Math.max(0, hsVec4) };
}

/**
 * TILE4 for hidden size n: the largest of 4, 2, 1 (at most maxTile4) whose row split leaves each
 * invocation at most 8 rows (2 row quads per row lane, WORKGROUP / TILE4 row lanes) and whose h
 * fits in workgroup memory. A string saying why when none does.
 */
export function chooseTile4(n: number, shape: TiledShape, maxTile4: number = MAX_TILE4): number | string {
  const np = Math.ceil(n / ROWS_PER_PASS) * ROWS_PER_PASS;
  for (const tile4 of [4, 2, 1]) {
    if (tile4 > maxTile4) continue;
    const rowLanes = shape.workgroupSize / tile4;
    if (TILED_ROWS_PER_INVOCATION * rowLanes >= np && n * tile4 <= shape.hsVec4) return tile4;
  }
  const rows = TILED_ROWS_PER_INVOCATION * shape.workgroupSize;
  return np > rows
    ? `hidden ${n} needs more than ${TILED_ROWS_PER_INVOCATION} rows per invocation with ${shape.workgroupSize} invocations per workgroup (at most ${rows} rows)`
    : `h for 4 sequences of hidden ${n} (${n * 16} bytes) does not fit the ${shape.hsVec4 * 16} bytes of workgroup memory left by the device's maxComputeWorkgroupStorageSize`;
}

export interface PlanLimits {
  /** Largest buffer a binding may cover (device.limits.maxStorageBufferBindingSize). */
  maxBindingBytes: number;
  /** Largest buffer (device.limits.maxBufferSize). */
  maxBufferBytes: number;
}

export interface PlanOptions {
  /** Cap on any one per-chunk buffer, below the device limits (forces smaller chunks; tests use it). */
  maxChunkBytes?: number;
  /** Chunks are made small enough for the run's GPU buffers to total at most this; refused (before allocating) if one row is more. */
  maxTotalBytes: number;
  /** Steps per dispatch: a number, or 'auto' (as many as fit in dispatchFlops). */
  stepsPerDispatch: number | 'auto';
  /** Work per dispatch when stepsPerDispatch is 'auto', floating-point operations. */
  dispatchFlops: number;
  /** Invocations per workgroup of the persistent kernels (the WORKGROUP override; each carries 4 sequences). */
  workgroupSize: number;
  /** The kernels' shape (default persistent). */
  variant?: KernelVariant;
  /** For the tiled variant: its shape on the device, and the largest tile in quads (default 4: 16 sequences). */
  tiled?: TiledShape;
  maxTile4?: number;
}

export interface MemoryPlan {
  /** N, and the row length of the padded W0 copies: NP = NP4 * 4, a multiple of ROWS_PER_PASS. */
  n: number;
  np: number;
  np4: number;
  samples: number;
  steps: number;
  rhoCount: number;
  /** Rho rows per chunk (KC), and sequences per chunk padded to a whole number of workgroups (BP >= KC * S). */
  rowsPerChunk: number;
  batchPerChunk: number;
  /** The kernels' shape, and for tiled its tile in quads of 4 sequences and its HS_VEC4 (both 0 for persistent). */
  variant: KernelVariant;
  tile4: number;
  hsVec4: number;
  /** Invocations per workgroup of the step kernels. */
  workgroupSize: number;
  /** Sequences one workgroup carries: SEQ_PER_INVOCATION * workgroupSize (persistent), 4 * tile4 (tiled). */
  sequencesPerWorkgroup: number;
  chunks: number;
  /** Steps per forward/backward dispatch. */
  stepsPerDispatch: number;
  /** Uniform slots per chunk: forward and backward dispatches plus the reduction. */
  dispatchesPerChunk: number;
  /** Size in bytes of every buffer the run allocates, by label. */
  buffers: Record<string, number>;
  totalBytes: number;
}

/** Bytes of the per-chunk buffers for KC rho rows. */
function chunkBuffers(kc: number, c: Config, np: number, perWorkgroup: number): Record<string, number> {
  const bc = Math.ceil((kc * c.samples) / perWorkgroup) * perWorkgroup;
  const n = c.hidden;
  const T = c.steps;
  return {
    dphi: bc * T * n * 4, // [T][N][BP] f32
    records: bc * T * RECORD_BYTES, // [T][BP]
    hstate: 2 * np * bc * 4, // [2][NP][BP]: rows N..NP stay 0
    gstate: 2 * n * bc * 4, // [2][N][BP]
    bstate: bc * 16, // [BP] vec4<u32>
    cells: kc * T * CELL_BYTES, // [KC][T]
    readback: kc * T * CELL_BYTES,
    rhos: 2 * kc * 4, // [2][KC] rho, outlier shift
    // the padded W0 copies (one, or T untied W0_t) and the outlier moves are per run, listed here
    // so the total is in one place
    wt: matrixCount(c) * np * np * 4,
    w: matrixCount(c) * np * np * 4,
    outlier: c.sweep === 'outlier' ? matrixCount(c) * (4 + 2 * n) * 4 : 16,
  };
}

/**
 * Lay out the sweep. Throws, naming the size in bytes and what to reduce, when even one rho row
 * does not fit the device's limits or the total exceeds options.maxTotalBytes.
 */
export function planMemory(c: Config, limits: PlanLimits, o: PlanOptions): MemoryPlan {
  const n = c.hidden;
  const S = c.samples;
  const T = c.steps;
  const K = c.rhoCount;
  const np = Math.ceil(n / ROWS_PER_PASS) * ROWS_PER_PASS;
  const variant = o.variant ?? 'persistent';
  let tile4 = 0;
  if (variant === 'tiled') {
    if (!o.tiled) throw new Error('webgpu: the tiled variant needs its shape on the device (PlanOptions.tiled)');
    const t = chooseTile4(n, o.tiled, o.maxTile4);
    if (typeof t === 'string') throw new Error(`webgpu: the tiled kernel cannot run this sweep here: ${t}; use the persistent variant`);
    tile4 = t;
  }
  const workgroupSize = variant === 'tiled' ? o.tiled!.workgroupSize : o.workgroupSize;
  const perWg = variant === 'tiled' ? 4 * tile4 : SEQ_PER_INVOCATION * o.workgroupSize;
  const perBuffer = Math.min(limits.maxBindingBytes, limits.maxBufferBytes, o.maxChunkBytes ?? Infinity);
  const fixed = {
    drive: T * n * S * 4, // [T][N][S] f32
    h0: n * 4,
    r: n * 4,
  };
  const largestPerRow = (kc: number) => {
    const b = chunkBuffers(kc, c, np, perWg);
    return Math.max(b.dphi, b.records, b.cells, b.wt, fixed.drive);
  };
  const perWgCeil = (kc: number) => Math.ceil((kc * S) / perWg) * perWg;
  const matrices = matrixCount(c);
  const matrixBytes = matrices * np * np * 4;
  if (matrices > 1 && matrixBytes > perBuffer) {
    const stepsThatFit = Math.floor(perBuffer / (np * np * 4));
    throw new Error(
      `webgpu: weights: untied needs ${T} matrices of ${n}x${n} (padded to ${np}x${np}) float32 in one GPU buffer, ${formatBytes(matrixBytes)} (${matrixBytes} bytes), ` +
        `more than the largest buffer allowed here, ${formatBytes(perBuffer)} (${perBuffer} bytes, the device's maxStorageBufferBindingSize or maxBufferSize); ` +
        `reduce Steps T to at most ${stepsThatFit} (at N = ${n}) or Hidden size N, or use tied weights`,
    );
  }
  if (largestPerRow(1) > perBuffer) {
    throw new Error(
      `webgpu: one rho row of this sweep needs a ${formatBytes(largestPerRow(1))} buffer (${largestPerRow(1)} bytes: ` +
        `${perWgCeil(1)} sequences (samples ${S}, padded to whole workgroups) x steps ${T} x hidden ${n} x 4 bytes of phi'), ` +
        `more than the largest buffer allowed here, ${formatBytes(perBuffer)} (${perBuffer} bytes); ` +
        'reduce steps, hidden or samples',
    );
  }
  // Everything the run allocates with kc rho rows per chunk.
  const layout = (kc: number) => {
    const flopsPerStep = perWgCeil(kc) * 2 * n * n;
    const spd =
      o.stepsPerDispatch === 'auto'
        ? Math.max(1, Math.min(T, Math.floor(o.dispatchFlops / flopsPerStep)))
        : Math.max(1, Math.min(T, Math.floor(o.stepsPerDispatch)));
    // forward and backward ranges, the reduction, and one more for a first one-step calibration dispatch
    const dispatches = 2 * Math.ceil(T / spd) + 2;
    const buffers: Record<string, number> = { ...chunkBuffers(kc, c, np, perWg), ...fixed, params: dispatches * PARAM_STRIDE };
    return { spd, dispatches, buffers, totalBytes: Object.values(buffers).reduce((x, y) => x + y, 0) };
  };
  const oneRow = layout(1);
  if (oneRow.totalBytes > o.maxTotalBytes) {
    throw new Error(
      `webgpu: this sweep needs ${formatBytes(oneRow.totalBytes)} (${oneRow.totalBytes} bytes) of GPU buffers even one rho row ` +
        `at a time, above the limit of ${formatBytes(o.maxTotalBytes)} (${o.maxTotalBytes} bytes, option maxTotalBytes); ` +
        'reduce steps, hidden or samples',
    );
  }
  // As many rows per chunk as the per-buffer limits and the total allow (sizes grow with kc).
  const fits = (kc: number) => largestPerRow(kc) <= perBuffer && layout(kc).totalBytes <= o.maxTotalBytes;
  let lo = 1;
  let hi = K;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  const chunks = Math.ceil(K / lo);
  const rowsPerChunk = Math.ceil(K / chunks); // balance the chunks
  const { spd, dispatches: dispatchesPerChunk, buffers, totalBytes } = layout(rowsPerChunk);
  return {
    n,
    np,
    np4: np / 4,
    samples: S,
    steps: T,
    rhoCount: K,
    rowsPerChunk,
    batchPerChunk: Math.ceil((rowsPerChunk * S) / perWg) * perWg,
    variant,
    tile4,
    hsVec4: variant === 'tiled' ? hsVec4For(n, tile4, o.tiled!) : 0,
    workgroupSize,
    sequencesPerWorkgroup: perWg,
    chunks,
    stepsPerDispatch: spd,
    dispatchesPerChunk,
    buffers,
    totalBytes,
  };
}

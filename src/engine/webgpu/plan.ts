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
  /** Invocations per workgroup (the WORKGROUP override). */
  workgroupSize: number;
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
  /** Sequences one workgroup carries: SEQ_PER_INVOCATION * workgroupSize. */
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
  const perWg = SEQ_PER_INVOCATION * o.workgroupSize;
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
    sequencesPerWorkgroup: perWg,
    chunks,
    stepsPerDispatch: spd,
    dispatchesPerChunk,
    buffers,
    totalBytes,
  };
}

/**
 * The performance model of docs/performance.md, computed: for each workload, the work (FLOPs),
 * the bytes that must cross DRAM, the dispatches and the parallelism of the WebGPU engine's
 * persistent kernels (its actual memory plan, plan.ts), and the times predicted on a stated GPU
 * from public specification figures. Nothing is measured here.
 *
 *   node --import ./src/node/register.mjs bench/model.ts
 */
import { parseConfig, type Config } from '../src/core/config.ts';
import { sequenceCount, sweepFlops } from '../src/core/work.ts';
import { planMemory, RECORD_BYTES, SEQ_PER_INVOCATION } from '../src/engine/webgpu/plan.ts';
import { SWEEP_256, SWEEP_64 } from './workloads.ts';

/**
 * NVIDIA H200 SXM, public figures (NVIDIA H200 datasheet; GH100 as in the H100 SXM5 whitepaper):
 * 132 SMs of 128 FP32 lanes, boost clock 1.98 GHz, FP32 (non-tensor) 67 TFLOP/s, HBM3e
 * 4.8 TB/s, 50 MB L2, 228 KB shared memory per SM, at most 2048 resident threads per SM.
 */
export const H200 = { name: 'NVIDIA H200 SXM', sms: 132, lanesPerSm: 128, clockHz: 1.98e9, fp32Flops: 67e12, dramBytesPerS: 4.8e12, l2Bytes: 50e6, threadsPerSm: 2048 };

/** Assumed cost of one dispatch boundary in a compute pass on a hardware GPU (launch + the implied global barrier). */
export const DISPATCH_SECONDS = 5e-6;

/**
 * Assumed floor per step and pass of a tiled kernel: a workgroup barrier, the read of h from
 * workgroup memory and the dependent multiply-add chain of one row (N = 64: 1024 FMAs for a tile
 * of 16 sequences, 0.5 us at 1.98 GHz).
 */
export const TILED_STEP_SECONDS = 1e-6;

export interface ModelRow {
  workload: string;
  config: Config;
  gflop: number;
  /** DRAM bytes of the persistent variant: phi' written and read, the records, the state vectors. */
  dramBytes: number;
  dispatches: number;
  /** Invocations (lanes) the persistent variant runs, and their share of the GPU's resident-thread slots. */
  invocations: number;
  /** Predicted seconds: persistent variant (one lane issues 4 N^2 FMAs per step and pass, serially). */
  persistentSeconds: number;
  /** Predicted seconds: a tiled variant at half the FP32 peak, its DRAM time or its per-step floor, whichever is longest, plus dispatches. */
  tiledSeconds: number;
  /** The share of the GPU's FP32 lanes the persistent variant can keep busy. */
  persistentLaneShare: number;
}

export function model(name: string, config: Config): ModelRow {
  const B = sequenceCount(config);
  const { hidden: N, steps: T } = config;
  const plan = planMemory(config, { maxBindingBytes: 2 ** 31, maxBufferBytes: 2 ** 31 }, { maxTotalBytes: 2 * 1024 ** 3, stepsPerDispatch: 'auto', dispatchFlops: 2e8, workgroupSize: 32 });
  const dispatches = plan.chunks * plan.dispatchesPerChunk;
  // phi'(a_t): written by forward, read by backward; records: written by forward, read and
  // written by backward, read by the reduction; h and g: one read and one write per step and pass.
  const dramBytes = B * T * (2 * 4 * N + 4 * RECORD_BYTES + 2 * 2 * 2 * 4 * N);
  const invocations = Math.ceil(B / SEQ_PER_INVOCATION);
  // One lane carries 4 sequences: 4 N^2 multiply-adds per step and pass, one per clock at best.
  const perStep = (4 * N * N) / H200.clockHz;
  const persistentSeconds = 2 * T * perStep + dispatches * DISPATCH_SECONDS;
  const flops = sweepFlops(config);
  const tiledSeconds = Math.max(flops / (0.5 * H200.fp32Flops), dramBytes / H200.dramBytesPerS, 2 * T * TILED_STEP_SECONDS) + dispatches * DISPATCH_SECONDS;
  return {
    workload: name,
    config,
    gflop: flops / 1e9,
    dramBytes,
    dispatches,
    invocations,
    persistentSeconds,
    tiledSeconds,
    persistentLaneShare: Math.min(1, invocations / (H200.sms * H200.lanesPerSm)),
  };
}

export const MODEL_WORKLOADS: [string, Config][] = [
  [SWEEP_64.name, SWEEP_64.config],
  [SWEEP_256.name, SWEEP_256.config],
  ['N=1024', parseConfig({ ...SWEEP_64.config, hidden: 1024 })],
];

function fmtSeconds(s: number): string {
  if (s >= 1) return `${s.toPrecision(2)} s`;
  const ms = s * 1000;
  return ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toPrecision(2)} ms`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`GPU: ${H200.name} (${H200.sms} SMs x ${H200.lanesPerSm} lanes at ${H200.clockHz / 1e9} GHz, ${H200.fp32Flops / 1e12} TFLOP/s FP32, ${H200.dramBytesPerS / 1e12} TB/s)`);
  console.log('| workload | GFLOP | DRAM bytes | dispatches | persistent: lanes (share) | persistent: predicted | tiled: predicted |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [name, c] of MODEL_WORKLOADS) {
    const m = model(name, c);
    console.log(
      `| ${name} (N=${c.hidden}, T=${c.steps}, K*S=${sequenceCount(c)}) | ${m.gflop.toPrecision(3)} | ${(m.dramBytes / 1e9).toPrecision(2)} GB | ${m.dispatches} | ` +
        `${m.invocations} (${(100 * m.persistentLaneShare).toPrecision(2)}%) | ${fmtSeconds(m.persistentSeconds)} | ${fmtSeconds(m.tiledSeconds)} |`,
    );
  }
}

/**
 * The performance model of docs/performance.md, computed: for each workload, the work (FLOPs),
 * the bytes that must cross DRAM and L2, the dispatches, barriers and parallelism of both
 * WebGPU kernel variants (their actual memory plans and tiles, plan.ts), and the times predicted
 * on two stated GPUs from public specification figures and the assumptions named below. Nothing
 * is measured here.
 *
 *   node --import ./src/node/register.mjs bench/model.ts
 */
import { parseConfig, type Config } from '../src/core/config.ts';
import { sequenceCount, sweepFlops } from '../src/core/work.ts';
import { planMemory, RECORD_BYTES, SEQ_PER_INVOCATION, tiledShape } from '../src/engine/webgpu/plan.ts';
import { SWEEP_256, SWEEP_64 } from './workloads.ts';

export interface GpuSpec {
  name: string;
  sms: number;
  lanesPerSm: number;
  clockHz: number;
  fp32Flops: number;
  dramBytesPerS: number;
  l2Bytes: number;
  threadsPerSm: number;
  /** L2 to SM bandwidth: NOT on the datasheets; an assumption, stated where it is used. */
  l2BytesPerS: number;
  source: string;
}

/**
 * NVIDIA H200 SXM, public figures (NVIDIA H200 datasheet; GH100 as in the H100 SXM5 whitepaper):
 * 132 SMs of 128 FP32 lanes, boost clock 1.98 GHz, FP32 (non-tensor) 67 TFLOP/s, HBM3e
 * 4.8 TB/s, 50 MB L2, 228 KB shared memory per SM, at most 2048 resident threads per SM.
 */
export const H200: GpuSpec = {
  name: 'NVIDIA H200 SXM',
  sms: 132,
  lanesPerSm: 128,
  clockHz: 1.98e9,
  fp32Flops: 67e12,
  dramBytesPerS: 4.8e12,
  l2Bytes: 50e6,
  threadsPerSm: 2048,
  l2BytesPerS: 10e12,
  source: 'NVIDIA H200 datasheet, H100 SXM5 whitepaper (GH100); L2 bandwidth assumed 10 TB/s',
};

/**
 * NVIDIA GeForce RTX 4060 Laptop GPU (AD107), public figures (NVIDIA product page, Ada
 * whitepaper): 3072 CUDA cores = 24 SMs of 128 lanes, boost clock up to 2.37 GHz (1.47-2.37 by
 * the laptop's power limit; the top is used), so 14.6 TFLOP/s FP32; 8 GB GDDR6 on 128 bits at
 * 16 Gb/s = 256 GB/s; 32 MB L2; 1536 resident threads per SM.
 */
export const RTX4060_LAPTOP: GpuSpec = {
  name: 'NVIDIA GeForce RTX 4060 Laptop GPU',
  sms: 24,
  lanesPerSm: 128,
  clockHz: 2.37e9,
  fp32Flops: 3072 * 2 * 2.37e9,
  dramBytesPerS: 256e9,
  l2Bytes: 32e6,
  threadsPerSm: 1536,
  l2BytesPerS: 2e12,
  source: 'NVIDIA RTX 4060 Laptop GPU specifications, Ada whitepaper (AD107); L2 bandwidth assumed 2 TB/s',
};

export const GPUS: readonly GpuSpec[] = [H200, RTX4060_LAPTOP];

/** Assumed cost of one dispatch boundary in a compute pass on a hardware GPU (launch + the implied global barrier). */
export const DISPATCH_SECONDS = 5e-6;

/** Assumed share of the FP32 peak the tiled kernels reach on the lanes they fill (vec4 loads of W0 and h beside every 16 FMAs). */
export const TILED_EFFICIENCY = 0.5;

/**
 * Assumed latency floor per step t (forward and backward together) of the tiled kernels, in
 * clocks: the dependent chain of N multiply-adds per accumulator in each pass (4 clocks each),
 * plus about 3000 clocks for the 6 workgroup barriers, the 3 sums over the row lanes' partial
 * sums and the records.
 */
export function tiledStepClocks(n: number): number {
  return 2 * 4 * n + 3000;
}

/** The 256-invocation, 32 KiB workgroup shape the tiled kernels get on most hardware adapters. */
export const TILED_SHAPE = tiledShape(256, 32768);

export interface VariantModel {
  /** Invocations that do work (persistent: B / 4; tiled: quads x row quads). */
  invocations: number;
  workgroups: number;
  /** Workgroup barriers per sweep, per workgroup. */
  barriers: number;
  /** DRAM bytes: phi' written and read, the records, and (persistent only) h and g every step. */
  dramBytes: number;
  /** W0 bytes streamed from L2 into the SMs. */
  l2Bytes: number;
  seconds: number;
  /** Persistent only: the bound if W0's loads are not hidden behind the multiply-adds. */
  secondsUpper?: number;
  /** What limits the tiled prediction. */
  bound?: string;
}

export interface ModelRow {
  workload: string;
  config: Config;
  gflop: number;
  dispatches: number;
  persistent: VariantModel;
  tiled: VariantModel & { tile: number };
}

const planOptions = { maxTotalBytes: 2 * 1024 ** 3, stepsPerDispatch: 'auto' as const, dispatchFlops: 2e8, workgroupSize: 32 };
const limits = { maxBindingBytes: 2 ** 31, maxBufferBytes: 2 ** 31 };

export function model(name: string, config: Config, gpu: GpuSpec): ModelRow {
  const B = sequenceCount(config);
  const { hidden: N, steps: T } = config;
  const flops = sweepFlops(config);
  const pp = planMemory(config, limits, planOptions);
  const dispatches = pp.chunks * pp.dispatchesPerChunk;
  // phi'(a_t): written by forward, read by backward; records: written by forward, read and
  // written by backward, read by the reduction. Persistent: h and g read and written every step.
  const dramCommon = B * T * (2 * 4 * N + 4 * RECORD_BYTES);
  const persistentInv = Math.ceil(B / SEQ_PER_INVOCATION);
  // One lane carries 4 sequences: 4 N^2 multiply-adds per step and pass, one per clock at best.
  const perStep = (4 * N * N) / gpu.clockHz;
  const persistentSeconds = 2 * T * perStep + dispatches * DISPATCH_SECONDS;
  const persistent: VariantModel = {
    invocations: persistentInv,
    workgroups: Math.ceil(persistentInv / 32),
    barriers: 0,
    dramBytes: dramCommon + B * T * 2 * 2 * 2 * 4 * N,
    // each workgroup of 32 reads W0 once per step and pass
    l2Bytes: 2 * T * Math.ceil(persistentInv / 32) * N * pp.np * 4,
    seconds: persistentSeconds,
    secondsUpper: 2 * persistentSeconds,
  };
  const tp = planMemory(config, limits, { ...planOptions, variant: 'tiled', tiled: TILED_SHAPE });
  const tile4 = tp.tile4;
  const rowLanes = TILED_SHAPE.workgroupSize / tile4;
  const busyPerWg = tile4 * Math.min(rowLanes, tp.np4);
  const W = Math.ceil(B / (4 * tile4));
  const perSm = Math.ceil(W / gpu.sms); // workgroups on the busiest SM
  const smFlopsPerS = Math.min(gpu.lanesPerSm, busyPerWg * perSm) * 2 * gpu.clockHz * TILED_EFFICIENCY;
  const compute = ((flops / W) * perSm) / smFlopsPerS;
  const l2Bytes = 2 * T * W * N * tp.np * 4;
  const dram = dramCommon / gpu.dramBytesPerS;
  const floor = (T * tiledStepClocks(N)) / gpu.clockHz;
  const parts: [string, number][] = [
    ['compute', compute],
    ['L2 (W0 per workgroup and step)', l2Bytes / gpu.l2BytesPerS],
    ['DRAM', dram],
    ['step latency', floor],
  ];
  const [bound, worst] = parts.reduce((a, b) => (b[1] > a[1] ? b : a));
  const tiled = {
    tile: 4 * tile4,
    invocations: W * busyPerWg,
    workgroups: W,
    barriers: 6 * T,
    dramBytes: dramCommon,
    l2Bytes,
    seconds: worst + dispatches * DISPATCH_SECONDS,
    bound,
  };
  return { workload: name, config, gflop: flops / 1e9, dispatches, persistent, tiled };
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
  console.log('| workload | GFLOP | dispatches | persistent: invocations, barriers/wg | tiled: tile, workgroups, invocations, barriers/wg | DRAM persistent / tiled | W0 from L2 persistent / tiled |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [name, c] of MODEL_WORKLOADS) {
    const m = model(name, c, H200);
    const gb = (x: number) => `${(x / 1e9).toPrecision(2)} GB`;
    console.log(
      `| ${name} (N=${c.hidden}, T=${c.steps}, K*S=${sequenceCount(c)}) | ${m.gflop.toPrecision(3)} | ${m.dispatches} | ${m.persistent.invocations}, 0 | ` +
        `${m.tiled.tile}, ${m.tiled.workgroups}, ${m.tiled.invocations}, ${m.tiled.barriers} | ${gb(m.persistent.dramBytes)} / ${gb(m.tiled.dramBytes)} | ${gb(m.persistent.l2Bytes)} / ${gb(m.tiled.l2Bytes)} |`,
    );
  }
  for (const gpu of GPUS) {
    console.log(`\n${gpu.name}: ${gpu.sms} SMs x ${gpu.lanesPerSm} lanes at ${gpu.clockHz / 1e9} GHz, ${(gpu.fp32Flops / 1e12).toPrecision(3)} TFLOP/s FP32, ${gpu.dramBytesPerS / 1e12} TB/s (${gpu.source})`);
    console.log('| workload | persistent: lanes used | persistent: predicted | tiled: predicted | tiled: bound by |');
    console.log('|---|---|---|---|---|');
    for (const [name, c] of MODEL_WORKLOADS) {
      const m = model(name, c, gpu);
      const share = Math.min(1, m.persistent.invocations / (gpu.sms * gpu.lanesPerSm));
      console.log(
        `| ${name} | ${m.persistent.invocations} (${(100 * share).toPrecision(2)} %) | ${fmtSeconds(m.persistent.seconds)} (to ${fmtSeconds(m.persistent.secondsUpper!)}) | ${fmtSeconds(m.tiled.seconds)} | ${m.tiled.bound} |`,
      );
    }
  }
}

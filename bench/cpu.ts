/**
 * The fast CPU engine for the benchmark: `cpuBenchEngine` plugs into bench/run.ts's engine
 * list; run this file directly for a quick side-by-side with the float64 reference:
 *
 *   node --import ./src/node/register.mjs bench/cpu.ts [--workers N] [--runs 5] [--workload sweep-64|sweep-256] [--no-reference]
 *
 * Prints each timed run, the median, GFLOP/s, and the reference's median on sweep-64 in the same
 * process (the machine is shared, so only ratios measured side by side mean much).
 */
import { availableParallelism, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Engine } from '../src/core/engine.ts';
import { ReferenceEngine } from '../src/core/reference.ts';
import { sweepFlops } from '../src/core/work.ts';
import type { CpuEngineOptions } from '../src/engine/cpu/engine.ts';
import { gemmBlock } from '../src/engine/cpu/kernel.ts';
import { instantiateGemm, packPanels, simdAvailable } from '../src/engine/cpu/simd.ts';
import { createNodeCpuEngine } from '../src/engine/cpu/pool-node.ts';
import type { BenchEngine } from './engines.ts';
import { median, WORKLOADS, type Workload } from './workloads.ts';

/** The CPU engine as the benchmark creates it: one worker thread per available core unless told otherwise. */
export async function createCpuBenchEngine(options: CpuEngineOptions = {}): Promise<Engine> {
  return createNodeCpuEngine(options);
}

/**
 * The engine's own matmul rate, GFLOP/s, on one core: the kernel's GEMM (WebAssembly SIMD where
 * available, else the TypeScript one) on a 1024 x 1024 float32 matrix times 1024 columns taken
 * 16 at a time as the engine does (2.1 GFLOP), best of 3. Multiply by the worker count for the
 * pool's ceiling: sequences are independent, so the pool scales with cores.
 */
export function cpuMatmulGflops(size = 1024, tries = 3, useSimd = simdAvailable()): number {
  const cols = 16;
  const n = size * size;
  let product: (block: number) => void;
  let fill: (init: (M: Float32Array, X: Float32Array) => void) => void;
  if (useSimd) {
    const memory = new WebAssembly.Memory({ initial: Math.ceil((3 * n * 4) / 65536) });
    const gemm = instantiateGemm(memory);
    fill = (f) => {
      const M = new Float32Array(n);
      f(M, new Float32Array(memory.buffer, 4 * n, n));
      packPanels(M, size, new Float32Array(memory.buffer, 0, n));
    };
    product = (b) => gemm(0, 4 * n + b * cols * size * 4, 8 * n + b * cols * size * 4, size, cols);
  } else {
    const M = new Float32Array(n);
    const X = new Float32Array(n);
    const out = new Float32Array(n);
    fill = (f) => f(M, X);
    product = (b) => gemmBlock(M, X.subarray(b * cols * size), out.subarray(b * cols * size), size, cols);
  }
  fill((M, X) => {
    for (let i = 0; i < n; i++) {
      M[i] = ((i * 7919) % 1000) / 1000 - 0.5;
      X[i] = ((i * 104729) % 1000) / 1000 - 0.5;
    }
  });
  let best = Infinity;
  for (let r = 0; r < tries; r++) {
    const t0 = performance.now();
    for (let b = 0; b < size / cols; b++) product(b);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return (2 * size * size * size) / best / 1e9;
}

/** The entry for bench/engines.ts's list. */
export const cpuBenchEngine: BenchEngine = {
  name: 'cpu',
  create: () => createCpuBenchEngine(),
  ceiling: async (engine) => cpuMatmulGflops() * ((engine as { workers?: number }).workers ?? 1),
};

/**
 * Wall seconds of each run, and the CPU seconds the whole process (main thread and workers) spent
 * in it: on a shared machine the wall time depends on the neighbours, the CPU time much less.
 */
async function timeRuns(engine: Engine, w: Workload, runs: number): Promise<{ wall: number[]; cpu: number[] }> {
  await engine.run(w.config); // warm-up: workers started, kernels compiled
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await engine.run(w.config);
    wall.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
  }
  return { wall, cpu };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      workers: { type: 'string' },
      runs: { type: 'string', default: '5' },
      workload: { type: 'string', default: 'sweep-64' },
      'no-reference': { type: 'boolean', default: false },
      ceiling: { type: 'boolean', default: false },
      simd: { type: 'string', default: 'true' },
    },
  });
  const workers = values.workers === undefined ? availableParallelism() : Number(values.workers);
  const runs = Number(values.runs);
  const w = WORKLOADS.find((x) => x.name === values.workload);
  if (!w) throw new Error(`unknown workload ${values.workload}; one of ${WORKLOADS.map((x) => x.name).join(', ')}`);
  const gflop = sweepFlops(w.config) / 1e9;
  if (values.ceiling) {
    console.log(`kernel GEMM 1024^3 on one core: SIMD ${cpuMatmulGflops(1024, 3, true).toFixed(2)} GFLOP/s, TypeScript ${cpuMatmulGflops(1024, 3, false).toFixed(2)} GFLOP/s`);
  }
  const engine = await createCpuBenchEngine({ workers, simd: values.simd !== 'false' });
  let cpuMedian: number;
  try {
    const s = await timeRuns(engine, w, runs);
    cpuMedian = median(s.wall);
    const cpuSeconds = median(s.cpu);
    console.log(`cpu (${engine.adapter}) ${w.name}: median ${cpuMedian.toFixed(3)} s, ${(gflop / cpuMedian).toFixed(2)} GFLOP/s; runs ${s.wall.map((x) => x.toFixed(3)).join(' ')}`);
    console.log(`  CPU time (all threads) median ${cpuSeconds.toFixed(3)} s = ${(gflop / cpuSeconds).toFixed(2)} GFLOP/s per busy core; load average now ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores`);
  } finally {
    engine.dispose();
  }
  if (!values['no-reference'] && w.name === 'sweep-64') {
    const ref = new ReferenceEngine();
    const s = await timeRuns(ref, w, Math.min(runs, 3));
    const m = median(s.wall);
    console.log(`reference (float64) ${w.name}: median ${m.toFixed(3)} s, ${(gflop / m).toFixed(2)} GFLOP/s, CPU time ${median(s.cpu).toFixed(3)} s; cpu engine is ${(m / cpuMedian).toFixed(1)}x faster (wall)`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}

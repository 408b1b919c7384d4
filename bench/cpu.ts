/**
 * The fast CPU engine for the benchmark: `cpuBenchEngine` plugs into bench/run.ts's engine
 * list; run this file directly for a quick side-by-side with the float64 reference:
 *
 *   node --import ./src/node/register.mjs bench/cpu.ts [--workers N] [--runs 5] [--workload sweep-64|sweep-256] [--no-reference]
 *     [--ceiling] [--simd false] [--fma false] [--relaxed-simd]
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
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { fmaAvailable, instantiateGemm, packPanels, simdAvailable } from '../src/engine/cpu/simd.ts';
import { createNodeCpuEngine } from '../src/engine/cpu/pool-node.ts';
import type { BenchEngine } from './engines.ts';
import { median, WORKLOADS, type Workload } from './workloads.ts';

/** The CPU engine as the benchmark creates it: one worker thread per available core unless told otherwise. */
export async function createCpuBenchEngine(options: CpuEngineOptions = {}): Promise<Engine> {
  return createNodeCpuEngine(options);
}

/**
 * The engine's own matmul rate, GFLOP/s, on one core: the kernel's GEMM (WebAssembly SIMD where
 * available, with relaxed SIMD's FMA if `fma`, else the TypeScript one) on a 1024 x 1024 float32
 * matrix times 1024 columns taken 16 at a time as the engine does (2.1 GFLOP), best of 3.
 * cpuPoolMatmulGflops measures the pool's ceiling with every worker running at once.
 */
export function cpuMatmulGflops(size = 1024, tries = 3, useSimd = simdAvailable(), fma = false): number {
  const cols = 16;
  const n = size * size;
  let product: (block: number) => void;
  let fill: (init: (M: Float32Array, X: Float32Array) => void) => void;
  if (useSimd) {
    const memory = new WebAssembly.Memory({ initial: Math.ceil((3 * n * 4) / 65536) });
    const gemm = instantiateGemm(memory, fma);
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

/**
 * The pool's matmul ceiling, GFLOP/s: `workers` threads each run cpuMatmulGflops's product (the
 * SIMD GEMM, FMA if `fma`) at the same time, started together through a shared flag; the rate is
 * all threads' FLOPs over the slowest thread's seconds, best of `tries`. On a shared machine this,
 * not one core times the worker count, is what the workers can do together (caches, memory and
 * clocks are shared too).
 */
export async function cpuPoolMatmulGflops(workers: number, fma = false, size = 1024, tries = 3): Promise<number> {
  const start = new SharedArrayBuffer(4);
  const flag = new Int32Array(start);
  const url = new URL('./cpu-ceiling-worker.ts', import.meta.url);
  const threads = Array.from({ length: workers }, () => new Worker(url, { workerData: { size, fma, start }, execArgv: ['--import', new URL('../src/node/register.mjs', import.meta.url).href] }));
  const next = (w: Worker, key: 'ready' | 'seconds') =>
    new Promise<number>((resolve, reject) => {
      const onMessage = (m: Record<string, number>) => {
        if (key in m) {
          w.off('message', onMessage);
          resolve(m[key]);
        }
      };
      w.on('message', onMessage);
      w.once('error', reject);
    });
  try {
    let best = 0;
    for (let round = 1; round <= tries; round++) {
      const ready = threads.map((w) => next(w, 'ready'));
      for (const w of threads) w.postMessage(round);
      await Promise.all(ready);
      const done = threads.map((w) => next(w, 'seconds'));
      Atomics.store(flag, 0, round);
      Atomics.notify(flag, 0);
      const seconds = Math.max(...(await Promise.all(done)));
      best = Math.max(best, (workers * 2 * size ** 3) / seconds / 1e9);
    }
    return best;
  } finally {
    await Promise.all(threads.map((w) => w.terminate()));
  }
}

/** The entry for bench/engines.ts's list: the ceiling of the engine's own pool, with FMA where the engine uses it. */
export const cpuBenchEngine: BenchEngine = {
  name: 'cpu',
  create: () => createCpuBenchEngine(),
  ceiling: async (engine) => {
    const e = engine as { workers?: number; adapter: string };
    return /WebAssembly SIMD/.test(e.adapter) ? cpuPoolMatmulGflops(Math.max(1, e.workers ?? 1), /with FMA/.test(e.adapter)) : cpuMatmulGflops(1024, 3, false) * Math.max(1, e.workers ?? 1);
  },
};

/**
 * Node 20 runs relaxed SIMD (the GEMM's FMA) only behind a V8 flag, which NODE_OPTIONS may not
 * carry; `--relaxed-simd` sets it at start, before any module is compiled, for this process and
 * its worker threads (Chrome >= 114 and Node >= 22 have it on). Returns whether it is on now.
 */
export function enableRelaxedSimd(): boolean {
  if (!fmaAvailable()) setFlagsFromString('--experimental-wasm-relaxed-simd');
  return fmaAvailable();
}

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
      fma: { type: 'string', default: 'true' },
      'relaxed-simd': { type: 'boolean', default: false },
    },
  });
  if (values['relaxed-simd']) console.log(`relaxed SIMD (FMA): ${enableRelaxedSimd() ? 'on' : 'not available in this runtime'}`);
  const workers = values.workers === undefined ? availableParallelism() : Number(values.workers);
  const runs = Number(values.runs);
  const w = WORKLOADS.find((x) => x.name === values.workload);
  if (!w) throw new Error(`unknown workload ${values.workload}; one of ${WORKLOADS.map((x) => x.name).join(', ')}`);
  const gflop = sweepFlops(w.config) / 1e9;
  if (values.ceiling) {
    const fma = fmaAvailable() ? `, SIMD with FMA ${cpuMatmulGflops(1024, 3, true, true).toFixed(2)}` : '';
    console.log(`kernel GEMM 1024^3 on one core: SIMD ${cpuMatmulGflops(1024, 3, true).toFixed(2)}${fma}, TypeScript ${cpuMatmulGflops(1024, 3, false).toFixed(2)} GFLOP/s`);
    const pool = [await cpuPoolMatmulGflops(workers, false), ...(fmaAvailable() ? [await cpuPoolMatmulGflops(workers, true)] : [])];
    console.log(`kernel GEMM 1024^3 on ${workers} threads at once: SIMD ${pool[0].toFixed(2)}${pool.length > 1 ? `, SIMD with FMA ${pool[1].toFixed(2)}` : ''} GFLOP/s; load average now ${loadavg()[0].toFixed(1)}`);
  }
  const engine = await createCpuBenchEngine({ workers, simd: values.simd !== 'false', fma: values.fma !== 'false' });
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

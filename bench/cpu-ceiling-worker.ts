/**
 * One thread of the CPU engine's pooled matmul ceiling (bench/cpu.ts cpuPoolMatmulGflops): the
 * kernel's SIMD GEMM on its own 1024 x 1024 matrix times 1024 columns taken 16 at a time, as a
 * worker runs its blocks. It waits on the shared start flag so that every thread's product runs
 * at the same time, and reports its own seconds.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { instantiateGemm, packPanels } from '../src/engine/cpu/simd.ts';

const { size, fma, start } = workerData as { size: number; fma: boolean; start: SharedArrayBuffer };
const flag = new Int32Array(start);
const cols = 16;
const n = size * size;
const memory = new WebAssembly.Memory({ initial: Math.ceil((3 * n * 4) / 65536) });
const gemm = instantiateGemm(memory, fma);
const M = new Float32Array(n);
const X = new Float32Array(memory.buffer, 4 * n, n);
for (let i = 0; i < n; i++) {
  M[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  X[i] = ((i * 104729) % 1000) / 1000 - 0.5;
}
packPanels(M, size, new Float32Array(memory.buffer, 0, n));
gemm(0, 4 * n, 8 * n, size, cols); // compiled and warm

parentPort!.on('message', (round: number) => {
  parentPort!.postMessage({ ready: round });
  Atomics.wait(flag, 0, round - 1); // the main thread sets flag[0] = round once every thread is ready
  const t0 = performance.now();
  for (let b = 0; b < size / cols; b++) gemm(0, 4 * n + b * cols * size * 4, 8 * n + b * cols * size * 4, size, cols);
  parentPort!.postMessage({ seconds: (performance.now() - t0) / 1000 });
});

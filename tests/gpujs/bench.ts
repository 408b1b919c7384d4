/**
 * The gpu.js engine's time on sweep-64 (N=64, D=8, T=100, K=64, S=16, tanh, gaussian, noise)
 * in headless Chromium without WebGPU (WebGL2 on SwiftShader), median of a few runs, side by
 * side with the float64 reference in the same page. Not a test: run it by hand,
 *   node --import tsx tests/gpujs/bench.ts [repeats] [esbuild|vite-minified] [async,sync]
 */
import { openPage, type BuildKind } from './harness.ts';

const repeats = Number(process.argv[2] ?? 3);
const kind = (process.argv[3] ?? 'vite-minified') as BuildKind;
const SWEEP_64 = { hidden: 64, input: 8, steps: 100, rhoCount: 64, samples: 16, activation: 'tanh', init: 'gaussian', inputs: 'noise' };

const readbacks = (process.argv[4] ?? 'async').split(',') as ('async' | 'sync')[];

const o = await openPage(kind);
try {
  for (const readback of readbacks) {
    const r = await o.page.evaluate(([c, n, rb]) => window.gpujsTest.bench(c, n, rb), [SWEEP_64, repeats, readback] as const);
    const f = (xs: number[]) => xs.map((x) => Math.round(x)).join(', ');
    console.log(`page build: ${kind}; ${r.adapter}; readback ${readback}`);
    console.log(`sweep-64 gpujs (webgl2): median ${Math.round(r.gpujsMedian)} ms [${f(r.gpujsMs)}], first run with kernel compilation ${Math.round(r.firstMs)} ms`);
    console.log(`main thread during the gpu.js runs: ${r.longTasks} long tasks (> 50 ms), worst ${Math.round(r.worstLongTaskMs)} ms`);
    console.log(`sweep-64 reference (float64 JS, same page): median ${Math.round(r.referenceMedian)} ms [${f(r.referenceMs)}]`);
  }
} finally {
  await o.close();
}

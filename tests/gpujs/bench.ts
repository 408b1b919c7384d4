/**
 * The gpu.js engine's time on sweep-64 (N=64, D=8, T=100, K=64, S=16, tanh, gaussian, noise)
 * in headless Chromium without WebGPU (WebGL2 on SwiftShader), median of a few runs, side by
 * side with the float64 reference in the same page. Not a test: run it by hand,
 *   node --import tsx tests/gpujs/bench.ts [repeats] [esbuild|vite-minified]
 */
import { openPage, type BuildKind } from './harness.ts';

const repeats = Number(process.argv[2] ?? 3);
const kind = (process.argv[3] ?? 'vite-minified') as BuildKind;
const SWEEP_64 = { hidden: 64, input: 8, steps: 100, rhoCount: 64, samples: 16, activation: 'tanh', init: 'gaussian', inputs: 'noise' };

const o = await openPage(kind);
try {
  const r = await o.page.evaluate(([c, n]) => window.gpujsTest.bench(c, n), [SWEEP_64, repeats] as const);
  const f = (xs: number[]) => xs.map((x) => Math.round(x)).join(', ');
  console.log(`page build: ${kind}; ${r.adapter}; ${repeats} interleaved rounds`);
  for (const v of ['async', 'sync'] as const) {
    console.log(
      `sweep-64 gpujs webgl2, ${v} readback: median ${Math.round(r.medians[v])} ms [${f(r.times[v])}] (first run, compiling: ${Math.round(r.firstMs[v])} ms); ` +
        `main thread: ${r.longTasks[v].count} long tasks, worst ${Math.round(r.longTasks[v].worstMs)} ms`,
    );
  }
  console.log(`sweep-64 reference (float64 JS, same page): median ${Math.round(r.medians.reference)} ms [${f(r.times.reference)}]`);
} finally {
  await o.close();
}

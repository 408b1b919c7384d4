/**
 * The gpu.js engine's test page: exposes window.gpujsTest for the Playwright-driven tests
 * (tests/engine/gpujs.test.ts) and the benchmark (tests/gpujs/bench.ts). Built by
 * tests/gpujs/harness.ts with esbuild, or with Vite minified as the production app is.
 */
import { parseConfig } from '../../../src/core/config.ts';
import { isAbortError } from '../../../src/core/engine.ts';
import { GRID_NAMES, type GradientField } from '../../../src/core/field.ts';
import { ReferenceEngine } from '../../../src/core/reference.ts';
import { GpuJsEngine, type GpuJsMode } from '../../../src/engine/gpujs/engine.ts';

/** A field as plain arrays (Playwright carries NaN and +-Infinity in numbers, not typed arrays). */
export interface PlainField {
  K: number;
  T: number;
  grids: Record<string, number[]>;
  overflow: number[];
  backend: string;
  adapter: string;
  wallMs: number;
}

function plain(f: GradientField): PlainField {
  const grids: Record<string, number[]> = {};
  for (const g of GRID_NAMES) grids[g] = Array.from(f[g]);
  return { K: f.K, T: f.T, grids, overflow: Array.from(f.overflow), backend: f.meta.backend, adapter: f.meta.adapter, wallMs: f.meta.wallMs };
}

/**
 * Live WebGL textures of every context in this page: createTexture / deleteTexture counted on
 * the prototypes before gpu.js makes its context, so a leak of kernel results shows.
 */
const textures = new Set<WebGLTexture>();
for (const proto of [WebGL2RenderingContext.prototype, WebGLRenderingContext.prototype]) {
  const create = proto.createTexture;
  const del = proto.deleteTexture;
  proto.createTexture = function (this: WebGLRenderingContext) {
    const t = create.call(this);
    if (t) textures.add(t);
    return t;
  };
  proto.deleteTexture = function (this: WebGLRenderingContext, t: WebGLTexture | null) {
    if (t) textures.delete(t);
    return del.call(this, t);
  };
}

/** One engine kept across calls of runShared (its kernels are rebuilt when the shapes change). */
let shared: GpuJsEngine | null = null;

const api = {
  /** Whether this page has WebGPU (it must not: the fallback situation). */
  async webgpu() {
    const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
    if (!gpu) return 'no navigator.gpu';
    const adapter = await gpu.requestAdapter();
    return adapter ? 'adapter' : 'no adapter';
  },

  /** Run on the shared webgl2 engine. */
  async runShared(partial: Record<string, unknown>) {
    shared ??= GpuJsEngine.create({ mode: 'webgl2' });
    const progress: number[] = [];
    const field = await shared.run(parseConfig(partial), { onProgress: (p) => progress.push(p.fraction) });
    return { mode: shared.mode, renderer: shared.renderer, adapter: shared.adapter, progress, field: plain(field), kernelsCreated: shared.kernelsCreated };
  },

  disposeShared() {
    shared?.dispose();
    shared = null;
  },

  /**
   * Live textures: before create, after create, after each of two runs, after an aborted run,
   * after dispose.
   */
  async textureCounts(partial: Record<string, unknown>) {
    const counts: Record<string, number> = { before: textures.size };
    const engine = GpuJsEngine.create({ mode: 'webgl2' });
    counts.created = textures.size;
    const config = parseConfig(partial);
    await engine.run(config);
    counts.run1 = textures.size;
    await engine.run(config);
    counts.run2 = textures.size;
    const ac = new AbortController();
    const pending = engine.run(config, { signal: ac.signal, onProgress: (p) => { if (p.fraction > 0.3) ac.abort(); } });
    let aborted = false;
    try {
      await pending;
    } catch (e) {
      aborted = isAbortError(e);
    }
    counts.aborted = textures.size;
    engine.dispose();
    counts.disposed = textures.size;
    return { counts, aborted };
  },

  /** Run the gpu.js engine on a config (partial, validated), in a fresh engine, disposed after. */
  async run(partial: Record<string, unknown>, mode: GpuJsMode = 'webgl2', memoryBudget?: number) {
    const engine = GpuJsEngine.create({ mode, memoryBudget });
    try {
      const progress: number[] = [];
      const field = await engine.run(parseConfig(partial), { onProgress: (p) => progress.push(p.fraction) });
      return { mode: engine.mode, renderer: engine.renderer, adapter: engine.adapter, progress, field: plain(field) };
    } finally {
      engine.dispose();
    }
  },

  /** Whether create() refuses a mode, and its message. */
  tryCreate(mode: GpuJsMode) {
    try {
      GpuJsEngine.create({ mode }).dispose();
      return { ok: true, message: '' };
    } catch (e) {
      return { ok: false, message: e instanceof Error ? e.message : String(e) };
    }
  },

  /** Start a run, abort it after `afterMs`, report how it ended; then run again on the same engine. */
  async abortThenRun(partial: Record<string, unknown>, afterMs: number) {
    const engine = GpuJsEngine.create({ mode: 'webgl2' });
    try {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), afterMs);
      let aborted = false;
      const t0 = performance.now();
      try {
        await engine.run(parseConfig(partial), { signal: ac.signal });
      } catch (e) {
        aborted = isAbortError(e);
      }
      const abortMs = performance.now() - t0;
      const small = await engine.run(parseConfig({ ...partial, steps: 3, rhoCount: 2, samples: 2 }));
      return { aborted, abortMs, afterRows: small.K, afterFinite: Number.isFinite(small.gradLog10Mean[0]) };
    } finally {
      engine.dispose();
    }
  },

  /** Run in a Web Worker (page/worker.ts); resolves with its reply. */
  runInWorker(partial: Record<string, unknown>) {
    return new Promise<{ mode: string; adapter: string; field: PlainField }>((resolve, reject) => {
      const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
      w.onmessage = (e: MessageEvent<{ error?: string; mode: string; adapter: string; field: PlainField }>) => {
        w.terminate();
        if (e.data.error) reject(new Error(e.data.error));
        else resolve(e.data);
      };
      w.onerror = (e) => {
        w.terminate();
        reject(new Error(`worker failed: ${e.message}`));
      };
      w.postMessage(partial);
    });
  },

  /** Lose the WebGL context once the run is a third done: the run must reject with a message. */
  async loseContextMidRun(partial: Record<string, unknown>) {
    const engine = GpuJsEngine.create({ mode: 'webgl2' });
    let lost = false;
    try {
      await engine.run(parseConfig(partial), {
        onProgress: (p) => {
          if (!lost && p.fraction > 0.3) lost = engine.loseContextForTest();
        },
      });
      return { lost, rejected: false, message: '' };
    } catch (e) {
      return { lost, rejected: true, message: e instanceof Error ? e.message : String(e) };
    } finally {
      engine.dispose();
    }
  },

  /** Median wall time of the gpu.js engine and the reference on one config, in this page. */
  async bench(partial: Record<string, unknown>, repeats: number, readback: 'async' | 'sync' = 'async') {
    const config = parseConfig(partial);
    const engine = GpuJsEngine.create({ mode: 'webgl2', readback });
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    try {
      const first = performance.now();
      await engine.run(config); // compiles the kernels
      const firstMs = performance.now() - first;
      // Main-thread long tasks during the timed gpu.js runs (the engine yields between steps).
      const longTasks: number[] = [];
      const observer = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) longTasks.push(e.duration);
      });
      observer.observe({ type: 'longtask', buffered: false });
      const gpu: number[] = [];
      for (let i = 0; i < repeats; i++) gpu.push((await engine.run(config)).meta.wallMs);
      await new Promise((r) => setTimeout(r, 50));
      observer.disconnect();
      const worstLongTaskMs = longTasks.length ? Math.max(...longTasks) : 0;
      const ref: number[] = [];
      const reference = new ReferenceEngine();
      for (let i = 0; i < repeats; i++) ref.push((await reference.run(config)).meta.wallMs);
      return { adapter: engine.adapter, firstMs, gpujsMs: gpu, referenceMs: ref, gpujsMedian: median(gpu), referenceMedian: median(ref), worstLongTaskMs, longTasks: longTasks.length };
    } finally {
      engine.dispose();
    }
  },
};

declare global {
  interface Window {
    gpujsTest: typeof api;
  }
}
window.gpujsTest = api;
document.getElementById('status')!.textContent = 'ready';

/**
 * The gpu.js engine's test page: exposes window.gpujsTest for the Playwright-driven tests
 * (tests/engine/gpujs.test.ts) and the benchmark (tests/gpujs/bench.ts). Built by
 * tests/gpujs/harness.ts with esbuild, or with Vite minified as the production app is.
 */
import { parseConfig } from '../../../src/core/config.ts';
import { isAbortError } from '../../../src/core/engine.ts';
import { GRID_NAMES, type GradientField } from '../../../src/core/field.ts';
import { ReferenceEngine } from '../../../src/core/reference.ts';
import { GpuJsEngine, loseContextForTest, type GpuJsMode } from '../../../src/engine/gpujs/engine.ts';

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
  for (const g of GRID_NAMES) grids[g] = Array.from(f.grids[g]);
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

  /** A run that may be refused: its message, and the progress phases seen before it ended. */
  async tryRun(partial: Record<string, unknown>, matrixBudget?: number) {
    const engine = GpuJsEngine.create({ mode: 'webgl2', matrixBudget });
    const phases: string[] = [];
    try {
      await engine.run(parseConfig(partial), { onProgress: (p) => phases.push(p.phase) });
      return { ok: true, message: '', phases };
    } catch (e) {
      return { ok: false, message: e instanceof Error ? e.message : String(e), phases };
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
      return { aborted, abortMs, afterRows: small.K, afterFinite: Number.isFinite(small.grids.gradLog10Mean[0]) };
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
          if (!lost && p.fraction > 0.3) lost = loseContextForTest(engine);
        },
      });
      return { lost, rejected: false, message: '' };
    } catch (e) {
      return { lost, rejected: true, message: e instanceof Error ? e.message : String(e) };
    } finally {
      engine.dispose();
    }
  },

  /**
   * Wall times on one config, interleaved per round (gpu.js async readback, gpu.js sync
   * readback, float64 reference) so that a machine whose load changes affects all three alike;
   * medians, and the main thread's long tasks during each gpu.js variant's runs.
   */
  async bench(partial: Record<string, unknown>, repeats: number) {
    const config = parseConfig(partial);
    const variants = { async: GpuJsEngine.create({ mode: 'webgl2', readback: 'async' }), sync: GpuJsEngine.create({ mode: 'webgl2', readback: 'sync' }) };
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const times: Record<'async' | 'sync' | 'reference', number[]> = { async: [], sync: [], reference: [] };
    const longTasks: Record<'async' | 'sync', number[]> = { async: [], sync: [] };
    let current: 'async' | 'sync' | null = null;
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (current) longTasks[current].push(e.duration);
    });
    observer.observe({ type: 'longtask', buffered: false });
    try {
      const firstMs: Record<string, number> = {};
      for (const [name, engine] of Object.entries(variants)) {
        const t0 = performance.now();
        await engine.run(config); // compiles the kernels
        firstMs[name] = performance.now() - t0;
      }
      const reference = new ReferenceEngine();
      for (let i = 0; i < repeats; i++) {
        for (const name of ['async', 'sync'] as const) {
          current = name;
          times[name].push((await variants[name].run(config)).meta.wallMs);
          await new Promise((r) => setTimeout(r, 50));
          current = null;
        }
        times.reference.push((await reference.run(config)).meta.wallMs);
      }
      const worst = (xs: number[]) => (xs.length ? Math.max(...xs) : 0);
      return {
        adapter: variants.async.adapter,
        firstMs,
        times,
        medians: { async: median(times.async), sync: median(times.sync), reference: median(times.reference) },
        longTasks: { async: { count: longTasks.async.length, worstMs: worst(longTasks.async) }, sync: { count: longTasks.sync.length, worstMs: worst(longTasks.sync) } },
      };
    } finally {
      observer.disconnect();
      variants.async.dispose();
      variants.sync.dispose();
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

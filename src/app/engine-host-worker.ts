/**
 * A Web Worker that hosts one engine (the CPU engine with its own nested worker pool, or the
 * WebGPU engine through the worker's navigator.gpu), so nothing of a run -- not even building
 * W0 and its spectrum, O(N^3) and seconds for N = 512 -- happens on the page's thread.
 */
import { AbortError, type Engine } from '../core/engine.ts';
import { histogramBuffers, HistogramUnsupportedError, type HistogramRequest } from '../core/preactivations.ts';
import { GRID_NAMES } from '../core/field.ts';
import { createBrowserCpuEngine } from '../engine/cpu/pool-browser.ts';
import { WebGpuEngine } from '../engine/webgpu/index.ts';
import type { WebGpuVariantChoice } from '../engine/policy.ts';
import type { FromHost, HostedKind, HostTestAction, ToHost } from './host-protocol.ts';

const ctx = self as unknown as {
  onmessage: ((e: MessageEvent<ToHost>) => void) | null;
  postMessage(msg: FromHost, transfer?: Transferable[]): void;
  navigator: Navigator & { gpu?: GPU };
};

let engine: Engine | null = null;
const runs = new Map<number, AbortController>();

async function init(kind: HostedKind, workers: number, variant: WebGpuVariantChoice): Promise<void> {
  try {
    engine =
      kind === 'cpu'
        ? createBrowserCpuEngine({ workers })
        : kind === 'webgpu'
          ? await WebGpuEngine.create(ctx.navigator.gpu, { variant })
          : // gpu.js (~500 kB) is fetched only where the gpujs engine is used; it draws on an OffscreenCanvas here.
            (await import('../engine/gpujs/engine.ts')).GpuJsEngine.create({ mode: 'webgl2' });
    ctx.postMessage({ type: 'ready', name: engine.name, adapter: engine.adapter });
  } catch (e) {
    ctx.postMessage({ type: 'init-failed', message: e instanceof Error ? e.message : String(e) });
  }
}

async function run(id: number, config: Parameters<Engine['run']>[0]): Promise<void> {
  const ctrl = new AbortController();
  runs.set(id, ctrl);
  try {
    if (!engine) throw new Error('the engine is not ready');
    // Let an abort already queued behind this message arrive first: during rapid changes the
    // page cancels most runs at once, and building W0 (synchronous, O(N^3)) for them is waste.
    await new Promise((r) => setTimeout(r, 0));
    if (ctrl.signal.aborted) throw new AbortError();
    const field = await engine.run(config, {
      signal: ctrl.signal,
      onProgress: (progress) => ctx.postMessage({ type: 'progress', id, progress }),
    });
    const transfer = [...GRID_NAMES.map((g) => field.grids[g].buffer), field.overflow.buffer] as ArrayBuffer[];
    ctx.postMessage({ type: 'done', id, field }, transfer);
  } catch (e) {
    const aborted = ctrl.signal.aborted || (e instanceof Error && e.name === 'AbortError');
    ctx.postMessage({ type: 'failed', id, message: e instanceof Error ? e.message : String(e), aborted });
  } finally {
    runs.delete(id);
  }
}

/** The derivative panel's histogram, binned by the engine here: only the counts are posted (transferred). */
async function histogram(id: number, config: Parameters<Engine['run']>[0], request: HistogramRequest): Promise<void> {
  const ctrl = new AbortController();
  runs.set(id, ctrl);
  try {
    if (!engine) throw new Error('the engine is not ready');
    if (!engine.preactivationHistogram) throw new HistogramUnsupportedError(`the ${engine.name} engine does not bin pre-activations`);
    const h = await engine.preactivationHistogram(config, request, { signal: ctrl.signal });
    ctx.postMessage({ type: 'histogram-done', id, histogram: h }, histogramBuffers(h));
  } catch (e) {
    const aborted = ctrl.signal.aborted || (e instanceof Error && e.name === 'AbortError');
    const unsupported = e instanceof Error && e.name === 'HistogramUnsupportedError';
    ctx.postMessage({ type: 'failed', id, message: e instanceof Error ? e.message : String(e), aborted, unsupported });
  } finally {
    runs.delete(id);
  }
}

/** Test hooks (robustness tests): only test builds act on them; a production build answers null. */
async function testAction(id: number, action: HostTestAction): Promise<void> {
  let value: number | boolean | null = null;
  if (__LAB_TEST_HOOKS__ && engine) value = await (await import('./test-actions.ts')).engineTestAction(engine, action);
  ctx.postMessage({ type: 'test-result', id, value });
}

ctx.onmessage = (e) => {
  const m = e.data;
  if (m.type === 'init') void init(m.kind, m.workers, m.variant);
  else if (m.type === 'run') void run(m.id, m.config);
  else if (m.type === 'histogram') void histogram(m.id, m.config, m.request);
  else if (m.type === 'abort') runs.get(m.id)?.abort();
  else if (m.type === 'test') void testAction(m.id, m.action);
  else if (m.type === 'dispose') {
    engine?.dispose();
    engine = null;
  }
};

/**
 * The gpu.js engine inside a Web Worker (gpu.js draws on an OffscreenCanvas there), so the page
 * can keep its main thread free: one run per message, the field posted back as plain arrays.
 */
import { parseConfig } from '../../../src/core/config.ts';
import { GRID_NAMES } from '../../../src/core/field.ts';
import { GpuJsEngine } from '../../../src/engine/gpujs/engine.ts';

const ctx = self as unknown as {
  onmessage: ((e: MessageEvent<Record<string, unknown>>) => void) | null;
  postMessage(msg: unknown): void;
};

ctx.onmessage = async (e) => {
  try {
    const engine = GpuJsEngine.create({ mode: 'webgl2' });
    try {
      const f = await engine.run(parseConfig(e.data));
      const grids: Record<string, number[]> = {};
      for (const g of GRID_NAMES) grids[g] = Array.from(f.grids[g]);
      ctx.postMessage({ mode: engine.mode, adapter: engine.adapter, field: { K: f.K, T: f.T, grids, overflow: Array.from(f.overflow), backend: f.meta.backend, adapter: f.meta.adapter, wallMs: f.meta.wallMs } });
    } finally {
      engine.dispose();
    }
  } catch (err) {
    ctx.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
};

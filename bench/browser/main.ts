/**
 * The benchmark inside the browser: the same engines the lab uses, timed in the page. The Node
 * side (bench/browser.ts) calls window.bench(...) through Playwright.
 */
import type { Config } from '../../src/core/config.ts';
import type { Engine } from '../../src/core/engine.ts';
import { ReferenceEngine } from '../../src/core/reference.ts';
import { createBrowserCpuEngine } from '../../src/engine/cpu/pool-browser.ts';
import { GpuJsEngine } from '../../src/engine/gpujs/engine.ts';
import { WebGpuEngine } from '../../src/engine/webgpu/index.ts';
import { matmulCeiling } from '../matmul.ts';

async function create(name: string): Promise<Engine> {
  switch (name) {
    case 'webgpu':
      return WebGpuEngine.create(navigator.gpu);
    case 'cpu':
      return createBrowserCpuEngine({ workers: navigator.hardwareConcurrency || 2 });
    case 'gpujs':
      return GpuJsEngine.create({ mode: 'webgl2' });
    case 'reference':
      return new ReferenceEngine();
    default:
      throw new Error(`unknown engine ${name}`);
  }
}

interface BenchResult {
  adapter: string;
  seconds: number[];
}

declare global {
  interface Window {
    bench(name: string, config: Config, runs: number): Promise<BenchResult>;
    ceiling(): Promise<number>;
  }
}

window.bench = async (name, config, runs) => {
  const engine = await create(name);
  try {
    await engine.run(config); // warm-up
    const seconds: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await engine.run(config);
      seconds.push((performance.now() - t0) / 1000);
    }
    return { adapter: engine.adapter, seconds };
  } finally {
    engine.dispose();
  }
};

window.ceiling = async () => {
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  const device = await adapter.requestDevice();
  try {
    return await matmulCeiling(device);
  } finally {
    device.destroy();
  }
};

/**
 * Engines in Node, by name. `auto` follows the lab's rule: WebGPU (our WGSL through Dawn) on a
 * hardware adapter; on a software adapter such as SwiftShader, whichever of WebGPU and the fast
 * CPU engine runs a small probe sweep faster; with no adapter, the CPU engine.
 */
import { parseConfig } from '../core/config.ts';
import type { Engine } from '../core/engine.ts';
import { ReferenceEngine } from '../core/reference.ts';
import { createNodeCpuEngine } from '../engine/cpu/pool-node.ts';
import { isSoftwareRenderer, NODE_BACKEND_CHOICES, type NodeBackendChoice, type WebGpuVariantChoice } from '../engine/policy.ts';
import { WebGpuEngine, type WebGpuEngineOptions } from '../engine/webgpu/index.ts';
import { dawnGpu } from './dawn.ts';

/** The engines Node can run (no gpu.js: it needs a browser's WebGL2). */
export { NODE_BACKEND_CHOICES as BACKEND_CHOICES, type NodeBackendChoice as BackendChoice };

export interface CreatedEngine {
  engine: Engine;
  /** Why this engine was chosen, in words (for stderr and the summary line). */
  why: string;
}

export class BackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendError';
  }
}

/** Whether an adapter description names a software rasteriser rather than a GPU. */
export function isSoftwareAdapter(engine: WebGpuEngine): boolean {
  return engine.adapterInfo.isFallbackAdapter || isSoftwareRenderer(engine.adapter);
}

/** The probe `auto` times on a software adapter: small, but the shape of a real sweep. */
export const PROBE_CONFIG = parseConfig({ hidden: 64, steps: 50, rhoCount: 8, samples: 8, seed: 7 });

async function timeOnce(engine: Engine): Promise<number> {
  await engine.run(PROBE_CONFIG); // compile pipelines / start workers
  const t0 = performance.now();
  await engine.run(PROBE_CONFIG);
  return performance.now() - t0;
}

export { WEBGPU_VARIANT_CHOICES, type WebGpuVariantChoice } from '../engine/policy.ts';

export interface NodeEngineOptions {
  /** The WebGPU engine's kernels (default auto). */
  webgpuVariant?: WebGpuVariantChoice;
}

async function createWebGpu(options: NodeEngineOptions): Promise<WebGpuEngine> {
  const engineOptions: WebGpuEngineOptions = { variant: options.webgpuVariant ?? 'auto' };
  try {
    return await WebGpuEngine.create(dawnGpu(), engineOptions);
  } catch (e) {
    throw new BackendError(`WebGPU is not available: ${(e as Error).message}`);
  }
}

export async function createNodeEngine(choice: NodeBackendChoice, options: NodeEngineOptions = {}): Promise<CreatedEngine> {
  switch (choice) {
    case 'reference':
      return { engine: new ReferenceEngine(), why: 'asked for the float64 reference engine' };
    case 'cpu':
      return { engine: createNodeCpuEngine(), why: 'asked for the float32 CPU engine' };
    case 'webgpu': {
      const gpu = await createWebGpu(options);
      return { engine: gpu, why: `asked for WebGPU; ${gpu.variantWhy}` };
    }
    case 'auto': {
      let gpu: WebGpuEngine;
      try {
        gpu = await createWebGpu(options);
      } catch (e) {
        return { engine: createNodeCpuEngine(), why: `auto: ${(e as Error).message}; using the CPU engine` };
      }
      if (!isSoftwareAdapter(gpu)) return { engine: gpu, why: `auto: hardware WebGPU adapter (${gpu.adapter}); ${gpu.variantWhy}` };
      const cpu = createNodeCpuEngine();
      const tGpu = await timeOnce(gpu);
      const tCpu = await timeOnce(cpu);
      const probe = `probe sweep (N=64, T=50, K*S=64): webgpu ${tGpu.toFixed(0)} ms, cpu ${tCpu.toFixed(0)} ms`;
      if (tGpu <= tCpu) {
        cpu.dispose();
        return { engine: gpu, why: `auto: software WebGPU adapter (${gpu.adapter}) was faster than the CPU engine; ${probe}; ${gpu.variantWhy}` };
      }
      gpu.dispose();
      return { engine: cpu, why: `auto: the WebGPU adapter is software (${gpu.adapter}) and slower than the CPU engine; ${probe}` };
    }
  }
}

/**
 * The WebGPU engine for the benchmark: created in Node through Dawn, plus the adapter's own
 * matmul ceiling (a 1024^3 float32 product, 64-wide tiles, 4 x 4 per invocation) to compare
 * the engine's GFLOP/s with.
 */
import { WebGpuEngine, type WebGpuEngineOptions } from '../src/engine/webgpu/engine.ts';
import { dawnGpu } from '../src/node/dawn.ts';
export { matmulCeiling } from './matmul.ts';

/** The WebGPU engine on Dawn (SwiftShader where the machine has no GPU). */
export function createNodeWebGpuEngine(options: WebGpuEngineOptions = {}): Promise<WebGpuEngine> {
  return WebGpuEngine.create(dawnGpu(), options);
}


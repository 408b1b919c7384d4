/**
 * The WebGPU engine for the Node tests (Dawn): one engine per test file, since pipelines compile
 * once per activation, which costs seconds on SwiftShader.
 */
import { WebGpuEngine, type WebGpuEngineOptions } from '../../src/engine/webgpu/engine.ts';
import { dawnGpu } from '../../src/node/dawn.ts';

/** The WebGPU engine on Dawn (SwiftShader on a machine without a GPU). */
export function createTestEngine(options: WebGpuEngineOptions = {}): Promise<WebGpuEngine> {
  return WebGpuEngine.create(dawnGpu(), options);
}

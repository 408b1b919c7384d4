/**
 * The WebGPU engine and trainer for the Node tests (Dawn): one per test file, since pipelines
 * compile once per activation, which costs seconds on SwiftShader.
 */
import { WebGpuEngine, type WebGpuEngineOptions } from '../../src/engine/webgpu/engine.ts';
import { WebGpuTrainer, type WebGpuTrainerOptions } from '../../src/engine/webgpu/train/trainer.ts';
import { dawnGpu } from '../../src/node/dawn.ts';

/** The WebGPU engine on Dawn (SwiftShader on a machine without a GPU). */
export function createTestEngine(options: WebGpuEngineOptions = {}): Promise<WebGpuEngine> {
  return WebGpuEngine.create(dawnGpu(), options);
}

/** The WebGPU trainer on Dawn, on a device of its own (a test may destroy it). */
export function createTestTrainer(options: WebGpuTrainerOptions = {}): Promise<WebGpuTrainer> {
  return WebGpuTrainer.create(dawnGpu(), options);
}

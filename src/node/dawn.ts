/**
 * A WebGPU `GPU` for Node: Dawn through the npm package `webgpu`. The WebGPU engine code is the
 * same as in the browser; only where the `GPU` object comes from differs (navigator.gpu there).
 */
import { create, globals } from 'webgpu';
import { ensureVulkanDriver } from './vulkan.ts';

let gpu: GPU | null = null;

/**
 * The process's Dawn GPU (created once). Sets VK_ICD_FILENAMES to SwiftShader first when the
 * machine has no GPU, and installs the WebGPU globals (GPUBufferUsage, GPUMapMode, ...) that
 * the engine uses, as a browser has them.
 */
export function dawnGpu(): GPU {
  if (gpu) return gpu;
  ensureVulkanDriver();
  Object.assign(globalThis, globals);
  gpu = create([]);
  return gpu;
}

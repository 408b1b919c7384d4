/**
 * The backend policy shared by the lab and the CLI: which engines a user can ask for by name,
 * and what counts as a software GPU. A software rasteriser (SwiftShader, llvmpipe/lavapipe,
 * Mesa's softpipe) runs "GPU" work on the CPU's cores, where it can be slower than the CPU
 * engine; auto then measures instead of trusting the GPU, and the 3D view draws a lighter mesh.
 */
import type { EngineName } from '../core/engine.ts';

/** Which engine computes: auto (the selection rule of the lab or the CLI) or one forced by name. */
export const BACKEND_CHOICES = ['auto', 'webgpu', 'gpujs', 'cpu', 'reference'] as const satisfies readonly (EngineName | 'auto')[];
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/**
 * The WebGPU engine's step kernels a user can ask for, in the lab (`#kernel=`) and the CLI
 * (`--webgpu-variant`): auto (tiled on a hardware adapter, persistent on a fallback or software
 * one such as SwiftShader) or one by name (engine/webgpu/plan.ts KERNEL_VARIANTS).
 */
export const WEBGPU_VARIANT_CHOICES = ['auto', 'persistent', 'tiled'] as const;
export type WebGpuVariantChoice = (typeof WEBGPU_VARIANT_CHOICES)[number];

/** gpu.js needs a browser's WebGL2, so Node (the CLI, the bench) offers the other choices. */
export type NodeBackendChoice = Exclude<BackendChoice, 'gpujs'>;
export const NODE_BACKEND_CHOICES: readonly NodeBackendChoice[] = BACKEND_CHOICES.filter((c): c is NodeBackendChoice => c !== 'gpujs');

/** Names software rasterisers give themselves in WebGPU adapter info and WebGL's UNMASKED_RENDERER. */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|lavapipe|softpipe|software/i;

/** Whether a GPU renderer or adapter name ("ANGLE (Google, Vulkan 1.3.0 (SwiftShader ...") is a software rasteriser. */
export function isSoftwareRenderer(name: string): boolean {
  return SOFTWARE_RENDERER.test(name);
}

/** Trainers by name (no gpu.js trainer: training needs the WGSL kernels or the CPU's). */
export const TRAIN_BACKEND_CHOICES = ['auto', 'webgpu', 'cpu', 'reference'] as const satisfies readonly (EngineName | 'auto')[];
export type TrainBackendChoice = (typeof TRAIN_BACKEND_CHOICES)[number];

/**
 * The trainer `auto` picks, given the WebGPU adapter found (null: none, with the reason): the
 * WebGPU trainer on a hardware adapter; otherwise the float32 CPU trainer -- on a software
 * adapter (SwiftShader) the WGSL kernels run on the same CPU cores, several times slower than the
 * CPU trainer's SIMD code (bench/train.ts measures both).
 */
export function autoTrainer(adapter: { text: string; isFallbackAdapter: boolean } | null, noAdapterWhy = 'no WebGPU adapter'): { backend: 'webgpu' | 'cpu'; why: string } {
  if (!adapter) return { backend: 'cpu', why: `auto: ${noAdapterWhy}; the CPU trainer` };
  if (adapter.isFallbackAdapter || isSoftwareRenderer(adapter.text)) {
    return { backend: 'cpu', why: `auto: the WebGPU adapter is software (${adapter.text}), slower than the CPU trainer there; the CPU trainer` };
  }
  return { backend: 'webgpu', why: `auto: hardware WebGPU adapter (${adapter.text}); the WebGPU trainer` };
}

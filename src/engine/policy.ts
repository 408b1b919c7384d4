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

/** gpu.js needs a browser's WebGL2, so Node (the CLI, the bench) offers the other choices. */
export type NodeBackendChoice = Exclude<BackendChoice, 'gpujs'>;
export const NODE_BACKEND_CHOICES: readonly NodeBackendChoice[] = BACKEND_CHOICES.filter((c): c is NodeBackendChoice => c !== 'gpujs');

/** Names software rasterisers give themselves in WebGPU adapter info and WebGL's UNMASKED_RENDERER. */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|lavapipe|softpipe|software/i;

/** Whether a GPU renderer or adapter name ("ANGLE (Google, Vulkan 1.3.0 (SwiftShader ...") is a software rasteriser. */
export function isSoftwareRenderer(name: string): boolean {
  return SOFTWARE_RENDERER.test(name);
}

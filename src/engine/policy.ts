/**
 * The backend policy shared by the lab and the CLI: which engines a user can ask for by name,
 * and what counts as a software GPU. A software rasteriser (SwiftShader, llvmpipe/lavapipe,
 * Mesa's softpipe) runs "GPU" work on the CPU's cores, where it can be slower than the CPU
 * engine; auto then measures instead of trusting the GPU, and the 3D view draws a lighter mesh.
 */
import type { Config } from '../core/config.ts';
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

/** The engines that compute the outlier axis and untied weights (the others compute a tied rho sweep only). */
const OUTLIER_AND_UNTIED: readonly string[] = ['reference', 'cpu', 'webgpu'] satisfies EngineName[];

/**
 * Why an engine does not compute a config (the outlier axis or untied weights), with what to
 * choose instead, or null where it does. Memory limits are each engine's own refusal, at run time.
 */
export function unsupportedBy(engine: string, config: Pick<Config, 'sweep' | 'weights'>): string | null {
  if (OUTLIER_AND_UNTIED.includes(engine) || (config.sweep === 'rho' && config.weights === 'tied')) return null;
  const what = [config.sweep !== 'rho' ? 'sweep = outlier' : '', config.weights !== 'tied' ? 'weights = untied' : ''].filter(Boolean).join(' and ');
  return `${what}: the ${engine} engine computes only sweep = rho with tied weights; choose the CPU engine, WebGPU or the float64 reference`;
}

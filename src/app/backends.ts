/**
 * Backend selection in the browser, in ONE place. The rule: WebGPU when a hardware adapter
 * answers; otherwise the fast CPU engine; otherwise the float64 reference, run in Web Workers
 * so the page stays responsive. The UI only sees an Engine and a BackendInfo.
 */
import type { Engine } from '../core/engine.ts';
import { PoolReferenceEngine } from './pool-engine.ts';

export interface BackendInfo {
  /** The engine's name as the badge shows it ("reference", "cpu", "webgpu"). */
  engine: string;
  /** The adapter or machine, in words. */
  adapter: string;
  /** Why this engine runs and why the others were skipped, in words. */
  why: string;
  /** What a WebGPU probe found (shown even when another engine runs). */
  webgpu: WebGpuProbe;
}

export interface WebGpuProbe {
  available: boolean;
  /** "google swiftshader (software)", or why there is none. */
  description: string;
  isFallback: boolean;
}

/** Ask for an adapter and a device for real: navigator.gpu can exist while requestAdapter() returns null. */
export async function probeWebGpu(): Promise<WebGpuProbe> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return { available: false, description: 'this browser has no WebGPU (navigator.gpu is missing)', isFallback: false };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { available: false, description: 'WebGPU is present but no adapter answered', isFallback: false };
    const info = adapter.info;
    const isFallback = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? info.isFallbackAdapter ?? false;
    const device = await adapter.requestDevice();
    device.destroy();
    const name = [info.vendor, info.architecture, info.device].filter((s) => s).join(' ') || 'unknown adapter';
    return { available: true, description: `${name}${isFallback ? ' (software)' : ''}`, isFallback };
  } catch (e) {
    return { available: false, description: `WebGPU failed: ${e instanceof Error ? e.message : String(e)}`, isFallback: false };
  }
}

export interface SelectedBackend {
  engine: Engine;
  info: BackendInfo;
}

/** Pick the engine for this browser. */
export async function selectBackend(): Promise<SelectedBackend> {
  const webgpu = await probeWebGpu();
  const cores = Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 8));
  const engine = new PoolReferenceEngine(cores);
  const gpuNote = webgpu.available ? `WebGPU adapter ${webgpu.description} found, but this build has no WebGPU engine yet` : webgpu.description;
  return {
    engine,
    info: {
      engine: engine.name,
      adapter: engine.adapter,
      why: `${gpuNote}; no fast CPU engine in this build; running the float64 reference in ${cores} worker${cores > 1 ? 's' : ''}`,
      webgpu,
    },
  };
}

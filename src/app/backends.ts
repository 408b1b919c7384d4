/**
 * Backend selection in the browser, in ONE place. `auto`: WebGPU when a hardware adapter
 * answers; otherwise the fast float32 CPU engine (Web Workers); otherwise the float64
 * reference, run in Web Workers so the page stays responsive. A software WebGPU adapter
 * (SwiftShader, isFallbackAdapter) is skipped in `auto` and said so; any engine can be forced
 * from the page or the URL (`backend=`). The UI only sees an Engine and a BackendInfo.
 */
import type { Engine } from '../core/engine.ts';
import { createBrowserCpuEngine } from '../engine/cpu/pool-browser.ts';
import { WebGpuEngine } from '../engine/webgpu/index.ts';
import { HostedEngine } from './hosted-engine.ts';
import { PoolReferenceEngine } from './pool-engine.ts';

import type { BackendChoice } from './state.ts';

export type { BackendChoice };

export interface WebGpuProbe {
  available: boolean;
  /** "google swiftshader (software)", or why there is none. */
  description: string;
  isFallback: boolean;
}

export interface BackendInfo {
  /** The choice that was asked for. */
  choice: BackendChoice;
  /** The engine's name as the badge shows it ("reference", "cpu", "webgpu"). */
  engine: string;
  /** The adapter or machine, in words. */
  adapter: string;
  /** Why this engine runs and why the others were skipped, in words. */
  why: string;
  /** What the WebGPU probe found (shown even when another engine runs). */
  webgpu: WebGpuProbe;
}

export interface SelectedBackend {
  engine: Engine;
  info: BackendInfo;
}

/** Ask for an adapter and a device for real: navigator.gpu can exist while requestAdapter() returns null. */
export async function probeWebGpu(): Promise<WebGpuProbe> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return { available: false, description: 'not in this browser', isFallback: false };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { available: false, description: 'no adapter answered', isFallback: false };
    const info = adapter.info;
    const isFallback = Boolean((info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter);
    // A software adapter is skipped in auto anyway; only a hardware one is worth a device now.
    if (!isFallback) {
      const device = await adapter.requestDevice();
      device.destroy();
    }
    const name = [info.vendor, info.architecture].filter((s) => s).join(' ') || 'unnamed adapter';
    return { available: true, description: `${name}${isFallback ? ' (software)' : ''}`, isFallback };
  } catch (e) {
    return { available: false, description: `failed: ${e instanceof Error ? e.message : String(e)}`, isFallback: false };
  }
}

/** How long auto waits for the WebGPU probe before the first run starts on the CPU engine. */
const PROBE_WAIT_MS = 250;

function cores(): number {
  return Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 8));
}

/** Creates engines on demand and keeps one per kind, so switching back is instant. */
export class Backends {
  private probe: Promise<WebGpuProbe> | null = null;
  private engines = new Map<string, Promise<Engine>>();

  /** Start probing WebGPU now (the page calls this first, so the probe overlaps start-up). */
  warmUp(): Promise<WebGpuProbe> {
    // The CPU engine is what auto runs unless a hardware GPU answers: start its worker now too,
    // so its start-up overlaps the page's.
    void this.engine('cpu').catch(() => undefined);
    return this.webgpuProbe();
  }

  private webgpuProbe(): Promise<WebGpuProbe> {
    this.probe ??= probeWebGpu();
    return this.probe;
  }

  private engine(kind: 'webgpu' | 'cpu' | 'reference'): Promise<Engine> {
    let e = this.engines.get(kind);
    if (!e) {
      // The CPU and WebGPU engines run in a host worker, so that even building W0 and its
      // spectrum (seconds at N = 512) happens off the page's thread; if a worker cannot host
      // them, they run here.
      const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
      e =
        kind === 'webgpu'
          ? HostedEngine.create('webgpu', 0).catch(() => WebGpuEngine.create(gpu))
          : kind === 'cpu'
            ? HostedEngine.create('cpu', cores()).catch(() => createBrowserCpuEngine({ workers: cores() }))
            : Promise.resolve(new PoolReferenceEngine(cores()));
      this.engines.set(kind, e);
      // A failed creation is not cached: the next request tries again.
      e.catch(() => this.engines.delete(kind));
    }
    return e;
  }

  /** The engine for a choice, with the reasons in words. Never rejects: falls back and says why. */
  async select(choice: BackendChoice): Promise<SelectedBackend> {
    // In auto, a slow probe (a software adapter on a busy machine can take a second) must not
    // hold up the first picture: after PROBE_WAIT_MS this run goes to the CPU engine.
    const pending: WebGpuProbe = { available: false, description: 'probe still running', isFallback: false };
    const webgpu =
      choice === 'auto'
        ? await Promise.race([this.webgpuProbe(), new Promise<WebGpuProbe>((r) => setTimeout(() => r(pending), PROBE_WAIT_MS))])
        : await this.webgpuProbe();
    const done = async (kind: 'webgpu' | 'cpu' | 'reference', why: string): Promise<SelectedBackend> => {
      const engine = await this.engine(kind);
      return { engine, info: { choice, engine: engine.name, adapter: engine.adapter, why, webgpu } };
    };
    const gpuWords = webgpu.available ? `WebGPU adapter ${webgpu.description}` : `WebGPU: ${webgpu.description}`;
    if (choice === 'webgpu' || (choice === 'auto' && webgpu.available && !webgpu.isFallback)) {
      try {
        return await done('webgpu', choice === 'auto' ? `auto: ${gpuWords} is hardware` : 'asked for WebGPU');
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        return this.fallback(choice, `WebGPU failed (${msg})`, webgpu, done);
      }
    }
    if (choice === 'reference') return done('reference', 'asked for the float64 reference engine');
    if (choice === 'cpu') return this.fallback(choice, 'asked for the CPU engine', webgpu, done);
    const skipped = webgpu.available ? `${gpuWords} skipped: a software adapter is slower than the CPU engine` : `${gpuWords}`;
    return this.fallback(choice, `auto: ${skipped}`, webgpu, done);
  }

  private async fallback(
    _choice: BackendChoice,
    why: string,
    _webgpu: WebGpuProbe,
    done: (kind: 'webgpu' | 'cpu' | 'reference', why: string) => Promise<SelectedBackend>,
  ): Promise<SelectedBackend> {
    try {
      if (typeof Worker === 'undefined') throw new Error('no Web Workers');
      return await done('cpu', `${why}; running the float32 CPU engine in ${cores()} workers`);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      return done('reference', `${why}; the CPU engine failed (${msg}); running the float64 reference`);
    }
  }

  dispose(): void {
    for (const e of this.engines.values()) void e.then((x) => x.dispose(), () => undefined);
    this.engines.clear();
  }
}

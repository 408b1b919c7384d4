/**
 * Backend selection in the browser, in ONE place. `auto`: WebGPU when a hardware adapter
 * answers; otherwise gpu.js when WebGL2 is hardware; otherwise the float32 CPU engine (Web
 * Workers), and the float64 reference where even that fails. Where only software GPUs answer
 * (SwiftShader WebGPU / WebGL2), the page starts on the CPU engine and, after its first
 * picture, times the candidates once on a probe sweep (calibrate.ts): auto then runs the
 * fastest and the badge says why each other one was skipped. Any engine can be forced from
 * the page or the URL (`backend=`). GPU engines are wrapped in ResilientEngine (a lost device
 * is replaced once, then the next backend runs). The UI only sees an Engine and a BackendInfo.
 */
import type { Engine } from '../core/engine.ts';
import { createBrowserCpuEngine } from '../engine/cpu/pool-browser.ts';
import { WebGpuEngine } from '../engine/webgpu/index.ts';
import { HostedEngine } from './hosted-engine.ts';
import { PoolReferenceEngine } from './pool-engine.ts';
import { fastest, PROBE_CONFIG, probeWebGl2, timeCandidates, timingWords, type WebGl2Probe } from './calibrate.ts';
import { ResilientEngine } from './resilient-engine.ts';

import type { BackendChoice, KernelChoice } from './state.ts';

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
  /** The info again after a run: a lost GPU may have been replaced or fallen back meanwhile. */
  refresh?: () => BackendInfo;
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

type Kind = 'webgpu' | 'gpujs' | 'cpu' | 'reference';

/** Creates engines on demand and keeps one per kind, so switching back is instant. */
export class Backends {
  private probe: Promise<WebGpuProbe> | null = null;
  private gl: WebGl2Probe | null = null;
  private engines = new Map<Kind, Promise<Engine>>();
  /** auto's measurement where only software GPUs answer (null until calibrate() ran). */
  private calibration: Promise<{ winner: Kind; words: string }> | null = null;
  private measured: { winner: Kind; words: string } | null = null;
  /** The WebGPU engine's step kernels (the link's `kernel=`): the WebGPU engine is made with them. */
  private kernel: KernelChoice = 'auto';

  /** Start probing WebGPU now (the page calls this first, so the probe overlaps start-up). */
  warmUp(): Promise<WebGpuProbe> {
    // The CPU engine is what auto runs unless a hardware GPU answers: start its worker now too,
    // so its start-up overlaps the page's.
    void this.engine('cpu').catch(() => undefined);
    return this.webgpuProbe();
  }

  private webgpuProbe(): Promise<WebGpuProbe> {
    if (!this.probe) {
      this.probe = probeWebGpu();
      void this.probe.then((p) => (this.probeDone = p));
    }
    return this.probe;
  }

  /** The probe's answer once it has one. */
  private probeDone: WebGpuProbe | null = null;

  /** WebGL2 (gpu.js's backend): there, and hardware or software? Asked once. */
  webgl2(): WebGl2Probe {
    this.gl ??= probeWebGl2();
    return this.gl;
  }

  private create(kind: Kind): Promise<Engine> {
    // The CPU, WebGPU and gpu.js engines run in a host worker, so that even building W0 and its
    // spectrum (seconds at N = 512) happens off the page's thread; if a worker cannot host
    // the CPU or WebGPU engine, it runs here (gpu.js only runs hosted: it would block the page).
    const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
    const variant = this.kernel;
    if (kind === 'webgpu') return HostedEngine.create('webgpu', 0, variant).catch(() => WebGpuEngine.create(gpu, { variant }));
    if (kind === 'gpujs') return HostedEngine.create('gpujs', 0);
    if (kind === 'cpu') return HostedEngine.create('cpu', cores()).catch(() => createBrowserCpuEngine({ workers: cores() }));
    return Promise.resolve(new PoolReferenceEngine(cores()));
  }

  /** The next engine when a GPU engine fails for good: gpu.js after WebGPU, then the CPU engine. */
  private async next(after: Kind): Promise<Engine> {
    if (after === 'webgpu' && this.webgl2().available) {
      try {
        return await this.engine('gpujs');
      } catch {
        // no gpu.js either: the CPU engine below
      }
    }
    return this.engine('cpu');
  }

  private engine(kind: Kind): Promise<Engine> {
    let e = this.engines.get(kind);
    if (!e) {
      // GPU engines are wrapped: a lost device is replaced once, then the next backend takes over.
      e =
        kind === 'webgpu' || kind === 'gpujs'
          ? this.create(kind).then(
              (inner) =>
                new ResilientEngine(
                  inner,
                  () => this.create(kind),
                  () => this.next(kind),
                ),
            )
          : this.create(kind);
      this.engines.set(kind, e);
      // A failed creation is not cached: the next request tries again.
      e.catch(() => this.engines.delete(kind));
    }
    return e;
  }

  /** The engine a test hook acts on: the current engine of a kind, if it was made. */
  async current(kind: Kind): Promise<Engine | null> {
    const e = this.engines.get(kind);
    return e ? e.catch(() => null) : null;
  }

  /**
   * auto where no hardware GPU answered: time the candidates (a software WebGPU adapter,
   * gpu.js on WebGL2, the CPU engine) once on a small probe sweep and remember the fastest.
   * The page calls this after its first picture, so the measurement never delays it.
   */
  calibrate(): Promise<{ winner: Kind; words: string }> {
    this.calibration ??= (async () => {
      const webgpu = await this.webgpuProbe();
      const gl = this.webgl2();
      const candidates: { kind: Kind; engine: () => Promise<Engine> }[] = [{ kind: 'cpu', engine: () => this.engine('cpu') }];
      if (gl.available) candidates.push({ kind: 'gpujs', engine: () => this.engine('gpujs') });
      if (webgpu.available) candidates.push({ kind: 'webgpu', engine: () => this.engine('webgpu') });
      const timings = await timeCandidates(candidates);
      const best = fastest(timings);
      const winner = (best?.kind ?? 'cpu') as Kind;
      const measured = { winner, words: `measured once on a probe sweep (N=${PROBE_CONFIG.hidden}, T=${PROBE_CONFIG.steps}, ${PROBE_CONFIG.rhoCount}x${PROBE_CONFIG.samples} sequences): ${timingWords(timings)}; ${winner} is fastest` };
      this.measured = measured;
      return measured;
    })();
    return this.calibration;
  }

  /** Why auto does not run the others, in words. */
  private skipped(webgpu: WebGpuProbe, gl: WebGl2Probe): string {
    const gpuWords = webgpu.available ? `WebGPU adapter ${webgpu.description} is software` : `WebGPU unavailable (${webgpu.description})`;
    const glWords = gl.available ? `WebGL2 ${gl.software ? 'is software' : 'is hardware'} (${gl.renderer})` : `no WebGL2 for gpu.js (${gl.renderer})`;
    return `${gpuWords}; ${glWords}`;
  }

  /**
   * Other WebGPU kernels than the engine at hand was made with: it is disposed, and the next
   * WebGPU run makes one with these (a tiled and a persistent engine are never both held).
   */
  private useKernel(kernel: KernelChoice): void {
    if (kernel === this.kernel) return;
    this.kernel = kernel;
    const made = this.engines.get('webgpu');
    this.engines.delete('webgpu');
    void made?.then((e) => e.dispose(), () => undefined);
  }

  /**
   * The engine for a choice (the WebGPU engine with the step kernels `kernel`), with the reasons
   * in words. Never rejects: falls back and says why.
   */
  async select(choice: BackendChoice, kernel: KernelChoice): Promise<SelectedBackend> {
    this.useKernel(kernel);
    // In auto, a slow probe (a software adapter on a busy machine can take a second) must not
    // hold up the first picture: after PROBE_WAIT_MS this run goes to the CPU engine.
    const pending: WebGpuProbe = { available: false, description: 'probe still running', isFallback: false };
    const webgpu =
      choice === 'auto'
        ? await Promise.race([this.webgpuProbe(), new Promise<WebGpuProbe>((r) => setTimeout(() => r(pending), PROBE_WAIT_MS))])
        : await this.webgpuProbe();
    const done = async (kind: Kind, why: string): Promise<SelectedBackend> => {
      const engine = await this.engine(kind);
      const info = (): BackendInfo => {
        const notice = engine instanceof ResilientEngine && engine.notice ? `; ${engine.notice}` : '';
        // The probe may have answered since this run started without it: say what it found.
        const late = webgpu === pending ? this.probeDone : null;
        const lateWords = late ? (late.available ? `WebGPU adapter ${late.description} answered after this run had started` : `WebGPU unavailable (${late.description})`) : '';
        const whyNow = late ? why.replace('WebGPU unavailable (probe still running)', lateWords) : why;
        const kernelWords = kind === 'webgpu' && this.kernel !== 'auto' ? `; ${this.kernel} kernels, as the link asks (kernel=${this.kernel})` : '';
        return { choice, engine: engine.name, adapter: engine.adapter, why: whyNow + kernelWords + notice, webgpu: late ?? webgpu };
      };
      return { engine, info: info(), refresh: info };
    };
    const gl = choice === 'auto' || choice === 'gpujs' ? this.webgl2() : null;
    const tryKind = async (kind: Kind, why: string): Promise<SelectedBackend> => {
      try {
        return await done(kind, why);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        return this.fallback(choice, `${kind === 'webgpu' ? 'WebGPU' : 'gpu.js'} failed (${msg})`, done);
      }
    };
    if (choice === 'webgpu') return tryKind('webgpu', 'asked for WebGPU');
    if (choice === 'gpujs') return tryKind('gpujs', `asked for gpu.js (WebGL2: ${gl!.renderer})`);
    if (choice === 'reference') return done('reference', 'asked for the float64 reference engine');
    if (choice === 'cpu') return this.fallback(choice, 'asked for the CPU engine', done);
    // auto
    if (webgpu.available && !webgpu.isFallback) return tryKind('webgpu', `auto: WebGPU adapter ${webgpu.description} is hardware`);
    const skipped = this.skipped(webgpu, gl!);
    if (this.measured) {
      const m = this.measured;
      return m.winner === 'cpu' ? this.fallback(choice, `auto: ${skipped}; ${m.words}`, done) : tryKind(m.winner, `auto: ${skipped}; ${m.words}`);
    }
    if (gl!.available && !gl!.software && !webgpu.available) return tryKind('gpujs', `auto: ${skipped}: gpu.js runs`);
    return this.fallback(choice, `auto: ${skipped}; until a measurement says otherwise`, done);
  }

  private async fallback(_choice: BackendChoice, why: string, done: (kind: Kind, why: string) => Promise<SelectedBackend>): Promise<SelectedBackend> {
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

/**
 * What `auto` needs besides the WebGPU probe: whether WebGL2 (gpu.js's backend) is there and
 * whether it is a software rasteriser, and -- where only software GPUs answer -- a one-off
 * timing of the candidate engines on a small probe sweep, so auto runs the fastest one.
 * A software adapter (SwiftShader, llvmpipe) rasterises on the CPU and can be slower than the
 * CPU engine; a measurement, not a guess, decides.
 */
import { parseConfig, type Config } from '../core/config.ts';
import type { Engine } from '../core/engine.ts';
import { isSoftwareRenderer } from '../engine/policy.ts';

export interface WebGl2Probe {
  available: boolean;
  /** The unmasked renderer ("ANGLE (Google, Vulkan 1.3.0 (SwiftShader ...") or why there is none. */
  renderer: string;
  /** A software rasteriser: SwiftShader, llvmpipe, lavapipe, "software". */
  software: boolean;
}


/** Ask for a WebGL2 context for real (and free it at once: browsers cap live contexts). */
export function probeWebGl2(): WebGl2Probe {
  try {
    const canvas = document.createElement('canvas');
    const gl = canvas.getContext('webgl2');
    if (!gl) return { available: false, renderer: 'no WebGL2 context', software: false };
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? 'unknown renderer');
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return { available: true, renderer, software: isSoftwareRenderer(renderer) };
  } catch (e) {
    return { available: false, renderer: `failed: ${e instanceof Error ? e.message : String(e)}`, software: false };
  }
}

/**
 * The probe sweep: small enough to take well under a second on the CPU engine here, large
 * enough (K x S = 64 sequences of N = 64, T = 100) that a GPU's per-dispatch overhead does not
 * decide alone. Fixed seed: every candidate computes the same thing.
 */
export const PROBE_CONFIG: Config = parseConfig({ hidden: 64, steps: 100, rhoCount: 8, samples: 8, rhoMin: 0.5, rhoMax: 1.5, seed: 1 });

export interface Timing {
  kind: string;
  /** Milliseconds of the timed probe run, or null when the engine failed. */
  ms: number | null;
  /** Why it failed, or the adapter it ran on. */
  note: string;
}

/**
 * Time each candidate once on PROBE_CONFIG: one untimed run first (kernels compile, workers
 * warm up: a cost paid once per page, not per sweep), then one timed run. Sequential, so the
 * candidates do not compete for the cores.
 */
export async function timeCandidates(candidates: { kind: string; engine: () => Promise<Engine> }[]): Promise<Timing[]> {
  const out: Timing[] = [];
  for (const c of candidates) {
    try {
      const e = await c.engine();
      await e.run(PROBE_CONFIG);
      const t0 = performance.now();
      await e.run(PROBE_CONFIG);
      out.push({ kind: c.kind, ms: performance.now() - t0, note: e.adapter });
    } catch (err) {
      out.push({ kind: c.kind, ms: null, note: err instanceof Error ? err.message : String(err) });
    }
  }
  return out;
}

/** The fastest candidate that ran, or null when none did. */
export function fastest(timings: readonly Timing[]): Timing | null {
  let best: Timing | null = null;
  for (const t of timings) if (t.ms !== null && (best === null || t.ms < best.ms!)) best = t;
  return best;
}

/** "cpu 41 ms, gpujs 230 ms, webgpu failed (...)" */
export function timingWords(timings: readonly Timing[]): string {
  return timings.map((t) => (t.ms === null ? `${t.kind} failed (${t.note})` : `${t.kind} ${t.ms.toFixed(0)} ms`)).join(', ');
}

/**
 * Test hooks for the robustness tests (window.__labRobust): lose the GPU device of the WebGPU
 * engine mid-run, count its live GPU buffers, wait for auto's measurement. They only reach
 * what the engines expose for tests (test-actions.ts); the page never calls them itself, and only
 * a test build installs them (src/main.ts, under __LAB_TEST_HOOKS__).
 */
import type { Engine } from '../core/engine.ts';
import type { Backends } from './backends.ts';
import type { HostTestAction } from './host-protocol.ts';
import { HostedEngine } from './hosted-engine.ts';
import { ResilientEngine } from './resilient-engine.ts';
import { engineTestAction } from './test-actions.ts';

type GpuKind = 'webgpu' | 'gpujs';

async function resilient(backends: Backends, kind: GpuKind): Promise<ResilientEngine | null> {
  const e = await backends.current(kind);
  return e instanceof ResilientEngine ? e : null;
}

function hostTest(e: Engine, action: HostTestAction): Promise<number | boolean | null> {
  return e instanceof HostedEngine ? e.test(action) : engineTestAction(e, action);
}

export function robustnessHooks(backends: Backends) {
  return {
    /** auto's measurement (starts it if the page has not yet). */
    calibration: async () => (await backends.calibrate()).words,
    /**
     * Destroy the device of the GPU engine of `kind` now; `again`: also destroy the device of
     * that many of the engines made to replace it (2 failures in a row: the fallback path).
     */
    loseDevice: async (kind: GpuKind = 'webgpu', again = 0): Promise<boolean> => {
      const r = await resilient(backends, kind);
      if (!r) return false;
      let left = again;
      r.onRecreated =
        left > 0
          ? async (e) => {
              if (left-- > 0) await hostTest(e, 'lose-device');
            }
          : null;
      return Boolean(await hostTest(r.current, kind === 'webgpu' ? 'lose-device' : 'lose-context'));
    },
    /** Recoveries and fallbacks so far, and the engine that runs now. */
    gpuState: async (kind: GpuKind = 'webgpu') => {
      const r = await resilient(backends, kind);
      return r ? { recoveries: r.recoveries, fallbacks: r.fallbacks, notice: r.notice, engine: r.name } : null;
    },
    /** Host workers replaced because they ignored an abort, per engine kind made so far. */
    restarts: async (): Promise<Record<string, number>> => {
      const out: Record<string, number> = {};
      for (const kind of ['cpu', 'webgpu', 'gpujs'] as const) {
        const e = await backends.current(kind);
        const inner = e instanceof ResilientEngine ? e.current : e;
        if (inner instanceof HostedEngine) out[kind] = inner.restarts;
      }
      return out;
    },
    /** Live GPU buffers of the WebGPU engine (null when it has not been made). */
    liveBuffers: async (): Promise<number | null> => {
      const r = await resilient(backends, 'webgpu');
      const v = r ? await hostTest(r.current, 'live-buffers') : null;
      return typeof v === 'number' ? v : null;
    },
  };
}

export type RobustnessHooks = ReturnType<typeof robustnessHooks>;

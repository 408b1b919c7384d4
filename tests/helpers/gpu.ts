/**
 * Helpers for the WebGPU engine tests (Node + Dawn): one engine per test file (pipelines compile
 * once per activation, which costs seconds on SwiftShader), fresh seeds that are printed on
 * failure, and a field comparison that states what it tolerates.
 */
import { GRID_NAMES, STATISTICS, type GradientField, type GridName } from '../../src/core/field.ts';
import type { ToleranceClass } from '../../src/core/statistics.ts';
import { WebGpuEngine, type WebGpuEngineOptions } from '../../src/engine/webgpu/engine.ts';
import { dawnGpu } from '../../src/node/dawn.ts';

/** The WebGPU engine on Dawn (SwiftShader on a machine without a GPU). */
export function createTestEngine(options: WebGpuEngineOptions = {}): Promise<WebGpuEngine> {
  return WebGpuEngine.create(dawnGpu(), options);
}

/** A fresh uint32 seed (from the OS), so every run tests new inputs; tests print it on failure. */
export function freshSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/** Absolute tolerance per tolerance class of the statistics table (src/core/statistics.ts says why each). */
export type Tolerance = Record<ToleranceClass, number>;

export interface Mismatch {
  grid: GridName | 'overflow';
  k: number;
  t: number;
  gpu: number;
  ref: number;
}

/**
 * Every cell of every grid: finite in both and within tolerance, or the same non-finite value
 * (-Infinity for exact zeros, NaN for undefined). Overflow flags must be equal. Returns the
 * first few mismatches (empty when the fields agree) and the largest difference per grid.
 */
export function compareFields(gpu: GradientField, ref: GradientField, tol: Tolerance): { mismatches: Mismatch[]; maxDiff: Record<string, number> } {
  const mismatches: Mismatch[] = [];
  const maxDiff: Record<string, number> = {};
  const T = ref.T;
  for (const name of GRID_NAMES) {
    const a = gpu.grids[name];
    const b = ref.grids[name];
    const limit = tol[STATISTICS[name].tolerance];
    let worst = 0;
    for (let i = 0; i < b.length; i++) {
      const ok = Number.isFinite(a[i]) && Number.isFinite(b[i]) ? Math.abs(a[i] - b[i]) <= limit : Object.is(a[i], b[i]);
      if (Number.isFinite(a[i]) && Number.isFinite(b[i])) worst = Math.max(worst, Math.abs(a[i] - b[i]));
      if (!ok && mismatches.length < 8) mismatches.push({ grid: name, k: Math.floor(i / T), t: (i % T) + 1, gpu: a[i], ref: b[i] });
    }
    maxDiff[name] = worst;
  }
  for (let i = 0; i < ref.overflow.length; i++) {
    if (gpu.overflow[i] !== ref.overflow[i] && mismatches.length < 8) {
      mismatches.push({ grid: 'overflow', k: Math.floor(i / T), t: (i % T) + 1, gpu: gpu.overflow[i], ref: ref.overflow[i] });
    }
  }
  return { mismatches, maxDiff };
}

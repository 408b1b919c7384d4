/**
 * ResilientEngine (a lost GPU device is replaced once, then the next backend runs) and the
 * pure parts of auto's measurement (calibrate.ts), with fake engines: which engine ran, what
 * the progress said, and what the notice tells the badge.
 */
import { describe, expect, it } from 'vitest';
import { fastest, timeCandidates, timingWords } from '../../src/app/calibrate.ts';
import { BACKEND_CHOICES, isSoftwareRenderer, NODE_BACKEND_CHOICES } from '../../src/engine/policy.ts';
import { isGpuLost, ResilientEngine } from '../../src/app/resilient-engine.ts';
import { parseConfig } from '../../src/core/config.ts';
import { AbortError, type Engine, type EngineName, type RunOptions } from '../../src/core/engine.ts';
import type { GradientField } from '../../src/core/field.ts';

const LOST = 'webgpu: the GPU device was lost while reading back (destroyed)';

/** An engine that fails with `fail` on its first `failures` runs, then returns a marker field. */
function fake(name: EngineName, failures: number, fail = LOST): Engine & { runs: number; disposed: boolean } {
  return {
    name,
    adapter: `${name} adapter`,
    runs: 0,
    disposed: false,
    async run(_c, _o?: RunOptions) {
      this.runs++;
      if (this.runs <= failures) throw new Error(fail);
      return { marker: name } as unknown as GradientField;
    },
    dispose() {
      this.disposed = true;
    },
  };
}

const CONFIG = parseConfig({ hidden: 4, steps: 3, rhoCount: 2, samples: 1 });

describe('ResilientEngine', () => {
  it('a lost device: says so, acquires a new device and completes the run on it', async () => {
    const first = fake('webgpu', 1);
    const second = fake('webgpu', 0);
    const fallback = fake('cpu', 0);
    const e = new ResilientEngine(first, async () => second, async () => fallback);
    const phases: string[] = [];
    const f = (await e.run(CONFIG, { onProgress: (p) => phases.push(p.phase) })) as unknown as { marker: string };
    expect(f.marker).toBe('webgpu');
    expect(first.disposed).toBe(true);
    expect(second.runs).toBe(1);
    expect(fallback.runs).toBe(0);
    expect(e.recoveries).toBe(1);
    expect(phases[0]).toMatch(/lost: acquiring a new device/);
    expect(e.notice).toMatch(/new device completed it/);
    expect(e.current).toBe(second);
  });

  it('lost twice: falls back to the next backend for this run and the later ones', async () => {
    const fallback = fake('cpu', 0);
    const e = new ResilientEngine(fake('webgpu', 1), async () => fake('webgpu', 1), async () => fallback);
    const f = (await e.run(CONFIG)) as unknown as { marker: string };
    expect(f.marker).toBe('cpu');
    expect(e.name).toBe('cpu');
    expect(e.fallbacks).toBe(1);
    expect(e.notice).toMatch(/fell back to the cpu engine/);
    await e.run(CONFIG);
    expect(fallback.runs).toBe(2);
  });

  it('no new device at all: falls back at once', async () => {
    const e = new ResilientEngine(fake('webgpu', 1), () => Promise.reject(new Error('no adapter answered')), async () => fake('gpujs', 0));
    const f = (await e.run(CONFIG)) as unknown as { marker: string };
    expect(f.marker).toBe('gpujs');
    expect(e.notice).toMatch(/no new device: no adapter answered/);
  });

  it('other errors and cancellations pass through untouched (no retry)', async () => {
    const recreate = () => Promise.reject(new Error('must not be called'));
    const oversized = new ResilientEngine(fake('webgpu', 1, 'webgpu: needs a 4.9 GiB buffer; reduce steps'), recreate, recreate);
    await expect(oversized.run(CONFIG)).rejects.toThrow(/4.9 GiB/);
    const ctrl = new AbortController();
    const aborting: Engine = { ...fake('webgpu', 0), run: async () => (ctrl.abort(), Promise.reject(new AbortError())) };
    await expect(new ResilientEngine(aborting, recreate, recreate).run(CONFIG, { signal: ctrl.signal })).rejects.toThrow(AbortError);
  });

  it('recognises lost devices and contexts, not other failures', () => {
    expect(isGpuLost(new Error(LOST))).toBe(true);
    expect(isGpuLost(new Error('gpujs engine: the WebGL context was lost during the run'))).toBe(true);
    expect(isGpuLost(new Error('the engine worker failed: out of memory'))).toBe(true);
    expect(isGpuLost(new Error('hidden: 5000 is not in 1..1024'))).toBe(false);
  });
});

describe("auto's measurement", () => {
  it('times every candidate, reports failures in words and picks the fastest that ran', async () => {
    const slow: Engine = { ...fake('gpujs', 0), run: () => new Promise((r) => setTimeout(() => r({} as GradientField), 30)) };
    const broken: Engine = { ...fake('webgpu', 0), run: () => Promise.reject(new Error('no adapter')) };
    const t = await timeCandidates([
      { kind: 'gpujs', engine: async () => slow },
      { kind: 'cpu', engine: async () => fake('cpu', 0) },
      { kind: 'webgpu', engine: async () => broken },
    ]);
    expect(t.map((x) => x.kind)).toEqual(['gpujs', 'cpu', 'webgpu']);
    expect(t[0].ms).toBeGreaterThanOrEqual(25);
    expect(t[2].ms).toBeNull();
    expect(fastest(t)?.kind).toBe('cpu');
    expect(timingWords(t)).toMatch(/^gpujs \d+ ms, cpu \d+ ms, webgpu failed \(no adapter\)$/);
    expect(fastest([{ kind: 'x', ms: null, note: '' }])).toBeNull();
  });

  it('tells software rasterisers from hardware renderers', () => {
    expect(isSoftwareRenderer('ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)')).toBe(true);
    expect(isSoftwareRenderer('llvmpipe (LLVM 15.0.6, 256 bits)')).toBe(true);
    expect(isSoftwareRenderer('lavapipe (LLVM 15.0.6, 256 bits)')).toBe(true);
    expect(isSoftwareRenderer('ANGLE (NVIDIA, NVIDIA GeForce RTX 3080 Direct3D11 vs_5_0 ps_5_0)')).toBe(false);
    expect(isSoftwareRenderer('apple m2')).toBe(false);
  });

  it('offers Node every backend choice but gpu.js, from the one list', () => {
    expect(BACKEND_CHOICES).toContain('gpujs');
    expect(NODE_BACKEND_CHOICES).toEqual(BACKEND_CHOICES.filter((c) => c !== 'gpujs'));
  });
});

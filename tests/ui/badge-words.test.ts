/** The engine badge's short label and its details (src/ui/badge-words.ts). */
import { describe, expect, it } from 'vitest';
import type { BackendInfo } from '../../src/app/backends.ts';
import type { RunResult } from '../../src/app/store.ts';
import { badgeDetails, badgeLabel, engineShort, fmtSeconds } from '../../src/ui/badge-words.ts';

const cpu: BackendInfo = {
  choice: 'auto',
  engine: 'cpu',
  adapter: 'float32 WebAssembly SIMD, 2 workers',
  why: 'auto: measured cpu 120 ms, gpujs 900 ms; cpu is fastest',
  webgpu: { available: true, description: 'google swiftshader (software)', isFallback: true },
};
const run = { wallMs: 312, msPerStep: 3.1234, gflops: 0.0123, a: { meta: { precision: 'float32' } } } as unknown as RunResult;

describe('badge words', () => {
  it('a short label names the engine, its workers and the wall time', () => {
    expect(badgeLabel(cpu, run)).toBe('CPU, 2 workers · 0.31 s');
    expect(badgeLabel(cpu, null)).toBe('CPU, 2 workers');
    expect(badgeLabel(null, null)).toBe('engine starting…');
    expect(engineShort({ ...cpu, adapter: 'float32 scalar, 1 worker' })).toBe('CPU, 1 worker');
    expect(engineShort({ ...cpu, adapter: 'float32 scalar, calling thread' })).toBe('CPU, 1 thread');
    expect(engineShort({ ...cpu, engine: 'webgpu', adapter: 'nvidia ampere' })).toBe('WebGPU');
    expect(fmtSeconds(12_345)).toBe('12.3 s');
    expect(fmtSeconds(345_600)).toBe('346 s');
  });

  it('the details hold everything the long badge said: adapter, timings, precision, WebGPU and why', () => {
    const text = badgeDetails(cpu, run)
      .map((r) => `${r.term}: ${r.text}`)
      .join('\n');
    expect(text).toContain('cpu on float32 WebAssembly SIMD, 2 workers');
    expect(text).toContain('0.31 s · 3.12 ms/step · 0.012 GFLOP/s (float32)');
    expect(text).toContain('WebGPU: google swiftshader (software, skipped)');
    expect(text).toContain(cpu.why);
    const none = badgeDetails({ ...cpu, webgpu: { available: false, description: 'not in this browser', isFallback: false } }, null);
    expect(none.find((r) => r.term === 'WebGPU')!.text).toBe('unavailable (not in this browser)');
    expect(none.some((r) => r.term === 'Last run')).toBe(false);
  });
});

/** What a sweep costs: arithmetic and the memory an engine that keeps every step needs. */
import type { Config } from './config.ts';

/** B = K * S sequences, all run at once by the batched engines. */
export function sequenceCount(config: Pick<Config, 'rhoCount' | 'samples'>): number {
  return config.rhoCount * config.samples;
}

/**
 * Floating-point operations of forward + BPTT: per sequence and step, the recurrent product
 * (2 N^2), the input product (2 N D) and the transposed product of the backward pass (2 N^2).
 * sweep-64 (N=64, D=8, T=100, K=64, S=16): 1.78e9.
 */
export function sweepFlops(config: Pick<Config, 'rhoCount' | 'samples' | 'steps' | 'hidden' | 'input'>): number {
  const n = config.hidden;
  return sequenceCount(config) * config.steps * (4 * n * n + 2 * n * config.input);
}

/** Bytes of float32 pre-activations BPTT keeps: B x T x N x 4. */
export function bpttBytes(config: Pick<Config, 'rhoCount' | 'samples' | 'steps' | 'hidden'>): number {
  return sequenceCount(config) * config.steps * config.hidden * 4;
}

/** "1.5 GiB", "300 MiB", "12 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 || u === 0 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

/** "850 ms", "12 s", "3 min 40 s", "1 h 40 min": a duration as a person reads it. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'unknown';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${String(min % 60).padStart(2, '0')} min`;
  return `${Math.round(h / 24)} days`;
}

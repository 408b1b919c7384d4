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

/** Most bytes of untied float64 matrices a run may hold (T of them, N x N each). */
export const UNTIED_BYTES_LIMIT = 512 * 1024 * 1024;

/**
 * Bytes of the untied weights: T matrices W0_t of N x N float64 (one shared matrix for the
 * identity init, whose W0_t are all I), plus each W0_t's outlier columns for sweep outlier.
 */
export function untiedBytes(config: Pick<Config, 'weights' | 'init' | 'steps' | 'hidden' | 'sweep'>): number {
  if (config.weights !== 'untied') return 0;
  const n = config.hidden;
  const matrices = config.init === 'identity' ? 1 : config.steps;
  return matrices * n * n * 8 + (config.sweep === 'outlier' ? config.steps * 2 * n * 8 : 0);
}

/** What building the untied weights costs, in words (the CLI and the lab show it before the run). */
export function untiedCost(config: Pick<Config, 'weights' | 'init' | 'normalize' | 'steps' | 'hidden'>): string {
  if (config.weights !== 'untied') return '';
  const T = config.steps;
  const n = config.hidden;
  switch (config.init) {
    case 'identity':
      return `untied weights: every W0_t is the identity (nothing to build)`;
    case 'gaussian':
      return `untied weights: ${T} gaussian ${n}x${n} matrices, each normalised to spectral ${config.normalize} 1 exactly: ${T} ${config.normalize === 'radius' ? 'eigenvalue computations' : 'spectral-norm computations'}`;
    case 'orthogonal':
      return `untied weights: ${T} orthogonal ${n}x${n} matrices: ${T} QR decompositions`;
    case 'spectrum':
      return `untied weights: ${T} matrices Q_t B Q_t^T of ${n}x${n}: ${T} QR decompositions and ${T} matrix products`;
  }
}

/**
 * Planned before anything is allocated: null where the untied weights fit UNTIED_BYTES_LIMIT,
 * else the message refusing them with the size and what to reduce.
 */
export function untiedRefusal(config: Pick<Config, 'weights' | 'init' | 'steps' | 'hidden' | 'sweep'>): string | null {
  const bytes = untiedBytes(config);
  if (bytes <= UNTIED_BYTES_LIMIT) return null;
  const n = config.hidden;
  const perStep = n * n * 8 + (config.sweep === 'outlier' ? 2 * n * 8 : 0);
  const stepsThatFit = Math.floor(UNTIED_BYTES_LIMIT / perStep);
  const nThatFits = Math.floor(Math.sqrt(UNTIED_BYTES_LIMIT / (config.steps * 8)));
  return (
    `weights: untied needs ${config.steps} matrices of ${n}x${n} float64, ${formatBytes(bytes)}, above the ${formatBytes(UNTIED_BYTES_LIMIT)} allowed; ` +
    `reduce Steps T to at most ${stepsThatFit} (at N = ${n}) or Hidden size N to at most ${nThatFits} (at T = ${config.steps}), or use tied weights`
  );
}

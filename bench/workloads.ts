/** The benchmark's standard workloads (issue 3), shared by the Node and the browser benchmark. */
import { parseConfig, type Config } from '../src/core/config.ts';

export interface Workload {
  name: string;
  config: Config;
}

/** sweep-64: N=64, D=8, T=100, K=64 rho in [0.5, 1.5], S=16, tanh, gaussian, noise inputs (1.78 GFLOP). */
export const SWEEP_64: Workload = {
  name: 'sweep-64',
  config: parseConfig({ hidden: 64, input: 8, steps: 100, rhoMin: 0.5, rhoMax: 1.5, rhoCount: 64, samples: 16, activation: 'tanh', init: 'gaussian', inputs: 'noise', seed: 1 }),
};

/** sweep-256: N=256, T=200, otherwise sweep-64 (54.5 GFLOP). */
export const SWEEP_256: Workload = {
  name: 'sweep-256',
  config: parseConfig({ ...SWEEP_64.config, hidden: 256, steps: 200 }),
};

export const WORKLOADS: readonly Workload[] = [SWEEP_64, SWEEP_256];

/** Median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

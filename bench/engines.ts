/** The engines the Node benchmark times, each created fresh and disposed after its workloads. */
import type { Engine } from '../src/core/engine.ts';
import { ReferenceEngine } from '../src/core/reference.ts';
import type { Workload } from './workloads.ts';

export interface BenchEngine {
  name: string;
  create(): Promise<Engine>;
  /** The adapter's own 1024^3 float32 matmul rate, GFLOP/s, where the engine has one. */
  ceiling?(engine: Engine): Promise<number>;
  /** A reason to skip a workload, or undefined. */
  skip?(w: Workload): string | undefined;
  /** How many timed runs (default: --runs). */
  runs?(w: Workload, asked: number): number;
}

export async function nodeBenchEngines(): Promise<BenchEngine[]> {
  return [
    {
      name: 'reference',
      create: async () => new ReferenceEngine(),
      // float64 JavaScript at ~0.6 GFLOP/s: sweep-256's 55 GFLOP would take ~90 s a run.
      skip: (w) => (w.name === 'sweep-256' ? 'the float64 reference would take ~90 s a run; it is the yardstick on sweep-64' : undefined),
    },
  ];
}
